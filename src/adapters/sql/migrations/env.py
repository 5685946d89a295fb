"""The Alembic environment of the SQL adapter: run by Alembic, never imported by the library.

The library's revision is recorded in its own version table (``subscription_core_version``), so a host's
Alembic, with its ``alembic_version``, shares the database; a revision an older release recorded in
``alembic_version`` is adopted first (see :mod:`subscription_core_adapters.sql.migrating`).

From Python (:mod:`subscription_core_adapters.sql.migrating`) the connection comes in
``config.attributes["connection"]`` and the migrations run inside its transaction; offline, the dialect and
schema come in ``config.attributes["url"]`` and ``["schema"]``. From the ``alembic`` command, the database
is named by ``-x url=...``, else the ``SUBSCRIPTION_CORE_DB_URL`` environment variable, else
``sqlalchemy.url`` in the ini file; ``postgresql://`` URLs go through psycopg 3 and ``-x schema=...`` names
the PostgreSQL schema (the library's default schema otherwise, created if missing); ``--sql`` prints the
SQL instead (offline), for that schema. The ini file's logging settings apply to the command only.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, Engine, make_url

from subscription_core.errors import ValidationError
from subscription_core_adapters.sql.engine import create_missing_schema, plain_schema, postgres_engine, sqlite_engine
from subscription_core_adapters.sql.migrating import VERSION_TABLE, adopt_legacy_revision
from subscription_core_adapters.sql.schema import metadata


def _option(name: str) -> str | None:
    given = context.config.attributes.get(name) or context.get_x_argument(as_dictionary=True).get(name)
    return str(given) if given else None


def _url() -> str:
    url = _option("url") or os.environ.get("SUBSCRIPTION_CORE_DB_URL")
    url = url or context.config.get_main_option("sqlalchemy.url")
    if not url:
        message = "name the database: -x url=..., SUBSCRIPTION_CORE_DB_URL, or sqlalchemy.url"
        raise SystemExit(message)
    return url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True, version_table=VERSION_TABLE)
    with context.begin_transaction():
        adopt_legacy_revision(connection, context.get_context(), context.script)
        context.run_migrations()


def _run_offline() -> None:
    url = make_url(_url())
    schema = _option("schema")
    if url.get_backend_name() == "postgresql":
        schema = plain_schema(schema)
    elif schema is not None:
        raise ValidationError("a SQLite database has no schemas", field="schema", value=schema)
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        version_table=VERSION_TABLE,
        version_table_schema=schema,
    )
    with context.begin_transaction():
        if schema is not None:
            # The migrations name no schema: the script's search_path puts every table in this one.
            context.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            context.execute(f'SET search_path TO "{schema}"')
        context.run_migrations()


def _run_online() -> None:
    shared = context.config.attributes.get("connection")
    if isinstance(shared, Connection):
        _run(shared)
        return
    url = make_url(_url())
    if url.get_backend_name() == "sqlite":
        engine = sqlite_engine(url.database or "", migrate=False)
    else:
        engine = postgres_engine(_url(), schema=_option("schema"))
    try:
        upgrade_schema_and_run(engine)
    finally:
        engine.dispose()


def upgrade_schema_and_run(engine: Engine) -> None:
    """Run the migrations on ``engine`` in one transaction, creating its PostgreSQL schema first if missing."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            create_missing_schema(connection)
        _run(connection)


if context.config.config_file_name is not None:
    # The alembic command (an ini file): show its progress. From Python the host's logging stays the host's.
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)
if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
