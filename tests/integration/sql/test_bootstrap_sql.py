"""bootstrap_sql on PostgreSQL, in a schema of the host's choosing; and its refusal of a schema for SQLite."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from sqlalchemy import inspect

from subscription_core.errors import ValidationError
from subscription_core_adapters.bootstrap import bootstrap_sql
from subscription_core_adapters.einvoice import InvoiceSeries, MemoryNumberedInvoices, ReferenceInvoiceIssuer, Seller
from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier
from subscription_core_adapters.local import SystemClock
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, postgres_engine

from .builders import CATALOG, customer
from .conftest import drop_schema, new_schema, pg_dsn

SELLER = Seller(name="Công ty Cổ phần MISA", tax_code="0101243150", address="Cầu Giấy, Hà Nội", email="hoadon@misa.com.vn")


def wire(database: str | Path, schema: str | None) -> None:
    """Wire the services, store one customer, and let the engine go."""
    provider = FakePaymentProvider("vnpay", secrets.token_bytes(32))
    services = bootstrap_sql(
        CATALOG,
        database=database,
        providers={"vnpay": provider},
        invoices=MemoryInvoiceIssuer(),
        notifier=RecordingNotifier(),
        link_key=secrets.token_bytes(32),
        schema=schema,
    )
    factory = services.uow
    assert isinstance(factory, SqlUnitOfWorkFactory)
    try:
        with services.uow() as uow:
            uow.customers.add(customer("cus-1"))
            uow.commit()
    finally:
        factory.engine.dispose()


def test_bootstrap_sql_puts_the_tables_in_the_schema_it_is_given() -> None:
    dsn, schema = pg_dsn(), new_schema()
    engine = postgres_engine(dsn, schema=schema)
    try:
        wire(dsn, schema)
        assert "customers" in inspect(engine).get_table_names(schema=schema)
        with engine.connect() as connection:  # the engine's search_path is the schema
            assert connection.exec_driver_sql("SELECT count(*) FROM customers").scalar_one() == 1
    finally:
        drop_schema(engine, schema)
        engine.dispose()


def test_bootstrap_sql_refuses_a_schema_for_sqlite(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        wire(tmp_path / "store.db", "billing")
    assert caught.value.field == "schema"
    assert not (tmp_path / "store.db").exists()


def test_i1_numbering_in_memory_is_refused_with_a_sql_database(tmp_path: Path) -> None:
    """Two processes on one database each numbered from 1 in memory: both issued 1C26TAA 00000001."""
    clock = SystemClock()
    for issuer in (
        ReferenceInvoiceIssuer(SELLER, InvoiceSeries("C26TAA"), MemoryNumberedInvoices(), clock),
        MemoryInvoiceIssuer(),
    ):
        with pytest.raises(ValidationError) as caught:
            bootstrap_sql(
                CATALOG,
                database=tmp_path / "store.db",
                providers={"vnpay": FakePaymentProvider("vnpay", secrets.token_bytes(32))},
                invoices=issuer,
                notifier=RecordingNotifier(),
                link_key=secrets.token_bytes(32),
            )
        assert (caught.value.rule, caught.value.field) == ("I1", "invoices")
        assert "SqlNumberedInvoices" in str(caught.value)
