"""``migrate``, ``current`` and ``migrate --sql`` on SQLite and PostgreSQL; DSN passwords never shown; exit codes."""

from __future__ import annotations

from sqlalchemy import make_url

from subscription_core_adapters.cli import ENV_APP, ENV_DATABASE, ENV_DSN, masked_dsn
from subscription_core_adapters.sql import offline_sql
from subscription_core_adapters.sql.migrating import library_revisions

from .conftest import Db, base_env, cli_env, no_traceback, run_cli

HEAD = max(library_revisions())
SECRET = "Sh0uld-never-be-seen"  # noqa: S105 - a made-up password that must never be printed


def flags_of(db: Db) -> list[str]:
    """The database as flags; PostgreSQL's DSN carries a password (a trusting server ignores it)."""
    if db.backend == "sqlite":
        return ["--database", db.env[ENV_DATABASE]]
    url = make_url(db.dsn)
    dsn = db.dsn if url.password else url.set(password=SECRET).render_as_string(hide_password=False)
    return ["--dsn", dsn, "--schema", db.schema]


def test_migrate_then_current(db: Db) -> None:
    env = {**base_env(), **db.env}
    before = run_cli("current", "--check", env=env)
    assert before.returncode == 1, before.stderr
    assert before.stdout.startswith("none (the library's tables were never migrated here)")

    flags = flags_of(db)  # flags name the database as well as the environment
    migrated = run_cli("migrate", *flags)
    assert migrated.returncode == 0, migrated.stderr
    assert f"migrated from an empty database to revision {HEAD}" in migrated.stdout
    if db.backend == "postgresql":
        dsn = flags[1]
        secret = make_url(dsn).password
        assert secret
        assert masked_dsn(dsn) in migrated.stdout
        assert "***" in migrated.stdout
        assert secret not in migrated.stdout + migrated.stderr

    after = run_cli("current", "--check", env=env)
    assert after.returncode == 0, after.stderr
    assert after.stdout.strip() == f"{HEAD} (up to date)"


def test_migrate_sql_prints_the_offline_script_and_connects_to_nothing() -> None:
    printed = run_cli("migrate", "--sql", "--schema", "billing")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == offline_sql("postgresql", schema="billing")
    assert 'CREATE SCHEMA IF NOT EXISTS "billing"' in printed.stdout
    assert "CREATE TABLE billing.subscription_core_version" in printed.stdout
    # A DSN's dialect chooses the script; the server it names is never contacted (port 1: nothing listens).
    unreachable = run_cli("migrate", "--sql", "--dsn", f"postgresql://app:{SECRET}@127.0.0.1:1/prod")
    assert unreachable.returncode == 0
    assert unreachable.stdout == offline_sql("postgresql")
    # SQLite's migrations reflect the live tables (Alembic's batch mode): no script, a usage error.
    sqlite = run_cli("migrate", "--sql", "--database", "anything.db")
    assert sqlite.returncode == 2
    assert "a SQLite file is migrated in place" in sqlite.stderr


def test_a_refusal_prints_its_code_and_no_password_or_traceback() -> None:
    dsn = f"postgresql://billing:{SECRET}@127.0.0.1:1/prod"
    done = run_cli("migrate", env={**base_env(), ENV_DSN: dsn})  # the server cannot be reached
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error [storage]: "), done.stderr
    assert "(this may pass: the same command can be run again)" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert no_traceback(done)


def test_usage_errors_exit_2() -> None:
    neither = run_cli("current")
    assert neither.returncode == 2
    assert "give --dsn (SUBSCRIPTION_CORE_DSN) or --database (SUBSCRIPTION_CORE_DATABASE)" in neither.stderr
    env = cli_env(None)
    bad_app = run_cli("worker", "--once", "--database", "a.db", env={**env, ENV_APP: "tests.cli.nowhere:wiring"})
    assert bad_app.returncode == 2
    assert "cannot import 'tests.cli.nowhere'" in bad_app.stderr
