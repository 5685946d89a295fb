"""Driver errors turned into the library's own, so that no SQLAlchemy, psycopg or sqlite3 error leaks out.

* a lost race the database reports (PostgreSQL serialization failure, deadlock, lock timeout; SQLite busy
  or locked) becomes :class:`TransientConflictError`, a ``ConflictError`` that says retrying the whole
  unit of work may succeed (see :func:`subscription_core_adapters.sql.unit_of_work.run_in_transaction`);
* a broken constraint (a unique key, a foreign key) becomes ``TransientConflictError`` too: another
  transaction stored the row first, and running again reads it and answers for good;
* a value the database cannot hold (a lone surrogate, which no driver encodes; NUL, which PostgreSQL's
  text refuses; a number out of a column's range) becomes ``ValidationError``: the core checks every text
  where it enters (``subscription_core.texts``), and this is the backstop that keeps a driver's encoding
  error from leaking;
* anything else (the database unreachable, a statement refused) becomes :class:`StorageError`: the storage
  failed, not the request, and the same request may succeed once the database is back.

The messages carry the driver's error class, SQLSTATE or SQLite code and its first line only: never the
statement's parameters, which may hold customers' data.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError

# TransientConflictError is the core's, re-exported: the adapter's lost races are the core's transient conflicts.
from subscription_core.errors import StorageError, SubscriptionError, TransientConflictError, ValidationError

__all__ = ["TransientConflictError", "translate", "translated"]

_TRANSIENT_SQLSTATES: Final = frozenset({"40001", "40P01", "55P03"})
"""Serialization failure, deadlock detected, lock not available (lock_timeout)."""
_SQLITE_BUSY: Final = 5
_SQLITE_LOCKED: Final = 6
_PRIMARY_CODE_MASK: Final = 0xFF


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _code(original: BaseException) -> str | None:
    sqlstate = getattr(original, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate
    name = getattr(original, "sqlite_errorname", None)
    return name if isinstance(name, str) else None


def _sqlite_busy(original: BaseException) -> bool:
    code = getattr(original, "sqlite_errorcode", None)
    return (
        isinstance(original, sqlite3.Error)
        and isinstance(code, int)
        and (code & _PRIMARY_CODE_MASK in (_SQLITE_BUSY, _SQLITE_LOCKED))
    )


def translate(error: SQLAlchemyError, action: str) -> SubscriptionError:
    """The library's error for a driver ``error`` raised while doing ``action`` (``"save the order"``)."""
    original = error.orig if isinstance(error, DBAPIError) else error
    original = original if isinstance(original, BaseException) else error
    code = _code(original)
    detail = f"{type(original).__name__}: {_first_line(original)}"
    if code in _TRANSIENT_SQLSTATES or _sqlite_busy(original):
        return TransientConflictError(
            f"could not {action}: a concurrent transaction got in the way ({detail}); retry the unit of work",
            field="transaction",
            value=code,
        )
    if isinstance(error, IntegrityError):
        # A unique key another transaction took first: running again reads that row and answers for good.
        return TransientConflictError(
            f"could not {action}: a stored record conflicts ({detail})", field="database", value=code
        )
    if isinstance(error, DataError):
        return ValidationError(f"could not {action}: the database cannot hold a value ({detail})", field="database")
    failed = f"could not {action}: the database failed ({detail})"
    if code is None:  # no SQLSTATE or SQLite code (the server unreachable, say): nothing to show after "got"
        return StorageError(failed, field="database")
    return StorageError(failed, field="database", value=code)


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Run the block, raising the library's error (chained to the driver's) for any driver error."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise translate(exc, action) from exc
    except UnicodeEncodeError as exc:  # raised by the driver while binding, never wrapped by SQLAlchemy
        raise ValidationError(
            f"could not {action}: a text holds U+{ord(exc.object[exc.start]):04X}, which the database cannot encode",
            field="database",
        ) from exc
