"""What an order line grants, frozen with its price, and the catalog version it was priced from (O6)."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core import testing
from subscription_core.catalog import Addon, AddonKind, Catalog, Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.catalog_files import catalog_from_dict, catalog_to_dict
from subscription_core.customers import Actor, InvoiceInfo, Party
from subscription_core.errors import NotFoundError, ValidationError
from subscription_core.grants import AddonGrant, PlanGrant, grant_of
from subscription_core.lifecycle import subscribe
from subscription_core.money import Currency, Money
from subscription_core.order_lines import OrderLine
from subscription_core.orders import Order, OrderKind
from subscription_core.pricing import quote
from subscription_core.quotes import AddonSelection, LineKind, PlanSelection
from subscription_core.subscriptions import LifecyclePolicy, Opening
from subscription_core.tax import VatSchedule
from subscription_core.terms import TermUnit

VND = Currency.of("VND")
DAY = dt.date(2026, 11, 23)
T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
STAFF = Actor.staff("st-1")
QUOTAS = (Quota(code="storage", amount=10, unit="GB"), Quota(code="employees", amount=50))


def make_catalog(*, price: int = 6_000_000, per_unit: int = 10) -> Catalog:
    plan = Plan(
        code="STD",
        name="Standard",
        options=[PricingOption(code="2Y", cycle=Cycle(CycleUnit.MONTH, 6), cycles=4, price=Money.of(price, VND))],
        vat=VatSchedule.flat("KCT"),
        quotas=QUOTAS,
        enterprise=True,
    )
    storage = Addon(
        code="GB10",
        name="10 GB",
        kind=AddonKind.STORAGE,
        price=Money.of(1_200_000, VND),
        plans=["STD"],
        vat=VatSchedule.flat("10%"),
        storage_per_unit=per_unit,
        max_quantity=5,
    )
    product = Product(code="AMIS", name="AMIS", plans=[plan], addons=[storage], purge_after_days=45)
    return Catalog(currency=VND, products=[product])


SELECTIONS = (PlanSelection(plan="STD", option="2Y"), AddonSelection(addon="GB10", quantity=2))


def test_o6_a_quote_line_carries_what_it_grants_and_the_quote_its_catalog_version() -> None:
    catalog = make_catalog()
    priced = quote(catalog, SELECTIONS, as_of=DAY)
    plan, storage = priced.lines
    assert plan.grant == PlanGrant(
        unit=TermUnit.MONTH, length=24, quotas=QUOTAS, policy=LifecyclePolicy(purge_after_days=45)
    )
    assert storage.grant == AddonGrant(kind=AddonKind.STORAGE, plans=frozenset({"STD"}), storage_per_unit=10)
    assert priced.catalog_version == catalog.version


def test_o6_an_order_line_freezes_the_grant_and_the_catalog_version() -> None:
    catalog = make_catalog()
    priced = quote(catalog, SELECTIONS, as_of=DAY)
    details = Party(unit_name="Công ty MISA", address="Cầu Giấy, Hà Nội", email="kt@misa.vn")
    order = Order.from_quote(
        priced,
        id="ord-1",
        kind=OrderKind.NEW_PURCHASE,
        customer_id="cus-1",
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        placed_by=STAFF,
        idempotency_key="k-1",
        at=T0,
    )
    assert [line.grant for line in order.lines] == [line.grant for line in priced.lines]
    assert {line.catalog_version for line in order.lines} == {catalog.version}


def test_o6_a_line_refuses_a_grant_of_the_other_kind() -> None:
    plan, storage = quote(make_catalog(), SELECTIONS, as_of=DAY).lines
    with pytest.raises(ValidationError, match="cannot grant") as caught:
        OrderLine.freeze(attrs.evolve(plan, grant=storage.grant), customer_id="cus-1")
    assert caught.value.rule == "O6"


def test_o6_the_catalog_version_is_a_digest_of_the_content() -> None:
    catalog = make_catalog()
    assert catalog.version.startswith("sha256:")
    assert len(catalog.version) == len("sha256:") + 16
    assert make_catalog().version == catalog.version
    assert catalog_from_dict(catalog_to_dict(catalog)).version == catalog.version
    assert make_catalog(price=6_000_001).version != catalog.version
    assert make_catalog(per_unit=11).version != catalog.version


@given(catalog=testing.catalogs())
def test_o6_equal_catalogs_have_one_version(catalog: Catalog) -> None:
    again = catalog_from_dict(catalog_to_dict(catalog))
    assert again == catalog
    assert again.version == catalog.version


def test_o6_grant_of_reads_the_catalog_now() -> None:
    catalog = make_catalog()
    assert grant_of(catalog, addon="GB10") == AddonGrant.of(catalog.addon("GB10"))
    with pytest.raises(NotFoundError):
        grant_of(catalog, plan="NOPE", option="2Y")
    with pytest.raises(ValidationError, match="a plan or an add-on"):
        grant_of(catalog, plan="STD", option="2Y", addon="GB10")


def test_o6_a_plan_grant_builds_the_entitlement_and_opens_without_the_product() -> None:
    grant = PlanGrant.of(make_catalog().product("AMIS"), "STD", "2Y")
    entitlement = grant.entitlement("AMIS", "STD", extra_storage=20)
    opening = Opening(subscription_id="sub-1", customer_id="cus-1", product_code="AMIS", policy=grant.policy)
    sub = subscribe(opening, entitlement, T0, actor=STAFF).subscription
    assert (sub.product_code, sub.plan_code, sub.quotas, sub.extra_storage) == ("AMIS", "STD", QUOTAS, 20)
    assert sub.policy.purge_after_days == 45
    assert sub.terms[0].end == dt.date(2028, 11, 23)


def test_o6_an_opening_needs_a_product_or_its_policy() -> None:
    with pytest.raises(ValidationError, match="product or its lifecycle policy"):
        Opening(subscription_id="sub-1", customer_id="cus-1", product_code="AMIS")
    with pytest.raises(ValidationError, match="not the product's code"):
        Opening(subscription_id="sub-1", customer_id="cus-1", product=make_catalog().product("AMIS"), product_code="X")


def test_o6_an_add_on_grant_gives_the_add_on_as_priced() -> None:
    grant = AddonGrant(kind=AddonKind.RETENTION, plans=["STD"], retention_unit=Cycle(CycleUnit.MONTH))
    addon = grant.addon(
        code="KEEP", name="Lưu trữ", price=Money.of(200_000, VND), vat_rate=VatSchedule.flat("10%").rate_on(DAY)
    )
    assert (addon.kind, addon.plans, addon.retention_unit, addon.max_quantity) == (
        AddonKind.RETENTION,
        frozenset({"STD"}),
        Cycle(CycleUnit.MONTH),
        None,
    )


@pytest.mark.parametrize("kind", list(LineKind))
def test_o6_a_line_without_a_grant_is_one_stored_before_o6(kind: LineKind) -> None:
    line = next(line for line in quote(make_catalog(), SELECTIONS, as_of=DAY).lines if line.kind is kind)
    old = OrderLine.freeze(attrs.evolve(line, grant=None), customer_id="cus-1")
    assert (old.grant, old.catalog_version) == (None, "")


@given(st.integers(1, 24))
def test_o6_a_plan_grant_has_its_options_whole_term(cycles: int) -> None:
    option = PricingOption(code="X", cycle=Cycle(CycleUnit.MONTH, 3), cycles=cycles, price=Money.of(1, VND))
    plan = Plan(code="P", name="P", options=[option], vat=VatSchedule.flat("KCT"))
    grant = PlanGrant.of(Product(code="A", name="A", plans=[plan]), "P", "X")
    assert (grant.unit, grant.length) == (TermUnit.MONTH, 3 * cycles)
