"""The einvoice adapters' entries (merged into ``registry.INVOICE_ISSUERS`` and ``INVOICE_CORRECTORS`` by conftest.py).

``reference`` is the reference e-invoice issuer (``subscription_core_adapters.einvoice``) on its in-memory numbering
store, dated by the system clock (its series follows the current year). The correction suite (Y8) runs it
on each numbering store: in memory, SQLite in a fresh file and PostgreSQL in a fresh schema (skipped when
``SUBSCRIPTION_CORE_PG_DSN`` is unset or unreachable, failed instead under ``CI=true``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from sqlalchemy import text

from subscription_core.errors import SubscriptionError
from subscription_core.ports import InvoiceIssuer
from subscription_core_adapters.einvoice import InvoiceSeries, MemoryNumberedInvoices, ReferenceInvoiceIssuer, Seller
from subscription_core_adapters.einvoice.sql_store import SqlNumberedInvoices
from subscription_core_adapters.local import SystemClock
from subscription_core_adapters.sql import postgres_engine, sqlite_engine, upgrade

from .builders import tax_code
from .registry import CorrectingIssuer

SELLER = Seller(
    name="Công ty Cổ phần Phần mềm Tham chiếu",
    tax_code=tax_code(9_001),
    address="Cầu Giấy, Hà Nội",
    email="hoadon@thamchieu.vn",
)
SERIES = InvoiceSeries("C26TAA")


def reference_issuer() -> InvoiceIssuer:
    """The reference issuer with nothing issued yet."""
    return ReferenceInvoiceIssuer(SELLER, SERIES, MemoryNumberedInvoices(), SystemClock())


@contextlib.contextmanager
def reference_on_memory() -> Iterator[CorrectingIssuer]:
    """The reference issuer on its memory store."""
    yield ReferenceInvoiceIssuer(SELLER, SERIES, MemoryNumberedInvoices(), SystemClock())


@contextlib.contextmanager
def reference_on_sqlite() -> Iterator[CorrectingIssuer]:
    """The reference issuer on a SQL store in a fresh SQLite file."""
    with tempfile.TemporaryDirectory() as folder:
        engine = sqlite_engine(Path(folder) / "einvoices.db")
        try:
            yield ReferenceInvoiceIssuer(SELLER, SERIES, SqlNumberedInvoices(engine), SystemClock())
        finally:
            engine.dispose()


@contextlib.contextmanager
def reference_on_postgresql() -> Iterator[CorrectingIssuer]:
    """The reference issuer on a SQL store in a fresh PostgreSQL schema."""
    unavailable = pytest.fail if os.environ.get("CI") == "true" else pytest.skip
    dsn = os.environ.get("SUBSCRIPTION_CORE_PG_DSN") or unavailable("SUBSCRIPTION_CORE_PG_DSN is not set")
    schema = f"test_{secrets.token_hex(6)}"
    engine = postgres_engine(dsn, schema=schema, pool_size=12, max_overflow=12)
    try:
        upgrade(engine)
    except SubscriptionError as exc:
        engine.dispose()
        unavailable(f"PostgreSQL at SUBSCRIPTION_CORE_PG_DSN is unreachable: {exc}")
    try:
        yield ReferenceInvoiceIssuer(SELLER, SERIES, SqlNumberedInvoices(engine), SystemClock())
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


INVOICE_ISSUERS: dict[str, Callable[[], InvoiceIssuer]] = {"reference": reference_issuer}
INVOICE_CORRECTORS: dict[str, Callable[[], AbstractContextManager[CorrectingIssuer]]] = {
    "reference-memory": reference_on_memory,
    "reference-sqlite": reference_on_sqlite,
    "reference-postgresql": reference_on_postgresql,
}
