"""The command line run as a host runs it: ``python -m subscription_core_adapters.cli`` in a process of its own.

Each test gets a database of its own: a SQLite file, or a PostgreSQL schema of its own (``test_<random>``,
dropped at the end) from ``SUBSCRIPTION_CORE_PG_DSN``, skipped without it and failed under ``CI=true``, as
tests/integration/sql/conftest.py does. The commands find it in their environment (``Db.env``); a test wires
the same database in its own process (the host factory of tests/cli/host.py) to seed it and look inside.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import attrs
import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from subscription_core_adapters.bootstrap import SqlWiring
from subscription_core_adapters.cli import ENV_APP, ENV_DATABASE, ENV_DSN, ENV_SCHEMA, ENV_STAFF
from subscription_core_adapters.sql import postgres_engine

from . import host

ROOT = host.ROOT
STEP_SECONDS = 60.0
APP = "tests.cli.host:wiring"


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI, where PostgreSQL must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def base_env() -> dict[str, str]:
    """This process's environment without any of the command's own settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SUBSCRIPTION_CORE_", "CLI_TEST_"))}


@attrs.frozen
class Db:
    """A test's database, as the command's environment names it."""

    backend: str
    env: Mapping[str, str]
    dsn: str = ""
    schema: str = ""


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """An empty database: a SQLite file (not created yet) or a PostgreSQL schema of this test's own."""
    if request.param == "sqlite":
        yield Db(backend="sqlite", env={ENV_DATABASE: str(tmp_path / "billing.db")})
        return
    dsn = os.environ.get("SUBSCRIPTION_CORE_PG_DSN", "")
    if not dsn:
        unavailable("SUBSCRIPTION_CORE_PG_DSN is not set")
    schema = f"test_{secrets.token_hex(6)}"
    engine = postgres_engine(dsn, schema=schema, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        engine.dispose()
        unavailable(f"PostgreSQL at SUBSCRIPTION_CORE_PG_DSN is unreachable: {type(exc).__name__}")
    yield Db(backend="postgresql", env={ENV_DSN: dsn, ENV_SCHEMA: schema}, dsn=dsn, schema=schema)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def wired(db: Db, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqlWiring]:
    """The test host's wiring on the test's database, in this process (migrated, as bootstrap_sql does)."""
    for name, value in db.env.items():
        monkeypatch.setenv(name, value)
    wiring = host.wiring()
    yield wiring
    wiring.dispose()


def cli_env(db: Db | None, **extra: str) -> dict[str, str]:
    """The environment of a command on ``db``: its database, the test host's factory, a staff member."""
    env = base_env()
    if db is not None:
        env.update(db.env)
    env.update({ENV_APP: APP, ENV_STAFF: "staff-7", "COLUMNS": "200", **extra})
    return env


def run_cli(*args: str | Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``subscription-core ARGS`` to its end (bounded in time) from the project root."""
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "subscription_core_adapters.cli", *map(str, args)],
        cwd=ROOT,
        env=dict(env) if env is not None else base_env(),
        capture_output=True,
        text=True,
        timeout=STEP_SECONDS,
        check=False,
    )


def start_cli(*args: str | Path, env: Mapping[str, str], log: Path) -> subprocess.Popen[str]:
    """Start ``subscription-core ARGS`` in the background, its stderr (the log) going to ``log``."""
    with log.open("w") as sink:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "subscription_core_adapters.cli", *map(str, args)],
            cwd=ROOT,
            env=dict(env),
            stdout=subprocess.DEVNULL,
            stderr=sink,
            text=True,
        )


def wait_for(check: Callable[[], bool], what: str, *, within: float = 30.0) -> None:
    """Poll ``check`` until it holds, failing with ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def no_traceback(done: subprocess.CompletedProcess[str]) -> bool:
    """Whether the command printed no Python traceback."""
    return "Traceback" not in done.stdout + done.stderr
