"""Numbered e-invoices in SQL (``NumberedInvoices``): gapless numbers under concurrency, across processes (I1).

Each invoice is issued in a short transaction of its own, on the store's own engine, apart from the
caller's unit of work: it locks the series' row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the
transaction takes the write lock with ``BEGIN IMMEDIATE``, so writers run one at a time), reads the next
number, builds the documents, writes the invoice and the next number, and commits. Whatever fails before
the commit rolls the whole transaction back, the number with it: numbers never have gaps. The unique
``(order_id, part)`` is the backstop against a second invoice for one key: a transaction that loses that
race reads the winner's invoice back. A serialization failure, deadlock or lock timeout reported by the
database runs the transaction again, a bounded number of times.

Adjusting and replacement invoices (Y8) are issued the same way into ``einvoice_corrections`` (migration
0008), numbered from the same series row: under its lock the transaction reads what was already issued
against the invoice corrected and lets the issuer's check refuse; the unique ``replaces`` column is the
backstop against a second replacement of one invoice.

The tables are ``einvoice_series`` and ``einvoice_documents`` (migration 0003). The core asks for invoices
only after the unit of work that fulfilled an order committed (O7), never while one is open, so the store
may share the core's database; on SQLite a file of its own still keeps its writers apart from the core's.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from subscription_core.errors import ConflictError, ValidationError
from subscription_core.invoice_corrections import CorrectionHistory, CorrectionKind
from subscription_core.money import Money
from subscription_core_adapters.einvoice.store import (
    CorrectionEntry,
    Documents,
    InvoiceKey,
    StoredCorrection,
    StoredInvoice,
    check_documents,
    check_key,
    check_series,
    history_of,
    original_not_found,
    refuse_second_replacement,
)
from subscription_core_adapters.sql import schema
from subscription_core_adapters.sql.driver_errors import TransientConflictError, translated
from subscription_core_adapters.sql.engine import SQLITE_BEGIN

__all__ = ["SqlNumberedInvoices"]

_SERIES: Final = schema.einvoice_series
_DOCUMENTS: Final = schema.einvoice_documents
_CORRECTIONS: Final = schema.einvoice_corrections
DEFAULT_ATTEMPTS: Final = 8


class SqlNumberedInvoices:
    """Numbered invoices in the database of ``engine`` (migrated to revision 0003 or later).

    ``attempts`` bounds how often one invoice's transaction runs when the database reports a race;
    ``first_delay`` is the pause, in seconds, before the second run (doubling, with jitter, after that).

    Raises:
        ValidationError: ``engine`` is not an Engine, or ``attempts`` is not a whole number >= 1.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        first_delay: float = 0.005,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Keep invoices in ``engine``'s database; nothing connects until the first call."""
        if not isinstance(engine, Engine):
            raise ValidationError("must be a SQLAlchemy Engine", field="engine")
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ValidationError("must be a whole number >= 1", field="attempts", value=attempts)
        self._engine = engine
        self._attempts = attempts
        self._first_delay = first_delay
        self._sleep = sleep

    def issue_once(self, key: InvoiceKey, series: str, build: Callable[[int], Documents]) -> StoredInvoice:
        """See ``NumberedInvoices.issue_once``: one transaction per attempt, holding the series' row lock.

        Raises:
            ValidationError: (I1) a malformed key or series, or what ``build`` raises.
            ConflictError: the database kept reporting races after every attempt, or what ``build`` raises.
            SubscriptionError: the database cannot be reached or refused a statement.
        """
        key, series = check_key(key), check_series(series)
        for attempt in range(1, self._attempts + 1):
            try:
                return self._issue(key, series, build)
            except TransientConflictError as exc:
                if attempt == self._attempts:
                    raise ConflictError(
                        f"gave up issuing an e-invoice after {attempt} attempts: concurrent transactions kept"
                        f" interfering ({exc.message})",
                        rule="I1",
                        field="transaction",
                        value=attempt,
                    ) from exc
                self._sleep(self._first_delay * 2 ** (attempt - 1) * (1 + random.random()))  # noqa: S311 - jitter
            except ConflictError:
                # Lost the race for the key's unique row: the winner's invoice is the answer.
                winner = self.get(key)
                if winner is None:
                    raise
                return winner
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def correct_once(
        self,
        entry: CorrectionEntry,
        series: str,
        build: Callable[[int], Documents],
        check: Callable[[CorrectionHistory], None],
    ) -> StoredCorrection:
        """See ``NumberedInvoices.correct_once``: one transaction per attempt, holding the series' row lock.

        Raises as ``issue_once`` does, and ``NotFoundError`` / ``InvalidTransitionError`` (Y8) as the protocol says.
        """
        series = check_series(series)
        for attempt in range(1, self._attempts + 1):
            try:
                return self._correct(entry, series, build, check)
            except TransientConflictError as exc:
                if attempt == self._attempts:
                    raise ConflictError(
                        f"gave up issuing a corrective e-invoice after {attempt} attempts ({exc.message})",
                        rule="Y8",
                        field="transaction",
                        value=attempt,
                    ) from exc
                self._sleep(self._first_delay * 2 ** (attempt - 1) * (1 + random.random()))  # noqa: S311 - jitter
            except ConflictError:
                # Lost a race for the key (the winner's invoice is the answer) or for the replacement of the
                # invoice (the next attempt sees the winner and refuses).
                winner = self.get_correction(entry.key)
                if winner is not None:
                    return winner
                if attempt == self._attempts:
                    raise
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def _correct(
        self,
        entry: CorrectionEntry,
        series: str,
        build: Callable[[int], Documents],
        check: Callable[[CorrectionHistory], None],
    ) -> StoredCorrection:
        with translated("connect to the database"):
            connection = self._engine.connect()
        try:
            stored = _find_correction(connection, entry.key)
            with translated("end a read"):
                connection.rollback()
            if stored is not None:
                return stored
            if connection.dialect.name == "sqlite":
                connection.info[SQLITE_BEGIN] = "BEGIN IMMEDIATE"
            with translated("issue the corrective e-invoice"), connection.begin():
                return _take_correction_number(connection, entry, series, build, check)
        finally:
            connection.close()

    def get_correction(self, key: str) -> StoredCorrection | None:
        """See ``NumberedInvoices.get_correction``. Raises ``SubscriptionError`` if the database fails."""
        with translated("read the corrective e-invoice"), self._engine.connect() as connection:
            return _find_correction(connection, key)

    def find(self, series: str, number: int) -> StoredInvoice | StoredCorrection | None:
        """See ``NumberedInvoices.find``. Raises ``SubscriptionError`` if the database fails."""
        with translated("read the e-invoice"), self._engine.connect() as connection:
            return _find_number(connection, series, number)

    def corrections_of(self, series: str, number: int) -> list[StoredCorrection]:
        """See ``NumberedInvoices.corrections_of``. Raises ``SubscriptionError`` if the database fails."""
        with translated("read the corrective e-invoices"), self._engine.connect() as connection:
            return _corrections_of(connection, series, number)

    def _issue(self, key: InvoiceKey, series: str, build: Callable[[int], Documents]) -> StoredInvoice:
        with translated("connect to the database"):
            connection = self._engine.connect()
        try:
            stored = _find(connection, key)
            with translated("end a read"):
                connection.rollback()
            if stored is not None:
                return stored
            if connection.dialect.name == "sqlite":
                connection.info[SQLITE_BEGIN] = "BEGIN IMMEDIATE"
            with translated("issue the e-invoice"), connection.begin():
                return _take_number(connection, key, series, build)
        finally:
            connection.close()

    def get(self, key: InvoiceKey) -> StoredInvoice | None:
        """See ``NumberedInvoices.get``. Raises ``SubscriptionError`` if the database fails."""
        key = check_key(key)
        with translated("read the e-invoice"), self._engine.connect() as connection:
            return _find(connection, key)

    def numbers(self, series: str) -> list[int]:
        """See ``NumberedInvoices.numbers``. Raises ``SubscriptionError`` if the database fails."""
        invoices = select(_DOCUMENTS.c.number).where(_DOCUMENTS.c.series == series)
        corrections = select(_CORRECTIONS.c.number).where(_CORRECTIONS.c.series == series)
        with translated("read the e-invoice numbers"), self._engine.connect() as connection:
            used = [*connection.execute(invoices).scalars(), *connection.execute(corrections).scalars()]
        return sorted(int(n) for n in used)


def _take_number(
    connection: Connection, key: InvoiceKey, series: str, build: Callable[[int], Documents]
) -> StoredInvoice:
    """In the open transaction: lock the series, re-check the key, build, store. Raises what ``build`` raises."""
    number = _lock_series(connection, series)
    stored = _find(connection, key)  # READ COMMITTED: sees an invoice committed while this one waited
    if stored is not None:
        return stored
    stored = StoredInvoice.of(key, series, number, check_documents(build(number)))
    connection.execute(update(_SERIES).where(_SERIES.c.series == series).values(next_number=number + 1))
    connection.execute(insert(_DOCUMENTS), _row(stored))
    return stored


def _lock_series(connection: Connection, series: str) -> int:
    """The series' next number, its row locked until the transaction ends (created at 1 if new)."""
    query = select(_SERIES.c.next_number).where(_SERIES.c.series == series)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    number = connection.execute(query).scalar_one_or_none()
    if number is None:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        new = dialect.insert(_SERIES).values(series=series, next_number=1).on_conflict_do_nothing()
        connection.execute(new)
        number = connection.execute(query).scalar_one()
    return int(number)


def _row(stored: StoredInvoice) -> Mapping[str, Any]:
    return {
        "series": stored.series,
        "number": stored.number,
        "order_id": stored.order_id,
        "part": stored.part,
        "issued_at": stored.issued_at,
        "grand_total": stored.grand_total.amount,
        "currency": stored.grand_total.currency.code,
        "xml": stored.xml,
        "html": stored.html,
    }


def _find(connection: Connection, key: InvoiceKey) -> StoredInvoice | None:
    query = select(_DOCUMENTS).where(_DOCUMENTS.c.order_id == key[0], _DOCUMENTS.c.part == key[1])
    with translated("read the e-invoice"):
        row = connection.execute(query).first()
    return None if row is None else _invoice(row)


def _invoice(row: Any) -> StoredInvoice:  # noqa: ANN401 - a SQLAlchemy row
    return StoredInvoice(
        order_id=row.order_id,
        part=row.part,
        series=row.series,
        number=row.number,
        issued_at=row.issued_at,
        grand_total=Money.of(row.grand_total, row.currency),
        xml=bytes(row.xml),
        html=row.html,
    )


def _take_correction_number(
    connection: Connection,
    entry: CorrectionEntry,
    series: str,
    build: Callable[[int], Documents],
    check: Callable[[CorrectionHistory], None],
) -> StoredCorrection:
    """In the open transaction: lock the series, re-check the key, check the history, build, store."""
    number = _lock_series(connection, series)
    stored = _find_correction(connection, entry.key)
    if stored is not None:
        return stored
    original = _find_number(connection, entry.original_series, entry.original_number)
    if original is None:
        raise original_not_found(entry)
    history = history_of(original, _corrections_of(connection, entry.original_series, entry.original_number))
    refuse_second_replacement(entry, history)
    check(history)
    stored = StoredCorrection.of(entry, series, number, check_documents(build(number)))
    connection.execute(update(_SERIES).where(_SERIES.c.series == series).values(next_number=number + 1))
    replaces = f"{entry.original_series}/{entry.original_number}" if entry.kind is CorrectionKind.REPLACEMENT else None
    connection.execute(insert(_CORRECTIONS), {**_correction_row(stored), "replaces": replaces})
    return stored


def _correction_row(stored: StoredCorrection) -> dict[str, Any]:
    return {
        "key": stored.key,
        "kind": stored.kind.value,
        "order_id": stored.order_id,
        "part": stored.part,
        "original_series": stored.original_series,
        "original_number": stored.original_number,
        "series": stored.series,
        "number": stored.number,
        "issued_at": stored.issued_at,
        "grand_total": stored.grand_total.amount,
        "currency": stored.grand_total.currency.code,
        "xml": stored.xml,
        "html": stored.html,
    }


def _correction(row: Any) -> StoredCorrection:  # noqa: ANN401 - a SQLAlchemy row
    return StoredCorrection(
        key=row.key,
        kind=CorrectionKind(row.kind),
        order_id=row.order_id,
        part=row.part,
        original_series=row.original_series,
        original_number=row.original_number,
        series=row.series,
        number=row.number,
        issued_at=row.issued_at,
        grand_total=Money.of(row.grand_total, row.currency),
        xml=bytes(row.xml),
        html=row.html,
    )


def _find_correction(connection: Connection, key: str) -> StoredCorrection | None:
    with translated("read the corrective e-invoice"):
        row = connection.execute(select(_CORRECTIONS).where(_CORRECTIONS.c.key == key)).first()
    return None if row is None else _correction(row)


def _corrections_of(connection: Connection, series: str, number: int) -> list[StoredCorrection]:
    query = (
        select(_CORRECTIONS)
        .where(_CORRECTIONS.c.original_series == series, _CORRECTIONS.c.original_number == number)
        .order_by(_CORRECTIONS.c.series, _CORRECTIONS.c.number)
    )
    with translated("read the corrective e-invoices"):
        return [_correction(row) for row in connection.execute(query)]


def _find_number(connection: Connection, series: str, number: int) -> StoredInvoice | StoredCorrection | None:
    with translated("read the e-invoice"):
        row = connection.execute(
            select(_DOCUMENTS).where(_DOCUMENTS.c.series == series, _DOCUMENTS.c.number == number)
        ).first()
        if row is not None:
            return _invoice(row)
        found = connection.execute(
            select(_CORRECTIONS).where(_CORRECTIONS.c.series == series, _CORRECTIONS.c.number == number)
        ).first()
    return None if found is None else _correction(found)
