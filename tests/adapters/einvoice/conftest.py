"""Stores for the e-invoice tests: in memory, SQLite in a fresh file, PostgreSQL in a fresh schema.

PostgreSQL comes from ``SUBSCRIPTION_CORE_PG_DSN``; its tests are skipped when it is unset or unreachable,
and fail instead when ``CI=true``. Each PostgreSQL test works in a schema of its own, dropped at the end.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from subscription_core_adapters.einvoice import MemoryNumberedInvoices, NumberedInvoices

STORES = ("memory", "sqlite", "postgresql")


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI, where PostgreSQL must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[NumberedInvoices]:
    """A SQL store on a migrated SQLite file of this test's own."""
    pytest.importorskip("sqlalchemy")
    from subscription_core_adapters.einvoice.sql_store import SqlNumberedInvoices  # noqa: PLC0415 - needs the sql extra
    from subscription_core_adapters.sql import sqlite_engine  # noqa: PLC0415

    engine = sqlite_engine(tmp_path / "einvoices.db")
    yield SqlNumberedInvoices(engine)
    engine.dispose()


@pytest.fixture
def postgresql_store() -> Iterator[NumberedInvoices]:
    """A SQL store on a migrated PostgreSQL schema of this test's own."""
    pytest.importorskip("sqlalchemy")
    from sqlalchemy import text  # noqa: PLC0415

    from subscription_core.errors import SubscriptionError  # noqa: PLC0415
    from subscription_core_adapters.einvoice.sql_store import SqlNumberedInvoices  # noqa: PLC0415
    from subscription_core_adapters.sql import postgres_engine, upgrade  # noqa: PLC0415

    dsn = os.environ.get("SUBSCRIPTION_CORE_PG_DSN", "")
    if not dsn:
        unavailable("SUBSCRIPTION_CORE_PG_DSN is not set")
    schema = f"test_{secrets.token_hex(6)}"
    engine = postgres_engine(dsn, schema=schema, pool_size=10, max_overflow=10)
    try:
        upgrade(engine)
    except SubscriptionError as exc:
        engine.dispose()
        unavailable(f"PostgreSQL at SUBSCRIPTION_CORE_PG_DSN is unreachable: {exc}")
    yield SqlNumberedInvoices(engine)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def memory_store() -> NumberedInvoices:
    """A fresh memory store."""
    return MemoryNumberedInvoices()


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> NumberedInvoices:
    """Each store, empty."""
    made: NumberedInvoices = request.getfixturevalue(f"{request.param}_store")
    return made


@pytest.fixture
def eager_thread_switching() -> Iterator[None]:
    """Let threads take turns every microsecond, so that racing calls interleave mid-way."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)
