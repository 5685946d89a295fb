"""The Alembic environment of the SQL adapter: run by Alembic, never imported by the library.

From Python (``subscription_core_adapters.sql.engine.upgrade``) the connection comes in
``config.attributes["connection"]`` and the migrations run inside its transaction. From the ``alembic`` command, the
database is named by ``-x url=...``, else the ``SUBSCRIPTION_CORE_DB_URL`` environment variable, else ``sqlalchemy.url``
in the ini file; ``postgresql://`` URLs go through psycopg 3, ``-x schema=...`` puts the tables in that PostgreSQL
schema (created if missing), and ``--sql`` prints the SQL instead (offline).
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, Engine, make_url

from subscription_core_adapters.sql.engine import create_missing_schema, postgres_engine, sqlite_engine
from subscription_core_adapters.sql.schema import metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("SUBSCRIPTION_CORE_DB_URL")
    url = url or context.config.get_main_option("sqlalchemy.url")
    if not url:
        message = "name the database: -x url=..., SUBSCRIPTION_CORE_DB_URL, or sqlalchemy.url"
        raise SystemExit(message)
    return url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_offline() -> None:
    url = make_url(_url())
    context.configure(url=url, target_metadata=metadata, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
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
        engine = postgres_engine(_url(), schema=context.get_x_argument(as_dictionary=True).get("schema"))
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


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
