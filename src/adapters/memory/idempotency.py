"""Idempotency keys in memory: the ``IdempotencyStore`` port (Stripe's semantics)."""

from __future__ import annotations

from subscription_core.errors import ValidationError
from subscription_core.ports import IdempotencyRecord
from subscription_core_adapters.memory.tables import TableView, checked

__all__ = ["MemoryIdempotencyStore"]


class MemoryIdempotencyStore:
    """Idempotency records of one unit of work, unique by ``(scope, key)``."""

    def __init__(self, view: TableView[tuple[str, str], IdempotencyRecord]) -> None:
        """Work on ``view``, the unit of work's window on the idempotency table."""
        self._view = view

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The record of ``key`` within ``scope`` (the use case's name), or ``None``."""
        return self._view.get((scope, key))

    def put(self, scope: str, record: IdempotencyRecord) -> None:
        """Store the record. Raises ``ConflictError`` if the key is already stored in the scope."""
        checked(record, IdempotencyRecord, field="record")
        if not isinstance(scope, str) or not scope.strip():
            raise ValidationError("must be a non-empty text", field="scope", value=scope)
        # Taken by a concurrent request with the same key: running again replays its outcome.
        self._view.insert((scope, record.key), record, field="key", transient=True)
