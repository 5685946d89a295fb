"""``migrate`` and ``current``: the library's tables, brought to the latest revision or read, and the offline SQL."""

from __future__ import annotations

from typing import Final

import click
from sqlalchemy import Engine

from subscription_core_adapters.cli.app import REFUSED, Config, database_options, scrub
from subscription_core_adapters.sql import current, offline_sql, postgres_engine, sqlite_engine, upgrade
from subscription_core_adapters.sql.migrating import library_revisions

__all__ = ["current_command", "migrate"]

_NEVER: Final = "none (the library's tables were never migrated here)"


def _engine(config: Config) -> Engine:
    config.require_database()
    if config.dsn is not None:
        return postgres_engine(config.dsn, schema=config.schema)
    return sqlite_engine(str(config.database), migrate=False)


def _head() -> str:
    return max(library_revisions())  # revisions are numbered "0001", "0002", ...: the last is the head


@click.command()
@database_options
@click.option("--sql", "as_sql", is_flag=True, help="Print the SQL that migrates an empty database; change nothing.")
def migrate(*, config: Config, as_sql: bool) -> None:
    """Migrate the library's tables to the latest revision (safe to run again), or print the SQL for a DBA.

    With --sql, the PostgreSQL script for a DBA: it creates --schema (default subscription_core) and records
    the revision there; nothing is connected to (a --dsn only says PostgreSQL). SQLite has no such script.
    """
    if as_sql:
        if config.database is not None:  # Alembic's SQLite migrations reflect the live tables: no script exists
            raise click.UsageError("--sql prints PostgreSQL's script; a SQLite file is migrated in place (no --sql)")
        click.echo(offline_sql("postgresql", schema=config.schema), nl=False)
        return
    engine = _engine(config)
    try:
        before = current(engine)
        upgrade(engine)
        after = current(engine)
    finally:
        engine.dispose()
    where = scrub(config.shown())
    if before == after:
        click.echo(f"{where}: already at revision {after}, nothing to do")
    else:
        click.echo(f"{where}: migrated from {before or 'an empty database'} to revision {after}")


@click.command("current")
@database_options
@click.option("--check", is_flag=True, help="Exit 1 unless the database is at the latest revision.")
def current_command(*, config: Config, check: bool) -> None:
    """Print the library's revision the database is at (and the latest this release knows)."""
    engine = _engine(config)
    try:
        revision = current(engine)
    finally:
        engine.dispose()
    head = _head()
    state = "up to date" if revision == head else f"behind: run migrate (latest {head})"
    click.echo(f"{revision} ({state})" if revision is not None else f"{_NEVER}; latest {head}")
    if check and revision != head:
        raise click.exceptions.Exit(REFUSED)
