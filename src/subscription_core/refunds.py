"""Refunds: money given back to a customer by staff, through the provider that took it or by bank transfer (Y8).

A :class:`Refund` gives back either part or all of an unapplied money record (:mod:`subscription_core.unapplied`)
or the unused part of a cancelled subscription's paid term, which :func:`unused_part` prices: whole unused
days pro rata of the term's price, rounded half-up, by the same proration as storage bought mid-term (S6,
:meth:`~subscription_core.quotes.Proration.share`). Every refund keeps who asked for it, why, and the
provider's or the bank's reference; it is requested, then succeeds or fails (:data:`REFUND_TRANSITIONS`).
A refund is never more than what is still refundable (:func:`check_refundable`): the money refunded never
exceeds the money received.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from subscription_core.calendar import local_date
from subscription_core.customers import Actor
from subscription_core.errors import (
    CurrencyMismatchError,
    InvalidTransitionError,
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
from subscription_core.money import Currency, Money, from_units, to_units
from subscription_core.payments import staff_only
from subscription_core.quotes import Proration
from subscription_core.terms import Term
from subscription_core.texts import NOTE_LIMIT

__all__ = [
    "REFUND_TRANSITIONS",
    "Refund",
    "RefundDebit",
    "RefundEvent",
    "RefundKind",
    "RefundMethod",
    "RefundState",
    "check_refundable",
    "mermaid_refund_flow",
    "refunded_total",
    "unused_days",
    "unused_part",
]


class RefundKind(enum.Enum):
    """What a refund gives back (Y8)."""

    UNAPPLIED = "unapplied"  # part or all of an unapplied money record
    UNUSED_TERM = "unused_term"  # the unused part of a cancelled subscription's paid term


class RefundMethod(enum.Enum):
    """How the money goes back (Y8)."""

    PROVIDER = "provider"  # through the refund API of the provider that took the money
    BANK_TRANSFER = "bank_transfer"  # an outgoing bank transfer made and recorded by staff


class RefundState(enum.Enum):
    """Where a refund stands (Y8)."""

    REQUESTED = "requested"  # asked of the provider, or sent by bank transfer, not yet confirmed
    SUCCEEDED = "succeeded"  # the provider confirmed it, or a bank statement shows the transfer
    FAILED = "failed"  # the provider refused it, or the transfer came back; the money is refundable again


class RefundEvent(enum.Enum):
    """What happens to a requested refund (Y8)."""

    SUCCEED = "succeed"
    FAIL = "fail"


REFUND_TRANSITIONS: Final[Mapping[tuple[RefundState, RefundEvent], RefundState]] = {
    (RefundState.REQUESTED, RefundEvent.SUCCEED): RefundState.SUCCEEDED,
    (RefundState.REQUESTED, RefundEvent.FAIL): RefundState.FAILED,
}
"""The refund state machine (Y8): ``(state, event)`` to the next state; nothing else is allowed."""


def _reason(value: object, field: str) -> str:
    return required_text(value, field=field, rule="Y8", message="a reason is required", most=NOTE_LIMIT, lines=True)


@attrs.frozen(kw_only=True)
class Refund:
    """Money given back to a customer (Y8): entity with ``id`` and ``version``.

    ``kind`` says what it gives back: ``unapplied_id`` names the unapplied money record (UNAPPLIED), or
    ``subscription_id`` and ``payment_id`` the cancelled subscription and the payment of its term
    (UNUSED_TERM). ``method`` says how: through ``provider`` (its name), refunding the provider's payment
    ``payment_reference``; or by a bank transfer whose ``reference`` staff give. ``reference`` is, once known,
    the provider's refund reference or the transfer's. ``statement_line`` is the bank statement line that
    showed a transfer. ``failure`` says why a failed refund failed.

    Raises:
        ValidationError: a field of the wrong type, an amount not above zero, a naive instant, the target
            or the method's references missing, a settled refund without its instant, a failure without
            its reason.
    """

    id: str = attrs.field(validator=non_empty_text())
    kind: RefundKind = attrs.field(validator=of_type(RefundKind))
    amount: Money = attrs.field(validator=of_type(Money))
    method: RefundMethod = attrs.field(validator=of_type(RefundMethod))
    requested_by: Actor = attrs.field(validator=of_type(Actor))
    reason: str = attrs.field(validator=non_empty_text("Y8", most=NOTE_LIMIT, lines=True))
    requested_at: dt.datetime = attrs.field(validator=aware())
    customer_id: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    order_id: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    unapplied_id: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    subscription_id: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    payment_id: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    provider: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    payment_reference: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    reference: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    state: RefundState = attrs.field(default=RefundState.REQUESTED, validator=of_type(RefundState))
    failure: str | None = attrs.field(default=None, validator=optional(non_empty_text(lines=True, most=NOTE_LIMIT)))
    settled_at: dt.datetime | None = attrs.field(default=None, validator=optional(aware()))
    statement_line: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    version: int = attrs.field(default=0, validator=whole_number(0))

    def __attrs_post_init__(self) -> None:
        """Check the amount, the target, the method's references and the settlement agree (Y8)."""
        if self.amount.amount <= 0:
            raise ValidationError("a refund is above zero", rule="Y8", field="amount", value=str(self.amount))
        if self.kind is RefundKind.UNAPPLIED and self.unapplied_id is None:
            raise ValidationError("names the unapplied money it refunds", rule="Y8", field="unapplied_id")
        if self.kind is RefundKind.UNUSED_TERM and (self.subscription_id is None or self.payment_id is None):
            raise ValidationError("names the subscription and the payment it refunds", rule="Y8", field="payment_id")
        if self.method is RefundMethod.PROVIDER and (self.provider is None or self.payment_reference is None):
            raise ValidationError(
                "a provider refund names the provider and its payment reference", rule="Y8", field="provider"
            )
        if self.method is RefundMethod.BANK_TRANSFER and self.reference is None:
            raise ValidationError("a bank-transfer refund carries its transfer reference", rule="Y8", field="reference")
        settled = self.state is not RefundState.REQUESTED
        if settled != (self.settled_at is not None):
            raise ValidationError("only a settled refund has settled_at", rule="Y8", field="settled_at")
        if (self.state is RefundState.FAILED) != (self.failure is not None):
            raise ValidationError("a failed refund, and only one, says why", rule="Y8", field="failure")

    @classmethod
    def request(
        cls,
        *,
        id: str,  # noqa: A002 - the entity's id
        kind: RefundKind,
        amount: Money,
        refundable: Money,
        method: RefundMethod,
        at: dt.datetime,
        by: Actor,
        reason: str,
        **targets: str | None,
    ) -> Refund:
        """Return a refund of ``amount`` requested by staff ``by`` at ``at``, of at most ``refundable`` (Y8, A2).

        ``targets`` are the optional text fields: ``customer_id``, ``order_id``, ``unapplied_id``,
        ``subscription_id``, ``payment_id``, ``provider``, ``payment_reference``, ``reference``.

        Raises:
            PermissionDeniedError: (A2) ``by`` is not staff. ValidationError: (Y8) no reason; an amount not
                above zero or above ``refundable``; a bad field. CurrencyMismatchError: (Y8) another currency.
        """
        staff = staff_only(by, "refund money")
        note = _reason(reason, "reason")
        check_refundable(amount, refundable)
        allowed = {"customer_id", "order_id", "unapplied_id", "subscription_id", "payment_id", "provider"}
        allowed |= {"payment_reference", "reference"}
        unknown = sorted(set(targets) - allowed)
        if unknown:
            raise ValidationError("is not a field of a refund", rule="Y8", field=unknown[0])
        return cls(
            id=id,
            kind=kind,
            amount=amount,
            method=method,
            requested_by=staff,
            reason=note,
            requested_at=utc(at),
            customer_id=targets.get("customer_id"),
            order_id=targets.get("order_id"),
            unapplied_id=targets.get("unapplied_id"),
            subscription_id=targets.get("subscription_id"),
            payment_id=targets.get("payment_id"),
            provider=targets.get("provider"),
            payment_reference=targets.get("payment_reference"),
            reference=targets.get("reference"),
        )

    @property
    def outstanding(self) -> bool:
        """Whether the refund still counts against what is refundable: requested or succeeded (Y8)."""
        return self.state is not RefundState.FAILED

    def succeed(self, *, at: dt.datetime, reference: str | None = None, statement_line: str | None = None) -> Refund:
        """Return this refund succeeded at ``at``, with the provider's refund ``reference`` or a ``statement_line``.

        Raises:
            InvalidTransitionError: (Y8) already settled. ValidationError: a bad reference or instant.
        """
        target = self._next(RefundEvent.SUCCEED)
        return attrs.evolve(
            self,
            state=target,
            settled_at=utc(at),
            reference=reference if reference is not None else self.reference,
            statement_line=statement_line,
            version=self.version + 1,
        )

    def fail(self, *, at: dt.datetime, failure: str, reference: str | None = None) -> Refund:
        """Return this refund failed at ``at`` for ``failure``; its amount is refundable again (Y8).

        Raises:
            InvalidTransitionError: (Y8) already settled. ValidationError: no failure reason.
        """
        target = self._next(RefundEvent.FAIL)
        why = _reason(failure, "failure")
        return attrs.evolve(
            self,
            state=target,
            settled_at=utc(at),
            failure=why,
            reference=reference if reference is not None else self.reference,
            version=self.version + 1,
        )

    def _next(self, event: RefundEvent) -> RefundState:
        target = REFUND_TRANSITIONS.get((self.state, event))
        if target is None:
            raise InvalidTransitionError(
                f"refund {self.id} is {self.state.value}: it is settled once",
                rule="Y8",
                field="state",
                value=self.state.value,
            )
        return target


@attrs.frozen(kw_only=True)
class RefundDebit:
    """One debit on the vendor's bank account, as a statement shows it: money sent, perhaps a refund (Y8).

    ``line_id`` identifies the bank transaction; ``amount`` is what left the account, above zero;
    ``description`` the transfer's content, never shown in a ``repr``.

    Raises:
        ValidationError: an empty id, a naive instant, an amount that is not Money above zero.
    """

    line_id: str = attrs.field(validator=non_empty_text())
    booked_at: dt.datetime = attrs.field(validator=aware())
    amount: Money = attrs.field(validator=of_type(Money))
    description: str = attrs.field(default="", validator=any_text("Y8", lines=True), repr=False)

    def __attrs_post_init__(self) -> None:
        """Check the amount is above zero."""
        if self.amount.amount <= 0:
            raise ValidationError("a debit is above zero", rule="Y8", field="amount", value=str(self.amount))


def check_refundable(amount: object, refundable: Money) -> Money:
    """Return ``amount`` if it is money above zero and at most ``refundable``, in its currency (Y8).

    Raises:
        ValidationError: (Y8) not money, not above zero, or above what is refundable.
        CurrencyMismatchError: (Y8) another currency.
    """
    if not isinstance(amount, Money):
        raise ValidationError("must be Money", rule="Y8", field="amount", value=amount)
    if amount.currency != refundable.currency:
        raise CurrencyMismatchError(
            f"the money refunded is in {refundable.currency.code}", rule="Y8", field="amount", value=str(amount)
        )
    if amount.amount <= 0:
        raise ValidationError("a refund is above zero", rule="Y8", field="amount", value=str(amount))
    if amount > refundable:
        raise ValidationError(
            f"only {refundable} is refundable: money refunded never exceeds money received",
            rule="Y8",
            field="amount",
            value=str(amount),
        )
    return amount


def refunded_total(refunds: Iterable[Refund], currency: Currency) -> Money:
    """The sum of the outstanding (requested or succeeded) refunds, in ``currency`` (zero if there are none).

    Raises:
        CurrencyMismatchError: a refund in another currency.
    """
    total = Money.zero(currency)
    for refund in refunds:
        if refund.outstanding:
            total += refund.amount
    return total


def unused_days(term: Term, cancelled_at: dt.datetime) -> int:
    """The whole days of ``term`` left unused after a cancellation at ``cancelled_at`` (Y8).

    The local day of the cancellation was begun, so it is used; every later day of the term is unused. A term
    that starts after that day is unused whole; one that ended before it, not at all.
    """
    first_unused = local_date(cancelled_at) + dt.timedelta(days=1)
    start = max(first_unused, term.start)
    return max(0, (term.end - start).days)


def unused_part(price: Money, term: Term, cancelled_at: dt.datetime) -> Money:
    """The unused part of ``term``'s ``price`` after a cancellation at ``cancelled_at`` (Y8).

    Whole unused days (:func:`unused_days`) pro rata of the price, rounded half-up to the minor unit, by
    the same proration as storage bought mid-term (S6): over a whole term it is the whole price.

    Raises:
        ValidationError: a price that is not money or below zero.
    """
    if not isinstance(price, Money) or price.amount < 0:
        raise ValidationError("must be Money, not below zero", rule="Y8", field="price", value=price)
    days = (term.end - term.start).days
    share = Proration(days_left=unused_days(term, cancelled_at), term_days=days)
    units = share.share(to_units(price.amount, price.currency))
    return Money(from_units(units, price.currency), price.currency)


def mermaid_refund_flow() -> str:
    """Return the Mermaid state diagram of :data:`REFUND_TRANSITIONS`: one arrow per edge, in table order."""
    lines = ["stateDiagram-v2", f"    [*] --> {RefundState.REQUESTED.value} : staff refund (Y8)"]
    for (source, event), target in REFUND_TRANSITIONS.items():
        lines.append(f"    {source.value} --> {target.value} : {event.value}")
    lines.extend(f"    {state.value} --> [*]" for state in (RefundState.SUCCEEDED, RefundState.FAILED))
    return "\n".join(lines) + "\n"
