"""Refunds in SQL: the ``RefundRepository`` port (Y8).

A refund is a row keyed by id holding the whole refund as a document, with indexed columns for the order,
customer, payment and transfer reference that list it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from subscription_core.errors import ConflictError, NotFoundError, ValidationError
from subscription_core.refunds import Refund, RefundState
from subscription_core_adapters.sql import schema
from subscription_core_adapters.sql.rows import Rows, check_limit, of_type
from subscription_core_adapters.sql.serialization import from_document, to_document

__all__ = ["SqlRefundRepository"]

_R = schema.refunds


def _row(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "version": refund.version,
        "kind": refund.kind.value,
        "state": refund.state.value,
        "customer_id": refund.customer_id,
        "order_id": refund.order_id,
        "payment_id": refund.payment_id,
        "unapplied_id": refund.unapplied_id,
        "reference": refund.reference,
        "requested_at": refund.requested_at,
        "amount": refund.amount.amount,
        "currency": refund.amount.currency.code,
        "document": to_document(refund),
    }


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty text", rule="Y8", field=field, value=value)
    return value


class SqlRefundRepository:
    """Refunds of one unit of work."""

    def __init__(self, rows: Rows) -> None:
        """Work on the unit of work's connection."""
        self._rows = rows

    def add(self, refund: Refund) -> None:
        """Store a new refund. Raises ``ConflictError`` if its id is stored."""
        of_type(refund, Refund, "refund")
        if not self._rows.insert_new(_R, _row(refund), "add the refund"):
            raise ConflictError("this refund is already stored", rule="Y8", field="id", value=refund.id)

    def get(self, refund_id: str) -> Refund:
        """Return the refund. Raises ``NotFoundError`` if there is none."""
        query = select(_R.c.document).where(_R.c.id == refund_id)
        document = self._rows.execute(query, "read the refund").scalar_one_or_none()
        if document is None:
            raise NotFoundError("no such refund", rule="Y8", field="refund_id", value=refund_id)
        return from_document(document, Refund)

    def save(self, refund: Refund, *, expected_version: int) -> None:
        """Replace it. Raises ``NotFoundError`` if never added, ``ConflictError`` on a version mismatch."""
        of_type(refund, Refund, "refund")
        self._rows.replace(_R, _row(refund), expected_version=expected_version, noun="refund")

    def _listed(self, where: ColumnElement[bool]) -> list[Refund]:
        query = select(_R.c.document).where(where).order_by(_R.c.requested_at, _R.c.id)
        return [from_document(d, Refund) for d in self._rows.execute(query, "list refunds").scalars()]

    def of_order(self, order_id: str) -> list[Refund]:
        """The refunds naming ``order_id``, oldest requested first."""
        return self._listed(_R.c.order_id == _text(order_id, "order_id"))

    def of_customer(self, customer_id: str) -> list[Refund]:
        """The refunds of ``customer_id``, oldest requested first."""
        return self._listed(_R.c.customer_id == _text(customer_id, "customer_id"))

    def of_payment(self, payment_id: str) -> list[Refund]:
        """The refunds of the payment ``payment_id``, oldest requested first."""
        return self._listed(_R.c.payment_id == _text(payment_id, "payment_id"))

    def by_reference(self, reference: str) -> list[Refund]:
        """The refunds whose reference is ``reference``, oldest requested first."""
        return self._listed(_R.c.reference == _text(reference, "reference"))

    def requested(self, *, after: tuple[dt.datetime, str] | None = None, limit: int = 100) -> list[Refund]:
        """Up to ``limit`` refunds still requested, oldest requested first, after ``after`` if given."""
        count = check_limit(limit)
        where = _R.c.state == RefundState.REQUESTED.value
        if after is not None:
            at, last = after
            later = or_(_R.c.requested_at > at, and_(_R.c.requested_at == at, _R.c.id > last))
            where = and_(where, later)
        query = select(_R.c.document).where(where).order_by(_R.c.requested_at, _R.c.id).limit(count)
        return [from_document(d, Refund) for d in self._rows.execute(query, "list refunds").scalars()]
