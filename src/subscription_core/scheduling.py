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
    """What the time-driven step did: the subscriptions it changed, each change and the notices, in order."""

    subscriptions: tuple[Subscription, ...]
    changes: tuple[Change, ...]
    notices: tuple[Notice, ...]


def run_due(subscriptions: Iterable[Subscription], at: datetime) -> DueRun:
    """The time-driven step: advance every subscription to ``at``; return what changed (S3-S5, Y3, K2, K4).

    Pure: the subscriptions given are not touched. One with nothing due costs one comparison of its
    ``next_due_at``. Idempotent; after downtime every missed transition is applied in order.

    Raises:
        ValidationError: (D2) ``at`` is naive.
    """
    at = utc(at)
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
