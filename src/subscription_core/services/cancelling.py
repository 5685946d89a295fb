"""Staff end a subscription early, with or without a refund of the unused part of its paid term (S1, Y8, A2).

Paid time is never lost silently: :func:`cancel_subscription` answers with the whole paid days left unused
(and writes them into the subscription's history with the reason), and the refund, if staff asked for one:
the unused part of the term in force, whole unused days pro rata of the price paid for it, rounded half-up
as S6 prorates, or what is left of that payment when less.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import attrs

from subscription_core.calendar import local_date
from subscription_core.customers import Actor
from subscription_core.errors import NotEligibleError, ValidationError, checked_id, of_type, optional
from subscription_core.lifecycle import cancel
from subscription_core.money import Money
from subscription_core.payments import Payment, PaymentState
from subscription_core.ports import UnitOfWork
from subscription_core.refunds import Refund, RefundKind, RefundMethod, refunded_total, unused_days, unused_part
from subscription_core.services.context import Services
from subscription_core.services.idempotency import fingerprint, run_once
from subscription_core.services.notifying import save_outcome
from subscription_core.services.permissions import require_reason, require_staff
from subscription_core.services.refund_outcomes import ask_provider, transfer_reference
from subscription_core.services.refunds import check_not_raced
from subscription_core.subscriptions import Subscription
from subscription_core.terms import Term

__all__ = ["Cancellation", "UnusedTermRefund", "cancel_subscription"]

_log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class UnusedTermRefund:
    """How staff refund the unused part of a cancelled term (Y8).

    ``payment_id`` is the succeeded payment that paid the term in force; ``method`` how the money goes back:
    through the provider that took it (PROVIDER) or by a bank transfer staff made with ``reference`` written
    in its content (BANK_TRANSFER).

    Raises:
        ValidationError: a bad field, or a bank transfer without its reference.
    """

    payment_id: str = attrs.field(validator=of_type(str))
    method: RefundMethod = attrs.field(validator=of_type(RefundMethod))
    reference: str | None = attrs.field(default=None, validator=optional(of_type(str)))

    def __attrs_post_init__(self) -> None:
        """Check a bank transfer names its reference."""
        if self.method is RefundMethod.BANK_TRANSFER and self.reference is None:
            raise ValidationError("a bank-transfer refund carries its transfer reference", rule="Y8", field="reference")


@attrs.frozen(kw_only=True)
class Cancellation:
    """A cancelled subscription, its whole paid days left unused, and the refund given back, if any (Y8)."""

    subscription: Subscription
    unused_days: int
    refund: Refund | None


def _term_to_refund(subscription: Subscription, at: dt.datetime) -> Term | None:
    """The paid term in force on the local day of ``at``, else the first paid term still to come."""
    day = local_date(at)
    for term in subscription.terms:
        if term.end > day:
            return term
    return None


def _payment_of(uow: UnitOfWork, subscription: Subscription, payment_id: str) -> Payment:
    payment = uow.payments.get(payment_id)
    order = uow.orders.get(payment.order_id)
    ours = any(subscription.id in (line.subscription_id, line.ref) for line in order.lines)
    if payment.state is not PaymentState.SUCCEEDED or not ours:
        raise NotEligibleError(
            "refunds only a succeeded payment of an order for this subscription",
            rule="Y8",
            field="payment_id",
            value=payment_id,
        )
    return payment


def _refund(
    deps: Services,
    uow: UnitOfWork,
    sub: Subscription,
    worth: Money,
    ask: UnusedTermRefund,
    *,
    at: dt.datetime,
    by: Actor,
    reason: str,
) -> Refund:
    payment = _payment_of(uow, sub, ask.payment_id)
    left = payment.amount - refunded_total(uow.refunds.of_payment(payment.id), payment.amount.currency)
    refs: dict[str, str | None] = {"reference": None if ask.reference is None else transfer_reference(ask.reference)}
    if ask.method is RefundMethod.PROVIDER:
        name, _provider = deps.provider_for(payment.method)
        deps.refund_gateway(name)
        if payment.provider_ref is None:
            raise NotEligibleError("the provider gave this payment no reference", rule="Y8", field="payment_id")
        refs = {"provider": name, "payment_reference": payment.provider_ref}
    made = Refund.request(
        id=deps.ids.new_id("rfd"),
        kind=RefundKind.UNUSED_TERM,
        amount=min(worth, left),
        refundable=left,
        method=ask.method,
        customer_id=sub.customer_id,
        order_id=payment.order_id,
        subscription_id=sub.id,
        payment_id=payment.id,
        at=at,
        by=by,
        reason=reason,
        **refs,
    )
    uow.refunds.add(made)
    return made


def cancel_subscription(
    deps: Services,
    actor: Actor,
    *,
    subscription_id: str,
    reason: str,
    idempotency_key: str,
    refund: UnusedTermRefund | None = None,
) -> Cancellation:
    """Staff cancel a subscription at once, refunding the unused part of its term if ``refund`` says how (Y8).

    The unused part is priced on the payment ``refund`` names (the price paid for the term in force), less
    what was refunded of that payment already. A provider refund is recorded, committed with the
    cancellation, and then asked of the provider; a bank transfer is recorded for its statement to confirm.

    Raises:
        PermissionDeniedError: (A2) not staff. NotFoundError: unknown subscription or payment.
        ValidationError: no reason; a bad reference. InvalidTransitionError: (S1) already cancelled or
            purged. NotEligibleError: (Y8) nothing to refund, a payment of another subscription or not
            succeeded, a provider with no refund API. ConflictError: the key was used for another request.
    """
    subscription_id = checked_id(subscription_id, field="subscription_id")
    require_staff(actor, "cancel a subscription")
    note = require_reason(actor, reason, "")
    if refund is not None and not isinstance(refund, UnusedTermRefund):
        raise ValidationError("must be an UnusedTermRefund or None", rule="Y8", field="refund", value=refund)

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Cancellation]:
        sub = uow.subscriptions.get(subscription_id)
        check_not_raced(uow, actor, name="cancel_subscription", key=idempotency_key)
        days = sum(unused_days(term, now) for term in sub.terms)
        made = None
        if refund is not None:
            term = _term_to_refund(sub, now)
            price = uow.payments.get(refund.payment_id).amount
            worth = None if term is None else unused_part(price, term, now)
            if worth is None or not worth:
                raise NotEligibleError("no whole paid day is left to refund", rule="Y8", field="refund", value=sub.id)
            made = _refund(deps, uow, sub, worth, refund, at=now, by=actor, reason=note)
        given = "no refund" if made is None else f"refund {made.id} of {made.amount}"
        told = f"{note} ({days} paid days unused; {given})"
        done = save_outcome(uow, sub, cancel(sub, now, actor=actor, reason=told))
        _log.info("subscription %s cancelled by %s, refund %s", sub.id, actor.id, made.id if made else None)
        outcome = json.dumps({"refund": made.id if made else None, "days": days}, sort_keys=True)
        return outcome, Cancellation(subscription=done, unused_days=days, refund=made)

    def replay(uow: UnitOfWork, outcome: str) -> Cancellation:
        data = json.loads(outcome)
        made = None if data["refund"] is None else uow.refunds.get(data["refund"])
        sub = uow.subscriptions.get(subscription_id)
        return Cancellation(subscription=sub, unused_days=data["days"], refund=made)

    asked = None if refund is None else attrs.asdict(refund, value_serializer=lambda _i, _a, v: getattr(v, "value", v))
    digest = fingerprint(subscription_id=subscription_id, reason=note, refund=json.dumps(asked, sort_keys=True))
    done = run_once(
        deps, actor, name="cancel_subscription", key=idempotency_key, digest=digest, work=work, replay=replay
    )
    if done.refund is None:
        return done
    return attrs.evolve(done, refund=ask_provider(deps, done.refund))
