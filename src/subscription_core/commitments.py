"""Renewals on a commitment to pay later (rules K1-K5, with Y4's proof of payment).

A paid subscription, before or after its expiry (not yet purged), may be renewed on a commitment: the
buyer enters a due date and commits to pay on time; the renewal defaults to one year of the current plan,
and the subscription stays usable, ``ACTIVE_ON_COMMITMENT``, until the due date (K1). Its new term is
fixed at registration by S2 and becomes official when staff verify the payment (K5).

Before the due date the customer is warned (K2, ``LifecyclePolicy.due_warning_days``), and may submit a
proof of payment for staff to verify, or ask once for a second commitment (K3). Every due date lies after
the registration date (a second one after the first) and at most 180 days after it (K3). Unpaid at the
last due date the subscription is cut off (K4): that is a time-driven transition
(:mod:`subscription_core.deadlines`). A proof awaiting verification holds the cut-off until staff
verify or reject it [decision]: a customer who paid on time is not cut off because staff are slow.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import attrs

from subscription_core.activation import granted_fields, renewal_term
from subscription_core.calendar import local_date
from subscription_core.entitlements import Commitment, CommitmentProof, Entitlement
from subscription_core.errors import NotEligibleError, ValidationError
from subscription_core.lifecycle import Outcome, act
from subscription_core.subscriptions import Actor, Details, Event, Subscription
from subscription_core.terms import TermUnit

__all__ = [
    "commit_to_pay",
    "default_renewal",
    "extend_commitment",
    "reject_proof",
    "submit_proof",
    "verify_payment",
]

_Change = tuple[Mapping[str, Any], Details]


def default_renewal(subscription: Subscription) -> Entitlement:
    """Return the renewal a commitment registers unless told otherwise: one year of the current plan (K1).

    The current plan is the last paid term's: a plan switch already bought for a later term is kept (S10).
    """
    last = subscription.last_grant
    return Entitlement(
        product_code=subscription.product_code,
        plan_code=last.plan_code,
        quotas=last.quotas,
        unit=TermUnit.YEAR,
        length=1,
    )


def _check_pledge(pledged: bool) -> None:  # noqa: FBT001 - the tick box of K1 is a yes/no
    if pledged is not True:
        raise ValidationError("the buyer must commit to pay on time", rule="K1", field="pledged", value=pledged)


def _check_date(due_on: date) -> None:
    if isinstance(due_on, datetime) or not isinstance(due_on, date):
        raise ValidationError("must be a date", rule="K3", field="due_on", value=due_on)


def commit_to_pay(
    subscription: Subscription,
    at: datetime,
    *,
    due_on: date,
    pledged: bool,
    actor: Actor,
    entitlement: Entitlement | None = None,
    reason: str = "",
) -> Outcome:
    """Register a renewal on a commitment to pay by ``due_on`` (K1, K3); usable until then.

    ``entitlement`` defaults to :func:`default_renewal`. The new term is computed now by S2 (after the
    current term if it is still running, else from today) and becomes official on :func:`verify_payment`.

    Raises:
        ValidationError: (K1) ``pledged`` is not ``True``; (D2) ``at`` is naive.
        NotEligibleError: (K1) the subscription was never paid for; (K3) ``due_on`` is not after the
            registration date or is more than 180 days after it; (Y3) a payment awaits activation.
        InvalidTransitionError: (S1) not active nor expired (a trial, on commitment, purged, ...).
    """
    _check_pledge(pledged)
    _check_date(due_on)

    def change(sub: Subscription, at: datetime) -> _Change:
        return _registration(sub, at, entitlement, due_on)

    reason = reason or "renewal registered on a commitment to pay"
    return act(subscription, Event.COMMIT_TO_PAY, at, actor=actor, reason=reason, change=change)


def _registration(sub: Subscription, at: datetime, entitlement: Entitlement | None, due_on: date) -> _Change:
    # The renewal's term is fixed now by S2; only a subscription paid for before may pay its renewal later (K1).
    if not sub.terms:
        raise NotEligibleError("only a paid subscription can be renewed on commitment", rule="K1", field="state")
    renewal = entitlement or default_renewal(sub)
    anchor, term = renewal_term(sub, renewal, at, judged_at=at)
    commitment = Commitment(registered_at=at, entitlement=renewal, term=term, anchor=anchor, due_dates=(due_on,))
    details = (
        ("due_on", due_on.isoformat()),
        ("term_start", term.start.isoformat()),
        ("term_end", term.end.isoformat()),
    )
    return {"commitment": commitment, "lapsed_on": None}, details


def extend_commitment(
    subscription: Subscription, at: datetime, *, due_on: date, pledged: bool, actor: Actor, reason: str = ""
) -> Outcome:
    """Grant the second and last commitment: pay by ``due_on`` instead (K2, K3).

    Raises:
        ValidationError: (K1) ``pledged`` is not ``True``.
        NotEligibleError: (K3) a second commitment was already granted (there is no third), or ``due_on`` is
            not after the first due date or is more than 180 days after registration; (Y4) a proof of
            payment awaits verification.
        InvalidTransitionError: (S1) not on commitment (cut off already, or paid).
    """
    _check_pledge(pledged)
    _check_date(due_on)

    def change(sub: Subscription, _at: datetime) -> _Change:
        commitment = _commitment(sub)
        extended = attrs.evolve(commitment, due_dates=(*commitment.due_dates, due_on))
        return {"commitment": extended}, (("due_on", due_on.isoformat()),)

    reason = reason or "second commitment to pay"
    return act(subscription, Event.EXTEND_COMMITMENT, at, actor=actor, reason=reason, change=change)


def submit_proof(
    subscription: Subscription, at: datetime, *, transfer_content: str, attachment: str, actor: Actor, reason: str = ""
) -> Outcome:
    """Record the customer's proof of payment (transfer content, attached image) for staff to verify (K2, Y4).

    Raises:
        ValidationError: the content or the attachment reference is empty; (D2) ``at`` is naive.
        NotEligibleError: (Y4) a proof already awaits verification.
        InvalidTransitionError: (S1) not on commitment.
    """

    def change(sub: Subscription, at: datetime) -> _Change:
        proof = CommitmentProof(submitted_at=at, transfer_content=transfer_content, attachment=attachment)
        return {"commitment": attrs.evolve(_commitment(sub), proof=proof)}, ()

    reason = reason or "proof of payment submitted"
    return act(subscription, Event.SUBMIT_PROOF, at, actor=actor, reason=reason, change=change)


def reject_proof(subscription: Subscription, at: datetime, *, actor: Actor, reason: str) -> Outcome:
    """Reject the proof of payment awaiting verification (Y4); past the last due date, the cut-off follows (K4).

    Raises:
        NotEligibleError: (Y4) no proof awaits verification.
        InvalidTransitionError: (S1) not on commitment.
    """

    def change(sub: Subscription, _at: datetime) -> _Change:
        return {"commitment": attrs.evolve(_commitment(sub), proof=None)}, ()

    return act(subscription, Event.REJECT_PROOF, at, actor=actor, reason=reason, change=change)


def verify_payment(subscription: Subscription, at: datetime, *, actor: Actor, reason: str = "") -> Outcome:
    """Make the renewal official once staff verified the payment, and tell the customer the new term (K5).

    The notice (``RENEWAL_OFFICIAL``) carries the term's first day and its end.

    Raises:
        InvalidTransitionError: (S1) not on commitment (cut off already, or never registered).
    """

    def change(sub: Subscription, at: datetime) -> _Change:
        commitment = _commitment(sub)
        term = commitment.term
        # Verified before the current term ends, the renewal's plan waits for its term (S10).
        fields = granted_fields(sub, commitment.entitlement, commitment.anchor, term, today=local_date(at))
        plan = commitment.entitlement.plan_code
        return fields, (("plan", plan), ("term_start", term.start.isoformat()), ("term_end", term.end.isoformat()))

    reason = reason or "payment verified"
    return act(subscription, Event.VERIFY_PAYMENT, at, actor=actor, reason=reason, change=change)


def _commitment(sub: Subscription) -> Commitment:
    if sub.commitment is None:  # pragma: no cover - the table admits these events only on commitment
        raise NotEligibleError("no renewal is registered on commitment", rule="K1", field="commitment")
    return sub.commitment
