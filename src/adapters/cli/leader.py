"""The worker's leader lock: one worker among many processes runs the steps, the others wait to take over.

On PostgreSQL it is a session advisory lock (``pg_try_advisory_lock``) held on a connection of its own,
outside the engine's pool, keyed by the schema of the library's tables: workers of two schemas never
exclude each other. The server releases it when that connection ends, so a worker killed outright (or cut
off from the database) hands over to a waiting one. On SQLite it is an OS file lock on a file beside the
database file (``<database>.worker-lock``), which the OS releases when the process ends.

Neither lock is what keeps the steps correct (they are safe side by side; see ``docs/embedding.md``): it
keeps a fleet from doing the same work many times over.

PostgreSQL's advisory locks: https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Final, Protocol

from filelock import FileLock, Timeout
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from subscription_core.errors import ValidationError

__all__ = ["FileLeader", "Leader", "PostgresLeader", "advisory_key", "leader_for"]

_log = logging.getLogger(__name__)
_NAMESPACE: Final = "subscription_core.worker"
LOCK_SUFFIX: Final = ".worker-lock"
"""What the SQLite leader lock's file adds to the database file's name."""


class Leader(Protocol):
    """A lock at most one worker holds."""

    @property
    def description(self) -> str:
        """What the lock is, for the log (never a password)."""
        ...

    def try_acquire(self) -> bool:
        """Take the lock if no one holds it; ``False`` at once otherwise (or when the database is away)."""
        ...

    def still_held(self) -> bool:
        """Whether the lock taken is still ours (a PostgreSQL session can end under us)."""
        ...

    def release(self) -> None:
        """Let the lock go (nothing if not held)."""
        ...


def advisory_key(schema: str) -> int:
    """The signed 64-bit advisory-lock key of the workers of ``schema``: its digest, stable across releases."""
    digest = hashlib.blake2b(f"{_NAMESPACE}:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresLeader:
    """A session advisory lock on a connection of its own (detached from the pool, closed when released)."""

    def __init__(self, engine: Engine) -> None:
        """Prepare the lock on ``engine``'s database; nothing is connected to yet."""
        self._engine = engine
        self._connection: Connection | None = None
        self._schema = "?"

    @property
    def description(self) -> str:
        """The advisory lock and the schema it guards."""
        return f"PostgreSQL advisory lock of schema {self._schema}"

    def try_acquire(self) -> bool:
        """Connect, and take the lock without waiting; a database that is away counts as not taken."""
        self.release()
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            _log.warning("cannot reach the database for the leader lock: %s", type(exc).__name__)
            return False
        connection.detach()  # its own session: never handed back to the pool while it holds the lock
        try:
            self._schema = str(connection.execute(text("SELECT current_schema()")).scalar_one())
            key = advisory_key(self._schema)
            taken = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one())
        except SQLAlchemyError as exc:
            _log.warning("cannot take the leader lock: %s", type(exc).__name__)
            connection.close()
            return False
        if not taken:
            connection.close()
            return False
        self._connection = connection
        return True

    def still_held(self) -> bool:
        """Whether the lock's session is alive (the server keeps the lock exactly as long)."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            self._drop()
            return False
        return True

    def release(self) -> None:
        """Unlock and close the session (closing alone would release it too)."""
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(self._schema)})
        except SQLAlchemyError:
            _log.warning("the leader lock's session was gone: the server had released it")
        self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except SQLAlchemyError:  # a session already dead is gone either way
                _log.debug("closing the leader lock's dead session failed")


class FileLeader:
    """An OS lock on the file beside the SQLite database (``flock`` on POSIX, ``msvcrt`` on Windows)."""

    def __init__(self, database: Path) -> None:
        """Prepare the lock beside ``database``; the lock file is made when first taken."""
        self._path = Path(f"{database}{LOCK_SUFFIX}")
        self._lock = FileLock(self._path, thread_local=False)

    @property
    def description(self) -> str:
        """The lock file."""
        return f"file lock {self._path}"

    def try_acquire(self) -> bool:
        """Take the lock without waiting."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def still_held(self) -> bool:
        """Whether this process holds the lock (the OS keeps it for the life of the process)."""
        return self._lock.is_locked

    def release(self) -> None:
        """Let the lock go."""
        if self._lock.is_locked:
            self._lock.release(force=True)


def leader_for(engine: Engine) -> Leader:
    """The leader lock for the database of ``engine``.

    Raises:
        ValidationError: the engine is neither PostgreSQL nor a SQLite file.
    """
    name = engine.dialect.name
    if name == "postgresql":
        return PostgresLeader(engine)
    database = engine.url.database
    if name == "sqlite" and database and database != ":memory:":
        return FileLeader(Path(database))
    raise ValidationError("the worker runs on PostgreSQL or a SQLite file", field="engine", value=name)
