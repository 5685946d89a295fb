"""Idempotency keys in SQL: the ``IdempotencyStore`` port (Stripe's semantics), unique by ``(scope, key)``."""

from __future__ import annotations

from sqlalchemy import select

from subscription_core.errors import TransientConflictError, ValidationError
from subscription_core.ports import IdempotencyRecord
from subscription_core_adapters.sql import schema
from subscription_core_adapters.sql.rows import Rows, of_type

__all__ = ["SqlIdempotencyStore"]

_T = schema.idempotency_keys


class SqlIdempotencyStore:
    """Idempotency records of one unit of work."""

    def __init__(self, rows: Rows) -> None:
        """Work on the unit of work's connection."""
        self._rows = rows

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The record of ``key`` within ``scope`` (the use case's name), or ``None``."""
        query = select(_T.c.key, _T.c.fingerprint, _T.c.outcome, _T.c.created_at)
        row = self._rows.execute(query.where(_T.c.scope == scope, _T.c.key == key), "read the idempotency key").first()
        if row is None:
            return None
        return IdempotencyRecord(
            key=row.key, fingerprint=row.fingerprint, outcome=row.outcome, created_at=row.created_at
        )

    def put(self, scope: str, record: IdempotencyRecord) -> None:
        """Store the record. Raises ``ConflictError`` if the key is already stored in the scope."""
        of_type(record, IdempotencyRecord, "record")
        if not isinstance(scope, str) or not scope.strip():
            raise ValidationError("must be a non-empty text", field="scope", value=scope)
        row = {
            "scope": scope,
            "key": record.key,
            "fingerprint": record.fingerprint,
            "outcome": record.outcome,
            "created_at": record.created_at,
        }
        if not self._rows.insert_new(_T, row, "store the idempotency key"):
            # Taken by a concurrent request with the same key: running again replays its outcome.
            raise TransientConflictError("this idempotency key is already stored", field="key", value=record.key)
