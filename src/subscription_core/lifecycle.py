"""The lifecycle: one transition table, buying and renewing, and the time-driven step (S1-S4, S6, C4, Y2, Y3).

Every change of state goes through :func:`fire`: it looks ``(state, event)`` up in :data:`TRANSITIONS` (an
event the table does not allow raises :class:`InvalidTransitionError` naming both), checks the row's
guards (a refusal raises :class:`NotEligibleError` with its rule and reason), appends a history entry
(S9) and returns the new subscription with the :class:`Notice` the row sends (N1); delivering notices
is the host's job.

Every verb first applies what time has made due (:func:`advance`), so a verb called while the scheduler
lags sees the subscription as it is at ``at``. Time is always passed in; naive instants are refused (D2)
and instants are recorded in UTC.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import attrs

from subscription_core.calendar import BusinessCalendar, ensure_aware, local_date
from subscription_core.catalog import Addon, AddonKind, Plan
from subscription_core.errors import InvalidTransitionError, NotEligibleError, ValidationError
from subscription_core.subscriptions import (
    STORAGE_QUOTA,
    Actor,
    Anchor,
    Details,
    Entitlement,
    Event,
    HistoryEntry,
    LifecyclePolicy,
    Opening,
    PendingPayment,
    PurgeRecord,
    State,
    Subscription,
)
from subscription_core.terms import Term

__all__ = [
    "OFFLINE_ACTIVATION_BUSINESS_DAYS",
    "TRANSITIONS",
    "Change",
    "DueRun",
    "Guard",
    "Notice",
    "NoticeKind",
    "Outcome",
    "Transition",
    "act",
    "activate",
    "activation_deadline",
    "advance",
    "allowed",
    "cancel",
    "check_addon",
    "fire",
    "granted_fields",
    "mermaid_diagram",
    "receive_payment",
    "renew",
    "renewal_term",
    "run_due",
    "start_trial",
    "subscribe",
    "subscribe_offline",
    "top_up_storage",
]

OFFLINE_ACTIVATION_BUSINESS_DAYS: Final = 1
"""Money received offline is activated within this many business days of its receipt (Y3)."""


class NoticeKind(enum.Enum):
    """What a notice tells the customer (N1); each row of the transition table sends one kind."""

    TRIAL_STARTED = "trial_started"
    PAYMENT_RECEIVED = "payment_received"
    ACTIVATED = "activated"
    EXTENDED = "extended"
    STORAGE_ADDED = "storage_added"
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


def _utc(at: datetime, field: str = "at") -> datetime:
    return ensure_aware(at, field=field).astimezone(UTC)


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
    at = _utc(at)
    if subscription.history and at < subscription.history[-1].at:
        last = subscription.history[-1].at.isoformat()
        raise ValidationError(f"is before the subscription's last change, at {last}", rule="S9", field="at", value=at)
    caught = advance(subscription, at)
    sub = caught.subscription
    allowed(sub, event, at)
    fields, details = change(sub, at) if change is not None else ({}, ())
    return caught.then(*fire(sub, event, at, actor=actor, reason=reason, changes=fields, details=details))


def _create(opening: Opening, event: Event, at: datetime, *, by: tuple[Actor, str], **fields: object) -> Outcome:
    row = TRANSITIONS[(None, event)]
    actor, reason = by
    entry = HistoryEntry(at=at, event=event, source=None, target=row.target, actor=actor, reason=reason)
    created = Subscription(
        id=opening.subscription_id,
        customer_id=opening.customer_id,
        product_code=opening.product.code,
        policy=LifecyclePolicy.of(opening.product),
        state=row.target,
        version=1,
        history=(entry,),
        **fields,  # type: ignore[arg-type]
    )
    return Outcome(subscription=created, notices=(Notice(kind=row.notice, subscription_id=created.id, at=at),))


def start_trial(opening: Opening, plan: Plan, at: datetime, *, actor: Actor, reason: str = "") -> Outcome:
    """Start a free trial of ``plan`` on the local date of ``at``, for ``plan.trial_days`` days (C4).

    Raises:
        NotEligibleError: (C4) the plan offers no trial or is not a plan of the product.
        ValidationError: (D2) ``at`` is naive.
    """
    at = _utc(at)
    if not plan.has_trial or plan not in opening.product.plans:
        raise NotEligibleError("this plan offers no free trial", rule="C4", field="plan", value=plan.code)
    start = local_date(at)
    trial = Term(start=start, end=start + timedelta(days=plan.trial_days))
    by = (actor, reason or "free trial started")
    return _create(opening, Event.START_TRIAL, at, by=by, plan_code=plan.code, quotas=plan.quotas, trial=trial)


def subscribe(opening: Opening, entitlement: Entitlement, at: datetime, *, actor: Actor, reason: str = "") -> Outcome:
    """Create a subscription paid online, active at once from the local date of ``at`` (Y2).

    Raises:
        ValidationError: (D2) ``at`` is naive.
    """
    at = _utc(at)
    _check_product(entitlement, opening.product.code)
    anchor = Anchor.starting(local_date(at), entitlement.unit, entitlement.length)
    fields = granted_fields(None, entitlement, anchor, Term(start=anchor.day, end=anchor.end))
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
    receipt (D4): :func:`activate` activates it sooner, the time-driven step at that deadline.

    Raises:
        ValidationError: (D2) ``received_at`` is naive.
    """
    _check_product(entitlement, opening.product.code)
    pending = _pending_payment(entitlement, received_at, calendar)
    by = (actor, reason or "money received offline")
    plan = {"plan_code": entitlement.plan_code, "quotas": entitlement.quotas}
    return _create(opening, Event.RECEIVE_PAYMENT, pending.received_at, by=by, pending=pending, **plan)


def activation_deadline(received_at: datetime, *, calendar: BusinessCalendar) -> datetime:
    """Return when money received offline at ``received_at`` must be active: the end of the next business day (Y3, D4).

    Raises:
        ValidationError: (D2) ``received_at`` is naive.
    """
    received_at = _utc(received_at, "received_at")
    return calendar.deadline(received_at, OFFLINE_ACTIVATION_BUSINESS_DAYS).astimezone(UTC)


def _pending_payment(entitlement: Entitlement, received_at: datetime, calendar: BusinessCalendar) -> PendingPayment:
    received_at = _utc(received_at, "received_at")
    activate_by = activation_deadline(received_at, calendar=calendar)
    return PendingPayment(entitlement=entitlement, received_at=received_at, activate_by=activate_by)


def receive_payment(
    subscription: Subscription,
    entitlement: Entitlement,
    received_at: datetime,
    *,
    calendar: BusinessCalendar,
    actor: Actor,
    reason: str = "",
) -> Outcome:
    """Record money for ``entitlement`` received offline at ``received_at`` (Y3).

    It takes effect when :func:`activate` is called, at the latest at ``pending.activate_by`` (the end of
    the first business day after the receipt, D4) when the time-driven step applies it; meanwhile the
    subscription neither expires nor is purged [decision]. Whether the renewal extends the current term
    (S2) is judged at ``received_at``, so money received before expiry never costs the customer paid time.

    Raises:
        InvalidTransitionError: (S1) in a state that takes no payment (on commitment, purged, cancelled).
        NotEligibleError: (Y3) a payment already awaits activation.
    """
    _check_product(entitlement, subscription.product_code)
    pending = _pending_payment(entitlement, received_at, calendar)
    details = (("received_at", pending.received_at.isoformat()), ("activate_by", pending.activate_by.isoformat()))
    # Money may be recorded after it was received: the entry is dated no earlier than the last change.
    recorded = max(pending.received_at, subscription.history[-1].at) if subscription.history else pending.received_at
    return act(
        subscription,
        Event.RECEIVE_PAYMENT,
        recorded,
        actor=actor,
        reason=reason or "money received offline",
        change=lambda _s, _at: ({"pending": pending}, details),
    )


def activate(subscription: Subscription, at: datetime, *, actor: Actor, reason: str = "") -> Outcome:
    """Activate the payment awaiting activation (Y3): a trial becomes paid (C4) or the term is extended (S2).

    Raises:
        NotEligibleError: (Y3) no payment awaits activation.
        InvalidTransitionError: (S1) in a state that cannot be activated.
    """
    return act(subscription, Event.ACTIVATE, at, actor=actor, reason=reason or "payment activated", change=_activation)


def _activation(sub: Subscription, at: datetime) -> tuple[Mapping[str, Any], Details]:
    pending = sub.pending
    if pending is None:  # pragma: no cover - the table's guard refuses first
        raise NotEligibleError("no payment is pending", rule="Y3", field="pending")
    return _grant(sub, pending.entitlement, at, judged_at=pending.received_at)


def _grant(
    sub: Subscription, entitlement: Entitlement, at: datetime, *, judged_at: datetime
) -> tuple[Mapping[str, Any], Details]:
    anchor, term = renewal_term(sub, entitlement, at, judged_at=judged_at)
    details = (
        ("plan", entitlement.plan_code),
        ("term_start", term.start.isoformat()),
        ("term_end", term.end.isoformat()),
    )
    return granted_fields(sub, entitlement, anchor, term), details


def renew(
    subscription: Subscription, entitlement: Entitlement, at: datetime, *, actor: Actor, reason: str = ""
) -> Outcome:
    """Apply a paid renewal, or a trial's first paid order, at once, as an online payment does (Y2, S2, C4).

    Before expiry the new term follows the current one; after expiry, or from a trial, it starts on the
    local date of ``at``. ``entitlement`` may name another plan of the product (plan switch on renewal).

    Raises:
        InvalidTransitionError: (S1) in a state that cannot be renewed (on commitment, purged, cancelled).
    """

    def change(sub: Subscription, at: datetime) -> tuple[Mapping[str, Any], Details]:
        return _grant(sub, entitlement, at, judged_at=at)

    return act(subscription, Event.RENEW, at, actor=actor, reason=reason or "renewed", change=change)


def renewal_term(
    subscription: Subscription, entitlement: Entitlement, at: datetime, *, judged_at: datetime
) -> tuple[Anchor, Term]:
    """Return the paid time and the new term ``entitlement`` grants when applied at ``at`` (S2, D3).

    With paid time still running at ``judged_at`` the new term starts where it ends, keeping the anchor
    day; otherwise (expired, a trial, never paid) it starts on the local date of ``at``.

    Raises:
        NotEligibleError: (C1) the entitlement is a plan of another product.
    """
    _check_product(entitlement, subscription.product_code)
    paid = subscription.paid_expires_at
    if subscription.anchor is not None and paid is not None and judged_at < paid:
        anchor = subscription.anchor.extended(entitlement.unit, entitlement.length)
        return anchor, Term(start=subscription.terms[-1].end, end=anchor.end)
    anchor = Anchor.starting(local_date(at), entitlement.unit, entitlement.length)
    return anchor, Term(start=anchor.day, end=anchor.end)


def _check_product(entitlement: Entitlement, product_code: str) -> None:
    if entitlement.product_code != product_code:
        message = f"plan {entitlement.plan_code} belongs to product {entitlement.product_code}, not {product_code}"
        raise NotEligibleError(message, rule="C1", field="entitlement", value=entitlement.plan_code)


def granted_fields(sub: Subscription | None, entitlement: Entitlement, anchor: Anchor, term: Term) -> dict[str, Any]:
    """Return the fields a granted term sets: plan switch, quotas, extra storage, paid time (S2, S6).

    Extra storage already bought is kept when the term is extended on the same plan, and the renewal's own
    extra storage is added; a new term after expiry, or another plan, has only the renewal's [decision].
    """
    extends = sub is not None and sub.terms and sub.terms[-1].end == term.start
    kept = sub.extra_storage if sub is not None and extends and sub.plan_code == entitlement.plan_code else 0
    return {
        "plan_code": entitlement.plan_code,
        "quotas": entitlement.quotas,
        "extra_storage": kept + entitlement.extra_storage,
        "anchor": anchor,
        "terms": (*(sub.terms if sub else ()), term),
        "lapsed_on": None,
        "retention": None,
        "pending": None,
        "commitment": None,
    }


def check_addon(addon: Addon, kind: AddonKind, quantity: int, plan_code: str, *, rule: str) -> None:
    """Check ``addon`` is of ``kind`` and goes with ``plan_code``, and ``quantity`` is 1 to its ``max_quantity``.

    Raises:
        ValidationError: (``rule``) the kind or the quantity is wrong.
        NotEligibleError: (C3) the add-on does not go with the plan.
    """
    if addon.kind is not kind:
        raise ValidationError(f"must be a {kind.value} add-on", rule=rule, field="addon", value=addon.code)
    limit = addon.max_quantity
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1 or (limit and quantity > limit):
        message = f"must be a whole number from 1 to {limit or 'any'}"
        raise ValidationError(message, rule=rule, field="quantity", value=quantity)
    if not addon.goes_with(plan_code):
        raise NotEligibleError(f"does not go with plan {plan_code}", rule="C3", field="addon", value=addon.code)


def top_up_storage(
    subscription: Subscription, addon: Addon, quantity: int, at: datetime, *, actor: Actor, reason: str = ""
) -> Outcome:
    """Add ``quantity`` units of extra storage for the rest of the current term, while time remains (S6).

    Raises:
        ValidationError, NotEligibleError: as :func:`check_addon`; NotEligibleError: (S6) no time remains.
        InvalidTransitionError: (S1) the subscription is not active.
    """
    check_addon(addon, AddonKind.STORAGE, quantity, subscription.plan_code, rule="S6")
    added = addon.storage_per_unit * quantity

    def change(sub: Subscription, _at: datetime) -> tuple[Mapping[str, Any], Details]:
        return {"extra_storage": sub.extra_storage + added}, ((STORAGE_QUOTA, str(added)),)

    return act(subscription, Event.TOP_UP_STORAGE, at, actor=actor, reason=reason or "storage bought", change=change)


def cancel(subscription: Subscription, at: datetime, *, actor: Actor, reason: str) -> Outcome:
    """Cancel the subscription at once (S1); its data is purged at the end of the purge window (S4).

    The purge window opens the day after the cancellation, or stays as it was if one is already running.

    Raises:
        InvalidTransitionError: (S1) already cancelled or purged.
    """

    def change(sub: Subscription, at: datetime) -> tuple[Mapping[str, Any], Details]:
        running = sub.lapsed_on if sub.state in (State.EXPIRED, State.CUT_OFF) else None
        return {"lapsed_on": running or local_date(at) + timedelta(days=1), "pending": None, "retention": None}, ()

    return act(subscription, Event.CANCEL, at, actor=actor, reason=reason, change=change)


@attrs.frozen(kw_only=True)
class Change:
    """A transition applied by the time-driven step: the subscription's id and its new history entry."""

    subscription_id: str
    entry: HistoryEntry


@attrs.frozen(kw_only=True)
class DueRun:
    """What the time-driven step did: the subscriptions it changed, each change and the notices, in order."""

    subscriptions: tuple[Subscription, ...]
    changes: tuple[Change, ...]
    notices: tuple[Notice, ...]


def advance(subscription: Subscription, at: datetime) -> Outcome:
    """Apply in time order every time-driven transition due by ``at`` to one subscription (S3-S5, Y3, K2, K4).

    Each is recorded at the instant it fell due. Of several warnings due together only the most recent is
    sent, and none once its deadline has passed too. Advancing again to the same instant changes nothing.

    Raises:
        ValidationError: (D2) ``at`` is naive.
    """
    at = _utc(at)
    outcome = Outcome(subscription=subscription)
    while (due := outcome.subscription.next_due_at) is not None and due <= at:
        outcome = outcome.then(*_apply_due(outcome.subscription, at))
    return outcome


def run_due(subscriptions: Iterable[Subscription], at: datetime) -> DueRun:
    """The time-driven step: advance every subscription to ``at``; return what changed (S3-S5, Y3, K2, K4).

    Pure: the subscriptions given are not touched. One with nothing due costs one comparison of its
    ``next_due_at``. Idempotent; after downtime every missed transition is applied in order.

    Raises:
        ValidationError: (D2) ``at`` is naive.
    """
    at = _utc(at)
    changed: list[Subscription] = []
    changes: list[Change] = []
    notices: list[Notice] = []
    for subscription in subscriptions:
        due = subscription.next_due_at
        if due is None or due > at:
            continue
        outcome = advance(subscription, at)
        new = outcome.subscription
        changed.append(new)
        changes.extend(Change(subscription_id=new.id, entry=e) for e in new.history[len(subscription.history) :])
        notices.extend(outcome.notices)
    return DueRun(subscriptions=tuple(changed), changes=tuple(changes), notices=tuple(notices))


def _apply_due(sub: Subscription, at: datetime) -> tuple[Subscription, Notice]:
    agenda = sub.agenda
    if agenda is None:  # pragma: no cover - advance calls only with something due
        raise ValueError(sub.id)
    # Something due before the last change (a proof rejected after the due date) takes effect at that change.
    last = sub.history[-1].at if sub.history else agenda.deadline
    scheduler = Actor.scheduler()
    if agenda.deadline <= at:
        when = max(agenda.deadline, last)
        reason, change = _DEADLINES[agenda.event]
        fields, details = change(sub, when)
        return fire(sub, agenda.event, when, actor=scheduler, reason=reason, changes=fields, details=details)
    due = [lead for lead, when in agenda.warnings if when <= at]
    lead = min(due)
    when = max(next(w for d, w in agenda.warnings if d == lead), last)
    details = (("days_left", str(lead)), ("deadline", agenda.deadline.isoformat()))
    reason = f"{lead} day(s) before {agenda.event.value}"
    return fire(sub, Event.WARN, when, actor=scheduler, reason=reason, details=details)


def _lapsed(sub: Subscription, when: datetime) -> tuple[Mapping[str, Any], Details]:
    # Expiry, cut-off and the end of an archive open a purge window; after an archive it is a fresh one, so
    # the customer may still renew or buy more retention [decision].
    lapsed_on = local_date(when)
    purge_on = lapsed_on + timedelta(days=sub.policy.purge_after_days)
    return {"lapsed_on": lapsed_on, "retention": None}, (("purge_on", purge_on.isoformat()),)


def _purged(sub: Subscription, when: datetime) -> tuple[Mapping[str, Any], Details]:
    # The record keeps what was erased and when; no customer content (the proof of payment) survives (S4).
    erased = ["application data"]
    commitment = sub.commitment
    if commitment is not None and commitment.proof is not None:
        erased.append("payment proof")
        commitment = attrs.evolve(commitment, proof=None)
    record = PurgeRecord(purged_at=when, window_started_on=sub.lapsed_on or local_date(when), erased=tuple(erased))
    return {"purge_record": record, "commitment": commitment, "pending": None}, (("erased", ", ".join(erased)),)


_DEADLINES: Final[Mapping[Event, tuple[str, Callable[[Subscription, datetime], tuple[Mapping[str, Any], Details]]]]] = {
    Event.ACTIVATE: ("not activated within one business day of the receipt: activated at the deadline", _activation),
    Event.EXPIRE: ("term ended", _lapsed),
    Event.CUT_OFF: ("unpaid at the last due date", _lapsed),
    Event.END_RETENTION: ("retention period ended", _lapsed),
    Event.PURGE: ("purge window ended", _purged),
}
"""What each deadline does when it falls due: the reason recorded and the fields it sets."""
