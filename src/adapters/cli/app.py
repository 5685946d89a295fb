"""The ``subscription-core`` command group: shared options, error handling, logging, and the schema commands.

Exit codes: 0 done; 1 refused or failed (a ``SubscriptionError``, printed with its code on stderr, never a
traceback; a catalog with problems; statement rows that could not be read); 2 a usage error (a missing or
malformed option, an ``--app`` that cannot be loaded). No password is ever shown: DSNs are printed masked, and
every error, usage message and log line has the configured DSN's password scrubbed out.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, NoReturn, TypeVar, cast

import attrs
import click

from subscription_core.errors import SubscriptionError
from subscription_core_adapters.bootstrap import SqlWiring
from subscription_core_adapters.cli.settings import (
    ENV_APP,
    ENV_DATABASE,
    ENV_DSN,
    ENV_SCHEMA,
    AppError,
    load_app,
    masked_dsn,
    password_of,
)

__all__ = ["COMMANDS", "Config", "app_option", "cli", "database_options", "fail", "run", "scrub"]

F = TypeVar("F", bound=Callable[..., Any])
_LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REFUSED: Final = 1
"""The exit code of a refusal or failure (a usage error is click's 2)."""


def scrub(text: str) -> str:
    """``text`` with the configured DSN's password (flag or environment) replaced by ``***``."""
    secret = password_of(os.environ.get(ENV_DSN))
    return text.replace(secret, "***") if secret else text


class _ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def fail(error: SubscriptionError) -> NoReturn:
    """Print a refusal on stderr (its code, rule and message; no traceback) and exit with :data:`REFUSED`."""
    rule = f" rule {error.rule}" if error.rule else ""
    click.echo(scrub(f"error [{error.code}{rule}]: {error}"), err=True)
    if error.retryable:
        click.echo("(this may pass: the same command can be run again)", err=True)
    raise click.exceptions.Exit(REFUSED)


COMMANDS: Final = {
    "check-catalog": "billing:check_catalog",
    "current": "schema_commands:current_command",
    "dead-letters": "billing:dead_letters",
    "import-statement": "statements:import_statement",
    "migrate": "schema_commands:migrate",
    "quote": "billing:quote",
    "worker": "worker:worker",
}
"""Each command and where it lives: imported only when run (or listed by ``--help``), so a command starts fast."""


class _Group(click.Group):
    """Loads the commands on demand; turns a library refusal into exit code 1, a bad ``--app`` into a usage error."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, in order."""
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, its module imported now."""
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, _, name = COMMANDS[cmd_name].partition(":")
        command = getattr(importlib.import_module(f"subscription_core_adapters.cli.{module}"), name)
        if not isinstance(command, click.Command):  # a mistake in the table above, not the user's
            raise TypeError(f"{COMMANDS[cmd_name]} is not a click command")
        return command

    def invoke(self, ctx: click.Context) -> Any:  # noqa: ANN401 - click's own signature
        try:
            return super().invoke(ctx)
        except SubscriptionError as error:
            fail(error)
        except AppError as error:
            raise click.UsageError(scrub(str(error)), ctx) from None


@attrs.frozen(kw_only=True)
class Config:
    """The database and the host's factory one command was given (flags, else the environment)."""

    dsn: str | None = None
    database: Path | None = None
    schema: str | None = None
    app: str | None = None

    def export(self) -> None:
        """Put the flags into the environment, where the host's factory reads them (``database_settings``)."""
        for name, value in ((ENV_DSN, self.dsn), (ENV_DATABASE, self.database), (ENV_SCHEMA, self.schema)):
            if value is not None:
                os.environ[name] = str(value)
        if self.dsn is not None:
            os.environ.pop(ENV_DATABASE, None)  # a flag wins over the environment's other choice
        elif self.database is not None:
            os.environ.pop(ENV_DSN, None)

    def shown(self) -> str:
        """The database as it may be printed: the DSN masked, with its schema; or the SQLite file."""
        if self.dsn is not None:
            return f"{masked_dsn(self.dsn)} (schema {self.schema or 'subscription_core'})"
        return f"SQLite file {self.database}"

    def require_database(self) -> None:
        """Refuse (a usage error) when neither or both of a DSN and a SQLite file were given."""
        if (self.dsn is None) == (self.database is None):
            what = "both" if self.dsn is not None else "neither"
            raise click.UsageError(f"give --dsn ({ENV_DSN}) or --database ({ENV_DATABASE}); {what} was given")
        if self.database is not None and self.schema is not None:
            raise click.UsageError("--schema is for a PostgreSQL --dsn: a SQLite file has no schemas")

    def wiring(self) -> SqlWiring:
        """The host's wiring from ``--app``, on the database given (exported to the factory)."""
        if not self.app:
            raise click.UsageError(f"this command runs the host's use cases: give --app module:factory ({ENV_APP})")
        self.export()
        return load_app(self.app)


def database_options(command: F) -> F:
    """The ``--dsn``, ``--database`` and ``--schema`` options, gathered into a :class:`Config` as ``config``."""

    @click.option("--dsn", envvar=ENV_DSN, metavar="DSN", help=f"PostgreSQL DSN [env {ENV_DSN}].")
    @click.option(
        "--database",
        envvar=ENV_DATABASE,
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"SQLite database file [env {ENV_DATABASE}].",
    )
    @click.option("--schema", envvar=ENV_SCHEMA, help=f"PostgreSQL schema of the tables [env {ENV_SCHEMA}].")
    @functools.wraps(command)
    def wrapped(
        *args: Any,  # noqa: ANN401 - click passes the command's own options through
        dsn: str | None,
        database: Path | None,
        schema: str | None,
        **kwargs: Any,  # noqa: ANN401
    ) -> Any:  # noqa: ANN401
        config = Config(dsn=dsn or None, database=database, schema=schema or None)
        config.export()
        return command(*args, config=config, **kwargs)

    return cast("F", wrapped)  # the same command, with three options more


def app_option(command: F) -> F:
    """The ``--app`` option (the host's factory) with the database options, as ``config``."""

    @click.option(
        "--app",
        "app",
        envvar=ENV_APP,
        metavar="MODULE:FACTORY",
        help=f"The host's factory returning its SqlWiring [env {ENV_APP}].",
    )
    @functools.wraps(command)
    def wrapped(*args: Any, app: str | None, config: Config, **kwargs: Any) -> Any:  # noqa: ANN401
        return command(*args, config=attrs.evolve(config, app=app or None), **kwargs)

    return database_options(cast("F", wrapped))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="INFO",
    show_default=True,
    help="How much the worker and the use cases log, on stderr.",
)
@click.version_option(package_name="subscription-core")
def cli(log_level: str) -> None:
    """Run the subscription engine's jobs: migrations, the worker, statements, catalogs, quotes, dead letters.

    The database comes from --dsn (PostgreSQL) or --database (a SQLite file), or their environment
    variables; commands that run use cases also need the host's wiring, --app module:factory.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ScrubbingFormatter(_LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(log_level.upper())
    if log_level.upper() != "DEBUG":  # Alembic's "Context impl ..." lines say nothing an operator needs
        logging.getLogger("alembic").setLevel(logging.WARNING)


def run() -> None:
    """The console script: click's own parsing and exit codes over :data:`COMMANDS`."""
    cli(prog_name="subscription-core")
