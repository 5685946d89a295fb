"""Orders: the order entity, built from a quote and moved by its verbs (O1-O4, C5, O6).

An :class:`Order` is built as a draft from a :class:`~subscription_core.quotes.Quote` (:meth:`Order.from_quote`,
or :meth:`Order.for_clients` for a bulk renewal): every priced figure, and what each line grants once paid,
is copied into its :class:`~subscription_core.order_lines.OrderLine` values, so a later catalog change
touches nothing (C5, O6). It then moves through the state machine of :mod:`subscription_core.order_states`
(O4) by its verbs :meth:`~Order.place`, :meth:`~Order.mark_paid`, :meth:`~Order.fulfil`,
:meth:`~Order.cancel` and :meth:`~Order.lapse`, each returning a new order one version higher with one more
:class:`~subscription_core.order_states.OrderChange`. Its kind is an
:class:`~subscription_core.order_kinds.OrderKind` (O1). The redemptions of its promotion codes are reserved
and settled by :mod:`subscription_core.redemptions` (P9).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from subscription_core.contact_details import fitted_text
from subscription_core.customers import Actor, Contact, InvoiceInfo, Party
from subscription_core.errors import (
    NotEligibleError,
    ValidationError,
    aware,
    non_empty_text,
    of_type,
    optional,
    tuple_of,
    utc,
    whole_number,
)
from subscription_core.money import Currency, Money

# Billing, OrderKind, OrderLine and OrderState are re-exported: other modules import them from here.
from subscription_core.order_kinds import OrderKind, check_quote
from subscription_core.order_lines import Billing, OrderLine
from subscription_core.order_states import OrderChange, OrderEvent, OrderState, next_state
from subscription_core.payment_deadlines import check_reminder_days, due_reminder, reminder_at, reminders_ahead
from subscription_core.promotions import PurchaseKind
from subscription_core.quotes import AppliedPromotion, Quote, VatTotal

__all__ = ["Billing", "Order", "OrderKind", "OrderLine", "OrderState"]


def _check_invoiceable(order: Order) -> None:
    """Check that the e-invoice of the order, once paid, will take its details and lines (O7)."""
    for billing in order.billing:
        where = "" if order.customer_id is not None else f"billing[{billing.customer_id}]."
        billing.subscriber.check_invoiceable(f"{where}subscriber")
        billing.invoice.buyer.check_invoiceable(f"{where}invoice")
    for i, line in enumerate(order.lines):
        fitted_text(line.code, field=f"lines[{i}].code", limit="code")
        fitted_text(line.description or line.code, field=f"lines[{i}].description", limit="description")


_LINE_SUMS: Final = {
    "subtotal": "base",
    "line_discount_total": "line_discount",
    "invoice_discount_total": "invoice_discount",
    "pretax_total": "taxable",
    "vat_total": "vat",
}
"""Each total of an order, with the figure of its lines that it sums (C5)."""


@attrs.frozen(kw_only=True)
class Order:
    """An order (O1-O4): entity with ``id`` and ``version``, its lines and totals frozen from a quote (C5).

    ``customer_id`` is the one customer of an ordinary order and ``None`` for a bulk renewal, whose lines
    are for many clients (B5). ``billing`` holds one :class:`Billing` per customer of the lines.
    ``notify`` receives the order's notices (B3). ``applied`` are the promotions whose redemptions the
    order reserves (P9). ``placed_by`` is who prepared and places it; ``idempotency_key`` the key of the
    request that created it. ``pay_by`` is the payment deadline, set when the order is placed (O4);
    ``reminder_days`` the lead times, in days before it, of the payment reminders still to send (O8).

    Raises:
        ValidationError: a field of the wrong type, or figures, customers and kinds that do not agree.
    """

    id: str = attrs.field(validator=non_empty_text())
    kind: OrderKind = attrs.field(validator=of_type(OrderKind))
    customer_id: str | None = attrs.field(validator=optional(non_empty_text()))
    lines: tuple[OrderLine, ...] = attrs.field(validator=tuple_of(OrderLine))
    billing: tuple[Billing, ...] = attrs.field(validator=tuple_of(Billing))
    notify: Contact = attrs.field(validator=of_type(Contact))
    currency: Currency = attrs.field(validator=of_type(Currency))
    priced_on: dt.date = attrs.field(validator=of_type(dt.date))
    purchase: PurchaseKind = attrs.field(validator=of_type(PurchaseKind))
    vat_totals: tuple[VatTotal, ...] = attrs.field(validator=tuple_of(VatTotal))
    applied: tuple[AppliedPromotion, ...] = attrs.field(validator=tuple_of(AppliedPromotion))
    subtotal: Money = attrs.field(validator=of_type(Money))
    line_discount_total: Money = attrs.field(validator=of_type(Money))
    invoice_discount_total: Money = attrs.field(validator=of_type(Money))
    pretax_total: Money = attrs.field(validator=of_type(Money))
    vat_total: Money = attrs.field(validator=of_type(Money))
    grand_total: Money = attrs.field(validator=of_type(Money))
    placed_by: Actor = attrs.field(validator=of_type(Actor))
    idempotency_key: str = attrs.field(validator=non_empty_text())
    created_at: dt.datetime = attrs.field(validator=aware())
    state: OrderState = attrs.field(default=OrderState.DRAFT, validator=of_type(OrderState))
    pay_by: dt.datetime | None = attrs.field(default=None, validator=optional(aware()))
    payment_id: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    changes: tuple[OrderChange, ...] = attrs.field(default=(), validator=tuple_of(OrderChange))
    # A default, so that orders stored before reminders existed load, with none to send (O8).
    reminder_days: tuple[int, ...] = attrs.field(default=(), validator=lambda _i, _a, v: _reminders(v))
    version: int = attrs.field(default=0, validator=whole_number(0))
    _billing_index: dict[str, Billing] = attrs.field(init=False, eq=False, repr=False)

    @_billing_index.default
    def _index_billing(self) -> dict[str, Billing]:
        return {b.customer_id: b for b in self.billing} if isinstance(self.billing, tuple) else {}

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
        check_quote(quote, kind)
        if kind is OrderKind.BULK_RENEWAL:
            raise ValidationError("a bulk renewal is built with Order.for_clients", rule="O1", field="kind", value=kind)
        version = quote.catalog_version
        lines = [
            OrderLine.freeze(line, customer_id=customer_id, subscription_id=subscription_id, catalog_version=version)
            for line in quote.lines
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
            created_at=utc(at),
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
        check_quote(quote, OrderKind.BULK_RENEWAL)
        if not isinstance(billing, list | tuple):
            raise ValidationError("must be a sequence of Billing", rule="O2", field="billing", value=billing)
        lines = []
        for line in quote.lines:
            if line.ref not in clients:
                raise ValidationError("names no client's subscription", rule="B1", field="lines.ref", value=line.ref)
            customer_id, version = clients[line.ref], quote.catalog_version
            lines.append(
                OrderLine.freeze(line, customer_id=customer_id, subscription_id=line.ref, catalog_version=version)
            )
        return cls(
            id=id,
            kind=OrderKind.BULK_RENEWAL,
            customer_id=None,
            lines=tuple(lines),
            billing=tuple(billing),
            notify=notify,
            placed_by=placed_by,
            idempotency_key=idempotency_key,
            created_at=utc(at),
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
        billing = self._billing_index.get(customer_id)
        if billing is None:
            raise ValidationError("is not a customer of this order", field="customer_id", value=customer_id)
        return billing

    def invoices(self) -> tuple[tuple[InvoiceInfo, tuple[OrderLine, ...]], ...]:
        """Return the e-invoices to request when paid (I1, B2): each buyer with its lines, in line order.

        Customers whose invoice details are the same share one invoice (a bulk renewal to "Other").
        """
        groups: dict[Party, tuple[InvoiceInfo, list[OrderLine]]] = {}
        for line in self.lines:
            invoice = self.billing_for(line.customer_id).invoice
            groups.setdefault(invoice.buyer, (invoice, []))[1].append(line)
        return tuple((invoice, tuple(lines)) for invoice, lines in groups.values())

    @property
    def next_reminder_at(self) -> dt.datetime | None:
        """When the next payment reminder is due (O8): ``None`` unless placed with a reminder still to send.

        A host may store it in an indexed column and load only the orders with a reminder due.
        """
        if self.state is not OrderState.PLACED or self.pay_by is None or not self.reminder_days:
            return None
        return reminder_at(self.pay_by, self.reminder_days[0])

    def reminder_due(self, at: dt.datetime) -> int | None:
        """The lead time of the payment reminder to send at ``at`` while placed (O8; see :func:`due_reminder`)."""
        if self.state is not OrderState.PLACED or self.pay_by is None:
            return None
        return due_reminder(self.pay_by, self.reminder_days, at=utc(at))

    def remind(self, *, at: dt.datetime) -> Order:
        """Record the payment reminder due at ``at`` as sent (O8): one version higher, its state unchanged.

        Every lead time whose time has come is dropped, so that no reminder is sent twice.

        Raises:
            NotEligibleError: (O8) no reminder is due at ``at``.
        """
        due = self.reminder_due(at)
        if due is None:
            raise NotEligibleError("no payment reminder is due", rule="O8", field="at", value=at)
        left = tuple(days for days in self.reminder_days if days < due)
        return self._moved(reminder_days=left, version=self.version + 1)

    def place(self, *, at: dt.datetime, pay_by: dt.datetime, confirmed: bool, reminders: Sequence[int] = ()) -> Order:
        """Place the draft (O3, O4): it then awaits payment until ``pay_by``.

        It is reminded ``reminders`` days before ``pay_by``, except where that time is already past (O8).

        Raises:
            InvalidTransitionError: (O4) the order is not a draft.
            NotEligibleError: (O3) the buyer has not confirmed the order and accepted the terms.
            ValidationError: (D2, O4) a naive instant, or a deadline not after ``at``; (O8) a lead time that
                is not a whole number of days >= 1; (O7) subscriber or invoice details, or a line's code or
                name, that the e-invoice would refuse.
        """
        next_state(self.state, OrderEvent.PLACE)
        _check_invoiceable(self)
        if confirmed is not True:
            raise NotEligibleError(
                "the buyer must confirm the order information and accept the terms before it is placed",
                rule="O3",
                field="confirmed",
                value=confirmed,
            )
        deadline = utc(pay_by, "pay_by")
        if deadline <= utc(at):
            raise ValidationError(
                "the payment deadline must come after placing", rule="O4", field="pay_by", value=pay_by
            )
        ahead = reminders_ahead(deadline, reminders, placed_at=utc(at))
        return self._fire(OrderEvent.PLACE, at, self.placed_by, pay_by=deadline, reminder_days=ahead)

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
        if self.pay_by is not None and utc(at) < self.pay_by:
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
        reminder_days: tuple[int, ...] | None = None,
    ) -> Order:
        target = next_state(self.state, event)
        when = utc(at)
        if when < self.updated_at:
            raise ValidationError("is before the order's last change", rule="O4", field="at", value=at)
        if not isinstance(by, Actor):
            raise ValidationError("must be an Actor", field="by", value=by)
        change = OrderChange(event=event, source=self.state, target=target, at=when, by=by, note=note)
        return self._moved(
            state=target,
            changes=(*self.changes, change),
            version=self.version + 1,
            pay_by=self.pay_by if pay_by is None else pay_by,
            payment_id=self.payment_id if payment_id is None else payment_id,
            reminder_days=self.reminder_days if reminder_days is None else reminder_days,
        )

    def _moved(self, **changes: object) -> Order:
        """This order with ``changes`` to the fields its life moves (:data:`_MOVING`), each checked as built.

        What an order bought (lines, billing, figures, kind, customers) never changes once built, and was
        checked when this instance was: a transition re-checks only what it changes and the deadline's
        agreement with the state, not every line and total again (10,000 lines in a bulk renewal).
        Equal to ``attrs.evolve(self, **changes)``, which checks everything.
        """
        moved = copy.copy(self)
        for name, value in changes.items():
            field = _MOVING.get(name)
            if field is None:
                raise ValidationError("is frozen once the order is built", rule="C5", field=name, value=value)
            if field.validator is not None:
                field.validator(moved, field, value)
            object.__setattr__(moved, name, value)
        if (moved.state is OrderState.DRAFT) != (moved.pay_by is None):
            raise ValidationError("a payment deadline is set exactly once placed", rule="O4", field="pay_by")
        return moved


_MOVING: Final = {
    name: field
    for name, field in attrs.fields_dict(Order).items()
    if name in {"state", "changes", "version", "pay_by", "payment_id", "reminder_days"}
}
"""The fields an order's transitions and reminders change, by name; everything else is frozen when it is built."""


def _reminders(value: object) -> None:
    if check_reminder_days(value) != value:
        raise ValidationError("must be distinct, longest first", rule="O8", field="reminder_days", value=value)


def _priced(quote: Quote) -> dict[str, Any]:
    """Every priced figure of the quote that the order keeps (C5)."""
    return {
        "currency": quote.currency,
        "priced_on": quote.as_of,
        "purchase": quote.purchase,
        "vat_totals": tuple(quote.vat_totals),
        "applied": tuple(quote.applied),
        **{name: getattr(quote, name) for name in (*_LINE_SUMS, "grand_total")},
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
    for name, figure in _LINE_SUMS.items():
        expected = sum((getattr(line, figure) for line in order.lines), zero)
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
