"""Unapplied money in SQL: the ``UnappliedMoneyRepository`` port (Y6).

A record is a row keyed by id with a unique ``(source, reference)``; adding one is an ``INSERT ... ON
CONFLICT DO NOTHING``, so however many calls race for one provider event or bank transaction, one row is
kept and the others see ``False``. On PostgreSQL a racing insert waits for the first one's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from subscription_core.errors import ConflictError, NotFoundError, ValidationError
from subscription_core.unapplied import UnappliedMoney, UnappliedState
from subscription_core_adapters.sql import schema
from subscription_core_adapters.sql.rows import Rows, check_limit, of_type
from subscription_core_adapters.sql.serialization import from_document, to_document

__all__ = ["SqlUnappliedMoneyRepository"]

_U = schema.unapplied_money


def _row(money: UnappliedMoney) -> dict[str, Any]:
    return {
        "id": money.id,
        "version": money.version,
        "source": money.source,
        "reference": money.reference,
        "state": money.state.value,
        "customer_id": money.customer_id,
        "order_id": money.order_id,
        "received_at": money.received_at,
        "amount": money.amount.amount,
        "currency": money.amount.currency.code,
        "document": to_document(money),
    }


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty text", rule="Y6", field=field, value=value)
    return value


class SqlUnappliedMoneyRepository:
    """Unapplied money of one unit of work."""

    def __init__(self, rows: Rows) -> None:
        """Work on the unit of work's connection."""
        self._rows = rows

    def add(self, money: UnappliedMoney) -> bool:
        """Store a new record; ``False`` (and nothing stored) when its ``(source, reference)`` is stored.

        Raises:
            ConflictError: the id alone is already stored.
        """
        of_type(money, UnappliedMoney, "money")
        if self._rows.insert_new(_U, _row(money), "record unapplied money"):
            return True
        if self.by_reference(money.source, money.reference) is not None:
            return False
        raise ConflictError("this unapplied money record is already stored", rule="Y6", field="id", value=money.id)

    def get(self, unapplied_id: str) -> UnappliedMoney:
        """Return the record. Raises ``NotFoundError`` if there is none."""
        query = select(_U.c.document).where(_U.c.id == unapplied_id)
        document = self._rows.execute(query, "read unapplied money").scalar_one_or_none()
        if document is None:
            raise NotFoundError("no such unapplied money", field="unapplied_id", value=unapplied_id)
        return from_document(document, UnappliedMoney)

    def save(self, money: UnappliedMoney, *, expected_version: int) -> None:
        """Replace it. Raises ``NotFoundError`` if never added, ``ConflictError`` on a version mismatch."""
        of_type(money, UnappliedMoney, "money")
        self._rows.replace(_U, _row(money), expected_version=expected_version, noun="unapplied money record")

    def by_reference(self, source: str, reference: str) -> UnappliedMoney | None:
        """Return the record of ``(source, reference)``, or ``None``."""
        query = select(_U.c.document).where(
            _U.c.source == _text(source, "source"), _U.c.reference == _text(reference, "reference")
        )
        document = self._rows.execute(query, "read unapplied money").scalar_one_or_none()
        return None if document is None else from_document(document, UnappliedMoney)

    def listing(
        self, *, state: UnappliedState | None = None, customer_id: str | None = None, limit: int = 100
    ) -> list[UnappliedMoney]:
        """Up to ``limit`` records in ``state`` of ``customer_id`` (either ``None``: any), oldest received first."""
        count = check_limit(limit)
        query = select(_U.c.document).order_by(_U.c.received_at, _U.c.id).limit(count)
        if state is not None:
            if not isinstance(state, UnappliedState):
                raise ValidationError("must be an UnappliedState", rule="Y6", field="state", value=state)
            query = query.where(_U.c.state == state.value)
        if customer_id is not None:
            query = query.where(_U.c.customer_id == _text(customer_id, "customer_id"))
        found = self._rows.execute(query, "list unapplied money").scalars()
        return [from_document(document, UnappliedMoney) for document in found]
