"""A PostgreSQL DSN's own libpq options survive the engine's lock timeout."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import text

from subscription_core_adapters.sql import postgres_engine

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
