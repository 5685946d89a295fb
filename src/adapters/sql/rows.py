"""The statements every SQL repository shares, run on one unit of work's connection with driver errors translated.

:class:`Rows` is a unit of work's access to its connection. It inserts a new row or reports that its key
is taken (``INSERT ... ON CONFLICT DO NOTHING``: no error aborts the transaction, so the unit of work can
go on after a refused insert, as with the in-memory adapter), replaces an entity only at the version it
was read (``UPDATE ... WHERE id = ? AND version = ?``), and takes row locks where the database has them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import (
    Connection,
    CursorResult,
    Executable,
    Select,
    Table,
    and_,
    bindparam,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from subscription_core.calendar import ensure_aware
from subscription_core.errors import NotFoundError, SubscriptionError, TransientConflictError, ValidationError
from subscription_core_adapters.sql.driver_errors import translated
from subscription_core_adapters.sql.engine import SQLITE_BEGIN

__all__ = ["Rows", "check_instant", "check_limit", "chunks", "of_type"]

CHUNK: Final = 500  # keys per IN (...) list: well under every driver's limit on bound parameters


def chunks(keys: Sequence[str], size: int = CHUNK) -> list[list[str]]:
    """``keys`` without repeats, cut into lists of at most ``size``; ``ValidationError`` if one is not a text."""
    if isinstance(keys, str) or not all(isinstance(key, str) for key in keys):
        raise ValidationError("must be a sequence of texts", field="ids", value=keys)
    unique = list(dict.fromkeys(keys))
    return [unique[start : start + size] for start in range(0, len(unique), size)]


@functools.cache
def _insert_new(table: Table, dialect: str) -> Executable:
    # Built once per table and dialect: a statement object reused keeps its cache key and compiled form.
    base = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return base.on_conflict_do_nothing().execution_options(preserve_rowcount=True)


@functools.cache
def _versioned_update(table: Table, columns: tuple[str, ...]) -> Executable:
    """``UPDATE table SET <columns> WHERE id = :key_id AND version = :expected_version``, built once per shape."""
    where = and_(table.c.id == bindparam("key_id"), table.c.version == bindparam("expected_version"))
    return update(table).where(where).values({name: bindparam(f"new_{name}") for name in columns})


def _update_parameters(values: Mapping[str, Any], columns: tuple[str, ...], expected_version: object) -> dict[str, Any]:
    """The bound values of :func:`_versioned_update` for one row. Raises ``ValidationError`` for a bad version."""
    if not isinstance(expected_version, int) or isinstance(expected_version, bool):
        raise ValidationError("must be a whole number", field="expected_version", value=expected_version)
    parameters = {f"new_{name}": values[name] for name in columns}
    parameters.update(key_id=values["id"], expected_version=expected_version)
    return parameters


@functools.cache
def _version_of(table: Table) -> Executable:
    return select(table.c.version).where(table.c.id == bindparam("key_id"))


def check_limit(limit: object, *, field: str = "limit") -> int:
    """Return ``limit`` if it is a whole number >= 0. Raises ``ValidationError`` otherwise."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise ValidationError("must be a whole number >= 0", field=field, value=limit)
    return limit


def check_instant(at: dt.datetime, *, field: str = "at") -> dt.datetime:
    """Return ``at`` if it is time-zone-aware (D2). Raises ``ValidationError`` for a naive one."""
    return ensure_aware(at, field=field)


def of_type(value: object, kind: type, field: str) -> None:
    """Check ``value`` is a ``kind``. Raises ``ValidationError`` naming ``field`` otherwise."""
    if not isinstance(value, kind):
        raise ValidationError(f"must be a {kind.__name__}", field=field, value=value)


class Rows:
    """One unit of work's connection, as the repositories use it. Not shared between threads.

    :attr:`known` is what this unit of work last read or wrote of an entity, by ``(table, id)``: the
    version it had then and what a repository needs to skip a statement on save (an order's frozen lines,
    the length of a subscription's history). It holds only while the transaction does: a rollback or a
    new connection forgets it, and a repository uses an entry only when the version saved against is
    the version remembered (the versioned UPDATE then proves nobody changed the row since).
    """

    def __init__(self) -> None:
        """Start unbound: the unit of work binds a connection when it begins."""
        self._connection: Connection | None = None
        self.known: dict[tuple[str, str], tuple[int, Any]] = {}

    def bind(self, connection: Connection | None) -> None:
        """Work on ``connection`` (``None``: the unit of work is over)."""
        self._connection = connection
        self.known.clear()

    def forget(self) -> None:
        """Drop what :attr:`known` remembers (the transaction was rolled back)."""
        self.known.clear()

    @property
    def connection(self) -> Connection:
        """The bound connection. Raises ``SubscriptionError`` outside the unit of work's ``with`` block."""
        if self._connection is None:
            raise SubscriptionError("the unit of work is not begun: use it in a 'with' block", field="uow")
        return self._connection

    @property
    def dialect(self) -> str:
        """The database's dialect name: ``"postgresql"`` or ``"sqlite"``."""
        return self.connection.dialect.name

    def writing(self) -> None:
        """Say the unit of work is about to write: on SQLite, a transaction not yet begun takes the write lock first.

        Call it before the first statement of every writing operation, reads included (a reservation counts
        before it inserts), so that such an operation runs alone from its first read on.
        """
        connection = self.connection
        if connection.dialect.name == "sqlite" and not connection.in_transaction():
            connection.info[SQLITE_BEGIN] = "BEGIN IMMEDIATE"

    def execute(
        self, statement: Executable, action: str, parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] = ()
    ) -> CursorResult[*tuple[Any, ...]]:
        """Run ``statement``; a driver error becomes the library's (``action`` says what was being done).

        ``parameters`` are one row's values, or many rows' to run the statement for each. Values passed
        this way rather than built into the statement keep its compiled form cached.
        """
        with translated(action):
            if isinstance(parameters, Mapping):
                return self.connection.execute(statement, dict(parameters))
            # The adapter's own rows are dicts made for the call: passed as they are, not copied (40,000 per step).
            rows = [p if type(p) is dict else dict(p) for p in parameters]
            return self.connection.execute(statement, rows or None)

    def for_update(self, query: Select[Any]) -> Select[Any]:
        """``query`` locking the rows it reads until the transaction ends, where the database can.

        SQLite has no row locks and needs none: its write transactions run one at a time.
        """
        return query.with_for_update() if self.dialect == "postgresql" else query

    def insert_new(self, table: Table, values: Mapping[str, Any], action: str) -> bool:
        """Insert a row; ``False`` (and nothing written) when a unique key of ``table`` is already taken."""
        self.writing()
        return self.execute(_insert_new(table, self.dialect), action, values).rowcount == 1

    def insert_new_count(self, table: Table, rows: Sequence[Mapping[str, Any]], action: str) -> int:
        """Insert rows in one executemany, skipping those whose unique key is taken; return how many were inserted.

        No ``RETURNING``: the driver sends the one short statement for every row (psycopg in a pipeline, one
        round trip), counted by rowcount. A multi-row ``INSERT ... RETURNING`` would send a long statement
        text that psycopg parses anew for each batch: about four times the CPU per row.
        """
        if not rows:
            return 0
        self.writing()
        return self.execute(_insert_new(table, self.dialect), action, rows).rowcount

    def replace_many(self, table: Table, rows: Sequence[tuple[Mapping[str, Any], int]], *, noun: str) -> None:
        """Update each entity row ``(values, expected_version)`` as :meth:`replace` does, in one executemany.

        Every row must name the same columns. When fewer rows than given were updated, the first row whose
        stored version is not the expected one is reported; the caller's transaction must then be rolled
        back (the others may be updated in it).

        Raises:
            NotFoundError: a row's id is not stored.
            TransientConflictError: a row's stored version is another.
        """
        if not rows:
            return
        self.writing()
        columns = tuple(name for name in rows[0][0] if name != "id")
        parameters = [_update_parameters(values, columns, expected_version) for values, expected_version in rows]
        result = self.execute(_versioned_update(table, columns), f"save the {noun}s", parameters)
        if result.rowcount == len(rows):
            return
        ids = [values["id"] for values, _ in rows]
        query = select(table.c.id, table.c.version).where(table.c.id.in_(ids))
        stored = {row[0]: row[1] for row in self.execute(query, f"read the {noun}s")}
        for values, expected_version in rows:
            shown = values["id"]
            if shown not in stored:
                raise NotFoundError(f"no such {noun}", field="id", value=shown)
            if stored[shown] != values.get("version"):  # an updated row holds its new version
                raise TransientConflictError(
                    f"the {noun} {shown} was saved by someone else since it was read (stored version {stored[shown]})",
                    field="expected_version",
                    value=expected_version,
                )
        # Every row holds the version it was to get: someone else saved one at that very version first.
        raise TransientConflictError(
            f"some {noun}s were saved by someone else since they were read", field="expected_version"
        )

    def replace(self, table: Table, values: Mapping[str, Any], *, expected_version: int, noun: str) -> None:
        """Update the entity row whose ``id`` is ``values["id"]`` if its stored version is ``expected_version``.

        Raises:
            NotFoundError: no row has that id.
            TransientConflictError: the stored version is another (the entity was saved since it was read).
        """
        columns = tuple(name for name in values if name != "id")
        parameters = _update_parameters(values, columns, expected_version)
        self.writing()
        shown = values["id"]
        if self.execute(_versioned_update(table, columns), f"save the {noun}", parameters).rowcount == 1:
            return
        stored = self.execute(_version_of(table), f"read the {noun}", {"key_id": shown}).scalar_one_or_none()
        if stored is None:
            raise NotFoundError(f"no such {noun}", field="id", value=shown)
        raise TransientConflictError(
            f"the {noun} {shown} was saved by someone else since it was read (stored version {stored})",
            field="expected_version",
            value=expected_version,
        )
