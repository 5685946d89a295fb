"""Every number that reaches arithmetic or dates is bounded where it enters (issue 14; P2, P4, P7, C1-C4, S3, S4, D3).

Within the limits of :mod:`subscription_core.limits` everything computes; beyond them the library's own
error is raised, fast, with the limit in its message: never ``OverflowError``, ``RecursionError``, a
``decimal`` signal or a hang.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core import limits
from subscription_core.catalog import Addon, AddonKind, Catalog, Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.catalog_files import catalog_from_dict, catalog_from_json, catalog_from_toml, load_catalog
from subscription_core.errors import CatalogError, SubscriptionError, ValidationError
from subscription_core.money import Money, allocate
from subscription_core.pricing import quote
from subscription_core.promotions import AmountOff, PercentOff, Promotion, PurchaseKind, Scope
from subscription_core.quotes import AddonSelection, PlanSelection, Selection
from subscription_core.tax import VatRate, VatSchedule
from subscription_core.terms import TermUnit, add_units

DAY = dt.date(2026, 11, 23)
HANG_GUARD = 120.0
"""Seconds after which a call still running counts as hung. Not a speed measure (no test asserts a speed): a
refusal is answered after a bounded amount of work, so only a hang or a runaway computation comes near it."""


def refused_fast(call: Callable[[], object], error: type[SubscriptionError] = ValidationError) -> SubscriptionError:
    """Run ``call``, expecting the library's ``error`` (not a hang, not another exception); return it."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread, which judges it
            outcome.append(exc)
        else:
            outcome.append(None)

    worker = threading.Thread(target=run, daemon=True)  # a hung call is abandoned, not joined
    worker.start()
    worker.join(HANG_GUARD)
    assert outcome, f"still running after {HANG_GUARD} s: a hang"
    raised = outcome[0]
    assert isinstance(raised, error), f"expected {error.__name__}, got {raised!r}"
    return raised


def file_data(**option: object) -> dict[str, Any]:
    """A one-plan VND catalog as plain data, with ``option`` overriding its pricing option's keys."""
    return {
        "currency": "VND",
        "products": [
            {
                "code": "amis",
                "name": "AMIS",
                "plans": [
                    {
                        "code": "std",
                        "name": "Standard",
                        "vat": "KCT",
                        "options": [{"code": "1y", "cycle": "1 year", "price": 100, **option}],
                    }
                ],
            }
        ],
    }


def usd_catalog(price: str) -> Catalog:
    """A USD catalog whose one plan costs ``price`` a year, without VAT."""
    option = PricingOption(code="1y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(price, "USD"))
    plan = Plan(code="std", name="Standard", options=[option], vat=VatSchedule.flat("KCT"))
    return Catalog(currency=Money.of(0, "USD").currency, products=[Product(code="p", name="P", plans=[plan])])


# --- amounts (P7) -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1e999999", "1E+16", "9" * 40 + ".5", "-1e999999", str(10**15)])
def test_p7_an_amount_beyond_the_limit_is_refused_with_the_limit(text: str) -> None:
    error = refused_fast(lambda: Money.of(text, "VND"))
    assert error.rule == "P7"
    assert "999,999,999,999,999" in error.message


def test_p7_a_price_or_amount_off_of_1e999999_never_reaches_a_catalog_or_a_promotion() -> None:
    problem = refused_fast(lambda: catalog_from_dict(file_data(price="1e999999")), CatalogError)
    assert "options[0].price: must be at most 999,999,999,999,999" in str(problem)
    refused_fast(lambda: AmountOff(amount=Money(Decimal("1e999999"), Money.of(0, "VND").currency)))
    refused_fast(lambda: Money(Decimal("1e999999"), Money.of(0, "VND").currency))


def test_p7_a_40_digit_price_in_a_catalog_reads_as_the_limit_not_as_an_unknown_error() -> None:
    problem = str(refused_fast(lambda: catalog_from_dict(file_data(price="9" * 40 + ".5")), CatalogError))
    assert "unknown error" not in problem
    assert "InvalidOperation" not in problem
    assert "price: must be at most 999,999,999,999,999 (15 integer digits)" in problem


@pytest.mark.parametrize("text", ["١٢٣", "１２３", "۱۲۳", "१२३", "1２3"])
def test_p7_only_ascii_digits_are_read_as_amounts(text: str) -> None:
    assert "digits 0-9" in refused_fast(lambda: Money.of(text, "VND")).message
    refused_fast(lambda: catalog_from_dict(file_data(price=text)), CatalogError)


def test_c6_only_ascii_digits_are_read_as_a_vat_rate() -> None:
    for label in ("١٠%", "１０%", "¹⁰%", "²%"):
        refused_fast(functools.partial(VatRate.parse, label))


def test_c1_only_ascii_digits_are_read_as_a_cycle() -> None:
    for cycle in ("١ year", "１ month", "9" * 5000 + " days"):
        refused_fast(functools.partial(catalog_from_dict, file_data(cycle=cycle)), CatalogError)


def test_p7_a_huge_integer_is_refused_before_it_is_turned_into_digits() -> None:
    assert "bits" in str(refused_fast(lambda: Money.of(10**100_000, "VND")).value)


@given(units=st.integers(0, 10**17 - 1), currency=st.sampled_from(["VND", "USD"]))
def test_p7_any_amount_within_the_limit_is_money(units: int, currency: str) -> None:
    money = Money.of(units // 100, "VND") if currency == "VND" else Money.of(Decimal(units).scaleb(-2), "USD")
    assert money - money == Money.zero(currency)
    assert sum(money.allocate([1, 2, 3])) == money
    assert Money.of(str(money.amount), currency) == money


@given(digits=st.integers(limits.MAX_AMOUNT_DIGITS + 1, 4000), exponent=st.integers(16, 999_999))
def test_p7_any_amount_beyond_the_limit_is_refused_fast(digits: int, exponent: int) -> None:
    refused_fast(lambda: Money.of("9" * min(digits, limits.MAX_AMOUNT_TEXT), "VND"))
    refused_fast(lambda: Money.of(f"1e{exponent}", "VND"))
    refused_fast(lambda: Money.of(10 ** (digits - 1), "VND"))


def test_p7_a_sum_beyond_the_limit_is_refused_not_overflowed() -> None:
    biggest = Money.of(limits.MAX_AMOUNT, "VND")
    assert "999,999,999,999,999" in refused_fast(lambda: biggest + Money.of(1, "VND")).message
    refused_fast(lambda: biggest.times(2))


def test_p7_an_order_whose_total_no_invoice_could_show_is_refused_at_the_quote() -> None:
    storage = Addon(
        code="sto",
        name="Storage",
        kind=AddonKind.STORAGE,
        price=Money.of(limits.MAX_AMOUNT, "VND"),
        plans={"std"},
        vat=VatSchedule.flat("10%"),
        storage_per_unit=1,
    )
    option = PricingOption(code="1y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(1, "VND"))
    plan = Plan(code="std", name="Standard", options=[option], vat=VatSchedule.flat("KCT"))
    product = Product(code="p", name="P", plans=[plan], addons=[storage])
    catalog = Catalog(currency=option.price.currency, products=[product])
    most = AddonSelection(addon="sto", quantity=limits.MAX_QUANTITY)
    selections: list[Selection] = [PlanSelection(plan="std", option="1y"), most]
    error = refused_fast(lambda: quote(catalog, selections, as_of=DAY))
    assert (error.rule, error.field) == ("P7", "total")


# --- the decimal context (P7) -------------------------------------------------------------------------


@pytest.mark.parametrize("precision", [1, 4, 12, 28])
def test_p7_a_quote_does_not_depend_on_the_callers_decimal_context(precision: int) -> None:
    catalog = usd_catalog("106666666678.79")
    promotion = Promotion(code="TEN", scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal("12.5")))
    expected = quote(catalog, [PlanSelection(plan="std", option="1y")], as_of=DAY, promotions=[promotion])
    with decimal.localcontext() as context:
        context.prec = precision
        context.rounding = decimal.ROUND_FLOOR
        context.traps[decimal.Inexact] = True
        got = quote(catalog, [PlanSelection(plan="std", option="1y")], as_of=DAY, promotions=[promotion])
    assert got == expected
    assert got.subtotal == Money.of("106666666678.79", "USD")
    # 12.5 % of 106,666,666,678.79 is 13,333,333,334.84875, rounded half-up to 13,333,333,334.85
    assert got.grand_total == Money.of("93333333343.94", "USD")


@pytest.mark.parametrize("precision", [1, 4, 12])
def test_p7_money_arithmetic_does_not_depend_on_the_callers_decimal_context(precision: int) -> None:
    a, b = Money.of("106666666678.79", "USD"), Money.of("0.01", "USD")
    with decimal.localcontext() as context:
        context.prec = precision
        assert (a + b).amount == Decimal("106666666678.80")
        assert (a - b).amount == Decimal("106666666678.78")
        assert (-a).amount == Decimal("-106666666678.79")
        assert a.times(3).amount == Decimal("320000000036.37")
        assert sum(a.allocate([1, 1, 1])) == a
        assert allocate(a.amount, [Decimal("0.5"), Decimal("0.25")], a.currency) == [
            Decimal("71111111119.19"),
            Decimal("35555555559.60"),
        ]


# --- promotions (P2, P4) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("valid_from", "2026-01-01"),
        ("valid_until", 20261231),
        ("valid_until", dt.datetime(2026, 12, 31, tzinfo=dt.UTC)),
        ("valid_from", dt.date(1, 1, 1)),
        ("valid_until", dt.date(9999, 12, 31)),
        ("min_amount", 500_000),
        ("min_amount", Money.of(-1, "VND")),
        ("targets", 5),
        ("targets", "std"),
        ("targets", [None]),
        ("targets", [5]),
        ("purchase_kinds", ["new"]),
        ("purchase_kinds", 1),
        ("stackable", "yes"),
        ("name", 5),
        ("redemption_limit", 10**5000),
        ("per_customer_limit", 10**10),
    ],
    ids=lambda value: str(value)[:40] if not isinstance(value, int) or value < 10**40 else "huge",
)
def test_p4_a_promotion_refuses_every_malformed_field(field: str, value: object) -> None:
    kwargs: dict[str, Any] = {"code": "SALE", "scope": Scope.PACKAGE, "benefit": PercentOff(percent=10), field: value}
    error = refused_fast(lambda: Promotion(**kwargs))
    assert error.field == field


def test_p2_a_percentage_has_at_most_28_decimals() -> None:
    third = Decimal(100) / 3  # 33.33...: 26 decimals in Python's default context
    assert PercentOff(percent=third).percent == third
    assert "28 decimals" in refused_fast(lambda: PercentOff(percent="0." + "3" * 29)).message
    refused_fast(lambda: PercentOff(percent="1e-999999"))


def test_p4_a_promotion_at_every_limit_is_applied() -> None:
    promotion = Promotion(
        code="EDGE",
        scope=Scope.INVOICE,
        benefit=PercentOff(percent="0." + "0" * 27 + "1", cap=Money.of(limits.MAX_AMOUNT, "VND")),
        targets={"p"},
        valid_from=limits.EARLIEST_DATE,
        valid_until=limits.LATEST_DATE,
        min_amount=Money.of(0, "VND"),
        purchase_kinds={PurchaseKind.NEW},
        stackable=True,
        redemption_limit=limits.MAX_REDEMPTIONS,
    )
    option = PricingOption(code="1y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(limits.MAX_AMOUNT, "VND"))
    plan = Plan(code="std", name="Standard", options=[option], vat=VatSchedule.flat("KCT"))
    catalog = Catalog(currency=option.price.currency, products=[Product(code="p", name="P", plans=[plan])])
    got = quote(catalog, [PlanSelection(plan="std", option="1y")], as_of=limits.LATEST_DATE, promotions=[promotion])
    # 1e-28 % of 999,999,999,999,999 is about 1e-15 đồng, rounded half-up to nothing
    assert got.grand_total == Money.of(limits.MAX_AMOUNT, "VND")


# --- catalog counts (C1-C4, S3, S4) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "limit"),
    [
        (lambda: Plan(code="std", name="S", options=[_option()], vat=VatSchedule.flat("KCT"), trial_days=10**6), "366"),
        (lambda: Product(code="p", name="P", plans=[_plan()], purge_after_days=3_000_000), "3,660"),
        (lambda: Product(code="p", name="P", plans=[_plan()], warning_days=(10**6,)), "366"),
        (lambda: Product(code="p", name="P", plans=[_plan()], warning_days=tuple(range(1, 30))), "20"),
        (lambda: _option(cycles=10_000), "120"),
        (lambda: _option(unit=CycleUnit.YEAR, cycles=11), "10 years"),
        (lambda: _option(unit=CycleUnit.DAY, length=3000, cycles=2), "3660 days"),
        (lambda: Cycle(CycleUnit.YEAR, 10_000), "10"),
        (lambda: Cycle(CycleUnit.DAY, 10**9), "3,660"),
        (lambda: Quota(code="seats", amount=10**12), "1,000,000,000"),
        (lambda: AddonSelection(addon="sto", quantity=10**6), "10,000"),
        (lambda: AddonSelection(addon="svc", cycles=10**6), "120"),
    ],
)
def test_c1_c4_s3_s4_a_catalog_count_beyond_its_limit_is_refused_with_the_limit(
    build: Callable[[], object], limit: str
) -> None:
    assert limit in refused_fast(build).message


def test_c1_a_catalog_file_with_10000_cycles_is_refused() -> None:
    problem = str(refused_fast(lambda: catalog_from_dict(file_data(cycles=10_000)), CatalogError))
    assert "options[0].cycles: must be a whole number >= 1 and <= 120, got 10000" in problem


def _option(*, unit: CycleUnit = CycleUnit.MONTH, length: int = 1, cycles: int = 1) -> PricingOption:
    return PricingOption(code="o", cycle=Cycle(unit, length), cycles=cycles, price=Money.of(1, "VND"))


def _plan() -> Plan:
    return Plan(code="std", name="S", options=[_option()], vat=VatSchedule.flat("KCT"))


@given(
    unit=st.sampled_from(CycleUnit),
    length=st.integers(1, limits.MAX_CYCLE_LENGTH_DAYS * 2),
    cycles=st.integers(1, limits.MAX_CYCLES * 2),
)
def test_c1_any_term_within_the_limits_computes_and_any_beyond_is_refused(
    unit: CycleUnit, length: int, cycles: int
) -> None:
    longest = {CycleUnit.DAY: 3660, CycleUnit.MONTH: 120, CycleUnit.YEAR: 10}[unit]
    if length * cycles > longest or cycles > limits.MAX_CYCLES:
        refused_fast(lambda: _option(unit=unit, length=length, cycles=cycles))
        return
    option = _option(unit=unit, length=length, cycles=cycles)
    term_unit, count = option.term_units
    end = add_units(limits.LATEST_DATE, TermUnit(term_unit.value), count)
    assert end <= limits.LATEST_COMPUTED_DATE


def test_d3_a_term_ending_after_the_latest_computed_date_is_refused() -> None:
    error = refused_fast(lambda: add_units(dt.date(8999, 1, 1), TermUnit.YEAR, 10))
    assert (error.rule, "9000-12-31" in error.message) == ("D3", True)
    refused_fast(lambda: add_units(dt.date(9999, 12, 1), TermUnit.MONTH, 10**9))


# --- catalog files (C1) -------------------------------------------------------------------------------


def test_c1_a_json_integer_of_5000_digits_is_a_catalog_error() -> None:
    problem = refused_fast(lambda: catalog_from_json(json.dumps(file_data())[:-1] + ', "x": ' + "9" * 5000 + "}"))
    assert "more than 64 digits" in str(problem)


def test_c1_a_toml_integer_of_5000_digits_is_a_catalog_error() -> None:
    refused_fast(lambda: catalog_from_toml('currency = "VND"\nx = ' + "9" * 5000), CatalogError)


@pytest.mark.parametrize(
    "read",
    [
        lambda: catalog_from_json("[" * 100_000 + "]" * 100_000),
        lambda: catalog_from_json('{"currency": "VND", "products": ' + "[" * 500 + "]" * 500 + "}"),
        lambda: catalog_from_toml("x = " + "[" * 100_000 + "]" * 100_000),
        lambda: catalog_from_toml("x = " + "{a = " * 1000 + "1" + "}" * 1000),
        lambda: catalog_from_dict({"currency": "VND", "products": _nested(100_000)}),
    ],
)
def test_c1_data_nested_100000_deep_is_a_catalog_error(read: Callable[[], object]) -> None:
    assert "nests deeper than 32 levels" in str(refused_fast(read, CatalogError))


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def test_c1_a_catalog_path_with_a_nul_is_a_catalog_error(tmp_path: Path) -> None:
    problem = refused_fast(lambda: load_catalog(tmp_path / "cata\x00log.toml"), CatalogError)
    assert "NUL" in str(problem)


@given(
    trial=st.integers(0, limits.MAX_TRIAL_DAYS * 2),
    purge=st.integers(1, limits.MAX_PURGE_DAYS * 2),
    warning=st.integers(1, limits.MAX_WARNING_DAYS * 2),
    quantity=st.integers(1, limits.MAX_QUANTITY * 2),
)
def test_c3_c4_s3_s4_any_count_within_the_limits_loads_and_any_beyond_is_a_catalog_error(
    trial: int, purge: int, warning: int, quantity: int
) -> None:
    data = file_data()
    product = data["products"][0]
    product.update(purge_after_days=purge, warning_days=[warning])
    product["plans"][0]["trial_days"] = trial
    product["addons"] = [
        {"code": "sto", "name": "Storage", "kind": "storage", "price": 1, "plans": ["std"], "vat": "10%"}
        | {"storage_per_unit": 10, "max_quantity": quantity}
    ]
    beyond = {
        "trial_days": trial > limits.MAX_TRIAL_DAYS,
        "purge_after_days": purge > limits.MAX_PURGE_DAYS,
        "warning_days": warning > limits.MAX_WARNING_DAYS,
        "max_quantity": quantity > limits.MAX_QUANTITY,
    }
    if not any(beyond.values()):
        catalog = catalog_from_dict(data)
        assert catalog.plan("std").trial_days == trial
        return
    error = refused_fast(lambda: catalog_from_dict(data), CatalogError)
    assert isinstance(error, CatalogError)
    assert sorted(name for name, over in beyond.items() if over) == sorted(
        next(name for name in beyond if f".{name}:" in problem) for problem in error.problems
    )
