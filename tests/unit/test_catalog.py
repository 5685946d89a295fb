"""The catalog model: plans and pricing options (C1), quotas (C2), add-ons (C3), trials (C4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given

from subscription_core.catalog import (
    Addon,
    AddonKind,
    Catalog,
    Cycle,
    CycleUnit,
    Plan,
    PricingOption,
    Product,
    Quota,
)
from subscription_core.errors import CatalogError, NotFoundError, ValidationError
from subscription_core.money import Currency, Money
from subscription_core.tax import VatSchedule
from subscription_core.testing import catalogs

VND = Currency.of("VND")
KCT = VatSchedule.flat("KCT")
YEAR = Cycle(CycleUnit.YEAR)


def vnd(amount: int) -> Money:
    return Money.of(amount, VND)


def option(code: str = "1y", *, cycles: int = 1, price: Money | None = None, cycle: Cycle = YEAR) -> PricingOption:
    return PricingOption(code=code, cycle=cycle, cycles=cycles, price=vnd(6_000_000) if price is None else price)


def plan(code: str = "standard", **changes: Any) -> Plan:
    fields: dict[str, Any] = {"code": code, "name": f"Plan {code}", "options": [option()], "vat": KCT}
    return Plan(**(fields | changes))


def addon(code: str = "training", **changes: Any) -> Addon:
    fields: dict[str, Any] = {
        "code": code,
        "name": f"Add-on {code}",
        "kind": AddonKind.TRAINING,
        "price": vnd(1_500_000),
        "plans": {"standard"},
        "vat": VatSchedule.flat("10%"),
    }
    return Addon(**(fields | changes))


def product(code: str = "amis", **changes: Any) -> Product:
    fields: dict[str, Any] = {"code": code, "name": f"Product {code}", "plans": [plan()], "addons": [addon()]}
    return Product(**(fields | changes))


def catalog(*products: Product) -> Catalog:
    return Catalog(currency=VND, products=products or (product(),))


# --- C1: plans and their pricing options --------------------------------------------------------------


def test_c1_plan_offers_several_pricing_options() -> None:
    multi = plan(
        options=[
            option("1y", price=vnd(6_000_000)),
            option("2y", cycles=2, price=vnd(11_000_000)),
            option("3y", cycles=3, price=vnd(15_600_000)),
        ]
    )
    assert [o.code for o in multi.options] == ["1y", "2y", "3y"]
    assert multi.option("2y").price == vnd(11_000_000)
    assert multi.option("3y").term_units == (CycleUnit.YEAR, 3)


def test_c1_a_one_cycle_package_has_a_single_option() -> None:
    single = plan(options=[option("1m", cycle=Cycle(CycleUnit.MONTH), price=vnd(199_000))])
    assert len(single.options) == 1
    assert single.option("1m").term_units == (CycleUnit.MONTH, 1)


def test_c1_term_counts_cycles_of_several_units() -> None:
    half_year = option("2x6m", cycle=Cycle(CycleUnit.MONTH, 6), cycles=2)
    assert half_year.term_units == (CycleUnit.MONTH, 12)
    assert str(half_year.cycle) == "6 months"
    assert half_year.label == "2 × 6 months"


def test_c1_a_plan_needs_a_pricing_option() -> None:
    with pytest.raises(ValidationError, match="at least one pricing option") as info:
        plan(options=[])
    assert (info.value.rule, info.value.field) == ("C1", "options")


def test_c1_option_codes_are_distinct_within_a_plan() -> None:
    with pytest.raises(ValidationError, match="duplicate code") as info:
        plan(options=[option("1y"), option("1y", cycles=2)])
    assert (info.value.field, info.value.value) == ("options", "1y")


def test_c1_unknown_option_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="plan standard has no such pricing option") as info:
        plan().option("5y")
    assert (info.value.rule, info.value.field, info.value.value) == ("C1", "option", "5y")


@pytest.mark.parametrize("cycles", [0, -1, True])
def test_c1_an_option_buys_at_least_one_cycle(cycles: int) -> None:
    with pytest.raises(ValidationError, match="whole number >= 1") as info:
        option(cycles=cycles)
    assert (info.value.field, info.value.value) == ("cycles", cycles)


@pytest.mark.parametrize("length", [0, -3])
def test_c1_a_cycle_lasts_at_least_one_unit(length: int) -> None:
    with pytest.raises(ValidationError, match="whole number >= 1") as info:
        Cycle(CycleUnit.MONTH, length)
    assert (info.value.field, info.value.value) == ("length", length)


def test_c1_a_cycle_unit_is_day_month_or_year() -> None:
    assert [u.value for u in CycleUnit] == ["day", "month", "year"]
    assert Cycle(CycleUnit.DAY, 30) != Cycle(CycleUnit.MONTH)


def test_c1_a_price_may_be_zero_but_not_negative() -> None:
    assert option(price=vnd(0)).price == vnd(0)
    with pytest.raises(ValidationError, match="must be >= 0") as info:
        option(price=vnd(-5))
    assert (info.value.rule, info.value.field, info.value.value) == ("P8", "price", -5)


def test_c1_a_price_is_money() -> None:
    with pytest.raises(ValidationError, match="must be Money") as info:
        option(price=6_000_000)  # type: ignore[arg-type]
    assert info.value.field == "price"


@pytest.mark.parametrize("code", ["", " std", "a b", "-std", "_std", "x" * 65, "gói", 5])
def test_c1_codes_are_short_plain_identifiers(code: object) -> None:
    with pytest.raises(ValidationError, match="1-64 letters, digits") as info:
        plan(code="standard", options=[option(code=code)])  # type: ignore[arg-type]
    assert (info.value.field, info.value.value) == ("code", code)


@pytest.mark.parametrize("code", ["a", "AMIS-Enterprise", "onesme.business_12m", "1y", "x" * 64])
def test_c1_codes_accept_letters_digits_dots_dashes_underscores(code: str) -> None:
    assert plan(code=code).code == code


@pytest.mark.parametrize("name", ["", "   ", None])
def test_c1_names_are_not_blank(name: object) -> None:
    with pytest.raises(ValidationError, match="non-empty text") as info:
        plan(name=name)
    assert (info.value.field, info.value.value) == ("name", name)


def test_c1_a_product_needs_a_plan() -> None:
    with pytest.raises(ValidationError, match="at least one plan") as info:
        product(plans=[], addons=[])
    assert (info.value.rule, info.value.field) == ("C1", "plans")


def test_c1_catalog_finds_plans_add_ons_and_products_by_code() -> None:
    amis = product()
    cat = catalog(amis)
    assert cat.plan("standard") is amis.plans[0]
    assert cat.product_of_plan("standard") is amis
    assert cat.addon("training") is amis.addons[0]
    assert cat.product_of_addon("training") is amis
    assert cat.product("amis") is amis


@pytest.mark.parametrize(
    ("lookup", "field"),
    [
        (Catalog.plan, "plan"),
        (Catalog.product_of_plan, "plan"),
        (Catalog.addon, "addon"),
        (Catalog.product_of_addon, "addon"),
        (Catalog.product, "product"),
    ],
)
def test_c1_looking_up_an_unknown_code_raises_not_found(lookup: Callable[[Catalog, str], object], field: str) -> None:
    with pytest.raises(NotFoundError, match="no such") as info:
        lookup(catalog(), "nope")
    assert (info.value.field, info.value.value) == (field, "nope")


@given(catalogs())
def test_c1_every_plan_and_add_on_of_a_catalog_is_found_by_its_code(cat: Catalog) -> None:
    for prod in cat.products:
        for pl in prod.plans:
            assert cat.plan(pl.code) == pl
            assert cat.product_of_plan(pl.code) == prod
        for ad in prod.addons:
            assert cat.addon(ad.code) == ad
            assert cat.product_of_addon(ad.code) == prod


def test_c1_plan_codes_are_unique_across_the_catalog() -> None:
    with pytest.raises(CatalogError) as info:
        catalog(product("amis"), product("qlts", addons=[]))
    assert info.value.problems == (
        "products[1].plans[0].code: duplicate plan code, also at products[0].plans[0], got 'standard'",
    )


def test_c1_product_codes_are_unique_across_the_catalog() -> None:
    with pytest.raises(CatalogError) as info:
        catalog(product("amis"), product("amis", plans=[plan("pro")], addons=[]))
    assert info.value.problems == ("products[1].code: duplicate product code, also at products[0], got 'amis'",)


def test_c1_every_price_is_in_the_catalog_currency() -> None:
    dollars = plan(options=[option(price=Money.of("9.99", "USD"))])
    with pytest.raises(CatalogError) as info:
        catalog(product(plans=[dollars]))
    assert info.value.problems == (
        "products[0].plans[0].options[0].price: currency must be the catalog's VND, got 'USD'",
    )


def test_c1_a_catalog_lists_every_problem_at_once() -> None:
    broken = product(
        "amis",
        plans=[plan("standard"), plan("standard")],
        addons=[addon("training", plans={"gold"}), addon("training", price=Money.of(1, "USD"))],
    )
    with pytest.raises(CatalogError) as info:
        catalog(broken)
    assert info.value.problems == (
        "products[0].plans[1].code: duplicate plan code, also at products[0].plans[0], got 'standard'",
        "products[0].addons[0].plans: names no plan of the catalog, got 'gold'",
        "products[0].addons[1].code: duplicate addon code, also at products[0].addons[0], got 'training'",
        "products[0].addons[1].price: currency must be the catalog's VND, got 'USD'",
    )
    assert "catalog is invalid (4 problems)" in str(info.value)


def test_c1_a_catalog_needs_a_product() -> None:
    with pytest.raises(CatalogError) as info:
        Catalog(currency=VND, products=[])
    assert info.value.problems == ("products: a catalog needs at least one product",)


def test_c1_catalogs_compare_by_value() -> None:
    assert catalog() == catalog()
    assert catalog() != catalog(product(name="Other name"))


def test_s3_warning_lead_times_are_whole_days() -> None:
    assert product().warning_days == (30, 15, 7, 1)
    with pytest.raises(ValidationError, match="whole days >= 1") as info:
        product(warning_days=[15, 0])
    assert (info.value.rule, info.value.field, info.value.value) == ("S3", "warning_days", (15, 0))


def test_s4_purge_window_defaults_to_30_days_and_is_positive() -> None:
    assert product().purge_after_days == 30
    assert product(purge_after_days=45).purge_after_days == 45
    with pytest.raises(ValidationError, match="whole number >= 1") as info:
        product(purge_after_days=0)
    assert info.value.field == "purge_after_days"


# --- C2: quotas ---------------------------------------------------------------------------------------


def test_c2_a_plan_grants_storage_seats_and_named_quotas() -> None:
    granted = plan(
        quotas=[
            Quota(code="storage", amount=10, unit="GB"),
            Quota(code="employees", amount=50, unit="people"),
            Quota(code="invoices", amount=300),
        ]
    )
    storage = granted.quota("storage")
    assert storage is not None
    assert (storage.amount, storage.unit) == (10, "GB")
    assert granted.quota("invoices") == Quota(code="invoices", amount=300, unit="")
    assert granted.quota("vouchers") is None


def test_c2_a_quota_may_be_zero_but_not_negative() -> None:
    assert Quota(code="seats", amount=0).amount == 0
    with pytest.raises(ValidationError, match="whole number >= 0") as info:
        Quota(code="seats", amount=-1)
    assert (info.value.field, info.value.value) == ("amount", -1)


def test_c2_quota_codes_are_distinct_within_a_plan() -> None:
    with pytest.raises(ValidationError, match="duplicate code") as info:
        plan(quotas=[Quota(code="storage", amount=1), Quota(code="storage", amount=2)])
    assert (info.value.field, info.value.value) == ("quotas", "storage")


def test_c2_enterprise_plans_are_marked() -> None:
    assert plan(enterprise=True).enterprise
    assert not plan().enterprise


# --- C3: add-ons --------------------------------------------------------------------------------------


def test_c3_add_on_kinds_are_training_storage_service_and_retention() -> None:
    assert {k.value for k in AddonKind} == {"training", "storage", "service", "retention"}


def test_c3_an_add_on_goes_only_with_the_plans_it_names() -> None:
    training = addon(plans=["standard", "pro"])
    assert training.plans == frozenset({"standard", "pro"})
    assert training.goes_with("pro")
    assert not training.goes_with("enterprise")


def test_c3_an_add_on_must_name_its_plans() -> None:
    with pytest.raises(ValidationError, match="must name the plans") as info:
        addon(plans=[])
    assert (info.value.rule, info.value.field) == ("C3", "plans")


def test_c3_extra_storage_says_what_one_unit_adds() -> None:
    storage = addon("storage-5gb", kind=AddonKind.STORAGE, storage_per_unit=5, price=vnd(500_000))
    assert storage.storage_per_unit == 5
    assert not storage.full_price
    with pytest.raises(ValidationError, match="how much one unit adds") as info:
        addon("storage-5gb", kind=AddonKind.STORAGE)
    assert (info.value.rule, info.value.field, info.value.value) == ("C3", "storage_per_unit", 0)


def test_c3_a_retention_package_says_how_long_one_unit_lasts() -> None:
    month = Cycle(CycleUnit.MONTH)
    assert addon("retention", kind=AddonKind.RETENTION, retention_unit=month).retention_unit == month
    with pytest.raises(ValidationError, match="how long one unit lasts") as info:
        addon("retention", kind=AddonKind.RETENTION)
    assert (info.value.rule, info.value.field) == ("S5", "retention_unit")


@pytest.mark.parametrize("quantity", [0, -2])
def test_c3_a_quantity_cap_is_at_least_one(quantity: int) -> None:
    assert addon(max_quantity=5).max_quantity == 5
    with pytest.raises(ValidationError, match="whole number >= 1") as info:
        addon(max_quantity=quantity)
    assert (info.value.field, info.value.value) == ("max_quantity", quantity)


@pytest.mark.parametrize("bad", ["5", 2.0, True])
def test_c3_a_quantity_cap_of_the_wrong_type_is_a_validation_error(bad: object) -> None:
    with pytest.raises(ValidationError, match="max_quantity"):
        addon(max_quantity=bad)


def test_c3_an_add_on_price_is_not_negative() -> None:
    with pytest.raises(ValidationError, match="must be >= 0") as info:
        addon(price=vnd(-1))
    assert (info.value.field, info.value.value) == ("price", -1)


def test_c3_an_add_on_naming_an_unknown_plan_is_refused_by_the_catalog() -> None:
    with pytest.raises(CatalogError) as info:
        catalog(product(addons=[addon(plans={"standard", "gold", "silver"})]))
    assert info.value.problems == (
        "products[0].addons[0].plans: names no plan of the catalog, got 'gold'",
        "products[0].addons[0].plans: names no plan of the catalog, got 'silver'",
    )


def test_c3_an_add_on_may_go_with_a_plan_of_another_product() -> None:
    cat = catalog(product("amis", addons=[]), product("qlts", plans=[plan("qlts-unit")], addons=[addon()]))
    assert cat.product_of_addon("training").code == "qlts"
    assert cat.addon("training").goes_with("standard")


# --- C4: trials ---------------------------------------------------------------------------------------


def test_c4_a_plan_may_be_offered_as_a_free_trial() -> None:
    trial = plan(trial_days=15)
    assert trial.has_trial
    assert trial.trial_days == 15


def test_c4_a_plan_has_no_trial_by_default() -> None:
    assert not plan().has_trial
    assert plan().trial_days == 0


@pytest.mark.parametrize("days", [-1, True])
def test_c4_trial_days_are_a_whole_number_not_below_zero(days: int) -> None:
    with pytest.raises(ValidationError, match="whole number >= 0") as info:
        plan(trial_days=days)
    assert (info.value.field, info.value.value) == ("trial_days", days)


def test_c4_plans_are_immutable_values() -> None:
    trial = plan(trial_days=15)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        trial.trial_days = 0  # type: ignore[misc]
    assert attrs.evolve(trial, trial_days=0) == plan()
