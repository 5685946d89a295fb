"""Unapplied money: money received that no order could take, kept until staff apply or refund it (Y6, Y7).

Every đồng a provider confirms or a bank statement shows ends either applied to its order (a succeeded
:class:`~subscription_core.payments.Payment`) or recorded here as :class:`UnappliedMoney`, with the reason
the order could not take it, the provider's or the bank's reference, and when it was received (Y6). Staff
list it, apply it to another order of the same customer (:meth:`UnappliedMoney.apply_to`, which records a
payment for that order) or close it as refunded outside the library with the refund's reference
(:meth:`UnappliedMoney.refund`). One record per ``(source, reference)``: the same provider event or bank
transaction is never recorded twice.

Where money goes is one table, :data:`MONEY_FLOW`, from which ``docs/money.md`` draws its diagram: a
payment is started, then applied or failed; money an order cannot take becomes unapplied; unapplied money
is reapplied or refunded. The transitions of an unapplied record are :data:`TRANSITIONS`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Final

import attrs

from subscription_core.customers import Actor
from subscription_core.errors import (
    CurrencyMismatchError,
    InvalidTransitionError,
    NotEligibleError,
    ValidationError,
    any_text,
    aware,
    non_empty_text,
    of_type,
    optional,
    required_text,
    utc,
    whole_number,
)
from subscription_core.money import Money
from subscription_core.orders import Order, OrderState
from subscription_core.payments import PAYMENT_TRANSITIONS, PaymentMethod, PaymentState, staff_only
from subscription_core.refunds import check_refundable
from subscription_core.texts import NOTE_LIMIT

__all__ = [
    "MONEY_FLOW",
    "STATEMENT_SOURCE",
    "TRANSITIONS",
    "UnappliedEvent",
    "UnappliedMoney",
    "UnappliedReason",
    "UnappliedState",
    "mermaid_money_flow",
    "reason_for",
]

STATEMENT_SOURCE: Final = "statement"
"""The ``source`` of money a bank statement shows; a provider's money has the provider's name."""


class UnappliedReason(enum.Enum):
    """Why received money was not applied to an order (Y6, Y7)."""

    CANCELLED = "cancelled"  # the order was cancelled before the money arrived
    LAPSED = "lapsed"  # the order lapsed unpaid before the money arrived
    ALREADY_PAID = "already_paid"  # the order was paid by another payment
    PURGED = "purged"  # the subscription the order renews was purged
    CANNOT_FULFIL = "cannot_fulfil"  # what the order buys can no longer be granted (the note names the rule)
    AMOUNT_DIFFERS = "amount_differs"  # more, less, or in another currency than the order's total
    UNKNOWN_ORDER = "unknown_order"  # names no order, or no order could be matched
    NO_PAYMENT_STARTED = "no_payment_started"  # a provider confirmed a payment this order never started with it
    RECEIVED_BEFORE_ORDER = "received_before_order"  # dated before the order was placed (Y7)


class UnappliedState(enum.Enum):
    """Where an unapplied record stands (Y6)."""

    OPEN = "open"  # held, for staff to apply or refund
    APPLIED = "applied"  # applied by staff to an order
    REFUNDED = "refunded"  # given back outside the library, with the refund's reference


class UnappliedEvent(enum.Enum):
    """What staff do with unapplied money (Y6)."""

    APPLY = "apply"
    REFUND = "refund"


TRANSITIONS: Final[Mapping[tuple[UnappliedState, UnappliedEvent], UnappliedState]] = {
    (UnappliedState.OPEN, UnappliedEvent.APPLY): UnappliedState.APPLIED,
    (UnappliedState.OPEN, UnappliedEvent.REFUND): UnappliedState.REFUNDED,
}
"""The unapplied-money state machine (Y6): ``(state, event)`` to the next state; nothing else is allowed."""

_RECEIVED: Final = "received"
MONEY_FLOW: Final[tuple[tuple[str, str, str], ...]] = (
    *((s.value, e.value, t.value) for (s, e), t in PAYMENT_TRANSITIONS.items()),
    *((_RECEIVED, reason.value, UnappliedState.OPEN.value) for reason in UnappliedReason),
    *((s.value, e.value, t.value) for (s, e), t in TRANSITIONS.items()),
)
"""Where money goes (Y6): ``(from, by, to)`` edges of a payment's states, the reasons money is unapplied, and
the unapplied states; ``docs/money.md`` draws its diagram from this table."""


_BY_ORDER_STATE: Final = {
    OrderState.CANCELLED: UnappliedReason.CANCELLED,
    OrderState.LAPSED: UnappliedReason.LAPSED,
    OrderState.PAID: UnappliedReason.ALREADY_PAID,
    OrderState.FULFILLED: UnappliedReason.ALREADY_PAID,
}


def reason_for(order: Order) -> UnappliedReason:
    """Why money for ``order``, which no longer awaits payment, is unapplied: cancelled, lapsed, already paid (Y6)."""
    return _BY_ORDER_STATE.get(order.state, UnappliedReason.CANNOT_FULFIL)


def _reason(value: object, field: str) -> str:
    return required_text(value, field=field, rule="Y6", message="a reason is required", most=NOTE_LIMIT, lines=True)


@attrs.frozen(kw_only=True)
class UnappliedMoney:
    """Money received that no order took (Y6): entity with ``id`` and ``version``.

    ``source`` is the provider's name or ``"statement"``; ``reference`` the provider's event id or the bank
    line's id, unique with ``source``. ``order_id`` and ``customer_id`` are those the money named, if any.
    ``received_at`` is when the money arrived (Y7), ``recorded_at`` when it was recorded. ``note`` says why
    for staff, naming ids and rules only. Once applied it names the order and payment it paid; once
    refunded, the refund's reference.

    Raises:
        ValidationError: a field of the wrong type, an amount that is not above zero, a naive instant.
    """

    id: str = attrs.field(validator=non_empty_text())
    source: str = attrs.field(validator=non_empty_text())
    reference: str = attrs.field(validator=non_empty_text())
    amount: Money = attrs.field(validator=of_type(Money))
    received_at: dt.datetime = attrs.field(validator=aware())
    recorded_at: dt.datetime = attrs.field(validator=aware())
    reason: UnappliedReason = attrs.field(validator=of_type(UnappliedReason))
    note: str = attrs.field(default="", validator=any_text(lines=True, most=NOTE_LIMIT))
    method: PaymentMethod | None = attrs.field(default=None, validator=optional(of_type(PaymentMethod)))
    order_id: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    customer_id: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    state: UnappliedState = attrs.field(default=UnappliedState.OPEN, validator=of_type(UnappliedState))
    applied_order_id: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    applied_payment_id: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    refund_reference: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    closed_at: dt.datetime | None = attrs.field(default=None, validator=optional(aware()))
    closed_by: Actor | None = attrs.field(default=None, validator=optional(of_type(Actor)))
    closing_note: str = attrs.field(default="", validator=any_text(lines=True, most=NOTE_LIMIT))
    refunding: Money = attrs.field(
        default=attrs.Factory(lambda self: Money.zero(self.amount.currency), takes_self=True), validator=of_type(Money)
    )
    refunded: Money = attrs.field(
        default=attrs.Factory(lambda self: Money.zero(self.amount.currency), takes_self=True), validator=of_type(Money)
    )
    version: int = attrs.field(default=0, validator=whole_number(0))

    def __attrs_post_init__(self) -> None:
        """Check the amount is above zero (Y6), and refunds within it (Y8)."""
        if self.amount.amount <= 0:
            raise ValidationError("received money is above zero", rule="Y6", field="amount", value=str(self.amount))
        zero = Money.zero(self.amount.currency)
        if self.refunding < zero or self.refunded < zero or self.refunding + self.refunded > self.amount:
            raise ValidationError(
                "refunds are never below zero nor above the money received",
                rule="Y8",
                field="refunded",
                value=str(self.refunded),
            )

    @property
    def remaining(self) -> Money:
        """What is still refundable: the amount less refunds requested and succeeded (Y8)."""
        return self.amount - self.refunding - self.refunded

    @property
    def touched_by_refunds(self) -> bool:
        """Whether a refund was requested of it: then it is never applied to an order, nor closed by hand (Y8)."""
        return bool(self.refunding) or bool(self.refunded)

    def reserve_refund(self, amount: Money) -> UnappliedMoney:
        """Return this money with ``amount`` requested as a refund: the remaining amount goes down by it (Y8).

        Raises:
            InvalidTransitionError: (Y6) applied or refunded already. ValidationError: (Y8) not above zero or
                above :attr:`remaining`. CurrencyMismatchError: (Y8) another currency.
        """
        self._next(UnappliedEvent.REFUND)
        check_refundable(amount, self.remaining)
        return attrs.evolve(self, refunding=self.refunding + amount, version=self.version + 1)

    def settle_refund(
        self, amount: Money, *, succeeded: bool, refund_id: str, at: dt.datetime, by: Actor
    ) -> UnappliedMoney:
        """Return this money once a refund of ``amount`` it reserved succeeded or failed (Y8).

        A failed refund gives its amount back to :attr:`remaining`. Once refunds succeeded for the whole
        amount, the record is closed as refunded, naming ``refund_id``.

        Raises:
            ValidationError: (Y8) ``amount`` is more than the refunds requested of it.
        """
        if not isinstance(amount, Money) or not amount.amount > 0 or amount > self.refunding:
            raise ValidationError("was not requested as a refund of it", rule="Y8", field="amount", value=str(amount))
        refunded = self.refunded + amount if succeeded else self.refunded
        settled = attrs.evolve(self, refunding=self.refunding - amount, refunded=refunded)
        if settled.refunded != self.amount:
            return attrs.evolve(settled, version=self.version + 1)
        note = f"refunded in full by refund {refund_id}"
        return settled._close(UnappliedEvent.REFUND, at, by, note, refund_reference=refund_id)  # noqa: SLF001 - its own class

    @property
    def is_open(self) -> bool:
        """Whether staff still have to apply or refund it."""
        return self.state is UnappliedState.OPEN

    def check_applicable(self, order: Order) -> None:
        """Return quietly if this money may pay ``order``: open, the same customer, exactly its total (Y6).

        Raises:
            InvalidTransitionError: (Y6) already applied or refunded; (O4) the order is not awaiting payment.
            NotEligibleError: (Y6) the order is another customer's.
            ValidationError, CurrencyMismatchError: (Y6) an amount other than the order's grand total.
        """
        self._next(UnappliedEvent.APPLY)
        self._untouched("applied")
        if not isinstance(order, Order):
            raise ValidationError("must be an Order", field="order", value=order)
        if not order.awaiting_payment:
            raise InvalidTransitionError(
                f"order {order.id} is {order.state.value}, not awaiting payment", rule="O4", field="order_id"
            )
        if self.customer_id is not None and order.customer_id is not None and order.customer_id != self.customer_id:
            raise NotEligibleError(
                "unapplied money is applied only to an order of the customer who paid it",
                rule="Y6",
                field="order_id",
                value=order.id,
            )
        total = order.grand_total
        if total.currency != self.amount.currency:
            raise CurrencyMismatchError(
                f"the order is in {total.currency.code}", rule="Y6", field="amount", value=str(self.amount)
            )
        if total != self.amount:
            raise ValidationError(
                f"the order's total is {total}: money is applied whole, never in part",
                rule="Y6",
                field="amount",
                value=str(self.amount),
            )

    def apply_to(self, order: Order, *, payment_id: str, at: dt.datetime, by: Actor, reason: str) -> UnappliedMoney:
        """Return this money applied by staff to ``order`` through the payment ``payment_id`` (Y6, A2).

        Raises:
            PermissionDeniedError: (A2) ``by`` is not staff. ValidationError: no reason; as
                :meth:`check_applicable`.
        """
        staff = staff_only(by, "apply unapplied money")
        note = _reason(reason, "reason")
        self.check_applicable(order)
        return self._close(
            UnappliedEvent.APPLY, at, staff, note, applied_order_id=order.id, applied_payment_id=payment_id
        )

    def refund(self, *, reference: str, at: dt.datetime, by: Actor, reason: str) -> UnappliedMoney:
        """Return this money closed as refunded outside the library, with the refund's ``reference`` (Y6, A2).

        Raises:
            PermissionDeniedError: (A2) ``by`` is not staff. ValidationError: no reference or no reason.
            InvalidTransitionError: (Y6) already applied or refunded.
        """
        staff = staff_only(by, "close unapplied money as refunded")
        self._next(UnappliedEvent.REFUND)
        self._untouched("closed as refunded outside the library")
        ref = required_text(reference, field="reference", rule="Y6", message="the refund's reference is required")
        note = _reason(reason, "reason")
        return self._close(UnappliedEvent.REFUND, at, staff, note, refund_reference=ref)

    def _untouched(self, verb: str) -> None:
        if self.touched_by_refunds:
            raise InvalidTransitionError(
                f"unapplied money {self.id} has refunds requested: it is not {verb} whole",
                rule="Y8",
                field="refunded",
                value=str(self.refunding + self.refunded),
            )

    def _next(self, event: UnappliedEvent) -> UnappliedState:
        target = TRANSITIONS.get((self.state, event))
        if target is None:
            raise InvalidTransitionError(
                f"unapplied money {self.id} is {self.state.value}: it cannot be {event.value}ed again",
                rule="Y6",
                field="state",
                value=self.state.value,
            )
        return target

    def _close(
        self,
        event: UnappliedEvent,
        at: dt.datetime,
        by: Actor,
        note: str,
        *,
        applied_order_id: str | None = None,
        applied_payment_id: str | None = None,
        refund_reference: str | None = None,
    ) -> UnappliedMoney:
        target = self._next(event)
        return attrs.evolve(
            self,
            state=target,
            closed_at=utc(at),
            closed_by=by,
            closing_note=note,
            applied_order_id=applied_order_id,
            applied_payment_id=applied_payment_id,
            refund_reference=refund_reference,
            version=self.version + 1,
        )


def mermaid_money_flow() -> str:
    """Return the Mermaid state diagram of :data:`MONEY_FLOW`: one arrow per edge, in table order."""
    lines = ["stateDiagram-v2", f"    [*] --> {PaymentState.STARTED.value} : a payment is started"]
    lines.append(f"    [*] --> {_RECEIVED} : a provider confirms or a statement shows money")
    for source, by, target in MONEY_FLOW:
        lines.append(f"    {source} --> {target} : {by}")
    lines.append(f"    {PaymentState.SUCCEEDED.value} --> [*]")
    lines.append(f"    {UnappliedState.APPLIED.value} --> {PaymentState.SUCCEEDED.value} : as a payment of the order")
    lines.append(f"    {UnappliedState.REFUNDED.value} --> [*]")
    return "\n".join(lines) + "\n"
