"""The scheduler's step: every subscription advanced to the same instant (rules S3-S5, Y3, K2, K4).

A host's periodic job calls :func:`run_due` with the subscriptions it loaded and the current instant. Each
subscription with something due is advanced (:func:`subscription_core.lifecycle.advance`): activations at
their deadline, warnings, expiries, ends of archives, purges, commitment warnings and cut-offs, each
recorded at the instant it fell due (:mod:`subscription_core.deadlines`). The rest cost one comparison of
:attr:`~subscription_core.subscriptions.Subscription.next_due_at`, which a host may also keep in an indexed
column to load only the subscriptions due.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from subscription_core.errors import utc
from subscription_core.held_back import hold
from subscription_core.lifecycle import Notice, advance
from subscription_core.subscriptions import HistoryEntry, Subscription

__all__ = ["Change", "DueRun", "run_due"]


@attrs.frozen(kw_only=True)
class Change:
    """A transition applied by the time-driven step: the subscription's id and its new history entry."""

    subscription_id: str
    entry: HistoryEntry


@attrs.frozen(kw_only=True)
class DueRun:
    """What the time-driven step did: the subscriptions it changed, each change and the notices, in order.

    ``held_back`` are the ids of the subscriptions it could not advance and set aside (they are among
    ``subscriptions``, to be saved with their hold, and have no change or notice).
    """

    subscriptions: tuple[Subscription, ...]
    changes: tuple[Change, ...]
    notices: tuple[Notice, ...]
    held_back: tuple[str, ...] = ()


def run_due(subscriptions: Iterable[Subscription], at: datetime) -> DueRun:
    """The time-driven step: advance every subscription to ``at``; return what changed (S3-S5, Y3, K2, K4).

    Pure: the subscriptions given are not touched. One with nothing due costs one comparison of its
    ``next_due_at``. Idempotent; after downtime every missed transition is applied in order. One that
    cannot be advanced (advancing it raises) is set aside with a :class:`~subscription_core.held_back.HeldBack`
    and the others go on; it is tried again at the hold's ``retry_at``.

    Raises:
        ValidationError: (D2) ``at`` is naive.
    """
    at = utc(at)
    changed: list[Subscription] = []
    changes: list[Change] = []
    notices: list[Notice] = []
    held: list[str] = []
    for subscription in subscriptions:
        due = subscription.next_due_at
        if due is None or due > at:
            continue
        try:
            outcome = advance(subscription, at)
        except Exception as error:  # noqa: BLE001 - one subscription must not stop the step for every other
            changed.append(_held(subscription, at, error))
            held.append(subscription.id)
            continue
        new = outcome.subscription
        if subscription.held_back is not None:
            new = _lifted(subscription, new)
        changed.append(new)
        changes.extend(Change(subscription_id=new.id, entry=e) for e in new.history[len(subscription.history) :])
        notices.extend(outcome.notices)
    return DueRun(subscriptions=tuple(changed), changes=tuple(changes), notices=tuple(notices), held_back=tuple(held))


def _held(subscription: Subscription, at: datetime, error: Exception) -> Subscription:
    """The subscription set aside after ``error``, one version higher; nothing else of it changes."""
    held = hold(subscription.held_back, at, error)
    return attrs.evolve(subscription, held_back=held, version=subscription.version + 1)


def _lifted(before: Subscription, after: Subscription) -> Subscription:
    """The subscription advanced at last, its hold lifted: a change, so one version higher at least."""
    return attrs.evolve(after, held_back=None, version=max(after.version, before.version + 1))
