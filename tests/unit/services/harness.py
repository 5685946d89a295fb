"""A world to run the services in: the in-memory store, a manual clock, fake providers, and small builders.

Everything is built through the public constructors and the bootstrap function; tests read the store's
committed tables only to compare what changed (``snapshot``), never to set up state the services could
set up themselves, except customers and promotions, which the services do not create.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import attrs

from subscription_core.catalog import Addon, AddonKind, Catalog, Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.customers import Actor, Contact, Customer, InvoiceInfo, Party, ServiceAccountant
from subscription_core.money import Currency, Money
from subscription_core.notices import OutboxMessage
from subscription_core.orders import Order
from subscription_core.payments import MethodKind, PaymentMethod
from subscription_core.promotions import PercentOff, Promotion, Scope
from subscription_core.services import (
    Checkout,
    NewPurchase,
    NotificationResult,
    OrderRequest,
    Renewal,
    Services,
    handle_notification,
    place_order,
    start_payment,
)
from subscription_core.subscriptions import Subscription
from subscription_core.tax import VatSchedule
from subscription_core.testing import valid_tax_code
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier
from subscription_core_adapters.local import ManualClock, SequentialIds
from subscription_core_adapters.memory import MemoryStore, MemoryUnitOfWorkFactory

tax_code = valid_tax_code  # a valid tax code (U1), a different one for each n

VND = Currency.of("VND")
T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
"""Monday 2026-11-23, 09:00 in Hà Nội: where every test's clock starts."""
LINK_KEY = b"link-signing-key-never-shown-0123456789"
WALLET_KEY = b"wallet-signing-key-never-shown-987654321"
BANK_KEY = b"bank-signing-key-never-shown-5555555555"
WALLET = PaymentMethod.e_wallet("VNPTPAY")
TRANSFER = PaymentMethod.bank_transfer()

BUYER = Actor.customer_user("u-1", "cus-1")
NON_BUYER = Actor.customer_user("u-9", "cus-1")
STRANGER = Actor.customer_user("u-2", "cus-2")
STAFF = Actor.staff("st-1")
ACCOUNTANT = Actor.accountant("acc-1")
OTHER_ACCOUNTANT = Actor.accountant("acc-2")


def _vnd(amount: int) -> Money:
    return Money.of(amount, VND)


def _option(code: str, price: int, unit: CycleUnit = CycleUnit.YEAR, cycles: int = 1) -> PricingOption:
    return PricingOption(code=code, cycle=Cycle(unit), cycles=cycles, price=_vnd(price))


PLANS = ("std", "pro", "ent")
CATALOG = Catalog(
    currency=VND,
    products=[
        Product(
            code="amis",
            name="MISA AMIS",
            plans=[
                Plan(
                    code="std",
                    name="Standard",
                    options=[_option("1y", 6_000_000), _option("2y", 11_000_000, cycles=2)],
                    vat=VatSchedule.flat("KCT"),
                    quotas=[Quota(code="storage", amount=10, unit="GB"), Quota(code="employees", amount=50)],
                    trial_days=15,
                ),
                Plan(
                    code="pro",
                    name="Professional",
                    options=[_option("1y", 12_000_000), _option("6m", 6_500_000, CycleUnit.MONTH, 6)],
                    vat=VatSchedule.flat("KCT"),
                    quotas=[Quota(code="storage", amount=30, unit="GB"), Quota(code="employees", amount=150)],
                ),
                Plan(
                    code="ent",
                    name="Enterprise",
                    options=[_option("1y", 24_000_000)],
                    vat=VatSchedule.flat("KCT"),
                    quotas=[Quota(code="storage", amount=100, unit="GB"), Quota(code="employees", amount=500)],
                    enterprise=True,
                ),
            ],
            addons=[
                Addon(
                    code="storage10",
                    name="10 GB",
                    kind=AddonKind.STORAGE,
                    price=_vnd(1_200_000),
                    plans=PLANS,
                    vat=VatSchedule.flat("10%"),
                    storage_per_unit=10,
                    max_quantity=20,
                ),
                Addon(
                    code="training",
                    name="Training",
                    kind=AddonKind.TRAINING,
                    price=_vnd(1_500_000),
                    plans=PLANS,
                    vat=VatSchedule.flat("10%"),
                ),
                Addon(
                    code="retention",
                    name="Data retention",
                    kind=AddonKind.RETENTION,
                    price=_vnd(200_000),
                    plans=PLANS,
                    vat=VatSchedule.flat("10%"),
                    retention_unit=Cycle(CycleUnit.MONTH),
                    max_quantity=24,
                ),
            ],
        )
    ],
)


def party(name: str, n: int, email: str) -> Party:
    """A unit's details on an order (O2)."""
    return Party(unit_name=name, address="Cầu Giấy, Hà Nội", email=email, tax_code=tax_code(n))


def customer(n: int, *, buyers: Iterable[str] = (), accountant: str | None = None) -> Customer:
    """Customer ``cus-<n>`` with the ``n``-th tax code and business code ``HKD-<n>``."""
    details = party(f"Công ty Số {n}", n, f"owner{n}@company{n}.vn")
    return Customer(
        id=f"cus-{n}",
        name=f"Công ty Cổ phần Số {n}",
        tax_code=tax_code(n),
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        business_code=f"HKD-{n}",
        accountant_id=accountant,
        buyers=frozenset(buyers),
    )


ACCOUNTANTS = {
    "acc-1": ServiceAccountant(id="acc-1", name="KTDV Một", contact=Contact(name="KTDV Một", email="ktdv1@firm.vn")),
    "acc-2": ServiceAccountant(id="acc-2", name="KTDV Hai", contact=Contact(name="KTDV Hai", email="ktdv2@firm.vn")),
}


def promotion(code: str, *, limit: int | None = None, per_customer: int | None = None, percent: int = 10) -> Promotion:
    """A package promotion of ``percent`` with redemption limits (P4, P9)."""
    return Promotion(
        code=code,
        scope=Scope.PACKAGE,
        benefit=PercentOff(percent=Decimal(percent)),
        redemption_limit=limit,
        per_customer_limit=per_customer,
    )


CONFIRMED = Checkout(confirmed=True)


@attrs.define
class World:
    """The services on a fresh in-memory store, with handles on the fakes behind them."""

    deps: Services
    store: MemoryStore
    clock: ManualClock
    wallet: FakePaymentProvider
    bank: FakePaymentProvider
    issuer: MemoryInvoiceIssuer
    notifier: RecordingNotifier
    _keys: Iterator[int] = attrs.field(factory=itertools.count)
    _events: Iterator[int] = attrs.field(factory=itertools.count)

    @classmethod
    def make(cls, *, pay_within_days: int = 7) -> World:
        """A world with customers cus-1 (buyer u-1, accountant acc-1), cus-2 (u-2, acc-1), cus-3 (u-3)."""
        clock = ManualClock(T0)
        store = MemoryStore()
        wallet = FakePaymentProvider("vnptpay", WALLET_KEY, methods=[k for k in MethodKind if k.value != "cash"])
        bank = FakePaymentProvider("bank", BANK_KEY, methods=[MethodKind.BANK_TRANSFER, MethodKind.CASH])
        issuer = MemoryInvoiceIssuer()
        notifier = RecordingNotifier()
        routes = {
            MethodKind.DOMESTIC_CARD: "vnptpay",
            MethodKind.E_WALLET: "vnptpay",
            MethodKind.INTERNATIONAL_CARD: "vnptpay",
            MethodKind.BANK_TRANSFER: "bank",
            MethodKind.CASH: "bank",
        }
        deps = bootstrap_memory(
            CATALOG,
            clock=clock,
            ids=SequentialIds(),
            uow=MemoryUnitOfWorkFactory(store),
            providers={"vnptpay": wallet, "bank": bank},
            routes=routes,
            invoices=issuer,
            notifier=notifier,
            link_key=LINK_KEY,
            accountants=ACCOUNTANTS,
            pay_within_days=pay_within_days,
        )
        world = cls(deps=deps, store=store, clock=clock, wallet=wallet, bank=bank, issuer=issuer, notifier=notifier)
        world.add(customer(1, buyers={"u-1"}, accountant="acc-1"))
        world.add(customer(2, buyers={"u-2"}, accountant="acc-1"))
        world.add(customer(3, buyers={"u-3"}))
        return world

    def key(self) -> str:
        """A fresh idempotency key."""
        return f"key-{next(self._keys)}"

    def event(self) -> str:
        """A fresh provider event id."""
        return f"evt-{next(self._events)}"

    def add(self, *rows: Customer | Promotion) -> None:
        """Store customers and promotions directly (the registering use cases have their own tests)."""
        with self.deps.uow() as uow:
            for row in rows:
                if isinstance(row, Customer):
                    uow.customers.add(row)
                else:
                    uow.promotions.add(row)
            uow.commit()

    def snapshot(self) -> dict[str, dict[Any, Any]]:
        """Every committed row of every table, to compare before and after a refused call."""
        names = [
            "customers",
            "subscriptions",
            "orders",
            "payments",
            "proofs",
            "notifications",
            "promotions",
            "redemptions",
            "invoices",
            "unapplied",
            "refunds",
            "invoice_requests",
            "invoice_adjustments",
            "outbox",
            "idempotency",
        ]
        with self.store.lock:
            return {name: dict(getattr(self.store, name).rows) for name in names}

    def outbox(self) -> list[OutboxMessage]:
        """Every message queued so far."""
        with self.store.lock:
            return [delivery.message for delivery in self.store.outbox.rows.values()]

    def order(self, order_id: str) -> Order:
        """The order as committed."""
        with self.deps.uow() as uow:
            return uow.orders.get(order_id)

    def subscription(self, subscription_id: str) -> Subscription:
        """The subscription as committed."""
        with self.deps.uow() as uow:
            return uow.subscriptions.get(subscription_id)

    def subscriptions_of(self, customer_id: str) -> list[Subscription]:
        """A customer's subscriptions as committed."""
        with self.deps.uow() as uow:
            return uow.subscriptions.of_customer(customer_id)

    def place(self, request: OrderRequest, *, actor: Actor = BUYER, checkout: Checkout = CONFIRMED) -> Order:
        """Place ``request`` confirmed, with a fresh key."""
        reason = "asked by phone" if actor.is_staff else ""
        return place_order(self.deps, actor, request, checkout, idempotency_key=self.key(), reason=reason)

    def notification(self, order: Order, *, succeeded: bool = True, event: str | None = None) -> dict[str, str]:
        """The wallet's signed notification about ``order``."""
        return self.wallet.notify(order, event_id=event or self.event(), succeeded=succeeded)

    def pay_online(self, order: Order, *, actor: Actor = BUYER) -> NotificationResult:
        """Start an e-wallet payment and deliver the provider's success notice (Y2)."""
        start_payment(self.deps, actor, order_id=order.id, method=WALLET, idempotency_key=self.key())
        return handle_notification(self.deps, "vnptpay", self.notification(order))

    def buy(self, customer_n: int = 1, *, plan: str = "std", option: str = "1y", actor: Actor = BUYER) -> Subscription:
        """A new purchase paid online: the subscription it opened (Y2)."""
        order = self.place(NewPurchase(customer_id=f"cus-{customer_n}", plan=plan, option=option), actor=actor)
        self.pay_online(order, actor=actor)
        return self.subscription(order.lines[0].ref)

    def renew(self, subscription_id: str, *, option: str = "1y", actor: Actor = BUYER) -> Order:
        """A renewal of ``subscription_id`` placed (not paid)."""
        return self.place(Renewal(subscription_id=subscription_id, option=option), actor=actor)

    def at(self, days: float = 0, **delta: float) -> dt.datetime:
        """Move the clock to T0 plus the delta and return it."""
        target = T0 + dt.timedelta(days=days, **delta)
        self.clock.set(target)
        return target
