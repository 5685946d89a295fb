"""PostgreSQL engine options: a DSN's own libpq options survive the lock timeout; a dropped connection is not reused."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text

from subscription_core.errors import StorageError
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, postgres_engine

from .conftest import pg_dsn


def test_dsn_options_are_kept_beside_the_lock_timeout() -> None:
    separator = "&" if "?" in pg_dsn() else "?"
    dsn = f"{pg_dsn()}{separator}options={quote('-c statement_timeout=12345')}"
    engine = postgres_engine(dsn, lock_timeout=7)
    try:
        with engine.connect() as connection:
            statement_timeout = connection.execute(text("SHOW statement_timeout")).scalar_one()
            lock_timeout = connection.execute(text("SHOW lock_timeout")).scalar_one()
    finally:
        engine.dispose()
    assert statement_timeout == "12345ms"
    assert lock_timeout == "7s"


def test_a_pooled_connection_the_server_dropped_fails_one_unit_and_the_next_connects_afresh(
    postgresql_db: Engine,
) -> None:
    # No test on checkout (pre-ping): the unit that meets the dropped connection fails, having written nothing.
    units = SqlUnitOfWorkFactory(postgresql_db)
    with units() as uow:
        pid = uow._rows.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = postgres_engine(pg_dsn(), pool_size=1)
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})  # waits for its end
    finally:
        admin.dispose()
    with pytest.raises(StorageError), units() as uow:
        uow.customers.get_many(["cus-1"])
    with units() as uow:
        assert uow.customers.get_many(["cus-1"]) == {}
        assert uow._rows.connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid


def test_an_engine_made_with_pre_ping_replaces_a_dropped_connection_without_failing_a_unit() -> None:
    engine = postgres_engine(pg_dsn(), pool_size=1, pre_ping=True)
    admin = postgres_engine(pg_dsn(), pool_size=1)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        with engine.connect() as connection:  # the checkout's test finds it dead and connects afresh
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        admin.dispose()
        engine.dispose()
