"""Domain objects for the SQL adapter's integration tests, made through the domain's own constructors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from subscription_core.catalog import Catalog, Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.customers import Actor, Customer, InvoiceInfo, Party
from subscription_core.invoices import IssuedInvoice
from subscription_core.lifecycle import subscribe
from subscription_core.money import Currency, Money
from subscription_core.notices import Channel, OrderNoticeKind, OutboxMessage
from subscription_core.orders import Order, OrderKind
from subscription_core.pricing import quote
from subscription_core.promotions import PercentOff, Promotion, Scope
from subscription_core.quotes import PlanSelection
from subscription_core.redemptions import Redemption
from subscription_core.subscriptions import Entitlement, Opening, Subscription
from subscription_core.tax import VatSchedule
from subscription_core.testing import valid_tax_code

VND = Currency.of("VND")
T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
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
            quotas=[Quota(code="storage", amount=10, unit="GB"), Quota(code="seats", amount=5)],
            trial_days=14,
        ),
        Plan(
            code="ENT",
            name="Enterprise",
            options=[PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(20_000_000, VND))],
            vat=VatSchedule.flat("8%"),
            quotas=[Quota(code="storage", amount=100, unit="GB")],
            enterprise=True,
        ),
    ],
)

tax_code = valid_tax_code  # a valid tax code (U1), a different one for each n
CATALOG = Catalog(currency=VND, products=[PRODUCT])


def at(days: float = 0, **delta: float) -> dt.datetime:
    """T0 plus ``days`` days and any other ``timedelta`` fields."""
    return T0 + dt.timedelta(days=days, **delta)


def party(name: str, *, code: str | None = None) -> Party:
    """The details of a unit on an order (O2)."""
    return Party(unit_name=name, address="Cầu Giấy, Hà Nội", email="ketoan@example.vn", tax_code=code)


def customer(id: str, *, n: int = 1, name: str = "Công ty Cổ phần Đầu tư") -> Customer:  # noqa: A002
    """A customer with the ``n``-th tax code."""
    details = party(name, code=tax_code(n))
    return Customer(id=id, name=name, tax_code=tax_code(n), subscriber=details, invoice=InvoiceInfo.same_as(details))


def subscription(id: str, *, customer_id: str = "cus-1", start: dt.datetime = T0) -> Subscription:  # noqa: A002
    """A monthly subscription paid online at ``start`` (Y2)."""
    opening = Opening(subscription_id=id, customer_id=customer_id, product=PRODUCT)
    return subscribe(opening, Entitlement.of(PRODUCT, "STD", "1M"), start, actor=STAFF).subscription


def promotion(code: str, *, limit: int | None = None) -> Promotion:
    """A 10% package promotion with a redemption limit (P4)."""
    return Promotion(code=code, scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal(10)), redemption_limit=limit)


def redemption(code: str, order_id: str, *, customer_id: str = "cus-1") -> Redemption:
    """A redemption of ``code`` reserved by an order (P9)."""
    return Redemption(code=code, order_id=order_id, customer_id=customer_id, reserved_at=T0)


def order(id: str, *, customer_id: str = "cus-1", pay_by: dt.datetime | None = None) -> Order:  # noqa: A002
    """A new purchase of STD 1M; placed if ``pay_by`` is given."""
    priced = quote(CATALOG, [PlanSelection(plan="STD", option="1M")], as_of=T0.date())
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
        at=T0,
    )
    return draft if pay_by is None else draft.place(at=T0, pay_by=pay_by, confirmed=True)


def issued_invoice(order_id: str, part: int = 0) -> IssuedInvoice:
    """An e-invoice as an issuer returns it (I1)."""
    return IssuedInvoice(
        order_id=order_id,
        part=part,
        series="1C26TAA",
        number=f"{part + 1:08d}",
        issued_at=T0,
        grand_total=Money.of(550_000, VND),
    )


def message(id: str, *, created: dt.datetime = T0) -> OutboxMessage:  # noqa: A002
    """An order-placed e-mail notice (N1)."""
    return OutboxMessage(
        id=id,
        kind=OrderNoticeKind.ORDER_PLACED.value,
        channel=Channel.EMAIL,
        recipient="ketoan@example.vn",
        subject_id="ord-1",
        created_at=created,
        data={"order": "ord-1", "total": "550000"},
    )
