"""What time makes due, and what each deadline does when it falls due (rules S3, S4, S5, S10, S11, K2, K4, Y3).

A subscription's :attr:`~subscription_core.subscriptions.Subscription.agenda` names its next deadline and
the warnings still to send before it. :func:`next_due` turns it into the one transition due first;
:func:`subscription_core.lifecycle.advance` fires it through the transition table, as the scheduler, until
nothing more is due.

At its deadline money received offline is activated (Y3); at the first day of a later paid term its
plan, quotas and storage take effect, and the storage bought for the term before ends (S10, S11); expiry
(S3), a cut-off (K4) and the end of an archive (S5) open a purge window; at the end of that window the
data is purged (S4). Before a deadline only the most recent warning due is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import attrs

from subscription_core.activation import pending_grant
from subscription_core.calendar import ensure_aware, local_date
from subscription_core.subscriptions import Details, Event, PurgeRecord, Subscription

__all__ = ["Due", "next_due"]

_Change = tuple[Mapping[str, Any], Details]


@attrs.frozen(kw_only=True)
class Due:
    """A time-driven transition: its event, the instant it takes effect, why, the fields it sets and details."""

    event: Event
    at: datetime
    reason: str
    changes: Mapping[str, Any] = attrs.field(factory=dict)
    details: Details = ()


def next_due(subscription: Subscription, at: datetime) -> Due | None:
    """Return the first time-driven transition due by ``at``, or ``None`` if nothing is (S3-S5, Y3, K2, K4).

    A passed deadline comes first; else, of several warnings due together, only the most recent. Each takes
    effect at the instant it fell due, or at the last change if that is later (a proof rejected after the
    due date leads to the cut-off at the rejection).

    Raises:
        ValidationError: (D2) ``at`` is naive.
    """
    at = ensure_aware(at)
    agenda = subscription.agenda
    if agenda is None or agenda.next_at > at:
        return None
    last = subscription.history[-1].at if subscription.history else agenda.deadline
    if agenda.deadline <= at:
        when = max(agenda.deadline, last)
        reason, change = _DEADLINES[agenda.event]
        fields, details = change(subscription, when)
        return Due(event=agenda.event, at=when, reason=reason, changes=fields, details=details)
    lead = min(lead for lead, when in agenda.warnings if when <= at)
    when = max(next(w for d, w in agenda.warnings if d == lead), last)
    details = (("days_left", str(lead)), ("deadline", agenda.deadline.isoformat()))
    return Due(event=Event.WARN, at=when, reason=f"{lead} day(s) before {agenda.event.value}", details=details)


def _lapsed(sub: Subscription, when: datetime) -> _Change:
    # Expiry, cut-off and the end of an archive open a purge window; after an archive it is a fresh one, so
    # the customer may still renew or buy more retention [decision].
    lapsed_on = local_date(when)
    purge_on = lapsed_on + timedelta(days=sub.policy.purge_after_days)
    return {"lapsed_on": lapsed_on, "retention": None}, (("purge_on", purge_on.isoformat()),)


def _term_started(sub: Subscription, _when: datetime) -> _Change:
    # The first waiting grant takes over; the storage of the term that ended goes with it (S10, S11).
    grant, rest = sub.upcoming[0], sub.upcoming[1:]
    term = sub.terms[len(sub.terms) - len(sub.upcoming)]
    fields = {
        "plan_code": grant.plan_code,
        "quotas": grant.quotas,
        "extra_storage": grant.extra_storage,
        "storage": grant.storage,
        "upcoming": rest,
    }
    details = (
        ("plan", grant.plan_code),
        ("term_start", term.start.isoformat()),
        ("term_end", term.end.isoformat()),
        ("storage", str(grant.extra_storage)),
    )
    return fields, details


def _purged(sub: Subscription, when: datetime) -> _Change:
    # The record keeps what was erased and when; no customer content (the proof of payment) survives (S4).
    erased = ["application data"]
    commitment = sub.commitment
    if commitment is not None and commitment.proof is not None:
        erased.append("payment proof")
        commitment = attrs.evolve(commitment, proof=None)
    record = PurgeRecord(purged_at=when, window_started_on=sub.lapsed_on or local_date(when), erased=tuple(erased))
    return {"purge_record": record, "commitment": commitment, "pending": None}, (("erased", ", ".join(erased)),)


_DEADLINES: Final[Mapping[Event, tuple[str, Callable[[Subscription, datetime], _Change]]]] = {
    Event.ACTIVATE: ("not activated within one business day of the receipt: activated at the deadline", pending_grant),
    Event.START_TERM: ("paid term started", _term_started),
    Event.EXPIRE: ("term ended", _lapsed),
    Event.CUT_OFF: ("unpaid at the last due date", _lapsed),
    Event.END_RETENTION: ("retention period ended", _lapsed),
    Event.PURGE: ("purge window ended", _purged),
}
"""What each deadline does when it falls due: the reason recorded and the fields it sets."""
