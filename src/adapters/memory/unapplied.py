"""Unapplied money in memory: the ``UnappliedMoneyRepository`` port (Y6).

Rows are keyed by id and indexed by ``(source, reference)``, a unique index: a provider event or bank
transaction recorded by two units at once is kept once, and the second commit fails with ``ConflictError``.
"""

from __future__ import annotations

from subscription_core.errors import ValidationError
from subscription_core.unapplied import UnappliedMoney, UnappliedState
from subscription_core_adapters.memory.tables import TableView, check_limit, checked

__all__ = ["MemoryUnappliedMoneyRepository"]


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty text", rule="Y6", field=field, value=value)
    return value


class MemoryUnappliedMoneyRepository:
    """Unapplied money of one unit of work."""

    def __init__(self, rows: TableView[str, UnappliedMoney]) -> None:
        """Work on the unit of work's window on the table."""
        self._rows = rows

    def add(self, money: UnappliedMoney) -> bool:
        """Store a new record; ``False`` (and nothing stored) when its ``(source, reference)`` is stored.

        Raises:
            ConflictError: the id is already stored, or a concurrent unit stored the same reference (at commit).
        """
        checked(money, UnappliedMoney, field="money", rule="Y6")
        if self.by_reference(money.source, money.reference) is not None:
            return False
        self._rows.insert(money.id, money, rule="Y6")
        return True

    def get(self, unapplied_id: str) -> UnappliedMoney:
        """Return the record. Raises ``NotFoundError`` if there is none."""
        return self._rows.require(unapplied_id, field="unapplied_id", shown=unapplied_id)

    def save(self, money: UnappliedMoney, *, expected_version: int) -> None:
        """Replace it. Raises ``NotFoundError`` if never added, ``ConflictError`` on a version mismatch."""
        checked(money, UnappliedMoney, field="money", rule="Y6")
        self._rows.replace(money.id, money, expected_version=expected_version)

    def by_reference(self, source: str, reference: str) -> UnappliedMoney | None:
        """Return the record of ``(source, reference)``, or ``None``."""
        key = (_text(source, "source"), _text(reference, "reference"))
        found = self._rows.lookup("reference", key)
        return found[0] if found else None

    def listing(
        self, *, state: UnappliedState | None = None, customer_id: str | None = None, limit: int = 100
    ) -> list[UnappliedMoney]:
        """Up to ``limit`` records in ``state`` of ``customer_id`` (either ``None``: any), oldest received first."""
        count = check_limit(limit)
        if state is not None and not isinstance(state, UnappliedState):
            raise ValidationError("must be an UnappliedState", rule="Y6", field="state", value=state)
        if customer_id is not None:
            _text(customer_id, "customer_id")
        rows = self._rows.lookup("state", state) if state is not None else self._rows.scan(lambda _m: True)
        rows = [m for m in rows if customer_id is None or m.customer_id == customer_id]
        return sorted(rows, key=lambda m: (m.received_at, m.id))[:count]
