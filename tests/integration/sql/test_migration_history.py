"""The library's migration history lives beside a host's: its own version table, its own schema, its own API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Column, Engine, MetaData, String, Table, inspect, select, text

from subscription_core.errors import SubscriptionError, ValidationError
from subscription_core_adapters.sql import (
    DEFAULT_SCHEMA,
    DEFAULT_SQLITE_FILE,
    VERSION_TABLE,
    current,
    offline_sql,
    postgres_engine,
    sqlite_engine,
    upgrade,
)
from subscription_core_adapters.sql.migrating import LEGACY_VERSION_TABLE, alembic_config

from .conftest import drop_schema, new_schema, pg_dsn
from .test_migrations import HEAD

HOST_ENV = """
from alembic import context

context.configure(connection=context.config.attributes["connection"])
with context.begin_transaction():
    context.run_migrations()
"""
# The host numbers its revisions as the library does: the two histories must not even need distinct ids.
HOST_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("host_things", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade():
    op.drop_table("host_things")
"""


@pytest.fixture
def host_scripts(tmp_path: Path) -> Path:
    """A host's own Alembic script directory: one revision creating ``host_things``, default version table."""
    folder = tmp_path / "host_migrations"
    (folder / "versions").mkdir(parents=True)
    (folder / "env.py").write_text(HOST_ENV)
    (folder / "versions" / "0001_host_things.py").write_text(HOST_REVISION)
    return folder


def host_upgrade(engine: Engine, scripts: Path) -> None:
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(scripts))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def host_current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@pytest.fixture
def shared_postgresql() -> Iterator[Engine]:
    """One PostgreSQL schema that the host and the library share."""
    schema = new_schema()
    engine = postgres_engine(pg_dsn(), schema=schema)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield engine
    drop_schema(engine, schema)
    engine.dispose()


@pytest.mark.parametrize("library_first", [True, False], ids=["library-first", "host-first"])
def test_a_host_s_alembic_history_and_the_library_s_share_one_schema(
    shared_postgresql: Engine, host_scripts: Path, library_first: bool
) -> None:
    if library_first:
        upgrade(shared_postgresql)
        host_upgrade(shared_postgresql, host_scripts)
    else:
        host_upgrade(shared_postgresql, host_scripts)
        upgrade(shared_postgresql)
    tables = set(inspect(shared_postgresql).get_table_names())
    assert {"host_things", "customers", VERSION_TABLE, LEGACY_VERSION_TABLE} <= tables
    assert host_current(shared_postgresql) == "0001"
    assert current(shared_postgresql) == HEAD


def test_the_library_reports_no_revision_of_a_database_only_a_host_migrated(
    shared_postgresql: Engine, host_scripts: Path
) -> None:
    host_upgrade(shared_postgresql, host_scripts)
    assert current(shared_postgresql) is None  # the host's "0001" is not the library's


def legacy_database(engine: Engine, revision: str) -> None:
    """Migrate as releases before the library's own version table did: the revision in ``alembic_version``."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
        connection.execute(text(f"DROP TABLE {VERSION_TABLE}"))
        # What Alembic builds by default, constraint name included.
        connection.execute(
            text(
                f"CREATE TABLE {LEGACY_VERSION_TABLE} (version_num VARCHAR(32) NOT NULL,"
                f" CONSTRAINT {LEGACY_VERSION_TABLE}_pkc PRIMARY KEY (version_num))"
            )
        )
        connection.execute(text("INSERT INTO alembic_version VALUES (:revision)"), {"revision": revision})


def version_rows(engine: Engine, table: str) -> list[str]:
    with engine.connect() as connection:
        query = select(Table(table, MetaData(), Column("version_num", String())).c.version_num)
        return sorted(connection.execute(query).scalars())


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_database_migrated_into_alembic_version_is_adopted(tmp_path: Path, backend: str) -> None:
    schema = new_schema()
    engine = (
        sqlite_engine(tmp_path / "old.db", migrate=False)
        if backend == "sqlite"
        else postgres_engine(pg_dsn(), schema=schema)
    )
    try:
        if backend == "postgresql":
            with engine.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        legacy_database(engine, "0003")
        assert current(engine) == "0003"  # read where the older release left it, before any upgrade
        upgrade(engine)
        assert current(engine) == HEAD
        assert version_rows(engine, VERSION_TABLE) == [HEAD]
        assert version_rows(engine, LEGACY_VERSION_TABLE) == []  # the library's row moved out
        assert "invoice_requests" in inspect(engine).get_table_names()  # 0005 ran on top of the adopted 0003
    finally:
        if backend == "postgresql":
            drop_schema(engine, schema)
        engine.dispose()


def test_adoption_leaves_a_host_s_revision_in_alembic_version(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "old.db", migrate=False)
    try:
        legacy_database(engine, "0004")
        with engine.begin() as connection:  # a host that branched its history into the same table
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('hostabc123')"))
        upgrade(engine)
        assert version_rows(engine, VERSION_TABLE) == [HEAD]
        assert version_rows(engine, LEGACY_VERSION_TABLE) == ["hostabc123"]
    finally:
        engine.dispose()


def test_offline_sql_creates_and_uses_the_schema_it_is_given() -> None:
    printed = offline_sql("postgresql", schema="billing")
    assert 'CREATE SCHEMA IF NOT EXISTS "billing"' in printed
    assert 'SET search_path TO "billing"' in printed
    assert f"CREATE TABLE billing.{VERSION_TABLE}" in printed
    assert "CREATE TABLE customers" in printed
    assert "UPDATE billing.subscription_core_version SET version_num='0006'" in printed
    assert DEFAULT_SCHEMA not in printed.replace(VERSION_TABLE, "")


def test_offline_sql_uses_the_library_s_schema_by_default_and_none_on_sqlite() -> None:
    assert f'SET search_path TO "{DEFAULT_SCHEMA}"' in offline_sql("postgresql://app@db/prod")
    printed = offline_sql("sqlite", revision="0001")
    assert f"CREATE TABLE {VERSION_TABLE}" in printed
    assert "search_path" not in printed


def test_alembic_s_refusal_is_the_library_s_error() -> None:
    # SQLite's later revisions alter tables in batch mode, which reads the live table: Alembic refuses offline.
    with pytest.raises(SubscriptionError) as caught:
        offline_sql("sqlite", revision="0002")
    assert "cannot proceed in --sql mode" in str(caught.value)
    assert caught.value.field == "revision"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: offline_sql("oracle"), "database"),
        (lambda: offline_sql("sqlite", schema="billing"), "schema"),
        (lambda: offline_sql("postgresql", schema="x; DROP TABLE customers"), "schema"),
        (lambda: offline_sql("postgresql", revision="heda"), "revision"),
    ],
)
def test_offline_sql_refuses_what_it_cannot_print(call: object, field: str) -> None:
    assert callable(call)
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.field == field


def test_a_revision_the_release_does_not_know_is_the_library_s_error(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "newer.db")
    try:
        with engine.begin() as connection:  # migrated by a newer release of the library
            connection.execute(text("UPDATE subscription_core_version SET version_num = '0099'"))
        with pytest.raises(SubscriptionError) as caught:
            upgrade(engine)
        assert "Can't locate revision identified by '0099'" in str(caught.value)
        assert caught.value.field == "revision"
        with pytest.raises(ValidationError):
            upgrade(engine, revision="0099")
    finally:
        engine.dispose()


def test_an_unreachable_database_is_the_library_s_error() -> None:
    engine = postgres_engine("postgresql://nobody@127.0.0.1:1/none")
    try:
        with pytest.raises(SubscriptionError) as caught:
            current(engine)
        assert caught.value.field == "database"
    finally:
        engine.dispose()


def test_postgresql_tables_go_in_the_library_s_schema_unless_told_otherwise() -> None:
    dsn = pg_dsn()
    separator = "&" if "?" in dsn else "?"
    engines = {
        "default": postgres_engine(dsn),
        "given": postgres_engine(dsn, schema="billing"),
        "the dsn's": postgres_engine(f"{dsn}{separator}options={quote('-c search_path=tenant_7')}"),
    }
    try:
        paths = {}
        for name, engine in engines.items():
            with engine.connect() as connection:  # reads the setting only: nothing is created
                paths[name] = connection.execute(text("SHOW search_path")).scalar_one()
    finally:
        for engine in engines.values():
            engine.dispose()
    assert paths == {"default": DEFAULT_SCHEMA, "given": "billing", "the dsn's": "tenant_7"}


def test_sqlite_uses_the_library_s_own_file_when_given_no_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    engine = sqlite_engine()
    try:
        assert current(engine) == HEAD
    finally:
        engine.dispose()
    assert [path.name for path in tmp_path.iterdir() if path.suffix == ".sqlite3"] == [DEFAULT_SQLITE_FILE]
