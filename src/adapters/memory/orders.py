"""Orders in memory: the ``OrderRepository`` port (O1-O5, O8), placed ones found through a sorted index.

The index holds each placed order at the first instant something is due for it: its next payment reminder
(O8), else its payment deadline (O4). Both queries walk it only as far as ``at``: they read the orders due
for something, never the whole table.
"""

from __future__ import annotations

import datetime as dt

from subscription_core.orders import Order
from subscription_core.transfers import is_transfer_reference
from subscription_core_adapters.memory.tables import TableView, check_instant, check_limit, checked

__all__ = ["MemoryOrderRepository"]


class MemoryOrderRepository:
    """Orders of one unit of work; placed orders are indexed by ``(next reminder or pay_by, id)``."""

    def __init__(self, view: TableView[str, Order]) -> None:
        """Work on ``view``, the unit of work's window on the orders table."""
        self._view = view

    def add(self, order: Order) -> None:
        """Store a new order. Raises ``ConflictError`` if the id is already stored."""
        self._view.insert(checked(order, Order, field="order").id, order)

    def get(self, order_id: str) -> Order:
        """Return the order. Raises ``NotFoundError`` if there is none."""
        return self._view.require(order_id, field="order_id", shown=order_id)

    def save(self, order: Order, *, expected_version: int) -> None:
        """Replace it.

        Raises:
            NotFoundError: there is no order with its id.
            ConflictError: the stored version is not ``expected_version``.
        """
        self._view.replace(checked(order, Order, field="order").id, order, expected_version=expected_version)

    def of_customer(self, customer_id: str) -> list[Order]:
        """Orders with lines for a customer (bulk renewals included), newest first (by creation, then id)."""
        found = self._view.lookup("customer", customer_id)
        return sorted(found, key=lambda o: (o.created_at, o.id), reverse=True)

    def unpaid_past_deadline(self, at: dt.datetime, *, limit: int) -> list[Order]:
        """Up to ``limit`` placed orders whose payment deadline is before ``at`` (to lapse, O4).

        Those first due for something come first: by deadline, or by their next reminder still unsent.

        Raises:
            ValidationError: (D2) a naive ``at``, or a negative limit.
        """
        when = check_instant(at)
        # Walks the orders due for something before ``at``, passing over those only due for a reminder.
        return self._view.ordered_while(
            lambda place: place[0] < when,
            limit=check_limit(limit),
            keep=lambda order: order.pay_by is not None and order.pay_by < when,
        )

    def reminders_due(self, at: dt.datetime, *, limit: int) -> list[Order]:
        """Up to ``limit`` placed orders with a payment reminder due by ``at`` and their deadline still ahead (O8).

        Earliest reminder first, then by id.

        Raises:
            ValidationError: (D2) a naive ``at``, or a negative limit.
        """
        when = check_instant(at)
        # Walks the orders due for something by ``at``, passing over those past their deadline (to lapse).
        return self._view.ordered_while(
            lambda place: place[0] <= when,
            limit=check_limit(limit),
            keep=lambda order: order.next_reminder_at is not None and order.pay_by is not None and order.pay_by > when,
        )

    def by_transfer_reference(self, reference: str) -> list[Order]:
        """The orders whose transfer reference is ``reference`` (Y3), by id; none for a malformed one."""
        if not is_transfer_reference(reference):
            return []
        return sorted(self._view.lookup("transfer_reference", reference), key=lambda o: o.id)
