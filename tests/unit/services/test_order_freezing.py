"""A catalog edit after placing changes nothing a paid order grants (O6): a property over arbitrary edits."""

from __future__ import annotations

import datetime as dt

import attrs
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.calendar import local_date
from subscription_core.catalog import Addon, Catalog, Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.money import Money
from subscription_core.services import AddonChoice, NewPurchase, Renewal
from subscription_core.terms import TermUnit, add_units

from .harness import CATALOG, T0, VND, World

ENT = CATALOG.plan("ent")
STORAGE = CATALOG.addon("storage10")
PRODUCT = CATALOG.product("amis")

# at most 3 cycles of 3 years: a term stays within the ten years of subscription_core.limits
cycles = st.sampled_from(CycleUnit).flatmap(
    lambda unit: st.builds(Cycle, st.just(unit), st.integers(1, 3 if unit is CycleUnit.YEAR else 24))
)
quotas = st.lists(
    st.builds(Quota, code=st.sampled_from(["storage", "employees", "invoices"]), amount=st.integers(0, 10_000)),
    max_size=3,
    unique_by=lambda quota: quota.code,
)
lead_times = st.lists(st.integers(1, 60), min_size=0, max_size=4, unique=True).map(lambda days: tuple(sorted(days)))


@st.composite
def edited_catalogs(draw: st.DrawFn) -> Catalog:
    """``CATALOG`` with Enterprise's term, price and quotas, the storage add-on's size and price, and the
    product's lifecycle settings changed at will; the plan or the add-on may be gone altogether.
    """
    price = Money.of(draw(st.integers(0, 50_000_000)), VND)
    option = PricingOption(code="1y", cycle=draw(cycles), cycles=draw(st.integers(1, 3)), price=price)
    plan = attrs.evolve(ENT, options=[option], quotas=draw(quotas))
    addon = attrs.evolve(STORAGE, storage_per_unit=draw(st.integers(1, 500)), price=price)
    removed = draw(st.sampled_from(["", "ent", "storage10"]))
    plans: list[Plan] = [p if p.code != "ent" else plan for p in PRODUCT.plans if p.code != removed]
    codes = {p.code for p in plans}
    addons: list[Addon] = [
        attrs.evolve(a if a.code != "storage10" else addon, plans=a.plans & codes)
        for a in PRODUCT.addons
        if a.code != removed
    ]
    product = Product(
        code=PRODUCT.code,
        name=PRODUCT.name,
        plans=plans,
        addons=addons,
        purge_after_days=draw(st.integers(1, 90)),
        warning_days=draw(lead_times),
    )
    return Catalog(currency=VND, products=[product])


def _after_years(years: int) -> dt.date:
    return add_units(local_date(T0), TermUnit.YEAR, years)


@given(edited=edited_catalogs(), units=st.integers(1, 5), renew=st.booleans())
def test_o6_whatever_the_catalog_becomes_after_placing_the_order_grants_what_was_quoted(
    edited: Catalog, units: int, renew: bool
) -> None:
    world = World.make()
    if renew:  # a renewal of Enterprise with storage, bought a year earlier
        opened = world.buy(plan="ent")
        request: NewPurchase | Renewal = Renewal(
            subscription_id=opened.id, option="1y", storage_addon="storage10", storage_units=units
        )
    else:
        request = NewPurchase(
            customer_id="cus-1", plan="ent", option="1y", addons=(AddonChoice(addon="storage10", quantity=units),)
        )
    order = world.place(request)
    quoted = order.grand_total
    world.deps = attrs.evolve(world.deps, catalog=edited)
    world.pay_online(order)
    paid = world.order(order.id)
    sub = world.subscription(order.lines[0].subscription_id or order.lines[0].ref)
    assert paid.grand_total == quoted
    assert {line.catalog_version for line in paid.lines} == {CATALOG.version}
    # What the original catalog said: Enterprise "1y" is one year with its quotas, 10 GB per storage unit.
    granted = sub.in_force(sub.terms[-1].start)  # a renewal's grant takes effect with its term (S10, S11)
    assert granted.plan_code == "ent"
    assert granted.quotas == ENT.quotas
    assert granted.extra_storage == STORAGE.storage_per_unit * units
    assert sub.terms[-1].end == _after_years(2 if renew else 1)
    assert (sub.policy.purge_after_days, sub.policy.warning_days) == (PRODUCT.purge_after_days, PRODUCT.warning_days)
