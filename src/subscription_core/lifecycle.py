"""The lifecycle: the one transition table, the verbs that open a subscription, and advancing it in time.

Every change of state goes through :func:`fire`: it looks ``(state, event)`` up in :data:`TRANSITIONS` (an
event the table does not allow raises :class:`InvalidTransitionError` naming both), checks the row's
guards (a refusal raises :class:`NotEligibleError` with its rule and reason), appends a history entry
(S9) and returns the new subscription with the :class:`Notice` the row sends (N1); delivering notices
is the host's job.

Every verb (:func:`act`) first applies what time has made due (:func:`advance`, with the transitions of
:mod:`subscription_core.deadlines`), so a verb called while the scheduler lags sees the subscription as it
is at ``at``. A subscription is opened here, as a trial (C4), paid online (Y2) or paid offline (Y3), and
cancelled here (S1); renewing is in :mod:`subscription_core.renewals` and the scheduler's run over many
subscriptions in :mod:`subscription_core.scheduling`. Time is always passed in; naive instants are refused
(D2) and instants are recorded in UTC.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import attrs

from subscription_core.activation import check_product, granted_fields, pending_payment
from subscription_core.calendar import BusinessCalendar, local_date
from subscription_core.catalog import Plan
from subscription_core.deadlines import next_due
from subscription_core.entitlements import Anchor, Entitlement
from subscription_core.errors import InvalidTransitionError, NotEligibleError, ValidationError, utc
from subscription_core.subscriptions import (
    Actor,
    Details,
    Event,
    HistoryEntry,
    Opening,
    State,
    Subscription,
)
from subscription_core.terms import Term

__all__ = [
    "TRANSITIONS",
    "Guard",
    "Notice",
    "NoticeKind",
    "Outcome",
    "Transition",
    "act",
    "advance",
    "allowed",
    "cancel",
    "fire",
    "mermaid_diagram",
    "start_trial",
    "subscribe",
    "subscribe_offline",
]


class NoticeKind(enum.Enum):
    """What a notice tells the customer (N1); each row of the transition table sends one kind."""

    TRIAL_STARTED = "trial_started"
    PAYMENT_RECEIVED = "payment_received"
    ACTIVATED = "activated"
    EXTENDED = "extended"
    STORAGE_ADDED = "storage_added"
    TERM_STARTED = "term_started"
    EXPIRING_SOON = "expiring_soon"
    EXPIRED = "expired"
    RETENTION_BOUGHT = "retention_bought"
    RETENTION_ENDING = "retention_ending"
    RETENTION_ENDED = "retention_ended"
    PURGED = "purged"
    COMMITMENT_REGISTERED = "commitment_registered"
    COMMITMENT_DUE = "commitment_due"
    COMMITMENT_EXTENDED = "commitment_extended"
    PROOF_SUBMITTED = "proof_submitted"
    PROOF_REJECTED = "proof_rejected"
    RENEWAL_OFFICIAL = "renewal_official"
    CUT_OFF = "cut_off"
    CANCELLED = "cancelled"


@attrs.frozen(kw_only=True)
class Notice:
    """A notice to send (N1): its kind, the subscription, the instant it is about, and what it says."""

    kind: NoticeKind
    subscription_id: str
    at: datetime
    details: Details = ()


@attrs.frozen(kw_only=True)
class Outcome:
    """A changed subscription and the notices its changes send, in order."""

    subscription: Subscription
    notices: tuple[Notice, ...] = ()

    def then(self, subscription: Subscription, notice: Notice) -> Outcome:
        """Return this outcome followed by one more change."""
        return Outcome(subscription=subscription, notices=(*self.notices, notice))


@attrs.frozen(kw_only=True)
class Guard:
    """A condition of a transition: a label for the diagram, its rule, and ``check(subscription, at)``.

    ``check`` returns the reason the transition is refused, or ``None`` to allow it.
    """

    label: str
    rule: str
    check: Callable[[Subscription, datetime], str | None]


@attrs.frozen(kw_only=True)
class Transition:
    """One row of the table: in ``source`` (``None``: not yet created), ``event`` leads to ``target``.

    ``restarts_term`` marks the only rows that may move the expiry backwards: a trial converted to paid
    starts its paid term on the activation date, dropping what was left of the trial (C4) [decision].
    """

    source: State | None
    event: Event
    target: State
    notice: NoticeKind
    guards: tuple[Guard, ...] = ()
    restarts_term: bool = False


def _proof_pending(sub: Subscription) -> bool:
    return sub.commitment is not None and sub.commitment.proof is not None


def _guard(label: str, rule: str, ok: Callable[[Subscription, datetime], bool], refusal: str) -> Guard:
    return Guard(label=label, rule=rule, check=lambda s, at: None if ok(s, at) else refusal)


PAYMENT_PENDING: Final = _guard("payment pending", "Y3", lambda s, _: s.pending is not None, "no payment is pending")
NO_PAYMENT_PENDING: Final = _guard(
    "no payment pending", "Y3", lambda s, _: s.pending is None, "a payment already awaits activation"
)
TIME_REMAINS: Final = _guard(
    "time remains", "S6", lambda s, at: s.expires_at is not None and at < s.expires_at, "no time remains; renew instead"
)
BEFORE_PURGE: Final = _guard(
    "before purge", "S5", lambda s, at: s.purge_at is not None and at < s.purge_at, "the data is due for purge"
)
FIRST_COMMITMENT: Final = _guard(
    "first commitment only",
    "K3",
    lambda s, _: s.commitment is not None and len(s.commitment.due_dates) == 1,
    "a second commitment was already granted; there is no third",
)
NO_PROOF: Final = _guard(
    "no proof pending", "Y4", lambda s, _: not _proof_pending(s), "a proof of payment awaits verification"
)
PROOF_PENDING: Final = _guard("proof pending", "Y4", lambda s, _: _proof_pending(s), "no proof awaits verification")

_S, _E, _N = State, Event, NoticeKind
_ROWS: Final[tuple[tuple[State | None, Event, State, NoticeKind, tuple[Guard, ...]], ...]] = (
    (None, _E.START_TRIAL, _S.TRIAL, _N.TRIAL_STARTED, ()),
    (None, _E.SUBSCRIBE, _S.ACTIVE, _N.ACTIVATED, ()),
    (None, _E.RECEIVE_PAYMENT, _S.AWAITING_ACTIVATION, _N.PAYMENT_RECEIVED, ()),
    (_S.TRIAL, _E.RECEIVE_PAYMENT, _S.TRIAL, _N.PAYMENT_RECEIVED, (NO_PAYMENT_PENDING,)),
    (_S.ACTIVE, _E.RECEIVE_PAYMENT, _S.ACTIVE, _N.PAYMENT_RECEIVED, (NO_PAYMENT_PENDING,)),
    (_S.EXPIRED, _E.RECEIVE_PAYMENT, _S.EXPIRED, _N.PAYMENT_RECEIVED, (NO_PAYMENT_PENDING,)),
    (_S.READ_ONLY, _E.RECEIVE_PAYMENT, _S.READ_ONLY, _N.PAYMENT_RECEIVED, (NO_PAYMENT_PENDING,)),
    (_S.CUT_OFF, _E.RECEIVE_PAYMENT, _S.CUT_OFF, _N.PAYMENT_RECEIVED, (NO_PAYMENT_PENDING,)),
    (_S.AWAITING_ACTIVATION, _E.ACTIVATE, _S.ACTIVE, _N.ACTIVATED, (PAYMENT_PENDING,)),
    (_S.TRIAL, _E.ACTIVATE, _S.ACTIVE, _N.ACTIVATED, (PAYMENT_PENDING,)),
    (_S.ACTIVE, _E.ACTIVATE, _S.ACTIVE, _N.EXTENDED, (PAYMENT_PENDING,)),
    (_S.EXPIRED, _E.ACTIVATE, _S.ACTIVE, _N.ACTIVATED, (PAYMENT_PENDING,)),
    (_S.READ_ONLY, _E.ACTIVATE, _S.ACTIVE, _N.ACTIVATED, (PAYMENT_PENDING,)),
    (_S.CUT_OFF, _E.ACTIVATE, _S.ACTIVE, _N.ACTIVATED, (PAYMENT_PENDING,)),
    (_S.TRIAL, _E.RENEW, _S.ACTIVE, _N.ACTIVATED, ()),
    (_S.ACTIVE, _E.RENEW, _S.ACTIVE, _N.EXTENDED, ()),
    (_S.EXPIRED, _E.RENEW, _S.ACTIVE, _N.ACTIVATED, ()),
    (_S.READ_ONLY, _E.RENEW, _S.ACTIVE, _N.ACTIVATED, ()),
    (_S.CUT_OFF, _E.RENEW, _S.ACTIVE, _N.ACTIVATED, ()),
    (_S.ACTIVE, _E.TOP_UP_STORAGE, _S.ACTIVE, _N.STORAGE_ADDED, (TIME_REMAINS,)),
    (_S.ACTIVE, _E.START_TERM, _S.ACTIVE, _N.TERM_STARTED, ()),
    (_S.ACTIVE_ON_COMMITMENT, _E.START_TERM, _S.ACTIVE_ON_COMMITMENT, _N.TERM_STARTED, ()),
    (_S.TRIAL, _E.WARN, _S.TRIAL, _N.EXPIRING_SOON, ()),
    (_S.ACTIVE, _E.WARN, _S.ACTIVE, _N.EXPIRING_SOON, ()),
    (_S.ACTIVE_ON_COMMITMENT, _E.WARN, _S.ACTIVE_ON_COMMITMENT, _N.COMMITMENT_DUE, ()),
    (_S.READ_ONLY, _E.WARN, _S.READ_ONLY, _N.RETENTION_ENDING, ()),
    (_S.TRIAL, _E.EXPIRE, _S.EXPIRED, _N.EXPIRED, ()),
    (_S.ACTIVE, _E.EXPIRE, _S.EXPIRED, _N.EXPIRED, ()),
    (_S.EXPIRED, _E.BUY_RETENTION, _S.READ_ONLY, _N.RETENTION_BOUGHT, (BEFORE_PURGE,)),
    (_S.READ_ONLY, _E.BUY_RETENTION, _S.READ_ONLY, _N.RETENTION_BOUGHT, ()),
    (_S.READ_ONLY, _E.END_RETENTION, _S.EXPIRED, _N.RETENTION_ENDED, ()),
    (_S.EXPIRED, _E.PURGE, _S.PURGED, _N.PURGED, ()),
    (_S.CUT_OFF, _E.PURGE, _S.PURGED, _N.PURGED, ()),
    (_S.CANCELLED, _E.PURGE, _S.PURGED, _N.PURGED, ()),
    (_S.ACTIVE, _E.COMMIT_TO_PAY, _S.ACTIVE_ON_COMMITMENT, _N.COMMITMENT_REGISTERED, (NO_PAYMENT_PENDING,)),
    (_S.EXPIRED, _E.COMMIT_TO_PAY, _S.ACTIVE_ON_COMMITMENT, _N.COMMITMENT_REGISTERED, (NO_PAYMENT_PENDING,)),
    (
        _S.ACTIVE_ON_COMMITMENT,
        _E.EXTEND_COMMITMENT,
        _S.ACTIVE_ON_COMMITMENT,
        _N.COMMITMENT_EXTENDED,
        (FIRST_COMMITMENT, NO_PROOF),
    ),
    (_S.ACTIVE_ON_COMMITMENT, _E.SUBMIT_PROOF, _S.ACTIVE_ON_COMMITMENT, _N.PROOF_SUBMITTED, (NO_PROOF,)),
    (_S.ACTIVE_ON_COMMITMENT, _E.REJECT_PROOF, _S.ACTIVE_ON_COMMITMENT, _N.PROOF_REJECTED, (PROOF_PENDING,)),
    (_S.ACTIVE_ON_COMMITMENT, _E.VERIFY_PAYMENT, _S.ACTIVE, _N.RENEWAL_OFFICIAL, ()),
    (_S.ACTIVE_ON_COMMITMENT, _E.CUT_OFF, _S.CUT_OFF, _N.CUT_OFF, (NO_PROOF,)),
    (_S.TRIAL, _E.CANCEL, _S.CANCELLED, _N.CANCELLED, ()),
    (_S.AWAITING_ACTIVATION, _E.CANCEL, _S.CANCELLED, _N.CANCELLED, ()),
    (_S.ACTIVE, _E.CANCEL, _S.CANCELLED, _N.CANCELLED, ()),
    (_S.ACTIVE_ON_COMMITMENT, _E.CANCEL, _S.CANCELLED, _N.CANCELLED, ()),
    (_S.EXPIRED, _E.CANCEL, _S.CANCELLED, _N.CANCELLED, ()),
    (_S.READ_ONLY, _E.CANCEL, _S.CANCELLED, _N.CANCELLED, ()),
    (_S.CUT_OFF, _E.CANCEL, _S.CANCELLED, _N.CANCELLED, ()),
)

TRANSITIONS: Final[Mapping[tuple[State | None, Event], Transition]] = {
    (source, event): Transition(
        source=source,
        event=event,
        target=target,
        notice=notice,
        guards=guards,
        restarts_term=source is State.TRIAL and target is State.ACTIVE,
    )
    for source, event, target, notice, guards in _ROWS
}
"""The one transition table: ``(state, event)`` to its row; ``None`` as the state creates a subscription (S1)."""


def mermaid_diagram() -> str:
    """Return the Mermaid state diagram of :data:`TRANSITIONS`: one arrow per row, in table order."""
    lines = ["stateDiagram-v2"]
    for row in TRANSITIONS.values():
        source = "[*]" if row.source is None else row.source.value
        guards = f" [{', '.join(g.label for g in row.guards)}]" if row.guards else ""
        lines.append(f"    {source} --> {row.target.value} : {row.event.value}{guards}")
    lines.append("    purged --> [*]")
    return "\n".join(lines) + "\n"


def allowed(subscription: Subscription, event: Event, at: datetime) -> Transition:
    """Return the table's row for ``event`` in the subscription's state, if its guards allow it at ``at``.

    Raises:
        InvalidTransitionError: (S1) the table has no row for the state and the event.
        NotEligibleError: a guard of the row refuses, with its rule and reason.
    """
    state = subscription.state
    row = TRANSITIONS.get((state, event))
    if row is None:
        message = f"event {event.value!r} is not allowed in state {state.value!r}"
        raise InvalidTransitionError(message, rule="S1", field="state", value=state.value)
    for guard in row.guards:
        if (refusal := guard.check(subscription, at)) is not None:
            raise NotEligibleError(f"{event.value}: {refusal}", rule=guard.rule, field="state", value=state.value)
    return row


def fire(
    subscription: Subscription,
    event: Event,
    at: datetime,
    *,
    actor: Actor,
    reason: str,
    changes: Mapping[str, Any] | None = None,
    details: Details = (),
) -> tuple[Subscription, Notice]:
    """Apply ``event`` at ``at`` through the table; return the new subscription and the notice it sends.

    ``changes`` are the fields set besides the state. A history entry is appended and the version raised
    (S9). A low-level step: call :func:`advance` first (as :func:`act` does), for warnings due before ``at``
    count as dealt with once a change is recorded at ``at`` (S3).

    Raises:
        InvalidTransitionError, NotEligibleError: as :func:`allowed`.
    """
    row = allowed(subscription, event, at)
    entry = HistoryEntry(
        at=at, event=event, source=row.source, target=row.target, actor=actor, reason=reason, details=details
    )
    history = (*subscription.history, entry)
    new = attrs.evolve(
        subscription, state=row.target, version=subscription.version + 1, history=history, **changes or {}
    )
    return new, Notice(kind=row.notice, subscription_id=new.id, at=at, details=details)


def act(
    subscription: Subscription,
    event: Event,
    at: datetime,
    *,
    actor: Actor,
    reason: str,
    change: Callable[[Subscription, datetime], tuple[Mapping[str, Any], Details]] | None = None,
) -> Outcome:
    """Advance the subscription to ``at`` (:func:`advance`), then :func:`fire` ``event`` with ``change``'s fields.

    ``change(subscription, at)`` sees the advanced subscription and returns ``(fields, details)``; it runs
    after the table and guards allowed the event, so it may rely on the state.

    Raises:
        ValidationError: (D2) ``at`` is naive; (S9) ``at`` is before the subscription's last change, whose
            history would then be out of order.
        InvalidTransitionError, NotEligibleError: as :func:`allowed`.
    """
    at = utc(at)
    if subscription.history and at < subscription.history[-1].at:
        last = subscription.history[-1].at.isoformat()
        raise ValidationError(f"is before the subscription's last change, at {last}", rule="S9", field="at", value=at)
    caught = advance(subscription, at)
    sub = caught.subscription
    allowed(sub, event, at)
    fields, details = change(sub, at) if change is not None else ({}, ())
    return caught.then(*fire(sub, event, at, actor=actor, reason=reason, changes=fields, details=details))


def advance(subscription: Subscription, at: datetime) -> Outcome:
    """Apply in time order every time-driven transition due by ``at`` to one subscription (S3-S5, Y3, K2, K4).

    Each is recorded, by the scheduler, at the instant it fell due (:func:`~subscription_core.deadlines.next_due`).
    Of several warnings due together only the most recent is sent, and none once its deadline has passed
    too. Advancing again to the same instant changes nothing.

    Raises:
        ValidationError: (D2) ``at`` is naive.
    """
    at = utc(at)
    sub, notices = subscription, []
    while (due := next_due(sub, at)) is not None:
        scheduler, reason = Actor.scheduler(), due.reason
        sub, notice = fire(
            sub, due.event, due.at, actor=scheduler, reason=reason, changes=due.changes, details=due.details
        )
        notices.append(notice)
    # One outcome at the end, not one per transition: the scheduler's step advances thousands per batch.
    return Outcome(subscription=sub, notices=tuple(notices))


def _create(
    opening: Opening, event: Event, at: datetime, *, by: tuple[Actor, str], details: Details = (), **fields: object
) -> Outcome:
    row = TRANSITIONS[(None, event)]
    actor, reason = by
    entry = HistoryEntry(
        at=at, event=event, source=None, target=row.target, actor=actor, reason=reason, details=details
    )
    created = Subscription(
        id=opening.subscription_id,
        customer_id=opening.customer_id,
        product_code=opening.product_code,
        policy=opening.policy,
        state=row.target,
        version=1,
        history=(entry,),
        **fields,  # type: ignore[arg-type]
    )
    notice = Notice(kind=row.notice, subscription_id=created.id, at=at, details=details)
    return Outcome(subscription=created, notices=(notice,))


def start_trial(
    opening: Opening, plan: Plan, at: datetime, *, actor: Actor, reason: str = "", held: Iterable[Subscription] = ()
) -> Outcome:
    """Start a free trial of ``plan`` on the local date of ``at``, for ``plan.trial_days`` days (C4).

    ``held`` are the company's subscriptions: a company gets one free trial per product, ever (S12),
    whether the earlier one still runs, ended, was purged or was converted to paid.

    Raises:
        NotEligibleError: (C4) the plan offers no trial or is not a plan of the product; (S12) ``held`` has
            a trial of the product, named in the message.
        ValidationError: (D2) ``at`` is naive.
    """
    at = utc(at)
    if not plan.has_trial or opening.product is None or plan not in opening.product.plans:
        raise NotEligibleError("this plan offers no free trial", rule="C4", field="plan", value=plan.code)
    earlier = next((s for s in held if s.trial is not None and s.product_code == opening.product.code), None)
    if earlier is not None and earlier.trial is not None:
        raise NotEligibleError(
            f"the company already had its free trial of {opening.product.code}: subscription {earlier.id},"
            f" from {earlier.trial.start.isoformat()}",
            rule="S12",
            field="plan",
            value=plan.code,
        )
    start = local_date(at)
    trial = Term(start=start, end=start + timedelta(days=plan.trial_days))
    by = (actor, reason or "free trial started")
    return _create(opening, Event.START_TRIAL, at, by=by, plan_code=plan.code, quotas=plan.quotas, trial=trial)


def subscribe(opening: Opening, entitlement: Entitlement, at: datetime, *, actor: Actor, reason: str = "") -> Outcome:
    """Create a subscription paid online, active at once from the local date of ``at`` (Y2).

    Raises:
        ValidationError: (D2) ``at`` is naive.
    """
    at = utc(at)
    check_product(entitlement, opening.product_code)
    anchor = Anchor.starting(local_date(at), entitlement.unit, entitlement.length)
    fields = granted_fields(None, entitlement, anchor, Term(start=anchor.day, end=anchor.end), today=anchor.day)
    return _create(opening, Event.SUBSCRIBE, at, by=(actor, reason or "paid online"), **fields)


def subscribe_offline(
    opening: Opening,
    entitlement: Entitlement,
    received_at: datetime,
    *,
    calendar: BusinessCalendar,
    actor: Actor,
    reason: str = "",
) -> Outcome:
    """Create a subscription whose money was received offline at ``received_at``, awaiting activation (Y3).

    It must be active no later than ``pending.activate_by``, the end of the first business day after the
    receipt (D4): :func:`~subscription_core.renewals.activate` activates it sooner, the time-driven step at
    that deadline.

    Raises:
        ValidationError: (D2) ``received_at`` is naive.
    """
    check_product(entitlement, opening.product_code)
    pending = pending_payment(entitlement, received_at, calendar=calendar)
    by = (actor, reason or "money received offline")
    plan = {"plan_code": entitlement.plan_code, "quotas": entitlement.quotas}
    # The deadline goes into the history and the notice, as a renewal's receive_payment records it (Y3).
    details = (("received_at", pending.received_at.isoformat()), ("activate_by", pending.activate_by.isoformat()))
    return _create(opening, Event.RECEIVE_PAYMENT, pending.received_at, by=by, details=details, pending=pending, **plan)


def cancel(subscription: Subscription, at: datetime, *, actor: Actor, reason: str) -> Outcome:
    """Cancel the subscription at once (S1); its data is purged at the end of the purge window (S4).

    The purge window opens the day after the cancellation, or stays as it was if one is already running.

    Raises:
        InvalidTransitionError: (S1) already cancelled or purged.
    """

    def change(sub: Subscription, at: datetime) -> tuple[Mapping[str, Any], Details]:
        running = sub.lapsed_on if sub.state in (State.EXPIRED, State.CUT_OFF) else None
        lapsed_on = running or local_date(at) + timedelta(days=1)
        # Later terms never start on a cancelled subscription; what they cost is refunded as Y8 says.
        return {"lapsed_on": lapsed_on, "pending": None, "retention": None, "upcoming": ()}, ()

    return act(subscription, Event.CANCEL, at, actor=actor, reason=reason, change=change)
