"""The ``subscription-core`` command: migrations, the worker, statements, catalogs, quotes, dead letters.

Installed with the ``cli`` extra (``pip install 'subscription-core[cli]'``); ``docs/cli.md`` describes every
command. :func:`main` is the console script's entry point; importing this package imports nothing of the
command line's libraries, so that a host's factory can read :func:`database_settings` without them.
"""

from __future__ import annotations

from subscription_core_adapters.cli.settings import (
    ENV_APP,
    ENV_DATABASE,
    ENV_DSN,
    ENV_SCHEMA,
    ENV_STAFF,
    database_settings,
    masked_dsn,
)

__all__ = ["ENV_APP", "ENV_DATABASE", "ENV_DSN", "ENV_SCHEMA", "ENV_STAFF", "database_settings", "main", "masked_dsn"]


def main() -> None:
    """Run the ``subscription-core`` command with the process's arguments (exits with its status)."""
    from subscription_core_adapters.cli.app import run  # noqa: PLC0415 - click and rich only when run

    run()
