"""The subscription entity: its states, events, actors, deadlines and history (rules S1-S4, S8-S11, K4, Y3).

A :class:`Subscription` is an immutable entity with an ``id`` and a ``version``. It never changes in place:
the verbs of :mod:`subscription_core.lifecycle`, :mod:`subscription_core.renewals`,
:mod:`subscription_core.commitments` and :mod:`subscription_core.retention` return a new one, one version
higher, with one more :class:`HistoryEntry` (S9). This module only describes the entity; the rules that move
it live there. What it is paid for (entitlements, paid time, pending payments, commitments) is in
:mod:`subscription_core.entitlements`; what a customer sees of its quotas (S7) in
:mod:`subscription_core.resources`.

Dates are local dates in Asia/Ho_Chi_Minh and terms are half-open (see :mod:`subscription_core.terms`): a
term ``[start, end)`` may be used through the whole day before ``end`` and expires at 00:00 on ``end``.
Every deadline the entity knows (a paid term's start, expiry, end of retention, cut-off, purge,
activation) is an instant, and the earliest of them, with the expiry warnings before it, is kept in
:attr:`Subscription.next_due_at` so a scheduler can skip a subscription with one comparison.

The plan, quotas and extra storage in force are those of the paid term that contains the day (S10,
S11): a renewal bought while time remains waits in :attr:`Subscription.upcoming` until its term starts,
and :meth:`Subscription.in_force` reads the term of any day even before the scheduler applied it.
"""

from __future__ import annotations

import enum
import functools
from datetime import UTC, date, datetime, timedelta
from typing import Final

import attrs

from subscription_core.calendar import local_date, start_of_local_day
from subscription_core.catalog import DEFAULT_PURGE_DAYS, DEFAULT_WARNING_DAYS, Product, Quota

# Entitlement and CommitmentProof are re-exported: other modules (bulk's tests, payments) import them from here.
from subscription_core.entitlements import (
    Anchor,
    Commitment,
    CommitmentProof,
    Entitlement,
    PendingPayment,
    StorageBought,
    TermGrant,
)
from subscription_core.errors import ValidationError, aware, non_empty_text, of_type, optional, whole_number
from subscription_core.held_back import HeldBack
from subscription_core.terms import Term, expiry_instant
from subscription_core.texts import NOTE_LIMIT

__all__ = [
    "DEFAULT_DUE_WARNING_DAYS",
    "STORAGE_QUOTA",
    "Actor",
    "ActorKind",
    "Agenda",
    "CommitmentProof",
    "Details",
    "Entitlement",
    "Event",
    "HistoryEntry",
    "LifecyclePolicy",
    "Note",
    "Opening",
    "PurgeRecord",
    "State",
    "StorageBought",
    "Subscription",
    "TermGrant",
    "warning_instant",
]

STORAGE_QUOTA: Final = "storage"
"""The quota code that extra storage adds to (S6)."""
DEFAULT_DUE_WARNING_DAYS: Final = (7, 3, 1)
"""Lead times, in days, of the warnings before a commitment's due date (K2) [decision]."""

Details = tuple[tuple[str, str], ...]
"""What a history entry or a notice says besides its kind: ordered ``(name, text)`` pairs."""


class State(enum.Enum):
    """The states of a subscription (S1), plus one for a new purchase paid offline and not yet activated (Y3)."""

    TRIAL = "trial"
    AWAITING_ACTIVATION = "awaiting_activation"
    ACTIVE = "active"
    ACTIVE_ON_COMMITMENT = "active_on_commitment"
    EXPIRED = "expired"
    READ_ONLY = "read_only"
    PURGED = "purged"
    CUT_OFF = "cut_off"
    CANCELLED = "cancelled"


class Event(enum.Enum):
    """What can happen to a subscription; the transition table of :mod:`~subscription_core.lifecycle` maps each."""

    START_TRIAL = "start_trial"
    SUBSCRIBE = "subscribe"
    RECEIVE_PAYMENT = "receive_payment"
    ACTIVATE = "activate"
    RENEW = "renew"
    TOP_UP_STORAGE = "top_up_storage"
    START_TERM = "start_term"
    WARN = "warn"
    EXPIRE = "expire"
    BUY_RETENTION = "buy_retention"
    END_RETENTION = "end_retention"
    PURGE = "purge"
    COMMIT_TO_PAY = "commit_to_pay"
    EXTEND_COMMITMENT = "extend_commitment"
    SUBMIT_PROOF = "submit_proof"
    REJECT_PROOF = "reject_proof"
    VERIFY_PAYMENT = "verify_payment"
    CUT_OFF = "cut_off"
    CANCEL = "cancel"


class ActorKind(enum.Enum):
    """Who acts: the domain's actors, and the system for a payment provider's confirmed callback (Y2)."""

    CUSTOMER = "customer"
    STAFF = "staff"
    ACCOUNTANT = "accountant"
    SCHEDULER = "scheduler"
    SYSTEM = "system"


@attrs.frozen(kw_only=True)
class Actor:
    """Who made a change (S9): a kind and an id (a user id, a staff id, ``"scheduler"``)."""

    kind: ActorKind = attrs.field(validator=of_type(ActorKind))
    id: str = attrs.field(validator=non_empty_text())

    @classmethod
    def scheduler(cls) -> Actor:
        """Return the host's periodic job, which applies the time-driven transitions."""
        return _SCHEDULER


_SCHEDULER: Final = Actor(kind=ActorKind.SCHEDULER, id="scheduler")


@attrs.frozen(kw_only=True)
class Opening:
    """Who a new subscription is for (S8): its id, the customer (company) and the product.

    A paid order opens its subscription from what its line froze (O6): ``product_code`` and the lifecycle
    ``policy`` it takes, with no ``product``, so a product changed or gone from the catalog since does not
    matter. Given a ``product``, both default to the product's.

    Raises:
        ValidationError: neither a product nor a product code and a policy, or a code not the product's.
    """

    subscription_id: str = attrs.field(validator=non_empty_text())
    customer_id: str = attrs.field(validator=non_empty_text())
    product: Product | None = attrs.field(default=None, validator=optional(of_type(Product)))
    product_code: str = attrs.field(validator=non_empty_text())
    policy: LifecyclePolicy = attrs.field()

    @product_code.default
    def _product_code(self) -> str:
        return self.product.code if self.product is not None else ""

    @policy.default
    def _policy(self) -> LifecyclePolicy:
        if self.product is None:
            raise ValidationError("give the product or its lifecycle policy", rule="S8", field="policy")
        return LifecyclePolicy.of(self.product)

    def __attrs_post_init__(self) -> None:
        """Check the policy, and that the code is the product's (O6)."""
        if not isinstance(self.policy, LifecyclePolicy):
            raise ValidationError("must be a LifecyclePolicy", rule="S8", field="policy", value=self.policy)
        if self.product is not None and self.product.code != self.product_code:
            raise ValidationError("is not the product's code", rule="S8", field="product_code", value=self.product_code)


@attrs.frozen(kw_only=True)
class HistoryEntry:
    """One change of a subscription (S9): what (``event``, states, details), when, who and why.

    ``at`` is the instant the change took effect; for a time-driven change applied late it is the instant
    it was due, so a history is always in time order.
    """

    at: datetime
    event: Event
    source: State | None
    target: State
    actor: Actor
    reason: str
    details: Details = ()


@attrs.frozen(kw_only=True)
class Note:
    """A note written on a subscription (S8, oneSME's "Ghi nhớ"): who wrote it, when, and the text.

    The text may span lines (tab and line breaks kept) and holds at most ``NOTE_LIMIT`` characters.

    Raises:
        ValidationError: (S8) a naive instant, a blank text, one too long or with a refused character.
    """

    at: datetime = attrs.field(validator=aware("S8"))
    author: Actor = attrs.field(validator=of_type(Actor))
    text: str = attrs.field(validator=non_empty_text("S8", most=NOTE_LIMIT, lines=True))


@attrs.frozen(kw_only=True)
class LifecyclePolicy:
    """A product's lifecycle settings, frozen onto each of its subscriptions when it starts (S3, S4, K2).

    Frozen like the prices of C5, so a later catalog change does not move the deadlines of running
    subscriptions. ``warning_days`` are the lead times of expiry warnings (S3), ``purge_after_days`` the
    purge window (S4), ``due_warning_days`` the lead times of the warnings before a commitment's due date.

    Raises:
        ValidationError: a window or a lead time is not a whole number of days >= 1.
    """

    purge_after_days: int = attrs.field(default=DEFAULT_PURGE_DAYS, validator=whole_number(1))
    warning_days: tuple[int, ...] = DEFAULT_WARNING_DAYS
    due_warning_days: tuple[int, ...] = DEFAULT_DUE_WARNING_DAYS

    def __attrs_post_init__(self) -> None:
        """Check every lead time is a whole number of days >= 1."""
        for name in ("warning_days", "due_warning_days"):
            days = getattr(self, name)
            if not isinstance(days, tuple) or any(not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in days):
                raise ValidationError("lead times must be whole days >= 1", rule="S3", field=name, value=days)

    @classmethod
    def of(cls, product: Product) -> LifecyclePolicy:
        """Return the policy of ``product``: its purge window and warning lead times."""
        return cls(purge_after_days=product.purge_after_days, warning_days=tuple(product.warning_days))


@attrs.frozen(kw_only=True)
class PurgeRecord:
    """Evidence of a purge (S4): when, which purge window led to it, and which kinds of data were erased."""

    purged_at: datetime
    window_started_on: date
    erased: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Agenda:
    """What a subscription is heading to: its next deadline and the warnings still to send before it.

    ``deadline`` is in UTC; ``warnings`` are ``(lead days, instant)`` pairs in time order.
    """

    deadline: datetime
    event: Event
    warnings: tuple[tuple[int, datetime], ...]

    @property
    def next_at(self) -> datetime:
        """The first instant something is due: the first warning, else the deadline."""
        return self.warnings[0][1] if self.warnings else self.deadline


@attrs.frozen(kw_only=True)
class Subscription:
    """A company's subscription to a product (S1, S8): entity with ``id`` and ``version``.

    Built and changed only by the lifecycle verbs. ``terms`` are the paid terms granted so far, in order;
    ``anchor`` is the paid time they are counted in (D3); ``trial`` is the free trial's term (C4).
    ``plan_code``, ``quotas``, ``extra_storage`` and ``storage`` (the extra storage by add-on) are those of
    the term in force; ``upcoming`` holds what each later paid term grants, one per term, in order, until
    it starts (S10, S11). A document stored before ``upcoming`` existed has none: its plan and extra
    storage stay in force through the paid time it already held [decision]. ``lapsed_on`` is the first
    day of the current purge window (S4); ``retention`` the read-only archive period (S5); ``pending`` a
    payment awaiting activation (Y3); ``commitment`` a renewal on commitment (K1); ``held_back`` why the
    time-driven step could not advance it, if it could not (:mod:`subscription_core.held_back`); ``history``
    every change, append-only (S9).
    """

    id: str
    customer_id: str
    product_code: str
    plan_code: str
    state: State
    policy: LifecyclePolicy
    quotas: tuple[Quota, ...] = ()
    extra_storage: int = 0
    storage: tuple[StorageBought, ...] = ()
    upcoming: tuple[TermGrant, ...] = ()
    trial: Term | None = None
    anchor: Anchor | None = None
    terms: tuple[Term, ...] = ()
    lapsed_on: date | None = None
    retention: Anchor | None = None
    pending: PendingPayment | None = None
    commitment: Commitment | None = None
    purge_record: PurgeRecord | None = None
    held_back: HeldBack | None = None
    history: tuple[HistoryEntry, ...] = ()
    notes: tuple[Note, ...] = ()  # S8; a document stored before notes existed has none
    version: int = 0

    def with_note(self, note: Note) -> Subscription:
        """Return the subscription with ``note`` added after the others (S8), one version higher."""
        return attrs.evolve(self, notes=(*self.notes, note), version=self.version + 1)

    @property
    def warned(self) -> frozenset[int]:
        """The lead times of the current deadline whose warning was sent, or was already past (S3).

        A warning is dealt with once its instant is at or before the last change: every change first
        applies what is due (the warning sent is itself a change), so nothing due before it is left. Hence
        no warning is sent twice, and one whose time had passed when its deadline was set is never sent.
        """
        found = self.deadline()
        if found is None:
            return frozenset()
        instant, _, leads = found
        last = self.history[-1].at if self.history else None
        return frozenset(d for d in leads if last is not None and warning_instant(instant, d) <= last)

    @functools.cached_property
    def agenda(self) -> Agenda | None:
        """The next deadline and the warnings still to send before it; worked out once, on first use."""
        return _agenda(self)

    @functools.cached_property
    def next_due_at(self) -> datetime | None:
        """The first instant anything is due (UTC), or ``None``: a scheduler's one comparison (S3, S4, K4, Y3).

        A host may store it in an indexed column and load only the subscriptions due. A subscription the
        step could not advance is due again when its hold says (``held_back.retry_at``).
        """
        if self.held_back is not None:
            return self.held_back.retry_at
        agenda = self.agenda
        return None if agenda is None else agenda.next_at

    @property
    def paid_expires_at(self) -> datetime | None:
        """The instant the paid time ends, or ``None`` before the first paid term."""
        return expiry_instant(self.terms[-1]) if self.terms else None

    @property
    def expires_at(self) -> datetime | None:
        """The instant the subscription expires: the end of its paid time, else of its trial (S2, C4)."""
        if self.terms:
            return expiry_instant(self.terms[-1])
        return expiry_instant(self.trial) if self.trial is not None else None

    @property
    def last_day(self) -> date | None:
        """The last local day the subscription may be used: the "expiry date" shown to a customer (S7)."""
        expires = self.expires_at
        return None if expires is None else local_date(expires) - timedelta(days=1)

    @property
    def current_grant(self) -> TermGrant:
        """What the term in force grants: its plan, quotas and extra storage (S10, S11).

        ``starts_on`` is that term's first day (the trial's, or the local date of the first change, before
        any paid term).
        """
        held = len(self.terms) - len(self.upcoming)
        if held > 0:
            starts_on = self.terms[held - 1].start
        elif self.trial is not None:
            starts_on = self.trial.start
        else:
            starts_on = local_date(self.history[0].at) if self.history else date.min
        return TermGrant(
            starts_on=starts_on,
            plan_code=self.plan_code,
            quotas=self.quotas,
            extra_storage=self.extra_storage,
            storage=self.storage,
        )

    @property
    def last_grant(self) -> TermGrant:
        """What the last paid term grants: the storage a renewal keeps is this term's (S11)."""
        return self.upcoming[-1] if self.upcoming else self.current_grant

    def in_force(self, day: date) -> TermGrant:
        """Return what is in force on local ``day``: the grant of the paid term containing it (S10, S11).

        Reads the later terms waiting in ``upcoming``, so it is right before the scheduler started them;
        a day after the paid time keeps the last term's grant.
        """
        started = [grant for grant in self.upcoming if grant.starts_on <= day]
        return started[-1] if started else self.current_grant

    @property
    def purge_at(self) -> datetime | None:
        """When the data is purged if nothing happens: the end of the purge window (S4)."""
        if self.lapsed_on is None:
            return None
        return start_of_local_day(self.lapsed_on + timedelta(days=self.policy.purge_after_days))

    @property
    def retention_ends_at(self) -> datetime | None:
        """When the read-only archive ends (S5), or ``None`` without one."""
        return None if self.retention is None else start_of_local_day(self.retention.end)

    @property
    def cut_off_at(self) -> datetime | None:
        """When an unpaid commitment cuts the subscription off (K4).

        The end of the last due date, or the end of the paid time if that is later [decision]: a renewal
        registered early never shortens time already paid for.
        """
        if self.commitment is None:
            return None
        end_of_due = start_of_local_day(self.commitment.due_on + timedelta(days=1))
        paid = self.paid_expires_at
        return end_of_due if paid is None else max(end_of_due, paid)

    def deadline(self) -> tuple[datetime, Event, tuple[int, ...]] | None:
        """Return the next deadline ``(instant, event, warning lead days)``, or ``None`` if nothing is due.

        A payment awaiting activation comes first and holds every other deadline (Y3); then the start of a
        later paid term, when its plan and storage take effect (S10, S11); a commitment whose proof of
        payment awaits verification is not cut off (K5) [decisions].
        """
        if self.pending is not None:
            return (self.pending.activate_by, Event.ACTIVATE, ())
        state = self.state
        if self.upcoming and state in (State.ACTIVE, State.ACTIVE_ON_COMMITMENT):
            # A later paid term starts before any expiry or cut-off: its plan takes effect then (S10).
            return (start_of_local_day(self.upcoming[0].starts_on), Event.START_TERM, ())
        found: tuple[datetime | None, Event, tuple[int, ...]]
        if state in (State.TRIAL, State.ACTIVE):
            found = (self.expires_at, Event.EXPIRE, self.policy.warning_days)
        elif state is State.ACTIVE_ON_COMMITMENT:
            proof = self.commitment.proof if self.commitment is not None else None
            found = (None if proof else self.cut_off_at, Event.CUT_OFF, self.policy.due_warning_days)
        elif state is State.READ_ONLY:
            found = (self.retention_ends_at, Event.END_RETENTION, self.policy.warning_days)
        elif state in (State.EXPIRED, State.CUT_OFF, State.CANCELLED):
            found = (self.purge_at, Event.PURGE, ())
        else:
            return None
        instant, event, leads = found
        return None if instant is None else (instant, event, leads)


def warning_instant(deadline: datetime, lead: int) -> datetime:
    """Return 00:00 local, ``lead`` days before the local date of ``deadline`` (S3)."""
    return start_of_local_day(local_date(deadline) - timedelta(days=lead))


def _agenda(subscription: Subscription) -> Agenda | None:
    found = subscription.deadline()
    if found is None:
        return None
    instant, event, leads = found
    last = subscription.history[-1].at if subscription.history else None
    day = local_date(instant)
    pending = (
        (lead, start_of_local_day(day - timedelta(days=lead)).astimezone(UTC))
        for lead in sorted(set(leads), reverse=True)
    )
    warnings = tuple((lead, when) for lead, when in pending if last is None or when > last)
    return Agenda(deadline=instant.astimezone(UTC), event=event, warnings=warnings)
