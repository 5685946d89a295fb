"""Orders: lines frozen from a quote, the order entity and its state machine, promotion redemptions (O1-O4, C5, P9).

An :class:`Order` is built as a draft from a :class:`~subscription_core.quotes.Quote` (:meth:`Order.from_quote`,
or :meth:`Order.for_clients` for a bulk renewal): every priced figure is copied into its
:class:`OrderLine` values, so a later catalog change touches nothing (C5). It then moves through
:data:`TRANSITIONS` (O4) by its verbs :meth:`~Order.place`, :meth:`~Order.mark_paid`, :meth:`~Order.fulfil`,
:meth:`~Order.cancel` and :meth:`~Order.lapse`, each returning a new order one version higher with one more
:class:`OrderChange`. A :class:`Redemption` follows each applied promotion code: reserved when the order
is placed, consumed when it is paid, released when it is cancelled or lapses (P9).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from subscription_core.calendar import ensure_aware
from subscription_core.customers import Actor, Contact, InvoiceInfo, Party
from subscription_core.errors import InvalidTransitionError, NotEligibleError, ValidationError, of_type
from subscription_core.money import Currency, Money
from subscription_core.promotions import PurchaseKind, RedemptionCounts
from subscription_core.quotes import AppliedPromotion, LineDiscount, LineKind, Quote, QuoteLine, VatTotal
from subscription_core.tax import VatRate

__all__ = [
    "TRANSITIONS",
    "Billing",
    "Order",
    "OrderChange",
    "OrderEvent",
    "OrderKind",
    "OrderLine",
    "OrderState",
    "Redemption",
    "RedemptionState",
    "count_redemptions",
    "next_state",
    "reserve_redemptions",
    "settle_redemptions",
]


class OrderKind(enum.Enum):
    """What an order buys (O1)."""

    NEW_PURCHASE = "new_purchase"
    RENEWAL = "renewal"
    RENEWAL_WITH_PLAN_SWITCH = "renewal_with_plan_switch"
    STORAGE_TOP_UP = "storage_top_up"
    DATA_RETENTION = "data_retention"
    RENEWAL_ON_COMMITMENT = "renewal_on_commitment"
    BULK_RENEWAL = "bulk_renewal"

    @property
    def purchase(self) -> PurchaseKind | None:
        """The purchase kind its quote must have for promotions (P4); ``None``: either [decision]."""
        if self is OrderKind.NEW_PURCHASE:
            return PurchaseKind.NEW
        if self in (OrderKind.STORAGE_TOP_UP, OrderKind.DATA_RETENTION):
            return None
        return PurchaseKind.RENEWAL


class OrderState(enum.Enum):
    """The states of an order (O4)."""

    DRAFT = "draft"
    PLACED = "placed"  # awaiting payment until its deadline
    PAID = "paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"  # unpaid past its deadline


class OrderEvent(enum.Enum):
    """What can happen to an order; :data:`TRANSITIONS` says where each leads."""

    PLACE = "place"
    PAY = "pay"
    FULFIL = "fulfil"
    CANCEL = "cancel"
    LAPSE = "lapse"


_S, _E = OrderState, OrderEvent
TRANSITIONS: Final[Mapping[tuple[OrderState, OrderEvent], OrderState]] = {
    (_S.DRAFT, _E.PLACE): _S.PLACED,
    (_S.PLACED, _E.PAY): _S.PAID,
    (_S.PAID, _E.FULFIL): _S.FULFILLED,
    (_S.PLACED, _E.CANCEL): _S.CANCELLED,
    (_S.PLACED, _E.LAPSE): _S.LAPSED,
}
"""The order state machine (O4): ``(state, event)`` to the next state; nothing else is allowed."""


def next_state(state: OrderState, event: OrderEvent) -> OrderState:
    """Return where ``event`` leads from ``state`` (O4).

    Raises:
        InvalidTransitionError: (O4) the table has no such row; the message names the state and the event.
    """
    target = TRANSITIONS.get((state, event))
    if target is None:
        raise InvalidTransitionError(
            f"cannot {event.value} an order that is {state.value}", rule="O4", field="state", value=state.value
        )
    return target


_Validator = Callable[[object, "attrs.Attribute[Any]", object], None]


def _text(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty text", field=attribute.name, value=value)


def _optional_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _text(instance, attribute, value)


def _count(minimum: int) -> _Validator:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ValidationError(f"must be a whole number >= {minimum}", field=attribute.name, value=value)

    return check


def _aware(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        ensure_aware(value, field=attribute.name)  # type: ignore[arg-type]


def _utc(at: dt.datetime, field: str = "at") -> dt.datetime:
    return ensure_aware(at, field=field).astimezone(dt.UTC)


def _tuple_of(kind: type, field: str) -> _Validator:
    def check(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple) or not all(isinstance(v, kind) for v in value):
            raise ValidationError(f"must be a tuple of {kind.__name__}", field=field, value=value)

    return check


@attrs.frozen(kw_only=True)
class OrderLine:
    """One line of an order, every priced figure frozen from its quote line (C5).

    ``customer_id`` is the customer the line is for; ``subscription_id`` the subscription it renews or adds
    to (``None`` for a new purchase); ``ref`` the quote line's ref. ``taxable`` is ``base`` less the line's
    discounts and its share of the invoice discount.

    Raises:
        ValidationError: a field of the wrong type, mixed currencies, a negative amount (P8) or figures that
            do not add up.
    """

    kind: LineKind = attrs.field(validator=of_type(LineKind))
    code: str = attrs.field(validator=_text)
    option: str = attrs.field(validator=of_type(str))
    product: str = attrs.field(validator=_text)
    description: str = attrs.field(validator=of_type(str))
    quantity: int = attrs.field(validator=_count(1))
    unit_price: Money = attrs.field(validator=of_type(Money))
    base: Money = attrs.field(validator=of_type(Money))
    discounts: tuple[LineDiscount, ...] = attrs.field(validator=_tuple_of(LineDiscount, "discounts"))
    invoice_discount: Money = attrs.field(validator=of_type(Money))
    taxable: Money = attrs.field(validator=of_type(Money))
    vat_rate: VatRate = attrs.field(validator=of_type(VatRate))
    vat: Money = attrs.field(validator=of_type(Money))
    customer_id: str = attrs.field(validator=_text)
    subscription_id: str | None = attrs.field(default=None, validator=_optional_text)
    ref: str = attrs.field(default="", validator=of_type(str))

    def __attrs_post_init__(self) -> None:
        """Check one currency, no negative amount (P8), and taxable = base - discounts (C5)."""
        amounts = [self.unit_price, self.base, self.invoice_discount, self.taxable, self.vat]
        amounts += [d.amount for d in self.discounts]
        if any(not isinstance(a, Money) or a.currency != self.base.currency for a in amounts):
            raise ValidationError(
                "every amount must be Money in one currency", rule="C5", field="lines", value=self.code
            )
        if any(a.amount < 0 for a in amounts):
            raise ValidationError("no amount may be negative", rule="P8", field="lines", value=self.code)
        if self.taxable != self.base - self.line_discount - self.invoice_discount:
            raise ValidationError("taxable must be base less discounts", rule="C5", field="lines", value=self.code)

    @classmethod
    def freeze(cls, line: QuoteLine, *, customer_id: str, subscription_id: str | None = None) -> OrderLine:
        """Copy every priced figure of ``line`` for ``customer_id`` and ``subscription_id`` (C5)."""
        if not isinstance(line, QuoteLine):
            raise ValidationError("must be a QuoteLine", rule="C5", field="lines", value=line)
        return cls(
            kind=line.kind,
            code=line.code,
            option=line.option,
            product=line.product,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            base=line.base,
            discounts=tuple(line.discounts),
            invoice_discount=line.invoice_discount,
            taxable=line.taxable,
            vat_rate=line.vat_rate,
            vat=line.vat,
            customer_id=customer_id,
            subscription_id=subscription_id,
            ref=line.ref,
        )

    @property
    def line_discount(self) -> Money:
        """The sum of the line's own promotions."""
        return sum((d.amount for d in self.discounts), Money.zero(self.base.currency))

    @property
    def total(self) -> Money:
        """The taxable amount plus VAT."""
        return self.taxable + self.vat


@attrs.frozen(kw_only=True)
class Billing:
    """The details one customer of an order carries (O2, B2): its licence details and its invoice details."""

    customer_id: str = attrs.field(validator=_text)
    subscriber: Party = attrs.field(validator=of_type(Party))
    invoice: InvoiceInfo = attrs.field(validator=of_type(InvoiceInfo))


@attrs.frozen(kw_only=True)
class OrderChange:
    """One transition of an order: the event, the states, when, who, and a note (a cancel reason, a payment id)."""

    event: OrderEvent = attrs.field(validator=of_type(OrderEvent))
    source: OrderState = attrs.field(validator=of_type(OrderState))
    target: OrderState = attrs.field(validator=of_type(OrderState))
    at: dt.datetime = attrs.field(validator=_aware)
    by: Actor = attrs.field(validator=of_type(Actor))
    note: str = attrs.field(default="", validator=of_type(str))


_TOTALS: Final = ("subtotal", "line_discount_total", "invoice_discount_total", "pretax_total", "vat_total")


@attrs.frozen(kw_only=True)
class Order:
    """An order (O1-O4): entity with ``id`` and ``version``, its lines and totals frozen from a quote (C5).

    ``customer_id`` is the one customer of an ordinary order and ``None`` for a bulk renewal, whose lines
    are for many clients (B5). ``billing`` holds one :class:`Billing` per customer of the lines.
    ``notify`` receives the order's notices (B3). ``applied`` are the promotions whose redemptions the
    order reserves (P9). ``placed_by`` is who prepared and places it; ``idempotency_key`` the key of the
    request that created it. ``pay_by`` is the payment deadline, set when the order is placed (O4).

    Raises:
        ValidationError: a field of the wrong type, or figures, customers and kinds that do not agree.
    """

    id: str = attrs.field(validator=_text)
    kind: OrderKind = attrs.field(validator=of_type(OrderKind))
    customer_id: str | None = attrs.field(validator=_optional_text)
    lines: tuple[OrderLine, ...] = attrs.field(validator=_tuple_of(OrderLine, "lines"))
    billing: tuple[Billing, ...] = attrs.field(validator=_tuple_of(Billing, "billing"))
    notify: Contact = attrs.field(validator=of_type(Contact))
    currency: Currency = attrs.field(validator=of_type(Currency))
    priced_on: dt.date = attrs.field(validator=of_type(dt.date))
    purchase: PurchaseKind = attrs.field(validator=of_type(PurchaseKind))
    vat_totals: tuple[VatTotal, ...] = attrs.field(validator=_tuple_of(VatTotal, "vat_totals"))
    applied: tuple[AppliedPromotion, ...] = attrs.field(validator=_tuple_of(AppliedPromotion, "applied"))
    subtotal: Money = attrs.field(validator=of_type(Money))
    line_discount_total: Money = attrs.field(validator=of_type(Money))
    invoice_discount_total: Money = attrs.field(validator=of_type(Money))
    pretax_total: Money = attrs.field(validator=of_type(Money))
    vat_total: Money = attrs.field(validator=of_type(Money))
    grand_total: Money = attrs.field(validator=of_type(Money))
    placed_by: Actor = attrs.field(validator=of_type(Actor))
    idempotency_key: str = attrs.field(validator=_text)
    created_at: dt.datetime = attrs.field(validator=_aware)
    state: OrderState = attrs.field(default=OrderState.DRAFT, validator=of_type(OrderState))
    pay_by: dt.datetime | None = attrs.field(default=None, validator=_aware)
    payment_id: str | None = attrs.field(default=None, validator=_optional_text)
    changes: tuple[OrderChange, ...] = attrs.field(default=(), validator=_tuple_of(OrderChange, "changes"))
    version: int = attrs.field(default=0, validator=_count(0))

    def __attrs_post_init__(self) -> None:
        """Check the lines, the totals, the customers and the deadline agree."""
        _check_lines(self)
        _check_totals(self)
        _check_customers(self)
        if (self.state is OrderState.DRAFT) != (self.pay_by is None):
            raise ValidationError("a payment deadline is set exactly once placed", rule="O4", field="pay_by")

    @classmethod
    def from_quote(
        cls,
        quote: Quote,
        *,
        id: str,  # noqa: A002 - the entity's id, as everywhere in the domain
        kind: OrderKind,
        customer_id: str,
        subscriber: Party,
        invoice: InvoiceInfo,
        placed_by: Actor,
        idempotency_key: str,
        at: dt.datetime,
        subscription_id: str | None = None,
        notify: Contact | None = None,
    ) -> Order:
        """Return a draft order for one customer, every figure frozen from ``quote`` (C5, O1, O2).

        ``subscription_id`` is the subscription the order renews or adds to (required unless ``kind`` is a
        new purchase, and refused for one); ``notify`` defaults to the subscriber.

        Raises:
            ValidationError: a bulk kind (use :meth:`for_clients`), a quote of the wrong purchase kind, a
                missing or unexpected subscription id, or any bad field.
        """
        _check_quote(quote, kind)
        if kind is OrderKind.BULK_RENEWAL:
            raise ValidationError("a bulk renewal is built with Order.for_clients", rule="O1", field="kind", value=kind)
        lines = [
            OrderLine.freeze(line, customer_id=customer_id, subscription_id=subscription_id) for line in quote.lines
        ]
        billing = Billing(customer_id=customer_id, subscriber=subscriber, invoice=invoice)
        return cls(
            id=id,
            kind=kind,
            customer_id=customer_id,
            lines=tuple(lines),
            billing=(billing,),
            notify=notify if notify is not None else subscriber.contact,
            placed_by=placed_by,
            idempotency_key=idempotency_key,
            created_at=_utc(at),
            **_priced(quote),
        )

    @classmethod
    def for_clients(
        cls,
        quote: Quote,
        *,
        id: str,  # noqa: A002
        billing: Sequence[Billing],
        clients: Mapping[str, str],
        notify: Contact,
        placed_by: Actor,
        idempotency_key: str,
        at: dt.datetime,
    ) -> Order:
        """Return a draft bulk renewal (B1, B5): one order whose lines renew many clients' subscriptions.

        Each quote line's ``ref`` names the subscription it renews; ``clients`` maps each such subscription
        id to its customer, which must have an entry in ``billing``.

        Raises:
            ValidationError: (B1) a quote line whose ref is not in ``clients``, or any bad field.
        """
        _check_quote(quote, OrderKind.BULK_RENEWAL)
        if not isinstance(billing, list | tuple):
            raise ValidationError("must be a sequence of Billing", rule="O2", field="billing", value=billing)
        lines = []
        for line in quote.lines:
            if line.ref not in clients:
                raise ValidationError("names no client's subscription", rule="B1", field="lines.ref", value=line.ref)
            lines.append(OrderLine.freeze(line, customer_id=clients[line.ref], subscription_id=line.ref))
        return cls(
            id=id,
            kind=OrderKind.BULK_RENEWAL,
            customer_id=None,
            lines=tuple(lines),
            billing=tuple(billing),
            notify=notify,
            placed_by=placed_by,
            idempotency_key=idempotency_key,
            created_at=_utc(at),
            **_priced(quote),
        )

    @property
    def promotion_codes(self) -> tuple[str, ...]:
        """The codes of the promotions applied, whose redemptions the order holds (P9)."""
        return tuple(a.code for a in self.applied)

    @property
    def updated_at(self) -> dt.datetime:
        """When the order last changed."""
        return self.changes[-1].at if self.changes else self.created_at

    @property
    def placed_at(self) -> dt.datetime | None:
        """When the order was placed, or ``None``."""
        return self._when(OrderEvent.PLACE)

    @property
    def paid_at(self) -> dt.datetime | None:
        """When the order was paid, or ``None``."""
        return self._when(OrderEvent.PAY)

    def _when(self, event: OrderEvent) -> dt.datetime | None:
        return next((c.at for c in self.changes if c.event is event), None)

    @property
    def awaiting_payment(self) -> bool:
        """Whether the order is placed and not yet paid, cancelled or lapsed (O4, Y5)."""
        return self.state is OrderState.PLACED

    @property
    def subscriber(self) -> Party:
        """The licence details of an ordinary order's customer (O2).

        Raises:
            ValidationError: a bulk renewal, whose clients each have their own (see :meth:`billing_for`).
        """
        return self._own_billing().subscriber

    @property
    def invoice(self) -> InvoiceInfo:
        """The invoice details of an ordinary order's customer (O2).

        Raises:
            ValidationError: a bulk renewal, whose clients each have their own (see :meth:`billing_for`).
        """
        return self._own_billing().invoice

    def _own_billing(self) -> Billing:
        if self.customer_id is None:
            raise ValidationError("a bulk renewal has details per client", rule="O2", field="customer_id", value=None)
        return self.billing_for(self.customer_id)

    def billing_for(self, customer_id: str) -> Billing:
        """Return the details of ``customer_id`` on this order.

        Raises:
            ValidationError: the order has no line for that customer.
        """
        for billing in self.billing:
            if billing.customer_id == customer_id:
                return billing
        raise ValidationError("is not a customer of this order", field="customer_id", value=customer_id)

    def invoices(self) -> tuple[tuple[InvoiceInfo, tuple[OrderLine, ...]], ...]:
        """Return the e-invoices to request when paid (I1, B2): each buyer with its lines, in line order.

        Customers whose invoice details are the same share one invoice (a bulk renewal to "Other").
        """
        groups: dict[Party, tuple[InvoiceInfo, list[OrderLine]]] = {}
        for line in self.lines:
            invoice = self.billing_for(line.customer_id).invoice
            groups.setdefault(invoice.buyer, (invoice, []))[1].append(line)
        return tuple((invoice, tuple(lines)) for invoice, lines in groups.values())

    def place(self, *, at: dt.datetime, pay_by: dt.datetime, confirmed: bool) -> Order:
        """Place the draft (O3, O4): it then awaits payment until ``pay_by``.

        Raises:
            InvalidTransitionError: (O4) the order is not a draft.
            NotEligibleError: (O3) the buyer has not confirmed the order and accepted the terms.
            ValidationError: (D2, O4) a naive instant, or a deadline not after ``at``.
        """
        next_state(self.state, OrderEvent.PLACE)
        if confirmed is not True:
            raise NotEligibleError(
                "the buyer must confirm the order information and accept the terms before it is placed",
                rule="O3",
                field="confirmed",
                value=confirmed,
            )
        deadline = _utc(pay_by, "pay_by")
        if deadline <= _utc(at):
            raise ValidationError(
                "the payment deadline must come after placing", rule="O4", field="pay_by", value=pay_by
            )
        return self._fire(OrderEvent.PLACE, at, self.placed_by, pay_by=deadline)

    def mark_paid(self, *, at: dt.datetime, payment_id: str, by: Actor) -> Order:
        """Record the order as paid by ``payment_id`` (O4, Y2, Y3).

        A payment that arrives while the order is still placed is honoured even past ``pay_by``: money
        taken is never refused because the scheduler has not lapsed the order yet [decision].

        Raises:
            InvalidTransitionError: (O4) the order is not awaiting payment.
        """
        return self._fire(OrderEvent.PAY, at, by, note=str(payment_id), payment_id=payment_id)

    def fulfil(self, *, at: dt.datetime, by: Actor) -> Order:
        """Record that everything the paid order bought was granted (O4).

        Raises:
            InvalidTransitionError: (O4) the order is not paid.
        """
        return self._fire(OrderEvent.FULFIL, at, by)

    def cancel(self, *, at: dt.datetime, by: Actor, reason: str) -> Order:
        """Cancel the placed order (O4); its redemptions are to be released (P9).

        Raises:
            InvalidTransitionError: (O4) the order is not placed.
            ValidationError: an empty reason.
        """
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError("a cancellation needs a reason", rule="O4", field="reason", value=reason)
        return self._fire(OrderEvent.CANCEL, at, by, note=reason.strip())

    def lapse(self, *, at: dt.datetime, by: Actor) -> Order:
        """Close the placed order left unpaid past its deadline (O4); its redemptions are to be released (P9).

        Raises:
            InvalidTransitionError: (O4) the order is not placed.
            NotEligibleError: (O4) ``at`` is before the payment deadline.
        """
        next_state(self.state, OrderEvent.LAPSE)
        if self.pay_by is not None and _utc(at) < self.pay_by:
            raise NotEligibleError(
                f"the order may be paid until {self.pay_by.isoformat()}", rule="O4", field="at", value=at
            )
        return self._fire(OrderEvent.LAPSE, at, by)

    def _fire(
        self,
        event: OrderEvent,
        at: dt.datetime,
        by: Actor,
        *,
        note: str = "",
        pay_by: dt.datetime | None = None,
        payment_id: str | None = None,
    ) -> Order:
        target = next_state(self.state, event)
        when = _utc(at)
        if when < self.updated_at:
            raise ValidationError("is before the order's last change", rule="O4", field="at", value=at)
        if not isinstance(by, Actor):
            raise ValidationError("must be an Actor", field="by", value=by)
        change = OrderChange(event=event, source=self.state, target=target, at=when, by=by, note=note)
        return attrs.evolve(
            self,
            state=target,
            changes=(*self.changes, change),
            version=self.version + 1,
            pay_by=self.pay_by if pay_by is None else pay_by,
            payment_id=self.payment_id if payment_id is None else payment_id,
        )


def _check_quote(quote: Quote, kind: OrderKind) -> None:
    if not isinstance(quote, Quote):
        raise ValidationError("must be a Quote", rule="C5", field="quote", value=quote)
    if not isinstance(kind, OrderKind):
        raise ValidationError("must be an OrderKind", rule="O1", field="kind", value=kind)
    if kind.purchase not in (None, quote.purchase):
        raise ValidationError(
            f"a {kind.value} order needs a quote priced for a {kind.purchase.value} purchase",
            rule="P4",
            field="quote.purchase",
            value=quote.purchase.value,
        )


def _priced(quote: Quote) -> dict[str, Any]:
    """Every priced figure of the quote that the order keeps (C5)."""
    return {
        "currency": quote.currency,
        "priced_on": quote.as_of,
        "purchase": quote.purchase,
        "vat_totals": tuple(quote.vat_totals),
        "applied": tuple(quote.applied),
        **{name: getattr(quote, name) for name in (*_TOTALS, "grand_total")},
    }


def _check_lines(order: Order) -> None:
    if not order.lines:
        raise ValidationError("an order needs at least one line", rule="O1", field="lines", value=())
    for line in order.lines:
        if line.base.currency != order.currency:
            raise ValidationError("must be in the order's currency", rule="C5", field="lines", value=line.code)
        if (order.kind is OrderKind.NEW_PURCHASE) != (line.subscription_id is None):
            raise ValidationError(
                "a new purchase targets no subscription; every other kind targets one",
                rule="O1",
                field="lines.subscription_id",
                value=line.subscription_id,
            )


def _check_totals(order: Order) -> None:
    zero = Money.zero(order.currency)
    sums = {
        "subtotal": sum((line.base for line in order.lines), zero),
        "line_discount_total": sum((line.line_discount for line in order.lines), zero),
        "invoice_discount_total": sum((line.invoice_discount for line in order.lines), zero),
        "pretax_total": sum((line.taxable for line in order.lines), zero),
        "vat_total": sum((line.vat for line in order.lines), zero),
    }
    for name, expected in sums.items():
        if getattr(order, name) != expected:
            raise ValidationError(
                f"must equal the lines' sum {expected}", rule="C5", field=name, value=getattr(order, name)
            )
    if order.grand_total != order.pretax_total + order.vat_total:
        raise ValidationError("must be pre-tax total + VAT", rule="C5", field="grand_total", value=order.grand_total)
    if sum((v.vat for v in order.vat_totals), zero) != order.vat_total:
        raise ValidationError("VAT per rate must add up to the VAT total", rule="P7", field="vat_totals")


def _check_customers(order: Order) -> None:
    customers = [b.customer_id for b in order.billing]
    if len(set(customers)) != len(customers):
        raise ValidationError("one entry per customer", rule="O2", field="billing", value=customers)
    if set(customers) != {line.customer_id for line in order.lines}:
        raise ValidationError(
            "must cover exactly the customers of the lines", rule="O2", field="billing", value=customers
        )
    bulk = order.kind is OrderKind.BULK_RENEWAL
    if bulk != (order.customer_id is None) or (not bulk and customers != [order.customer_id]):
        raise ValidationError(
            "an ordinary order is for its one customer; a bulk renewal names none",
            rule="O1",
            field="customer_id",
            value=order.customer_id,
        )


class RedemptionState(enum.Enum):
    """Where a promotion redemption stands (P9)."""

    RESERVED = "reserved"
    CONSUMED = "consumed"
    RELEASED = "released"


@attrs.frozen(kw_only=True)
class Redemption:
    """One use of a promotion code by one order (P9): reserved, then consumed on payment or released.

    ``customer_id`` is whose per-customer limit it counts against: the ordering customer, or for a bulk
    renewal the service accountant that placed it [decision].
    """

    code: str = attrs.field(validator=_text)
    order_id: str = attrs.field(validator=_text)
    customer_id: str = attrs.field(validator=_text)
    reserved_at: dt.datetime = attrs.field(validator=_aware)
    state: RedemptionState = attrs.field(default=RedemptionState.RESERVED, validator=of_type(RedemptionState))
    settled_at: dt.datetime | None = attrs.field(default=None, validator=_aware)

    @property
    def counts(self) -> bool:
        """Whether it counts against the promotion's limits: reserved or consumed (P4, P9)."""
        return self.state is not RedemptionState.RELEASED

    def consume(self, at: dt.datetime) -> Redemption:
        """Return the redemption consumed by the order's payment (P9).

        Raises:
            InvalidTransitionError: (P9) it is not reserved.
        """
        return self._settle(RedemptionState.CONSUMED, at)

    def release(self, at: dt.datetime) -> Redemption:
        """Return the redemption released because the order was cancelled or lapsed (P9).

        Raises:
            InvalidTransitionError: (P9) it is not reserved.
        """
        return self._settle(RedemptionState.RELEASED, at)

    def _settle(self, target: RedemptionState, at: dt.datetime) -> Redemption:
        if self.state is not RedemptionState.RESERVED:
            raise InvalidTransitionError(
                f"a {self.state.value} redemption cannot be {target.value}", rule="P9", field="state", value=self.code
            )
        return attrs.evolve(self, state=target, settled_at=_utc(at))


def reserve_redemptions(order: Order) -> tuple[Redemption, ...]:
    """Return a reserved redemption for each promotion the placed order applied (P9).

    Raises:
        InvalidTransitionError: (P9) the order is not placed.
    """
    if order.state is not OrderState.PLACED or order.placed_at is None:
        raise InvalidTransitionError(
            "redemptions are reserved when the order is placed", rule="P9", field="state", value=order.state.value
        )
    holder = order.customer_id if order.customer_id is not None else order.placed_by.id
    return tuple(
        Redemption(code=code, order_id=order.id, customer_id=holder, reserved_at=order.placed_at)
        for code in order.promotion_codes
    )


def settle_redemptions(order: Order, redemptions: Iterable[Redemption], at: dt.datetime) -> tuple[Redemption, ...]:
    """Return the order's reserved redemptions consumed if it is paid, released if cancelled or lapsed (P9).

    Redemptions already settled, and those of other orders, are returned unchanged.

    Raises:
        InvalidTransitionError: (P9) the order is still a draft or awaiting payment.
    """
    if order.state in (OrderState.DRAFT, OrderState.PLACED):
        raise InvalidTransitionError(
            f"an order that is {order.state.value} settles no redemption",
            rule="P9",
            field="state",
            value=order.state.value,
        )
    consume = order.state in (OrderState.PAID, OrderState.FULFILLED)
    return tuple(
        (r.consume(at) if consume else r.release(at))
        if r.order_id == order.id and r.state is RedemptionState.RESERVED
        else r
        for r in redemptions
    )


def count_redemptions(redemptions: Iterable[Redemption], customer_id: str) -> RedemptionCounts:
    """Return the counts the pricing engine checks limits with (P4, P9): reserved and consumed ones.

    ``total`` counts every customer's; ``by_customer`` those of ``customer_id``.
    """
    total: dict[str, int] = {}
    mine: dict[str, int] = {}
    for redemption in redemptions:
        if redemption.counts:
            total[redemption.code] = total.get(redemption.code, 0) + 1
            if redemption.customer_id == customer_id:
                mine[redemption.code] = mine.get(redemption.code, 0) + 1
    return RedemptionCounts(total=total, by_customer=mine)
