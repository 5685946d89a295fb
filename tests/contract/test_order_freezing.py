"""What an order buys is frozen when it is placed (O6, C5), on every repository adapter.

Each test places an order under one catalog and pays it under another, through the real services over
each store (memory, SQLite, PostgreSQL), and checks that the subscription got what the order was priced
for: the term, the quotas, the storage per unit, the retention length and the product's lifecycle
settings. A plan or add-on removed from the catalog after placing is still granted.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

import attrs
import pytest
from dateutil.relativedelta import relativedelta

from subscription_core.calendar import local_date
from subscription_core.catalog import Addon, AddonKind, Catalog, Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.customers import Actor
from subscription_core.money import Money
from subscription_core.orders import Order, OrderState
from subscription_core.payments import MethodKind, PaymentMethod
from subscription_core.ports import UnitOfWorkFactory
from subscription_core.services import (
    Checkout,
    NewPurchase,
    OrderRequest,
    Renewal,
    RetentionPackage,
    Services,
    StorageTopUp,
    handle_notification,
    place_order,
    start_payment,
)
from subscription_core.subscriptions import Subscription
from subscription_core.tax import VatSchedule
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakePaymentProvider
from subscription_core_adapters.local import ManualClock, SequentialIds

from .builders import T0, VND, customer

STAFF = Actor.staff("st-1")
KEY = b"wallet-signing-key-never-shown-987654321"
LINK_KEY = b"link-signing-key-never-shown-0123456789"
WALLET = PaymentMethod.e_wallet("VNPTPAY")
YEAR = Cycle(CycleUnit.YEAR)
MONTH = Cycle(CycleUnit.MONTH)
STD_QUOTAS = (Quota(code="storage", amount=10, unit="GB"), Quota(code="employees", amount=50))
EDITED_QUOTAS = (Quota(code="storage", amount=1, unit="GB"), Quota(code="employees", amount=5))


def _vnd(amount: int) -> Money:
    return Money.of(amount, VND)


def catalog(
    *,
    term: Cycle = YEAR,
    quotas: Iterable[Quota] = STD_QUOTAS,
    storage_per_unit: int = 10,
    retention_unit: Cycle = MONTH,
    purge_after_days: int = 30,
    warning_days: tuple[int, ...] = (30, 15, 7, 1),
    without: str = "",
) -> Catalog:
    """The vendor's catalog: Standard "1y" is ``term`` at 6,000,000 VND; ``without`` names a plan left out."""
    plans = [
        Plan(
            code="std",
            name="Standard",
            options=[PricingOption(code="1y", cycle=term, price=_vnd(6_000_000))],
            vat=VatSchedule.flat("KCT"),
            quotas=quotas,
        ),
        Plan(
            code="ent",
            name="Enterprise",
            options=[PricingOption(code="1y", cycle=term, price=_vnd(24_000_000))],
            vat=VatSchedule.flat("KCT"),
            quotas=[Quota(code="storage", amount=100, unit="GB")],
            enterprise=True,
        ),
    ]
    kept = [plan for plan in plans if plan.code != without]
    codes = [plan.code for plan in kept]
    addons = [
        Addon(
            code="storage10",
            name="10 GB",
            kind=AddonKind.STORAGE,
            price=_vnd(1_200_000),
            plans=codes,
            vat=VatSchedule.flat("10%"),
            storage_per_unit=storage_per_unit,
        ),
        Addon(
            code="retention",
            name="Data retention",
            kind=AddonKind.RETENTION,
            price=_vnd(200_000),
            plans=codes,
            vat=VatSchedule.flat("10%"),
            retention_unit=retention_unit,
        ),
    ]
    product = Product(
        code="amis",
        name="MISA AMIS",
        plans=kept,
        addons=[a for a in addons if a.code != without],
        purge_after_days=purge_after_days,
        warning_days=warning_days,
    )
    return Catalog(currency=VND, products=[product])


EDITED = catalog(
    term=MONTH,
    quotas=EDITED_QUOTAS,
    storage_per_unit=1,
    retention_unit=Cycle(CycleUnit.DAY),
    purge_after_days=5,
    warning_days=(1,),
)


@attrs.define
class Vendor:
    """The services over one store, with the clock and the wallet that confirms payments."""

    deps: Services
    clock: ManualClock
    wallet: FakePaymentProvider
    events: int = 0

    def place(self, request: OrderRequest) -> Order:
        self.events += 1
        return place_order(
            self.deps, STAFF, request, Checkout(confirmed=True), idempotency_key=f"k-{self.events}", reason="by phone"
        )

    def pay(self, order: Order, under: Catalog) -> Subscription:
        """Pay ``order`` online with the catalog replaced by ``under``; return the subscription it went to."""
        self.deps = attrs.evolve(self.deps, catalog=under)
        self.events += 1
        start_payment(self.deps, STAFF, order_id=order.id, method=WALLET, idempotency_key=f"p-{self.events}")
        handle_notification(self.deps, "vnptpay", self.wallet.notify(order, event_id=f"e-{self.events}"))
        with self.deps.uow() as uow:
            assert uow.orders.get(order.id).state is OrderState.FULFILLED
            return uow.subscriptions.get(order.lines[0].subscription_id or order.lines[0].ref)

    def buy(self, plan: str = "std") -> Subscription:
        return self.pay(self.place(NewPurchase(customer_id="cus-1", plan=plan, option="1y")), catalog())


@pytest.fixture
def vendor(units: UnitOfWorkFactory) -> Vendor:
    clock = ManualClock(T0)
    wallet = FakePaymentProvider("vnptpay", KEY, methods=[MethodKind.E_WALLET])
    deps = bootstrap_memory(
        catalog(),
        clock=clock,
        ids=SequentialIds(),
        uow=units,
        providers={"vnptpay": wallet},
        link_key=LINK_KEY,
    )
    with deps.uow() as uow:
        uow.customers.add(customer("cus-1", n=1))
        uow.commit()
    return Vendor(deps=deps, clock=clock, wallet=wallet)


def _year_after(day: dt.date) -> dt.date:
    return day.replace(year=day.year + 1)


def test_o6_a_catalog_edit_between_placing_and_paying_changes_no_term_quota_or_setting(vendor: Vendor) -> None:
    order = vendor.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    assert order.grand_total == _vnd(6_000_000)
    sub = vendor.pay(order, under=EDITED)
    today = local_date(T0)
    assert [(t.start, t.end) for t in sub.terms] == [(today, _year_after(today))]
    assert sub.quotas == STD_QUOTAS
    assert (sub.policy.purge_after_days, sub.policy.warning_days) == (30, (30, 15, 7, 1))


def test_o6_a_renewal_with_storage_keeps_its_term_and_storage_per_unit(vendor: Vendor) -> None:
    sub = vendor.buy("ent")
    order = vendor.place(Renewal(subscription_id=sub.id, option="1y", storage_addon="storage10", storage_units=2))
    renewed = vendor.pay(order, under=EDITED)
    assert renewed.terms[-1].end == _year_after(_year_after(local_date(T0)))
    # The renewal's storage and quotas take effect with its term (S10, S11), as frozen when placed (O6).
    next_term = renewed.in_force(renewed.terms[-1].start)
    assert next_term.extra_storage == 20
    assert next_term.quotas == (Quota(code="storage", amount=100, unit="GB"),)


def test_o6_a_storage_top_up_keeps_its_storage_per_unit(vendor: Vendor) -> None:
    sub = vendor.buy("ent")
    order = vendor.place(StorageTopUp(subscription_id=sub.id, addon="storage10", quantity=3))
    assert vendor.pay(order, under=EDITED).extra_storage == 30


def test_o6_a_retention_package_keeps_its_length(vendor: Vendor) -> None:
    sub = vendor.buy()
    vendor.clock.set(T0 + dt.timedelta(days=370))
    order = vendor.place(RetentionPackage(subscription_id=sub.id, addon="retention", quantity=2))
    archived = vendor.pay(order, under=EDITED)
    assert archived.retention is not None
    assert archived.retention.end == archived.retention.day + relativedelta(months=2)


def test_o6_a_plan_removed_after_placing_is_still_granted(vendor: Vendor) -> None:
    order = vendor.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    sub = vendor.pay(order, under=catalog(without="std"))
    assert sub.plan_code == "std"
    assert sub.quotas == STD_QUOTAS
    assert sub.terms[-1].end == _year_after(local_date(T0))


@pytest.mark.parametrize("removed", ["ent", "storage10"])
def test_o6_a_renewal_whose_plan_or_add_on_was_removed_is_still_granted(vendor: Vendor, removed: str) -> None:
    sub = vendor.buy("ent")
    order = vendor.place(Renewal(subscription_id=sub.id, option="1y", storage_addon="storage10", storage_units=1))
    renewed = vendor.pay(order, under=catalog(without=removed))
    assert renewed.in_force(renewed.terms[-1].start).extra_storage == 10  # from its term's start (S11)
    assert renewed.terms[-1].end == _year_after(_year_after(local_date(T0)))


def test_o6_a_storage_top_up_whose_add_on_was_removed_is_still_granted(vendor: Vendor) -> None:
    sub = vendor.buy("ent")
    order = vendor.place(StorageTopUp(subscription_id=sub.id, addon="storage10", quantity=1))
    assert vendor.pay(order, under=catalog(without="storage10")).extra_storage == 10


def test_o6_a_retention_package_removed_from_the_catalog_is_still_granted(vendor: Vendor) -> None:
    sub = vendor.buy()
    vendor.clock.set(T0 + dt.timedelta(days=370))
    order = vendor.place(RetentionPackage(subscription_id=sub.id, addon="retention", quantity=1))
    archived = vendor.pay(order, under=catalog(without="retention"))
    assert archived.retention is not None
    assert archived.retention.end == archived.retention.day + relativedelta(months=1)


def _as_stored_before_o6(vendor: Vendor, placed: Order) -> Order:
    """``placed`` as an order placed before O6 froze grants: its lines carry no grant and no catalog version."""
    lines = tuple(attrs.evolve(line, grant=None, catalog_version="") for line in placed.lines)
    legacy = attrs.evolve(placed, lines=lines)
    with vendor.deps.uow() as uow:
        uow.orders.save(legacy, expected_version=placed.version)
        uow.commit()
    with vendor.deps.uow() as uow:
        assert uow.orders.get(placed.id) == legacy
    return legacy


def test_o6_an_order_stored_before_o6_is_granted_what_the_catalog_says_at_payment(
    vendor: Vendor, caplog: pytest.LogCaptureFixture
) -> None:
    # [decision] A line without a frozen grant is granted from the catalog at payment, as before O6, logged.
    sub = vendor.buy("ent")
    renewal = Renewal(subscription_id=sub.id, option="1y", storage_addon="storage10", storage_units=2)
    legacy = _as_stored_before_o6(vendor, vendor.place(renewal))
    with caplog.at_level(logging.WARNING, logger="subscription_core.services.fulfilment"):
        renewed = vendor.pay(legacy, under=EDITED)
    assert renewed.in_force(renewed.terms[-1].start).extra_storage == 2  # 2 units of the edited catalog's 1 GB
    assert renewed.terms[-1].end == _year_after(local_date(T0)) + relativedelta(months=1)
    assert caplog.text.count("froze no grant") == 2  # the plan line and the storage line


def test_o6_a_new_purchase_stored_before_o6_still_opens_its_subscription(vendor: Vendor) -> None:
    legacy = _as_stored_before_o6(vendor, vendor.place(NewPurchase(customer_id="cus-1", plan="std", option="1y")))
    sub = vendor.pay(legacy, under=catalog())
    assert (sub.plan_code, sub.quotas, sub.policy.purge_after_days) == ("std", STD_QUOTAS, 30)
    assert sub.terms[-1].end == _year_after(local_date(T0))
