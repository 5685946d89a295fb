"""The Alembic migrations build exactly the tables the code declares, from Python and from the alembic command."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from subscription_core.transfers import transfer_reference
from subscription_core_adapters.sql import VERSION_TABLE, current, postgres_engine, sqlite_engine, upgrade
from subscription_core_adapters.sql.migrating import MIGRATIONS, alembic_config
from subscription_core_adapters.sql.schema import metadata

from .conftest import drop_schema, new_schema, pg_dsn

TABLES = {table.name for table in metadata.sorted_tables}
HEAD = "0010"  # the latest revision shipped


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return list(compare_metadata(context, metadata))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def alembic_command(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the ``alembic`` command on the shipped ini file, in a process of its own (it configures logging)."""
    ini = str(MIGRATIONS / "alembic.ini")
    command_line = [sys.executable, "-m", "alembic", "-c", ini, *arguments]
    return subprocess.run(command_line, capture_output=True, text=True, timeout=120, check=True)  # noqa: S603


@pytest.fixture
def empty_postgresql() -> Iterator[Engine]:
    """A PostgreSQL engine on a schema that does not exist yet."""
    schema = new_schema()
    engine = postgres_engine(pg_dsn(), schema=schema)
    yield engine
    drop_schema(engine, schema)
    engine.dispose()


def test_the_migrated_schema_equals_the_declared_tables(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) == TABLES | {VERSION_TABLE}
    assert differences(engine) == []
    assert current_revision(engine) == HEAD
    assert current(engine) == HEAD


def test_the_comparison_notices_a_schema_that_drifted(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_subscriptions_next_due_at_id"))
    [(change, index)] = differences(engine)
    assert (change, index.name) == ("add_index", "ix_subscriptions_next_due_at_id")


def test_upgrading_an_up_to_date_database_changes_nothing(engine: Engine) -> None:
    upgrade(engine)
    assert differences(engine) == []
    assert current_revision(engine) == HEAD


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) <= {VERSION_TABLE}
    upgrade(engine)
    assert differences(engine) == []


def test_postgresql_upgrade_creates_the_schema_and_puts_every_table_in_it(empty_postgresql: Engine) -> None:
    upgrade(empty_postgresql)
    with empty_postgresql.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        public = set(inspect(connection).get_table_names(schema="public"))
    assert schema.startswith("test_")
    assert not public & TABLES
    assert differences(empty_postgresql) == []


def test_postgresql_text_keys_sort_by_code_point(postgresql_db: Engine) -> None:
    # Alembic's comparison ignores collations: checked here, since ORDER BY and LIKE 'prefix%' rely on it.
    declared = {
        (table.name, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if getattr(column.type.dialect_impl(postgresql_db.dialect), "collation", None) == "C"
    }
    query = text(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND collation_name = 'C'"
    )
    with postgresql_db.connect() as connection:
        actual = {(row.table_name, row.column_name) for row in connection.execute(query)}
    assert ("customers", "name") in declared
    assert actual == declared


def test_instants_are_timestamptz_on_postgresql(postgresql_db: Engine) -> None:
    query = text(
        "SELECT DISTINCT data_type FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND column_name IN ('next_due_at', 'pay_by', 'created_at', 'processed_at', 'next_attempt_at')"
    )
    with postgresql_db.connect() as connection:
        assert connection.execute(query).scalars().all() == ["timestamp with time zone"]


def test_sqlite_file_is_created_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "new" / "store.db"
    path.parent.mkdir()
    engine = sqlite_engine(path)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert path.exists()
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_the_alembic_command_migrates_a_database_named_on_its_command_line(tmp_path: Path) -> None:
    path = tmp_path / "cli.db"
    done = alembic_command("-x", f"url=sqlite:///{path}", "upgrade", "head")
    assert "Running upgrade  -> 0001" in done.stderr  # the command says what it did
    engine = sqlite_engine(path, migrate=False)
    try:
        assert differences(engine) == []
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()


def test_the_alembic_command_prints_the_sql_offline() -> None:
    printed = alembic_command("-x", "url=postgresql://", "upgrade", "head", "--sql").stdout
    assert "CREATE TABLE customers" in printed
    assert 'COLLATE "C"' in printed
    assert 'SET search_path TO "subscription_core"' in printed  # the library's schema by default
    assert "CREATE TABLE subscription_core.subscription_core_version" in printed


def test_the_alembic_command_prints_the_sql_offline_for_the_schema_it_is_given() -> None:
    printed = alembic_command("-x", "url=postgresql://", "-x", "schema=billing", "upgrade", "head", "--sql").stdout
    assert 'CREATE SCHEMA IF NOT EXISTS "billing"' in printed
    assert 'SET search_path TO "billing"' in printed
    assert "CREATE TABLE billing.subscription_core_version" in printed
    assert "subscription_core.subscription_core_version" not in printed


def test_the_alembic_command_migrates_postgresql_into_a_schema_of_its_own() -> None:
    dsn, schema = pg_dsn(), new_schema()
    alembic_command("-x", f"url={dsn}", "-x", f"schema={schema}", "upgrade", "head")
    engine = postgres_engine(dsn, schema=schema)
    try:
        assert differences(engine) == []
        assert current_revision(engine) == HEAD
    finally:
        drop_schema(engine, schema)
        engine.dispose()


def test_y3_upgrading_from_0001_fills_the_transfer_references_of_stored_orders(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "old.db", migrate=False)
    try:
        with engine.begin() as connection:
            config = alembic_config(connection)
            command.upgrade(config, "0001")
            row = {
                "version": 0,
                "kind": "new",
                "state": "placed",
                "grand_total": 1,
                "currency": "VND",
                "document": "{}",
            }
            for order_id in ("ord-1", "ord-2"):
                connection.execute(
                    text(
                        "INSERT INTO orders (id, version, kind, state, created_at, grand_total, currency, document)"
                        " VALUES (:id, :version, :kind, :state, '2026-11-27 00:00:00', :grand_total, :currency,"
                        " :document)"
                    ),
                    {"id": order_id, **row},
                )
            command.upgrade(config, "head")
        with engine.connect() as connection:
            stored: dict[str, str] = dict(connection.execute(text("SELECT id, transfer_reference FROM orders")).all())
        assert stored == {"ord-1": transfer_reference("ord-1"), "ord-2": transfer_reference("ord-2")}
        assert differences(engine) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_s12_upgrading_to_0006_marks_each_company_s_earliest_trial_only(tmp_path: Path, backend: str) -> None:
    # Stored before S12 was enforced: cus-1 got two trials of QLTS (the later one first by id), cus-2 one.
    schema = new_schema()
    engine = (
        sqlite_engine(tmp_path / "old.db", migrate=False)
        if backend == "sqlite"
        else postgres_engine(pg_dsn(), schema=schema)
    )
    rows = [
        ("sub-1", "cus-1", {"trial": {"start": "2026-12-01", "end": "2026-12-31"}}),
        ("sub-2", "cus-1", {"trial": {"start": "2026-01-01", "end": "2026-01-31"}}),
        ("sub-3", "cus-1", {"trial": None}),
        ("sub-4", "cus-2", {"trial": {"start": "2026-05-01", "end": "2026-05-31"}}),
    ]
    try:
        with engine.begin() as connection:
            if backend == "postgresql":
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            config = alembic_config(connection)
            command.upgrade(config, "0003")
            for sub_id, customer_id, document in rows:
                connection.execute(
                    text(
                        "INSERT INTO subscriptions (id, version, customer_id, product_code, state, history_length,"
                        " document) VALUES (:id, 1, :customer_id, 'QLTS', 'trial', 0, :document)"
                    ),
                    {"id": sub_id, "customer_id": customer_id, "document": json.dumps(document)},
                )
            command.upgrade(config, "head")
        with engine.connect() as connection:
            marked: dict[str, str | None] = dict(
                connection.execute(text("SELECT id, trial_of FROM subscriptions")).all()
            )
        assert marked == {"sub-1": None, "sub-2": "QLTS", "sub-3": None, "sub-4": "QLTS"}
        assert differences(engine) == []
    finally:
        if backend == "postgresql":
            drop_schema(engine, schema)
        engine.dispose()
