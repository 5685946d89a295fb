"""The command line's configuration: environment variables, the host's wiring factory, DSNs shown masked.

Nothing here imports click or rich: a host's factory reads :func:`database_settings` to wire its
:class:`~subscription_core_adapters.bootstrap.SqlWiring` on the database the command was given.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Final, TypedDict

from subscription_core.errors import ValidationError
from subscription_core_adapters.bootstrap import SqlWiring

__all__ = [
    "ENV_APP",
    "ENV_DATABASE",
    "ENV_DSN",
    "ENV_SCHEMA",
    "ENV_STAFF",
    "AppError",
    "DatabaseSettings",
    "database_settings",
    "load_app",
    "masked_dsn",
    "password_of",
]

ENV_DSN: Final = "SUBSCRIPTION_CORE_DSN"
"""A PostgreSQL DSN (``postgresql://user:password@host:5432/db``); the flag ``--dsn``."""
ENV_DATABASE: Final = "SUBSCRIPTION_CORE_DATABASE"
"""The path of a SQLite database file; the flag ``--database``."""
ENV_SCHEMA: Final = "SUBSCRIPTION_CORE_SCHEMA"
"""The PostgreSQL schema of the library's tables (``subscription_core`` when unset); the flag ``--schema``."""
ENV_APP: Final = "SUBSCRIPTION_CORE_APP"
"""The host's wiring factory, ``module:attribute``; the flag ``--app``."""
ENV_STAFF: Final = "SUBSCRIPTION_CORE_STAFF"
"""The staff member a staff command acts as (A2); the flag ``--staff``."""


class DatabaseSettings(TypedDict, total=False):
    """The database of a command, as ``bootstrap_sql``'s keyword arguments: ``**database_settings()``."""

    dsn: str
    schema: str
    database: str


class AppError(Exception):
    """The ``--app`` factory cannot be found, called, or returns no ``SqlWiring`` (a usage error)."""


def database_settings(environ: Mapping[str, str] | None = None) -> DatabaseSettings:
    """The database the command was given, as keyword arguments for ``bootstrap_sql``.

    ``{"dsn": ..., "schema": ...}`` (schema only when set) for PostgreSQL, ``{"database": ...}`` for a SQLite
    file, ``{}`` when neither is set (``bootstrap_sql`` then uses the library's own SQLite file). The command
    puts its ``--dsn``, ``--database`` and ``--schema`` flags into the environment before it calls the host's
    factory, so a factory reading this wires the database the command names.

    Raises:
        ValidationError: both a DSN and a database file are set, or a schema beside a SQLite file.
    """
    env = os.environ if environ is None else environ
    dsn, database, schema = env.get(ENV_DSN, ""), env.get(ENV_DATABASE, ""), env.get(ENV_SCHEMA, "")
    if dsn and database:
        raise ValidationError(f"set {ENV_DSN} or {ENV_DATABASE}, not both", field="database")
    if dsn:
        return {"dsn": dsn, "schema": schema} if schema else {"dsn": dsn}
    if schema and database:
        raise ValidationError("a SQLite database has no schemas", field="schema", value=schema)
    return {"database": database} if database else {}


def password_of(dsn: str | None) -> str | None:
    """The password a DSN carries, if any (for scrubbing it out of anything shown)."""
    if not dsn:
        return None
    from sqlalchemy import make_url  # noqa: PLC0415 - the sql extra, present with the cli extra
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    try:
        url = make_url(dsn)
    except ArgumentError:
        return None
    password = url.password or url.query.get("password")
    return password if isinstance(password, str) and password else None


def masked_dsn(dsn: str) -> str:
    """The DSN as it may be shown: its password replaced by ``***`` (a malformed DSN is not shown at all)."""
    from sqlalchemy import make_url  # noqa: PLC0415 - the sql extra, present with the cli extra
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    try:
        url = make_url(dsn)
    except ArgumentError:
        return "<a malformed DSN>"
    if "password" in url.query:
        url = url.update_query_dict({"password": "***"})
    return url.render_as_string(hide_password=True)


def load_app(spec: str) -> SqlWiring:
    """Import ``module:attribute`` (the working directory first on ``sys.path``), call it, check the result.

    The attribute (dotted for a nested one) is a callable taking no arguments that returns the host's
    :class:`SqlWiring`; errors it raises (a ``SubscriptionError`` from ``bootstrap_sql``) pass through.

    Raises:
        AppError: a malformed spec, a module that cannot be imported, a missing or uncallable attribute,
            or a factory returning anything but a ``SqlWiring``.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise AppError(f"--app must be module:attribute, got {spec!r}")
    here = str(Path.cwd())
    if here not in sys.path:  # as uvicorn does: the host's own modules import from where it runs
        sys.path.insert(0, here)
    try:
        target: object = importlib.import_module(module_name)
    except ImportError as exc:
        raise AppError(f"cannot import {module_name!r}: {exc}") from None
    for name in attribute.split("."):
        try:
            target = getattr(target, name)
        except AttributeError:
            raise AppError(f"{module_name!r} has no attribute {attribute!r}") from None
    if not callable(target):
        raise AppError(f"{spec} is not callable: it must be a function returning a SqlWiring")
    wiring = target()
    if not isinstance(wiring, SqlWiring):
        raise AppError(f"{spec}() returned {type(wiring).__name__}, not a SqlWiring (see bootstrap_sql)")
    return wiring
