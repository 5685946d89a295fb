"""bootstrap_sql: one engine (passed in, or made from a DSN or a file) in one handle; the refusals of its wiring."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect
from sqlalchemy.pool import QueuePool

from subscription_core.errors import ValidationError
from subscription_core_adapters.bootstrap import SqlWiring, backoff, bootstrap_sql
from subscription_core_adapters.einvoice import InvoiceSeries, MemoryNumberedInvoices, ReferenceInvoiceIssuer, Seller
from subscription_core_adapters.einvoice.sql_store import SqlNumberedInvoices
from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier
from subscription_core_adapters.local import SystemClock
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, postgres_engine, sqlite_engine

from .builders import CATALOG, customer
from .conftest import drop_schema, new_schema, pg_dsn

SELLER = Seller(
    name="Công ty Cổ phần MISA", tax_code="0101243150", address="Cầu Giấy, Hà Nội", email="hoadon@misa.com.vn"
)
SERIES = InvoiceSeries("C26TAA")


def wiring(**database: Any) -> SqlWiring:
    """bootstrap_sql on ``database`` (engine=, dsn= or database=, with their options), invoices numbered in it."""
    return bootstrap_sql(
        CATALOG,
        providers={"vnpay": FakePaymentProvider("vnpay", secrets.token_bytes(32))},
        notifier=RecordingNotifier(),
        link_key=secrets.token_bytes(32),
        seller=SELLER,
        series=SERIES,
        **database,
    )


def store_one_customer(wired: SqlWiring) -> None:
    """Store one customer through the services, and let the engine go."""
    try:
        with wired.services.uow() as uow:
            uow.customers.add(customer("cus-1"))
            uow.commit()
    finally:
        wired.dispose()


def test_bootstrap_sql_puts_the_tables_in_the_schema_it_is_given() -> None:
    dsn, schema = pg_dsn(), new_schema()
    engine = postgres_engine(dsn, schema=schema)
    try:
        store_one_customer(wiring(dsn=dsn, schema=schema))
        assert "customers" in inspect(engine).get_table_names(schema=schema)
        with engine.connect() as connection:  # the engine's search_path is the schema
            assert connection.exec_driver_sql("SELECT count(*) FROM customers").scalar_one() == 1
    finally:
        drop_schema(engine, schema)
        engine.dispose()


def test_bootstrap_sql_refuses_a_schema_for_sqlite(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        wiring(database=tmp_path / "store.db", schema="billing")
    assert caught.value.field == "schema"
    assert not (tmp_path / "store.db").exists()


def test_the_handle_shares_the_engine_passed_in(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "store.db")
    wired = wiring(engine=engine)
    assert wired.engine is engine
    factory = wired.services.uow
    assert isinstance(factory, SqlUnitOfWorkFactory)
    assert factory.engine is engine
    issuer = wired.invoices
    assert wired.services.invoices is issuer
    assert isinstance(issuer, ReferenceInvoiceIssuer)
    assert isinstance(issuer.store, SqlNumberedInvoices)
    assert issuer.store._engine is engine
    assert wired.services.pause is backoff
    assert "key" not in repr(wired)
    store_one_customer(wired)


def test_the_pool_options_reach_the_engine_made_from_a_dsn() -> None:
    dsn, schema = pg_dsn(), new_schema()
    wired = wiring(dsn=dsn, schema=schema, pool_size=3, max_overflow=2)
    try:
        pool = wired.engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow) == (3, 2)
        assert wired.engine.dialect.name == "postgresql"
    finally:
        drop_schema(wired.engine, schema)
        wired.dispose()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"database": "a.db", "dsn": "postgresql://localhost/x"}, "engine"),
        ({"database": "postgresql://localhost/x"}, "database"),
        ({"database": "a.db", "pool_size": 5}, "pool_size"),
        ({"dsn": "postgresql://localhost/x", "pool_size": 0}, "pool_size"),
        ({"dsn": "postgresql://localhost/x", "max_overflow": -1}, "max_overflow"),
        ({"engine": "sqlite:///a.db"}, "engine"),
    ],
)
def test_bootstrap_sql_refuses_a_database_given_wrongly(tmp_path: Path, options: dict[str, Any], field: str) -> None:
    if "database" in options and not str(options["database"]).startswith("postgresql"):
        options = {**options, "database": tmp_path / options["database"]}
    with pytest.raises(ValidationError) as caught:
        wiring(**options)
    assert caught.value.field == field
    assert not (tmp_path / "a.db").exists()


def test_bootstrap_sql_refuses_the_pool_options_of_an_engine_passed_in(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "store.db")
    with pytest.raises(ValidationError) as caught:
        wiring(engine=engine, max_overflow=3)
    assert caught.value.field == "max_overflow"
    assert "engine" in str(caught.value)
    engine.dispose()


def test_i1_numbering_in_memory_is_refused_with_a_sql_database(tmp_path: Path) -> None:
    """Two processes on one database each numbered from 1 in memory: both issued 1C26TAA 00000001."""
    for issuer in (
        ReferenceInvoiceIssuer(SELLER, SERIES, MemoryNumberedInvoices(), SystemClock()),
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
        assert "seller=" in str(caught.value)
    assert not (tmp_path / "store.db").exists()


def test_i1_bootstrap_sql_asks_for_a_seller_and_series_or_an_issuer(tmp_path: Path) -> None:
    common: dict[str, Any] = {
        "database": tmp_path / "store.db",
        "providers": {"vnpay": FakePaymentProvider("vnpay", secrets.token_bytes(32))},
        "notifier": RecordingNotifier(),
        "link_key": secrets.token_bytes(32),
    }
    for invoices in ({"seller": SELLER}, {"series": SERIES, "invoices": object()}):
        with pytest.raises(ValidationError) as caught:
            bootstrap_sql(CATALOG, **common, **invoices)
        assert (caught.value.rule, caught.value.field) == ("I1", "invoices")


def test_i1_bootstrap_memory_refuses_memory_numbering_beside_a_sql_unit_of_work(sqlite_db: Engine) -> None:
    from subscription_core_adapters.bootstrap import bootstrap_memory  # noqa: PLC0415

    issuer = ReferenceInvoiceIssuer(SELLER, SERIES, MemoryNumberedInvoices(), SystemClock())
    with pytest.raises(ValidationError) as caught:
        bootstrap_memory(CATALOG, uow=SqlUnitOfWorkFactory(sqlite_db), invoices=issuer)
    assert (caught.value.rule, caught.value.field) == ("I1", "invoices")
    sql_issuer = ReferenceInvoiceIssuer(SELLER, SERIES, SqlNumberedInvoices(sqlite_db), SystemClock())
    assert bootstrap_memory(CATALOG, uow=SqlUnitOfWorkFactory(sqlite_db), invoices=sql_issuer).invoices is sql_issuer
    assert bootstrap_memory(CATALOG, invoices=issuer).invoices is issuer  # memory numbering beside the memory store


def test_y1_bootstrap_sql_refuses_a_provider_under_another_name(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        bootstrap_sql(
            CATALOG,
            database=tmp_path / "store.db",
            providers={"vnpay": FakePaymentProvider("momo", secrets.token_bytes(32))},
            seller=SELLER,
            series=SERIES,
            notifier=RecordingNotifier(),
            link_key=secrets.token_bytes(32),
        )
    assert (caught.value.rule, caught.value.field, caught.value.value) == ("Y1", "providers", "vnpay")


def test_bootstrap_sql_uses_the_library_s_own_sqlite_file_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    wired = wiring()
    factory = wired.services.uow
    assert isinstance(factory, SqlUnitOfWorkFactory)
    wired.dispose()
    assert (tmp_path / "subscription_core.sqlite3").exists()
