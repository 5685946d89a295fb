"""The library's own migration history: upgrade a database, print its SQL offline, read its revision.

The history is the library's alone. Alembic records it in :data:`VERSION_TABLE`, never in the
``alembic_version`` table a host's own Alembic uses, so both histories live in one database, even in one
schema; on PostgreSQL the tables go in a schema of the library's own by default (see
:func:`~subscription_core_adapters.sql.engine.postgres_engine`). The Alembic configuration is built here in
code, from the folder this package is installed in: it works from an installed package, with no ini file
and no source checkout (the ``alembic.ini`` beside the migrations is for the ``alembic`` command).

Databases migrated before the library had a version table of its own recorded its revision in
``alembic_version``: the next upgrade adopts it (:func:`adopt_legacy_revision`).

Every failure is the library's own error, never Alembic's ``CommandError`` or a driver's: a
``ValidationError`` for a malformed argument, a ``SubscriptionError`` for what the database or Alembic
refused (a ``TransientConflictError`` when another process got in the way).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final, TextIO

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, delete, inspect, make_url, select
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from subscription_core.errors import SubscriptionError, ValidationError
from subscription_core_adapters.sql.driver_errors import translate
from subscription_core_adapters.sql.engine import create_missing_schema, plain_schema

__all__ = [
    "LEGACY_VERSION_TABLE",
    "MIGRATIONS",
    "VERSION_TABLE",
    "adopt_legacy_revision",
    "alembic_config",
    "current",
    "library_revisions",
    "offline_sql",
    "upgrade",
]

VERSION_TABLE: Final = "subscription_core_version"
"""The table in which Alembic records the library's revision (a host's Alembic keeps ``alembic_version``)."""

LEGACY_VERSION_TABLE: Final = "alembic_version"
"""Alembic's default version table, where databases migrated before :data:`VERSION_TABLE` recorded it."""

MIGRATIONS: Final = Path(__file__).resolve().with_name("migrations")
"""The Alembic script directory shipped inside the package."""

_FIRST_TABLES: Final = ("customers", "subscriptions", "orders")
"""Tables the library's first revision made: with them present, a library revision id in ``alembic_version``
is the library's, not a host's that happens to be numbered alike."""
_DIALECTS: Final = ("postgresql", "sqlite")
_NAMED_REVISIONS: Final = frozenset({"head", "heads", "base"})


def alembic_config(connection: Connection | None = None, *, output: TextIO | None = None) -> Config:
    """An Alembic configuration for the shipped migrations, built in code (no ini file needed).

    With ``connection``, the migrations run on it, inside its transaction (``env.py`` picks it up);
    ``output`` receives the SQL of an offline (``sql=True``) command.
    """
    config = Config(output_buffer=output)
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def library_revisions() -> frozenset[str]:
    """Every revision id of the library's history (``"0001"``, ``"0002"``, ...)."""
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(step.revision for step in script.walk_revisions())


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database of ``engine`` to ``revision`` (the latest by default), in one transaction.

    Safe to call on every start: an up-to-date database is left as it is. On PostgreSQL the schema the
    engine works in (see :func:`~subscription_core_adapters.sql.engine.postgres_engine`) is created first
    if it does not exist yet. A revision recorded in ``alembic_version`` by an older release is adopted.

    Raises:
        ValidationError: ``revision`` is none of the library's (nor ``head``, ``heads``, ``base``).
        SubscriptionError: the database cannot be reached, refused a statement, or records a revision
            this release does not know (a ``TransientConflictError`` when another process migrates it at
            the same time).
    """
    _checked(revision)
    with _translated("migrate the database", revision), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            create_missing_schema(connection)
        command.upgrade(alembic_config(connection), revision)


def offline_sql(database: str, *, schema: str | None = None, revision: str = "head") -> str:
    """The SQL that migrates an empty database to ``revision``, for a DBA to review and run.

    ``database`` is a dialect (``"postgresql"``, ``"sqlite"``) or a URL of one (only its dialect counts).
    On PostgreSQL the script creates ``schema`` (the library's default schema when ``None``) if missing and
    sets the ``search_path`` to it, and records the revision in ``<schema>.subscription_core_version``.

    Raises:
        ValidationError: an unknown dialect or revision, a malformed schema, or a schema for SQLite.
        SubscriptionError: Alembic could not produce the script.
    """
    _checked(revision)
    try:
        url = make_url(database if "://" in database else f"{database}://")
    except ArgumentError as exc:
        raise ValidationError("must be a dialect or a database URL", field="database", value=database) from exc
    dialect = url.get_backend_name()
    if dialect not in _DIALECTS:
        raise ValidationError("must be postgresql or sqlite", field="database", value=dialect)
    if dialect == "sqlite" and schema is not None:
        raise ValidationError("a SQLite database has no schemas", field="schema", value=schema)
    output = io.StringIO()
    config = alembic_config(output=output)
    config.attributes["url"] = f"{dialect}://"
    config.attributes["schema"] = plain_schema(schema) if dialect == "postgresql" else None
    with _translated("print the migrations' SQL", revision):
        command.upgrade(config, revision, sql=True)
    return output.getvalue()


def current(engine: Engine) -> str | None:
    """The library's revision the database of ``engine`` is at; ``None`` for a database it never migrated.

    Reads :data:`VERSION_TABLE` only (a host's ``alembic_version`` is not the library's), or a revision an
    older release recorded in ``alembic_version`` that the next :func:`upgrade` will adopt.

    Raises:
        SubscriptionError: the database cannot be reached, or records several heads.
    """
    with _translated("read the database's revision", "current"), engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        revision = context.get_current_revision()
        return revision if revision is not None else legacy_revision(connection, library_revisions())


def legacy_revision(connection: Connection, ours: frozenset[str]) -> str | None:
    """The library's revision an older release recorded in ``alembic_version``, if it is there to adopt.

    Only when the library's own version table is absent, the tables of its first revision are present,
    and exactly one row of ``alembic_version`` is one of ``ours``: any other row is a host's.
    """
    inspector = inspect(connection)
    if inspector.has_table(VERSION_TABLE) or not inspector.has_table(LEGACY_VERSION_TABLE):
        return None
    if not all(inspector.has_table(name) for name in _FIRST_TABLES):
        return None
    legacy = _legacy_table()
    recorded = connection.execute(select(legacy.c.version_num)).scalars().all()
    mine = [revision for revision in recorded if revision in ours]
    return mine[0] if len(mine) == 1 else None


def adopt_legacy_revision(connection: Connection, context: MigrationContext, script: ScriptDirectory) -> None:
    """Move the library's revision from ``alembic_version`` to :data:`VERSION_TABLE` (see :func:`legacy_revision`).

    The row moved is the library's only; a host's revisions in ``alembic_version`` stay as they are.
    Run by ``env.py`` inside the migration's transaction, before the migrations.
    """
    ours = frozenset(step.revision for step in script.walk_revisions())
    found = legacy_revision(connection, ours)
    if found is None:
        return
    context.stamp(script, found)
    legacy = _legacy_table()
    connection.execute(delete(legacy).where(legacy.c.version_num == found))


def _legacy_table() -> Table:
    return Table(LEGACY_VERSION_TABLE, MetaData(), Column("version_num", String(32), nullable=False))


def _checked(revision: str) -> None:
    if revision not in _NAMED_REVISIONS and revision not in library_revisions():
        raise ValidationError("must be head, base or one of the library's revisions", field="revision", value=revision)


@contextmanager
def _translated(action: str, revision: str) -> Iterator[None]:
    try:
        yield
    except CommandError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SubscriptionError(f"could not {action}: {first}", field="revision", value=revision) from exc
    except SQLAlchemyError as exc:
        raise translate(exc, action) from exc
