"""The reference host (examples/host) under test: its app on a fresh SQLite file or PostgreSQL schema.

The settings are the environment variables ``wiring_from_env`` reads, as a deployment would set them;
without ``SMTP_HOST`` the notices are recorded, which the tests read. PostgreSQL comes from
``SUBSCRIPTION_CORE_PG_DSN`` (skipped when unset or unreachable, failed instead when ``CI=true``), in a
schema of the test's own, dropped at the end.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from subscription_core.errors import SubscriptionError
from subscription_core_adapters.sql import postgres_engine, upgrade

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:  # the reference host is an example beside the package, not installed with it
    sys.path.insert(0, str(ROOT))

from examples.host.app import create_app  # noqa: E402 - needs ROOT on sys.path

HASH_SECRET = "HOSTTESTSECRETKEY0123456789ABCDEF"  # noqa: S105 - a test terminal's key
TMN_CODE = "HOST0001"
RETURN_URL = "http://testserver/vnpay/return"
SETTINGS = {
    "VNPAY_TMN_CODE": TMN_CODE,
    "VNPAY_HASH_SECRET": HASH_SECRET,
    "VNPAY_RETURN_URL": RETURN_URL,
    "SHOP_BANK": "VCB",
    "SHOP_BANK_ACCOUNT": "0011004000000",
    "SHOP_BANK_ACCOUNT_NAME": "CONG TY CO PHAN PHAN MEM AMIS",
    "SELLER_NAME": "Công ty Cổ phần Phần mềm AMIS",
    "SELLER_TAX_CODE": "0101243150",
    "SELLER_ADDRESS": "Cầu Giấy, Hà Nội",
    "SELLER_EMAIL": "hoadon@amis.vn",
    "INVOICE_SERIES": "C26TAA",
}


@contextlib.contextmanager
def _postgresql() -> Iterator[tuple[str, str]]:
    unavailable = pytest.fail if os.environ.get("CI") == "true" else pytest.skip
    dsn = os.environ.get("SUBSCRIPTION_CORE_PG_DSN") or unavailable("SUBSCRIPTION_CORE_PG_DSN is not set")
    schema = f"test_{secrets.token_hex(6)}"
    engine = postgres_engine(dsn, schema=schema)
    try:
        upgrade(engine)  # creates the schema; the host's own migration then finds it current
    except SubscriptionError as exc:
        engine.dispose()
        unavailable(f"PostgreSQL at SUBSCRIPTION_CORE_PG_DSN is unreachable: {exc}")
    try:
        yield dsn, schema
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The host's environment, with a fresh payment-link key and no SMTP server (notices are recorded)."""
    values = {**SETTINGS, "SHOP_LINK_KEY": secrets.token_hex(32)}
    for name in ("SMTP_HOST", "SHOP_DB_SCHEMA", "SHOP_CATALOG", "VNPAY_PAYMENT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the host at each backend: a SQLite file, or a PostgreSQL schema of the test's own."""
    if request.param == "sqlite":
        monkeypatch.setenv("SHOP_DATABASE", str(tmp_path / "shop.sqlite3"))
        yield "sqlite"
        return
    with _postgresql() as (dsn, schema):
        monkeypatch.setenv("SHOP_DATABASE", dsn)
        monkeypatch.setenv("SHOP_DB_SCHEMA", schema)
        yield "postgresql"


@pytest.fixture
def client(settings: dict[str, str], database: str) -> Iterator[TestClient]:
    """The host's app, started (its lifespan wires the services from the environment) and stopped after."""
    del settings, database  # set in the environment
    with TestClient(create_app()) as running:
        yield running
