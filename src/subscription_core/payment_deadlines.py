"""Payment deadlines and payment reminders of placed orders (O4, O8).

A placed order awaits payment until its deadline (O4): the end of the local day ``pay_within_days`` after
it is placed, but never past the last moment what it buys could still be granted (O8). That moment is a
:class:`PayLimit`:

* a renewal, a trial's conversion and a data-retention package: the purge of the subscription's data
  (:func:`purge_limit`; for a subscription still running, its expiry plus the purge window, S4);
* a storage top-up: the end of the paid time (:func:`paid_time_limit`, S6);
* a bulk renewal: the earliest purge of its clients' subscriptions (:meth:`PayLimit.earliest`).

An order whose limit is past, or less than :data:`MIN_TIME_TO_PAY` away, is refused when placed, naming
the limit (:func:`payment_deadline`). Before its deadline the customer is reminded at lead times in days
(:data:`DEFAULT_REMINDER_DAYS`); a reminder is due at 00:00 local, that many days before the deadline's
local date (:func:`reminder_at`), and one whose time has passed when the order is placed is never sent
(:func:`reminders_ahead`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final

import attrs

from subscription_core.calendar import VIETNAM_TZ, end_of_local_day, local_date, start_of_local_day
from subscription_core.errors import NotEligibleError, ValidationError, aware, non_empty_text
from subscription_core.subscriptions import Event, State, Subscription

__all__ = [
    "DEFAULT_REMINDER_DAYS",
    "MIN_TIME_TO_PAY",
    "PayLimit",
    "check_reminder_days",
    "due_reminder",
    "paid_time_limit",
    "payment_deadline",
    "purge_limit",
    "reminder_at",
    "reminders_ahead",
]

MIN_TIME_TO_PAY: Final = dt.timedelta(hours=1)
"""The least time an order must leave to pay it; nearer its limit it is not placed at all (O8) [decision]."""
DEFAULT_REMINDER_DAYS: Final = (3, 1)
"""Lead times, in days before the payment deadline, of the payment reminders (O8)."""

_LAPSING: Final = (Event.EXPIRE, Event.CUT_OFF, Event.END_RETENTION)  # each opens a purge window (S4)


@attrs.frozen(kw_only=True)
class PayLimit:
    """The last instant an order can be paid and still be fulfilled, the subscription it depends on, and why (O8)."""

    until: dt.datetime = attrs.field(validator=aware())
    subscription_id: str = attrs.field(validator=non_empty_text())
    why: str = attrs.field(validator=non_empty_text())

    @classmethod
    def earliest(cls, limits: Iterable[PayLimit | None]) -> PayLimit | None:
        """The first of ``limits`` to fall (ties: the smaller subscription id), or ``None`` if there is none."""
        found = [limit for limit in limits if limit is not None]
        return min(found, key=lambda limit: (limit.until, limit.subscription_id)) if found else None


def purge_limit(subscription: Subscription) -> PayLimit | None:
    """When ``subscription`` (as advanced to now) has its data purged if nothing more is paid (S4, O8).

    A purge window running ends at :attr:`Subscription.purge_at`; a subscription still running (a trial,
    active, on commitment, a read-only archive) is purged the purge window after its current deadline; a
    purged one already was. ``None`` while a payment awaits activation, which holds every deadline (Y3).
    """
    why = "its data is purged"
    if subscription.state is State.PURGED:
        record = subscription.purge_record
        when = record.purged_at if record is not None else subscription.history[-1].at
        return PayLimit(until=when, subscription_id=subscription.id, why="its data was purged")
    found = subscription.deadline()
    if found is None:
        return None
    instant, event, _ = found
    if event is Event.PURGE:
        return PayLimit(until=instant, subscription_id=subscription.id, why=why)
    if event not in _LAPSING:
        return None
    window = dt.timedelta(days=subscription.policy.purge_after_days)
    until = start_of_local_day(local_date(instant) + window)
    return PayLimit(until=until, subscription_id=subscription.id, why=why)


def paid_time_limit(subscription: Subscription) -> PayLimit | None:
    """When ``subscription``'s time runs out: what a storage top-up must be paid before (S6, O8)."""
    expires = subscription.expires_at
    if expires is None:
        return None
    return PayLimit(until=expires, subscription_id=subscription.id, why="its paid time ends")


def payment_deadline(at: dt.datetime, *, pay_within_days: int, limit: PayLimit | None = None) -> dt.datetime:
    """The payment deadline of an order placed at ``at`` (O4, O8), in UTC.

    The end of the local day ``pay_within_days`` after ``at``, or ``limit`` if that comes first.

    Raises:
        NotEligibleError: (O8) ``limit`` is past or less than :data:`MIN_TIME_TO_PAY` after ``at``; the
            error names the subscription and the instant.
    """
    deadline = end_of_local_day(local_date(at) + dt.timedelta(days=pay_within_days)).astimezone(dt.UTC)
    if limit is None:
        return deadline
    if limit.until - at < MIN_TIME_TO_PAY:
        shown = limit.until.astimezone(VIETNAM_TZ).strftime("%Y-%m-%d %H:%M")
        raise NotEligibleError(
            f"the order could not be fulfilled once {limit.why} at {shown} (Asia/Ho_Chi_Minh); that leaves less than"
            f" {MIN_TIME_TO_PAY} to pay, so the order is not placed",
            rule="O8",
            field="subscription_id",
            value=limit.subscription_id,
        )
    return min(deadline, limit.until.astimezone(dt.UTC))


def check_reminder_days(value: object, *, field: str = "reminder_days") -> tuple[int, ...]:
    """Return the reminder lead times ``value`` as distinct whole days >= 1, longest first (O8); none is allowed.

    Raises:
        ValidationError: (O8) not a sequence of whole numbers >= 1.
    """
    days = tuple(value) if isinstance(value, tuple | list) else None
    if days is None or any(not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in days):
        raise ValidationError("must be whole numbers of days >= 1", rule="O8", field=field, value=value)
    return tuple(sorted(set(days), reverse=True))


def reminder_at(pay_by: dt.datetime, days: int) -> dt.datetime:
    """When the reminder ``days`` before ``pay_by`` is due: 00:00 local, ``days`` days before its local date (O8)."""
    return start_of_local_day(local_date(pay_by) - dt.timedelta(days=days)).astimezone(dt.UTC)


def reminders_ahead(pay_by: dt.datetime, days: Iterable[int], *, placed_at: dt.datetime) -> tuple[int, ...]:
    """The lead times of ``days`` whose reminder falls after ``placed_at``, longest first (O8).

    Raises:
        ValidationError: (O8) a lead time that is not a whole number of days >= 1.
    """
    leads = check_reminder_days(list(days))
    return tuple(d for d in leads if reminder_at(pay_by, d) > placed_at)


def due_reminder(pay_by: dt.datetime, days: Iterable[int], *, at: dt.datetime) -> int | None:
    """The lead time of ``days`` whose reminder to send at ``at``, or ``None`` (O8).

    Of several whose time has come (the scheduler lagged), only the nearest to the deadline is due; none
    once the deadline has passed (the order lapses instead).
    """
    if at >= pay_by:
        return None
    due = [lead for lead in days if reminder_at(pay_by, lead) <= at]
    return min(due) if due else None
