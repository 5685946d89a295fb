"""Refunds in memory: the ``RefundRepository`` port (Y8).

Rows are keyed by id and indexed by order, customer, payment and transfer reference; listings are ordered
by when each refund was requested, then by id.
"""

from __future__ import annotations

import datetime as dt

from subscription_core.errors import ValidationError
from subscription_core.refunds import Refund, RefundState
from subscription_core_adapters.memory.tables import TableView, check_limit, checked

__all__ = ["MemoryRefundRepository"]


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty text", rule="Y8", field=field, value=value)
    return value


class MemoryRefundRepository:
    """Refunds of one unit of work."""

    def __init__(self, rows: TableView[str, Refund]) -> None:
        """Work on the unit of work's window on the table."""
        self._rows = rows

    def add(self, refund: Refund) -> None:
        """Store a new refund. Raises ``ConflictError`` if its id is stored (now, or at commit)."""
        checked(refund, Refund, field="refund", rule="Y8")
        self._rows.insert(refund.id, refund, rule="Y8")

    def get(self, refund_id: str) -> Refund:
        """Return the refund. Raises ``NotFoundError`` if there is none."""
        return self._rows.require(refund_id, field="refund_id", shown=refund_id)

    def save(self, refund: Refund, *, expected_version: int) -> None:
        """Replace it. Raises ``NotFoundError`` if never added, ``ConflictError`` on a version mismatch."""
        checked(refund, Refund, field="refund", rule="Y8")
        self._rows.replace(refund.id, refund, expected_version=expected_version)

    def _listed(self, index: str, value: str, field: str) -> list[Refund]:
        found = self._rows.lookup(index, _text(value, field))
        return sorted(found, key=lambda r: (r.requested_at, r.id))

    def of_order(self, order_id: str) -> list[Refund]:
        """The refunds naming ``order_id``, oldest requested first."""
        return self._listed("order", order_id, "order_id")

    def of_customer(self, customer_id: str) -> list[Refund]:
        """The refunds of ``customer_id``, oldest requested first."""
        return self._listed("customer", customer_id, "customer_id")

    def of_payment(self, payment_id: str) -> list[Refund]:
        """The refunds of the payment ``payment_id``, oldest requested first."""
        return self._listed("payment", payment_id, "payment_id")

    def by_reference(self, reference: str) -> list[Refund]:
        """The refunds whose reference is ``reference``, oldest requested first."""
        return self._listed("reference", reference, "reference")

    def requested(self, *, after: tuple[dt.datetime, str] | None = None, limit: int = 100) -> list[Refund]:
        """Up to ``limit`` refunds still requested, oldest requested first, after ``after`` if given."""
        count = check_limit(limit)
        found = self._rows.scan(
            lambda r: r.state is RefundState.REQUESTED and (after is None or (r.requested_at, r.id) > after)
        )
        return sorted(found, key=lambda r: (r.requested_at, r.id))[:count]
