"""The library's migration history lives beside a host's: its own version table, its own schema, its own API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from subscription_core_adapters.sql import postgres_engine, upgrade

from .conftest import drop_schema, new_schema, pg_dsn

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
    assert {"host_things", "customers"} <= tables
    assert host_current(shared_postgresql) == "0001"
