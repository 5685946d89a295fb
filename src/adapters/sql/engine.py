"""Engines for the SQL adapter.

* :func:`sqlite_engine` opens (creating it if needed) an SQLite file in WAL mode with foreign keys on, and
  migrates it to the latest schema: the embedded default, nothing to install or run. Without a path it is
  the library's own file, :data:`DEFAULT_SQLITE_FILE`, never a file a host already uses.
* :func:`postgres_engine` connects to PostgreSQL through psycopg 3, with the tables in a schema of the
  library's own (:data:`DEFAULT_SCHEMA` unless told otherwise); a host migrates it with
  :func:`subscription_core_adapters.sql.migrating.upgrade` as part of its deployment.

Nothing here runs at import time: a host calls these from its bootstrap.

Transactions: on PostgreSQL each unit of work runs at READ COMMITTED, with row locks where the ports
demand atomicity (a promotion's row while reserving, the entity's row from a versioned update on). SQLite
allows one writer at a time and isolates snapshots. A transaction whose first statement writes starts with
``BEGIN IMMEDIATE``: it takes the write lock up front (waiting up to ``busy_timeout`` seconds for the
writer before it), so it runs alone and never fails midway. One that starts by reading begins deferred,
so readers never wait; should it write later while another writer has committed since its snapshot,
SQLite refuses the write and the unit of work fails with a retryable ``ConflictError`` rather than act on
stale reads.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.pool import ConnectionPoolEntry

from subscription_core.errors import ValidationError

__all__ = [
    "DEFAULT_POOL_RECYCLE",
    "DEFAULT_SCHEMA",
    "DEFAULT_SQLITE_FILE",
    "SQLITE_BEGIN",
    "create_missing_schema",
    "plain_schema",
    "postgres_engine",
    "sqlite_engine",
]

DEFAULT_SCHEMA: Final = "subscription_core"
"""The PostgreSQL schema of the library's tables when neither the caller nor the DSN names one."""

DEFAULT_SQLITE_FILE: Final = "subscription_core.sqlite3"
"""The SQLite file (in the working directory) of :func:`sqlite_engine` when given no path."""

SQLITE_BEGIN: Final = "subscription_core.sqlite_begin"
"""The connection-info key under which a unit of work asks SQLite for ``BEGIN IMMEDIATE`` (see :mod:`.rows`)."""

DEFAULT_POOL_RECYCLE: Final = 1800.0
"""Seconds after which :func:`postgres_engine` replaces a pooled connection, when next taken."""

_SCHEMA_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def plain_schema(schema: str | None) -> str:
    """``schema``, or :data:`DEFAULT_SCHEMA` for ``None``, checked to be a plain identifier.

    Raises:
        ValidationError: the name is not letters, digits and ``_`` (at most 63, not starting with a digit).
    """
    name = DEFAULT_SCHEMA if schema is None else schema
    if not isinstance(name, str) or not _SCHEMA_NAME.match(name):
        raise ValidationError("must be a plain identifier (letters, digits, '_')", field="schema", value=name)
    return name


def create_missing_schema(connection: Connection) -> None:
    """Create the PostgreSQL schema first on the connection's ``search_path`` if it does not exist yet."""
    path = connection.execute(text("SELECT current_setting('search_path')")).scalar_one()
    first = str(path).split(",")[0].strip().strip('"')
    if not _SCHEMA_NAME.match(first):
        return  # "$user" or a quoted name: the database's own affair
    exists = connection.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": first})
    if exists.first() is None:
        # Checked first: CREATE SCHEMA IF NOT EXISTS would need the CREATE right even when it exists.
        connection.execute(text(f'CREATE SCHEMA "{first}"'))


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:  # noqa: ANN401 - DB-API
    # The driver's own transaction handling is switched off: the "begin" listener issues BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql(connection.info.pop(SQLITE_BEGIN, "BEGIN"))


def sqlite_engine(
    path: str | os.PathLike[str] = DEFAULT_SQLITE_FILE, *, busy_timeout: float = 30.0, migrate: bool = True
) -> Engine:
    """An engine on the SQLite file at ``path``, created if missing and migrated to the latest schema.

    Without ``path`` the file is :data:`DEFAULT_SQLITE_FILE` in the working directory: the library's own,
    so that it never writes its tables into a host's database file.

    ``busy_timeout`` is how long, in seconds, a unit of work waits for another's write lock before
    failing with a retryable ``ConflictError``. ``migrate=False`` skips the migration (for tests that
    build the schema themselves).

    Raises:
        ValidationError: ``path`` is empty or names SQLite's in-memory database, which WAL cannot use.
    """
    text = os.fspath(path)
    if not text or text == ":memory:":
        raise ValidationError("must name a file", field="path", value=text)
    engine = create_engine(
        f"sqlite+pysqlite:///{Path(text).resolve()}", connect_args={"timeout": busy_timeout, "check_same_thread": False}
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin)
    if migrate:
        # Imported here: the migrations module builds on this one (schemas), not the other way round.
        from subscription_core_adapters.sql.migrating import upgrade  # noqa: PLC0415

        upgrade(engine)
    return engine


def postgres_engine(
    dsn: str,
    *,
    schema: str | None = None,
    lock_timeout: float | None = 30.0,
    pool_size: int = 10,
    max_overflow: int = 10,
    pool_recycle: float | None = DEFAULT_POOL_RECYCLE,
    pre_ping: bool = False,
) -> Engine:
    """An engine on the PostgreSQL database ``dsn`` (``postgresql://user@host:port/db``), through psycopg 3.

    ``schema`` puts the adapter's tables in that schema (it becomes the connections' ``search_path``);
    without it they go where the DSN's own ``options=-c search_path=...`` says, else in
    :data:`DEFAULT_SCHEMA`: never in a host's ``public`` schema by accident. ``upgrade`` creates the
    schema if missing. ``lock_timeout`` bounds, in seconds, how long a statement waits
    for another transaction's row lock before failing with a retryable ``ConflictError`` (``None``: wait
    as long as it takes). The engine does not migrate by itself: call :func:`upgrade`.

    Dropped connections: a pooled connection older than ``pool_recycle`` seconds (``None``: never) is replaced
    when next taken, before a firewall or a proxy's idle timeout drops it. One the server dropped anyway (a
    restart, an administrator's ``pg_terminate_backend``) fails the unit of work using it with ``StorageError``,
    having written nothing; that failure discards every connection the pool held before it, so the next unit
    of work connects afresh: run the request again. No connection is tested when taken (SQLAlchemy's
    ``pool_pre_ping``) unless ``pre_ping`` is true: that costs a round trip on every unit of work, three per
    payment notification.

    Raises:
        ValidationError: the DSN is not a PostgreSQL one, ``schema`` is not a plain identifier, or the
            lock timeout is not positive.
    """
    url = make_url(dsn)
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise ValidationError("must be a postgresql:// DSN", field="dsn", value=url.render_as_string())
    url = url.set(drivername="postgresql+psycopg")
    # Keep the DSN's own libpq options (``?options=-c search_path=...``): connect_args would replace them.
    given = url.query.get("options")
    options = [given] if isinstance(given, str) else list(given or ())
    url = url.difference_update_query(["options"])
    if schema is not None or not any("search_path" in option for option in options):
        options.append(f"-c search_path={plain_schema(schema)}")
    if lock_timeout is not None:
        if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, int | float) or not lock_timeout > 0:
            raise ValidationError("must be a positive number of seconds", field="lock_timeout", value=lock_timeout)
        options.append(f"-c lock_timeout={max(1, round(lock_timeout * 1000))}")
    connect_args: dict[str, Any] = {"options": " ".join(options)} if options else {}
    return create_engine(
        url,
        connect_args=connect_args,
        isolation_level="READ COMMITTED",
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=-1 if pool_recycle is None else pool_recycle,
        pool_pre_ping=bool(pre_ping),
    )
