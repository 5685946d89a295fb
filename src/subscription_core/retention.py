"""Data retention after expiry: the read-only archive and who may write (rules S4, S5).

When a subscription expires its data is kept for the product's purge window (S4, 30 days by default) and
then purged. During that window, and only then, the customer may buy a data-retention package (S5): a
quantity of the package's time unit, starting on the day it is bought. While it runs the subscription is a
read-only archive: viewing and printing are allowed, every add, edit or delete is refused.

When the archive ends a fresh purge window opens [decision]: the customer is warned before it ends
(``LifecyclePolicy.warning_days``) and, after it, may still renew (a new term from the renewal date, S2)
or buy more retention, until the new window ends and the data is purged. Retention bought while an archive
runs extends it. :func:`ensure_writable` is the one guard a host calls before any write.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from subscription_core.calendar import local_date
from subscription_core.catalog import Addon, AddonKind
from subscription_core.entitlements import Anchor
from subscription_core.errors import NotEligibleError, ReadOnlyError
from subscription_core.lifecycle import Outcome, act, advance
from subscription_core.renewals import check_addon
from subscription_core.subscriptions import Actor, Details, Event, State, Subscription
from subscription_core.terms import TermUnit

__all__ = ["Access", "access", "buy_retention", "ensure_writable"]


class Access(enum.Enum):
    """What a customer may do with a subscription's data."""

    FULL = "full"
    READ_ONLY = "read_only"  # view and print (S5)
    NONE = "none"


_ACCESS: Final = {
    State.TRIAL: Access.FULL,
    State.ACTIVE: Access.FULL,
    State.ACTIVE_ON_COMMITMENT: Access.FULL,  # usage continues until the due date (K1)
    State.READ_ONLY: Access.READ_ONLY,
}

_REFUSALS: Final = {
    State.READ_ONLY: ("S5", "the subscription is a read-only data archive: view and print only"),
    State.EXPIRED: ("S4", "the subscription has expired; renew it to make changes"),
    State.CUT_OFF: ("K4", "the subscription was cut off, unpaid at its last due date"),
    State.PURGED: ("S4", "the subscription's data was purged"),
    State.CANCELLED: ("S1", "the subscription was cancelled"),
    State.AWAITING_ACTIVATION: ("Y3", "the subscription is paid but not activated yet"),
}

_STILL_ACTIVE: Final = (State.TRIAL, State.AWAITING_ACTIVATION, State.ACTIVE, State.ACTIVE_ON_COMMITMENT)


def access(subscription: Subscription, at: datetime) -> Access:
    """Return what the customer may do at ``at``, after the transitions due by then (S4, S5).

    Raises:
        ValidationError: (D2) ``at`` is naive.
    """
    return _ACCESS.get(advance(subscription, at).subscription.state, Access.NONE)


def ensure_writable(subscription: Subscription, at: datetime) -> None:
    """Return quietly if the customer may add, edit or delete data at ``at``; the guard of every write (S5).

    Judged on the subscription as it is at ``at`` (a subscription whose term ended an hour ago refuses
    writes even if the scheduler has not run yet). Viewing and printing are never refused here.

    Raises:
        ReadOnlyError: with the rule and the state: a read-only archive (S5), expired or purged (S4), cut off
            (K4), cancelled (S1), or paid but not activated yet (Y3).
        ValidationError: (D2) ``at`` is naive.
    """
    state = advance(subscription, at).subscription.state
    if state in _ACCESS and _ACCESS[state] is Access.FULL:
        return
    rule, message = _REFUSALS[state]
    raise ReadOnlyError(message, rule=rule, field="state", value=state.value)


def buy_retention(
    subscription: Subscription, addon: Addon, quantity: int, at: datetime, *, actor: Actor, reason: str = ""
) -> Outcome:
    """Buy ``quantity`` units of the retention package ``addon``: a read-only archive from today (S5).

    Allowed only while the subscription is expired and its data not yet purged, that is with its last
    day of use ``E``: ``E < today <= E + purge window`` (:attr:`Subscription.purge_at` is exclusive); or
    while an archive runs, which it then extends.

    Raises:
        NotEligibleError: (S5) the subscription is still active (with the day it expires) or its data was
            already purged; (C3) the package does not go with the plan.
        ValidationError: (S5) ``addon`` is not a retention package, or ``quantity`` is out of bounds.
        InvalidTransitionError: (S1) cut off or cancelled.
    """
    check_addon(addon, AddonKind.RETENTION, quantity, subscription.plan_code, rule="S5")
    caught = advance(subscription, at)
    _check_eligible(caught.subscription)
    cycle = addon.retention_unit
    if cycle is None:  # pragma: no cover - a RETENTION add-on always has a unit (catalog validation)
        raise NotEligibleError("the package has no time unit", rule="S5", field="retention_unit")
    unit, length = TermUnit(cycle.unit.value), cycle.length * quantity

    def change(sub: Subscription, at: datetime) -> tuple[Mapping[str, Any], Details]:
        if sub.retention is not None:
            retention = sub.retention.extended(unit, length)
        else:
            retention = Anchor.starting(local_date(at), unit, length)
        details = (("retention_start", retention.day.isoformat()), ("retention_end", retention.end.isoformat()))
        return {"retention": retention, "lapsed_on": None}, details

    reason = reason or "data retention bought"
    outcome = act(caught.subscription, Event.BUY_RETENTION, at, actor=actor, reason=reason, change=change)
    return Outcome(subscription=outcome.subscription, notices=(*caught.notices, *outcome.notices))


def _check_eligible(subscription: Subscription) -> None:
    state = subscription.state
    if state in _STILL_ACTIVE:
        last = subscription.last_day
        until = f" (its last day is {last.isoformat()})" if last else ""
        raise NotEligibleError(
            f"the subscription is still active{until}; data retention can be bought only after it expires",
            rule="S5",
            field="state",
            value=state.value,
        )
    if state is State.PURGED:
        record = subscription.purge_record
        when = f" on {local_date(record.purged_at).isoformat()}" if record else ""
        raise NotEligibleError(
            f"the data was already purged{when}; nothing is left to retain", rule="S5", field="state", value=state.value
        )
