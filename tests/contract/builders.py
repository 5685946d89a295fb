"""Small builders of the domain objects the contract tests store, made through the domain's own constructors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from subscription_core.catalog import Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.customers import Actor, Contact, Customer, InvoiceInfo, Party
from subscription_core.invoices import InvoiceRequest, IssuedInvoice, invoice_requests
from subscription_core.lifecycle import start_trial, subscribe
from subscription_core.money import Currency, Money
from subscription_core.notices import Channel, OrderNoticeKind, OutboxMessage
from subscription_core.orders import Billing, Order, OrderKind
from subscription_core.payments import Payment, PaymentMethod, PaymentProof
from subscription_core.ports import IdempotencyRecord
from subscription_core.pricing import quote
from subscription_core.promotions import PercentOff, Promotion, PurchaseKind, Scope
from subscription_core.quotes import PlanSelection
from subscription_core.redemptions import Redemption
from subscription_core.subscriptions import Entitlement, Opening, Subscription
from subscription_core.tax import VatSchedule
from subscription_core.testing import valid_tax_code

VND = Currency.of("VND")
T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
"""The instant the tests start from; every other instant is T0 plus a delta."""
STAFF = Actor.staff("st-1")

PRODUCT = Product(
    code="AMIS",
    name="AMIS Kế toán",
    plans=[
        Plan(
            code="STD",
            name="Standard",
            options=[
                PricingOption(code="1M", cycle=Cycle(CycleUnit.MONTH), price=Money.of(500_000, VND)),
                PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(5_000_000, VND)),
            ],
            vat=VatSchedule.flat("10%"),
        )
    ],
)

TRIAL_PRODUCT = Product(
    code="QLTS",
    name="MISA QLTS",
    plans=[
        Plan(
            code="QLTS-STD",
            name="Standard",
            options=[PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(3_000_000, VND))],
            vat=VatSchedule.flat("KCT"),
            trial_days=30,
        )
    ],
)
"""A product whose plan offers a 30-day free trial (C4, S12)."""

tax_code = valid_tax_code  # a valid tax code (U1), a different one for each n
CATALOG = Catalog(currency=VND, products=[PRODUCT])


def at(days: float = 0, **delta: float) -> dt.datetime:
    """T0 plus ``days`` days and any other ``timedelta`` fields."""
    return T0 + dt.timedelta(days=days, **delta)


def party(name: str, *, code: str | None = None) -> Party:
    """The details of a unit on an order (O2)."""
    return Party(unit_name=name, address="Cầu Giấy, Hà Nội", email="ketoan@example.vn", tax_code=code)


def customer(
    id: str,  # noqa: A002 - the entity's id, as the domain names it
    *,
    n: int = 1,
    name: str = "Công ty Cổ phần Đầu tư",
    business_code: str | None = None,
    accountant_id: str | None = None,
) -> Customer:
    """A customer with the ``n``-th tax code."""
    details = party(name, code=tax_code(n))
    return Customer(
        id=id,
        name=name,
        tax_code=tax_code(n),
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        business_code=business_code,
        accountant_id=accountant_id,
    )


def subscription(
    id: str,  # noqa: A002
    *,
    customer_id: str = "cus-1",
    start: dt.datetime = T0,
    option: str = "1M",
) -> Subscription:
    """A subscription paid online at ``start`` (Y2), as ``lifecycle.subscribe`` makes it."""
    opening = Opening(subscription_id=id, customer_id=customer_id, product=PRODUCT)
    entitlement = Entitlement.of(PRODUCT, "STD", option)
    return subscribe(opening, entitlement, start, actor=STAFF).subscription


def trial(id: str, *, customer_id: str = "cus-1", start: dt.datetime = T0) -> Subscription:  # noqa: A002
    """A free trial of :data:`TRIAL_PRODUCT` started at ``start`` (C4)."""
    opening = Opening(subscription_id=id, customer_id=customer_id, product=TRIAL_PRODUCT)
    return start_trial(opening, TRIAL_PRODUCT.plans[0], start, actor=STAFF).subscription


def promotion(code: str, *, limit: int | None = None, per_customer: int | None = None) -> Promotion:
    """A 10% package promotion with the given redemption limits (P4)."""
    return Promotion(
        code=code,
        scope=Scope.PACKAGE,
        benefit=PercentOff(percent=Decimal(10)),
        redemption_limit=limit,
        per_customer_limit=per_customer,
    )


def order(
    id: str,  # noqa: A002
    *,
    customer_id: str = "cus-1",
    created: dt.datetime = T0,
    pay_by: dt.datetime | None = None,
    promotions: tuple[Promotion, ...] = (),
    reminders: tuple[int, ...] = (),
) -> Order:
    """A new purchase of STD 1M for ``customer_id``, created at ``created``; placed if ``pay_by`` is given.

    Placed, it is reminded ``reminders`` days before ``pay_by`` (O8).
    """
    priced = quote(CATALOG, [PlanSelection(plan="STD", option="1M")], as_of=created.date(), promotions=promotions)
    details = party("Công ty Cổ phần Đầu tư")
    draft = Order.from_quote(
        priced,
        id=id,
        kind=OrderKind.NEW_PURCHASE,
        customer_id=customer_id,
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        placed_by=STAFF,
        idempotency_key=f"req-{id}",
        at=created,
    )
    return draft if pay_by is None else draft.place(at=created, pay_by=pay_by, confirmed=True, reminders=reminders)


def bulk_order(
    id: str,  # noqa: A002
    *,
    clients: dict[str, str],
    created: dt.datetime = T0,
) -> Order:
    """A bulk renewal (B5) of the subscriptions in ``clients`` (subscription id → customer id)."""
    selections = [PlanSelection(plan="STD", option="1M", ref=sub) for sub in clients]
    priced = quote(CATALOG, selections, as_of=created.date(), purchase=PurchaseKind.RENEWAL)
    billing = [
        Billing(customer_id=c, subscriber=party(f"Client {c}"), invoice=InvoiceInfo.same_as(party(f"Client {c}")))
        for c in dict.fromkeys(clients.values())
    ]
    return Order.for_clients(
        priced,
        id=id,
        billing=billing,
        clients=clients,
        notify=Contact(name="Kế toán dịch vụ", email="ktdv@example.vn"),
        placed_by=Actor.accountant("acc-1"),
        idempotency_key=f"req-{id}",
        at=created,
    )


def payment(id: str, placed: Order, *, started: dt.datetime = T0) -> Payment:  # noqa: A002
    """A payment by domestic card started for a placed order."""
    return Payment.start(id=id, order=placed, method=PaymentMethod.domestic_card("VCB"), at=started)


def proof(id: str, *, order_id: str = "ord-1") -> PaymentProof:  # noqa: A002
    """A customer's proof of a bank transfer (Y4)."""
    return PaymentProof(
        id=id,
        order_id=order_id,
        transfer_content=order_id,
        attachment="file-001",
        submitted_at=T0,
        submitted_by=Actor.customer_user("u-1", "cus-1"),
    )


def redemption(code: str, order_id: str, *, customer_id: str = "cus-1") -> Redemption:
    """A redemption of ``code`` reserved by an order (P9)."""
    return Redemption(code=code, order_id=order_id, customer_id=customer_id, reserved_at=T0)


def issued_invoice(order_id: str, part: int = 0, *, number: str = "00000001") -> IssuedInvoice:
    """An e-invoice as an issuer returns it (I1)."""
    return IssuedInvoice(
        order_id=order_id,
        part=part,
        series="1C26TAA",
        number=number,
        issued_at=T0,
        grand_total=Money.of(550_000, VND),
    )


def invoice_request(order_id: str = "ord-1", *, promotions: tuple[Promotion, ...] = ()) -> InvoiceRequest:
    """The one invoice request of an order for one customer (I1)."""
    placed = order(order_id, pay_by=at(3), promotions=promotions)
    return invoice_requests(placed, T0)[0]


def message(id: str, *, created: dt.datetime = T0, subject_id: str = "ord-1") -> OutboxMessage:  # noqa: A002
    """An order-placed e-mail notice (N1)."""
    return OutboxMessage(
        id=id,
        kind=OrderNoticeKind.ORDER_PLACED.value,
        channel=Channel.EMAIL,
        recipient="ketoan@example.vn",
        subject_id=subject_id,
        created_at=created,
    )


def idempotency_record(key: str, *, fingerprint: str = "sha256:aaaa", outcome: str = "ord-1") -> IdempotencyRecord:
    """The first outcome of a request made with ``key``."""
    return IdempotencyRecord(key=key, fingerprint=fingerprint, outcome=outcome, created_at=T0)
