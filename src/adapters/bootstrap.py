"""The one place that chooses adapters and wires them into the application services.

Nothing here runs at import time: each bootstrap function imports its adapters when called, builds them,
and returns a :class:`~subscription_core.services.Services` for the use cases. A host calls one of them
once at start-up (with its real keys and clock) and keeps the result.
"""

from __future__ import annotations

import os
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from subscription_core.calendar import BusinessCalendar
from subscription_core.catalog import Catalog
from subscription_core.customers import ServiceAccountant
from subscription_core.errors import ValidationError
from subscription_core.payment_deadlines import DEFAULT_REMINDER_DAYS
from subscription_core.payments import MethodKind, PaymentLinkSigner
from subscription_core.ports import Clock, IdGenerator, InvoiceIssuer, Notifier, PaymentProvider, UnitOfWorkFactory
from subscription_core.services import Services

if TYPE_CHECKING:
    from subscription_core_adapters.memory import MemoryUnitOfWorkFactory

__all__ = ["DEMO_PROVIDER", "bootstrap_memory", "bootstrap_sql"]

DEMO_PROVIDER = "fakepay"
"""The name of the fake payment provider :func:`bootstrap_memory` registers when given none."""
_KEY_BYTES = 32


def bootstrap_memory(
    catalog: Catalog,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    uow: MemoryUnitOfWorkFactory | UnitOfWorkFactory | None = None,
    calendar: BusinessCalendar | None = None,
    providers: Mapping[str, PaymentProvider] | None = None,
    routes: Mapping[MethodKind, str] | None = None,
    invoices: InvoiceIssuer | None = None,
    notifier: Notifier | None = None,
    link_key: bytes | None = None,
    accountants: Mapping[str, ServiceAccountant] | None = None,
    pay_within_days: int = 7,
    payment_reminder_days: Sequence[int] = DEFAULT_REMINDER_DAYS,
    link_valid_days: int = 7,
) -> Services:
    """Wire the services on the in-memory adapters, with fakes for the outside world unless given real ones.

    Defaults: the system clock, random ids, a fresh in-memory store, the Vietnamese business calendar, one
    fake payment provider (:data:`DEMO_PROVIDER`, with a random key) taking every method, an in-memory
    invoice issuer, a recording notifier, a random payment-link key. ``routes`` defaults to every method
    kind to the one provider when there is exactly one. Orders are payable for ``pay_within_days`` at most
    and reminded ``payment_reminder_days`` before their deadline (O4, O8).

    Raises:
        ValidationError: no routes given for several providers, a route to an unknown provider, a link
            key shorter than 32 bytes (the key is never shown), or a setting out of range.
    """
    from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier  # noqa: PLC0415 - lazy
    from subscription_core_adapters.local import RandomIds, SystemClock  # noqa: PLC0415 - wired only when asked for
    from subscription_core_adapters.memory import MemoryUnitOfWorkFactory  # noqa: PLC0415 - wired only when asked for

    the_clock = clock if clock is not None else SystemClock()
    if providers is None:
        providers = {DEMO_PROVIDER: FakePaymentProvider(DEMO_PROVIDER, secrets.token_bytes(_KEY_BYTES))}
    return _services(
        catalog,
        uow=uow if uow is not None else MemoryUnitOfWorkFactory(),
        clock=the_clock,
        ids=ids if ids is not None else RandomIds(),
        calendar=calendar,
        providers=providers,
        routes=routes,
        invoices=invoices if invoices is not None else MemoryInvoiceIssuer(clock=the_clock),
        notifier=notifier if notifier is not None else RecordingNotifier(),
        link_key=link_key if link_key is not None else secrets.token_bytes(_KEY_BYTES),
        accountants=accountants,
        pay_within_days=pay_within_days,
        payment_reminder_days=payment_reminder_days,
        link_valid_days=link_valid_days,
    )


def bootstrap_sql(
    catalog: Catalog,
    *,
    database: str | os.PathLike[str] | None = None,
    providers: Mapping[str, PaymentProvider],
    invoices: InvoiceIssuer,
    notifier: Notifier,
    link_key: bytes,
    routes: Mapping[MethodKind, str] | None = None,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    calendar: BusinessCalendar | None = None,
    accountants: Mapping[str, ServiceAccountant] | None = None,
    pay_within_days: int = 7,
    payment_reminder_days: Sequence[int] = DEFAULT_REMINDER_DAYS,
    link_valid_days: int = 7,
    schema: str | None = None,
) -> Services:
    """Wire the services on the SQL adapter: a ``postgresql://`` DSN, or the path of a SQLite file.

    Without ``database`` it is the library's own SQLite file, ``subscription_core.sqlite3`` in the working
    directory. On PostgreSQL the tables go in the schema ``subscription_core`` (created if missing), or in
    ``schema`` when given, so they never mix with a host's; ``schema`` is refused for SQLite, which has none.

    The database is migrated to the latest schema when this is called (not at import). Nothing of the
    outside world is faked here: the host passes its payment providers, invoice issuer, notifier and
    payment-link key (at least 32 random bytes from its secret store). Needs the ``sql`` extra.

    Raises:
        ValidationError: as :func:`bootstrap_memory`, or a malformed database name.
        SubscriptionError: the database cannot be reached or migrated.
    """
    from subscription_core_adapters.local import RandomIds, SystemClock  # noqa: PLC0415 - wired only when asked for
    from subscription_core_adapters.sql import SqlUnitOfWorkFactory, postgres_engine, sqlite_engine, upgrade  # noqa: PLC0415 - lazy
    from subscription_core_adapters.sql.engine import DEFAULT_SQLITE_FILE  # noqa: PLC0415 - lazy

    name = os.fspath(database) if database is not None else DEFAULT_SQLITE_FILE
    if name.startswith(("postgresql:", "postgres:")):
        engine = postgres_engine(name, schema=schema)
        upgrade(engine)
    elif schema is not None:
        raise ValidationError("a SQLite database has no schemas", field="schema", value=schema)
    else:
        engine = sqlite_engine(name)
    return _services(
        catalog,
        uow=SqlUnitOfWorkFactory(engine),
        clock=clock if clock is not None else SystemClock(),
        ids=ids if ids is not None else RandomIds(),
        calendar=calendar,
        providers=providers,
        routes=routes,
        invoices=invoices,
        notifier=notifier,
        link_key=link_key,
        accountants=accountants,
        pay_within_days=pay_within_days,
        payment_reminder_days=payment_reminder_days,
        link_valid_days=link_valid_days,
        pause=backoff,
    )


def _services(
    catalog: Catalog,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    calendar: BusinessCalendar | None,
    providers: Mapping[str, PaymentProvider],
    routes: Mapping[MethodKind, str] | None,
    invoices: InvoiceIssuer,
    notifier: Notifier,
    link_key: bytes,
    accountants: Mapping[str, ServiceAccountant] | None,
    pay_within_days: int,
    payment_reminder_days: Sequence[int],
    link_valid_days: int,
    pause: Callable[[int], None] | None = None,
) -> Services:
    if routes is None:
        if len(providers) != 1:
            raise ValidationError("say which provider takes each method", rule="Y1", field="routes")
        routes = dict.fromkeys(MethodKind, next(iter(providers)))
    return Services(
        uow=uow,
        clock=clock,
        ids=ids,
        catalog=catalog,
        calendar=calendar if calendar is not None else BusinessCalendar(),
        providers=dict(providers),
        routes=dict(routes),
        invoices=invoices,
        links=PaymentLinkSigner(key=link_key),
        notifier=notifier,
        accountants=dict(accountants or {}),
        pay_within_days=pay_within_days,
        payment_reminder_days=payment_reminder_days,
        link_valid_days=link_valid_days,
        pause=pause,
    )


def backoff(attempt: int) -> None:
    """Sleep before a use case that lost a database race runs again: 5 ms doubling per attempt, jittered."""
    time.sleep(0.005 * 2 ** (attempt - 1) * (1 + random.random()))  # noqa: S311 - jitter, not crypto
