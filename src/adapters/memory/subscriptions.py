"""Subscriptions in memory: the ``SubscriptionRepository`` port (S1-S9), due ones found through a sorted index."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from subscription_core.subscriptions import Subscription
from subscription_core_adapters.memory.tables import TableView, check_instant, check_limit, checked

__all__ = ["MemorySubscriptionRepository"]

_HELD = "held"  # the one value of the store's "held_back" index


class MemorySubscriptionRepository:
    """Subscriptions of one unit of work; ``due`` reads the sorted ``(next_due_at, id)`` index."""

    def __init__(self, view: TableView[str, Subscription]) -> None:
        """Work on ``view``, the unit of work's window on the subscriptions table."""
        self._view = view

    def add(self, subscription: Subscription) -> None:
        """Store a new subscription. Raises ``ConflictError`` if the id is already stored."""
        self._view.insert(checked(subscription, Subscription, field="subscription").id, subscription)

    def get(self, subscription_id: str) -> Subscription:
        """Return the subscription. Raises ``NotFoundError`` if there is none."""
        return self._view.require(subscription_id, field="subscription_id", shown=subscription_id)

    def save(self, subscription: Subscription, *, expected_version: int) -> None:
        """Replace it.

        Raises:
            NotFoundError: there is no subscription with its id.
            ConflictError: the stored version is not ``expected_version``.
        """
        stored = checked(subscription, Subscription, field="subscription")
        self._view.replace(stored.id, stored, expected_version=expected_version)

    def save_many(self, changes: Sequence[tuple[Subscription, int]]) -> None:
        """Replace each ``(subscription, expected_version)`` as :meth:`save` does, in order."""
        for subscription, expected_version in changes:
            self.save(subscription, expected_version=expected_version)

    def get_many(self, subscription_ids: Sequence[str]) -> dict[str, Subscription]:
        """The subscriptions with these ids, by id; ids with none are left out."""
        found = {}
        for subscription_id in dict.fromkeys(subscription_ids):
            subscription = self._view.get(subscription_id)
            if subscription is not None:
                found[subscription_id] = subscription
        return found

    def of_customer(self, customer_id: str) -> list[Subscription]:
        """A company's subscriptions (S8), ordered by id."""
        return sorted(self._view.lookup("customer", customer_id), key=lambda s: s.id)

    def of_customers(self, customer_ids: Sequence[str]) -> dict[str, list[Subscription]]:
        """Each of these companies' subscriptions, ordered by id; every id given is a key."""
        return {customer_id: self.of_customer(customer_id) for customer_id in dict.fromkeys(customer_ids)}

    def held_back(self, *, limit: int) -> list[Subscription]:
        """Up to ``limit`` subscriptions set aside by the time-driven step, longest held first (then by id)."""
        count = check_limit(limit)
        held = [(s.held_back.since, s.id, s) for s in self._view.lookup("held_back", _HELD) if s.held_back is not None]
        return [s for _, _, s in sorted(held, key=lambda t: (t[0], t[1]))][:count]

    def due(self, at: dt.datetime, *, limit: int) -> list[Subscription]:
        """Up to ``limit`` subscriptions whose ``next_due_at`` is at or before ``at``, earliest first (then by id).

        Costs the number returned, not the number stored.

        Raises:
            ValidationError: (D2) a naive ``at``, or a negative limit.
        """
        when = check_instant(at)
        return self._view.ordered_while(lambda place: place[0] <= when, limit=check_limit(limit))
