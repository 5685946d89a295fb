"""The pricing engine's per-catalog price book: a cache that must never change a quote nor keep a catalog alive."""

from __future__ import annotations

import datetime as dt
import gc
import threading
import weakref

import pytest

from subscription_core import price_book
from subscription_core.catalog import Addon, AddonKind, Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.errors import NotFoundError
from subscription_core.money import Currency, Money
from subscription_core.pricing import quote
from subscription_core.quotes import AddonSelection, PlanSelection, Quote
from subscription_core.tax import VatPeriod, VatRate, VatSchedule

VND = Currency.of("VND")
DAY = dt.date(2026, 11, 23)
ORDER = (PlanSelection(plan="PRO", option="1Y"), AddonSelection(addon="TRAIN"))
VAT_CUT = VatSchedule(
    (
        VatPeriod(VatRate.parse("8%"), dt.date(2025, 7, 1), dt.date(2026, 12, 31)),
        VatPeriod(VatRate.parse("10%"), dt.date(2027, 1, 1)),
    )
)


def make_catalog(price: int = 12_000_000) -> Catalog:
    plan = Plan(
        code="PRO",
        name="Professional",
        options=[PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(price, VND))],
        vat=VatSchedule.flat("KCT"),
    )
    training = Addon(
        code="TRAIN",
        name="Training",
        kind=AddonKind.TRAINING,
        price=Money.of(1_500_000, VND),
        plans={"PRO"},
        vat=VAT_CUT,
    )
    return Catalog(currency=VND, products=[Product(code="AMIS", name="AMIS", plans=[plan], addons=[training])])


def test_c1_each_catalog_is_priced_from_its_own_items_even_when_its_id_is_reused() -> None:
    # A freed catalog's id is often given to the next one: its book must not be taken for the new one's.
    for price in range(1_000_000, 1_000_040):
        catalog = make_catalog(price)
        assert quote(catalog, ORDER[:1], as_of=DAY).lines[0].base == Money.of(price, VND)
        del catalog


def test_a_price_book_does_not_keep_its_catalog_alive() -> None:
    catalog = make_catalog()
    quote(catalog, ORDER, as_of=DAY)
    freed = weakref.ref(catalog)
    del catalog
    gc.collect()
    assert freed() is None


def test_a_price_book_is_kept_with_its_catalog_and_not_shared_with_an_equal_one() -> None:
    catalog, twin = make_catalog(), make_catalog()
    assert catalog == twin
    assert price_book.price_book(catalog) is price_book.price_book(catalog)
    assert price_book.price_book(catalog) is not price_book.price_book(twin)
    assert not any(isinstance(value, price_book.PriceBook) for value in vars(price_book).values())


def test_c6_the_same_catalog_quoted_on_alternating_days_takes_each_days_rate() -> None:
    catalog = make_catalog()
    rates = [
        quote(catalog, ORDER, as_of=day).lines[1].vat_rate.label
        for day in (dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 1))
    ]
    assert rates == ["8%", "10%", "8%", "10%"]


def test_c1_c3_an_unknown_item_is_refused_every_time_and_spoils_nothing() -> None:
    catalog = make_catalog()
    for _ in range(2):
        with pytest.raises(NotFoundError) as plan:
            quote(catalog, [PlanSelection(plan="PRO", option="2Y")], as_of=DAY)
        assert (plan.value.rule, plan.value.field) == ("C1", "option")
        with pytest.raises(NotFoundError) as addon:
            quote(catalog, [ORDER[0], AddonSelection(addon="NOPE")], as_of=DAY)
        assert (addon.value.rule, addon.value.field) == ("C3", "addon")
    assert quote(catalog, ORDER, as_of=DAY) == quote(make_catalog(), ORDER, as_of=DAY)


def test_threads_quoting_a_new_catalog_at_once_get_the_quote_of_a_fresh_one() -> None:
    expected = quote(make_catalog(), ORDER, as_of=DAY)
    catalog = make_catalog()
    start = threading.Barrier(8)
    results: list[Quote] = []

    def price() -> None:
        start.wait()
        results.extend(quote(catalog, ORDER, as_of=DAY) for _ in range(20))

    threads = [threading.Thread(target=price) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 160
    assert all(result == expected for result in results)
