"""Engines for the SQL adapter's integration tests: SQLite in a fresh file, PostgreSQL in a fresh schema.

PostgreSQL comes from ``SUBSCRIPTION_CORE_PG_DSN``; its tests are skipped when it is unset or unreachable,
and fail instead when ``CI=true``. Each PostgreSQL test works in a schema of its own (``test_<random>``,
the connections' ``search_path``), dropped at the end, so runs never see each other's rows.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from subscription_core.errors import SubscriptionError
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, postgres_engine, sqlite_engine, upgrade

BACKENDS = ("sqlite", "postgresql")


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI, where PostgreSQL must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def pg_dsn() -> str:
    """The PostgreSQL DSN of the test run (skips or fails without one)."""
    dsn = os.environ.get("SUBSCRIPTION_CORE_PG_DSN", "")
    if not dsn:
        unavailable("SUBSCRIPTION_CORE_PG_DSN is not set")
    return dsn


def new_schema() -> str:
    """A schema name no other run uses."""
    return f"test_{secrets.token_hex(6)}"


def drop_schema(engine: Engine, schema: str) -> None:
    """Drop a test's schema and everything in it."""
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite file of this test's own."""
    engine = sqlite_engine(tmp_path / "store.db")
    yield engine
    engine.dispose()


@pytest.fixture
def postgresql_db() -> Iterator[Engine]:
    """A migrated PostgreSQL schema of this test's own."""
    schema = new_schema()
    engine = postgres_engine(pg_dsn(), schema=schema, pool_size=20, max_overflow=40)
    try:
        upgrade(engine)
    except SubscriptionError as exc:
        engine.dispose()
        unavailable(f"PostgreSQL at SUBSCRIPTION_CORE_PG_DSN is unreachable: {exc}")
    yield engine
    drop_schema(engine, schema)
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each backend's migrated database, empty."""
    db: Engine = request.getfixturevalue(f"{request.param}_db")
    return db


@pytest.fixture
def units(engine: Engine) -> SqlUnitOfWorkFactory:
    """Units of work on each backend."""
    return SqlUnitOfWorkFactory(engine)
