"""The one place that chooses adapters and wires them into the application services.

Nothing here runs at import time: each bootstrap function imports its adapters when called and builds
them. :func:`bootstrap_memory` returns the :class:`~subscription_core.services.Services` the use cases
take; :func:`bootstrap_sql` returns a :class:`SqlWiring`, the services with the engine, the outbox relay,
the scheduler step and the e-invoice issuer they share. A host calls one of them once at start-up (with
its real keys and clock) and keeps the result.
"""

from __future__ import annotations

import os
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypedDict

import attrs

from subscription_core.calendar import BusinessCalendar
from subscription_core.catalog import Catalog
from subscription_core.customers import ServiceAccountant
from subscription_core.errors import ValidationError
from subscription_core.payment_deadlines import DEFAULT_REMINDER_DAYS
from subscription_core.payments import MethodKind, PaymentLinkSigner
from subscription_core.ports import (
    Clock,
    IdGenerator,
    InvoiceIssuer,
    Notifier,
    PaymentProvider,
    PaymentStatusQuery,
    RefundGateway,
    UnitOfWorkFactory,
)
from subscription_core.services import Delivery, SchedulerRun, Services, relay_outbox, run_scheduler

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from subscription_core_adapters.einvoice import FormatVersion, InvoiceSeries, Seller
    from subscription_core_adapters.memory import MemoryUnitOfWorkFactory

__all__ = ["DEMO_PROVIDER", "SqlWiring", "backoff", "bootstrap_memory", "bootstrap_sql"]

DEMO_PROVIDER = "fakepay"
"""The name of the fake payment provider :func:`bootstrap_memory` registers when given none."""
_KEY_BYTES = 32


def backoff(attempt: int) -> None:
    """Sleep before a use case that lost a database race runs again: 5 ms doubling per attempt, jittered.

    What :func:`bootstrap_sql` wires as ``Services.pause``; a host wiring the services on a database itself
    passes it the same way. (Not :func:`subscription_core.notices.backoff`, which dates a retry.)
    """
    time.sleep(0.005 * 2 ** (attempt - 1) * (1 + random.random()))  # noqa: S311 - jitter, not crypto


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
    refund_gateways: Mapping[str, RefundGateway] | None = None,
    status_queries: Mapping[str, PaymentStatusQuery] | None = None,
) -> Services:
    """Wire the services on the in-memory adapters, with fakes for the outside world unless given real ones.

    Defaults: the system clock, random ids, a fresh in-memory store, the Vietnamese business calendar, one
    fake payment provider (:data:`DEMO_PROVIDER`, with a random key) taking every method, an in-memory
    invoice issuer, a recording notifier, a random payment-link key. ``routes`` defaults to every method
    kind the one provider takes when there is exactly one. Orders are payable for ``pay_within_days`` at
    most and reminded ``payment_reminder_days`` before their deadline (O4, O8). ``refund_gateways`` are
    the providers' refund APIs by provider name (Y8), ``status_queries`` their payment queries (Y5, Y6,
    asked by the scheduler before it lapses an order); none by default.

    ``uow`` may be another store's (a test's SQL unit of work); e-invoices numbered in memory by the
    reference issuer are then refused (I1): numbers must live where the orders do.

    Raises:
        ValidationError: no routes given for several providers; (Y1) a provider registered under another
            name, a route to an unknown provider or to one not taking the kind; (I1) e-invoices numbered in
            memory beside another store; a link key shorter than 32 bytes (the key is never shown), or a
            setting out of range.
    """
    from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier  # noqa: PLC0415 - lazy
    from subscription_core_adapters.local import RandomIds, SystemClock  # noqa: PLC0415 - wired only when asked for
    from subscription_core_adapters.memory import MemoryUnitOfWorkFactory  # noqa: PLC0415 - wired only when asked for

    the_clock = clock if clock is not None else SystemClock()
    if uow is not None and not isinstance(uow, MemoryUnitOfWorkFactory):
        _refuse_memory_numbering(invoices, fake_too=False)
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
        refund_gateways=refund_gateways,
        status_queries=status_queries,
    )


@attrs.frozen(kw_only=True, repr=False)
class SqlWiring:
    """What :func:`bootstrap_sql` wired, in one handle a host keeps for its lifetime.

    ``services`` is what every use case takes; ``engine`` the one engine they all share (the one passed in,
    or the one made from the DSN or file); ``invoices`` the issuer the services use (the reference one,
    numbered in this database, when built from a seller and a series: I1). :meth:`relay_outbox` and
    :meth:`run_scheduler` are the two steps a host runs periodically; :meth:`dispose` closes the pool.
    """

    services: Services
    engine: Engine
    invoices: InvoiceIssuer

    def __repr__(self) -> str:
        """The services and the database's dialect; never a key or a password."""
        return f"SqlWiring({self.services!r}, dialect={self.engine.dialect.name!r})"

    def relay_outbox(self, *, batch: int = 100) -> Delivery:
        """Claim and deliver the due outbox messages once (N1, N2); see :func:`subscription_core.services.relay_outbox`.

        Raises:
            ValidationError: a batch size below 1. SubscriptionError: the database failed.
        """
        return relay_outbox(self.services, batch=batch)

    def run_scheduler(self, *, batch: int = 500) -> SchedulerRun:
        """Apply everything due by now; see :func:`subscription_core.services.run_scheduler`.

        Raises:
            ValidationError: a batch size below 1.
            ConflictError: a batch kept losing races with other writers.
        """
        return run_scheduler(self.services, batch=batch)

    def dispose(self) -> None:
        """Close the engine's pooled connections (an engine used again afterwards reconnects)."""
        self.engine.dispose()


def bootstrap_sql(
    catalog: Catalog,
    *,
    providers: Mapping[str, PaymentProvider],
    notifier: Notifier,
    link_key: bytes,
    engine: Engine | None = None,
    dsn: str | None = None,
    database: str | os.PathLike[str] | None = None,
    schema: str | None = None,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    seller: Seller | None = None,
    series: InvoiceSeries | None = None,
    invoices: InvoiceIssuer | None = None,
    invoice_format: FormatVersion | str | None = None,
    routes: Mapping[MethodKind, str] | None = None,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    calendar: BusinessCalendar | None = None,
    accountants: Mapping[str, ServiceAccountant] | None = None,
    pay_within_days: int = 7,
    payment_reminder_days: Sequence[int] = DEFAULT_REMINDER_DAYS,
    link_valid_days: int = 7,
    pause: Callable[[int], None] = backoff,
    refund_gateways: Mapping[str, RefundGateway] | None = None,
    status_queries: Mapping[str, PaymentStatusQuery] | None = None,
) -> SqlWiring:
    """Wire the services on the SQL adapter and return the one :class:`SqlWiring` handle.

    The database is exactly one of: ``engine``, an engine the host made (with ``postgres_engine`` or
    ``sqlite_engine``) and shares; ``dsn``, a ``postgresql://`` DSN, with ``schema`` (the tables' schema,
    created if missing), ``pool_size`` and ``max_overflow`` (the pool's; 10 and 10 by default); or
    ``database``, the path of a SQLite file; none of them: the library's own SQLite file,
    ``subscription_core.sqlite3`` in the working directory. On PostgreSQL the tables go in the schema
    ``subscription_core`` unless ``schema`` names another, so they never mix with a host's. It is migrated to
    the latest schema when this is called (not at import).

    E-invoices are numbered in this database (I1): pass ``seller`` and ``series`` for the reference issuer
    on ``SqlNumberedInvoices``, or ``invoices``, a provider's issuer that numbers on its side. An issuer
    numbering in memory is refused: every process would start again at 1 and issue numbers already used.
    ``invoice_format`` is the reference issuer's XML format version (``"2.1.0"`` unless given).

    Nothing of the outside world is faked here: the host passes its payment providers, notifier and
    payment-link key (at least 32 random bytes from its secret store), and the providers' refund APIs
    (``refund_gateways``, by provider name, Y8) and payment queries (``status_queries``, Y5, Y6).
    ``pause`` is called before a use case that lost a database race runs again (:func:`backoff` by
    default). Needs the ``sql`` extra.

    Raises:
        ValidationError: not exactly one of ``engine``, ``dsn`` and ``database``; a schema or pool option
            for SQLite or beside an engine; a DSN given as ``database``; (I1) no seller and series and no
            issuer, both, an issuer numbering in memory, an unknown ``invoice_format`` or one given beside
            ``invoices``; as :func:`bootstrap_memory` otherwise.
        SubscriptionError: the database cannot be reached or migrated.
    """
    from subscription_core_adapters.local import RandomIds, SystemClock  # noqa: PLC0415 - wired only when asked for
    from subscription_core_adapters.sql import SqlUnitOfWorkFactory  # noqa: PLC0415 - lazy

    the_clock = clock if clock is not None else SystemClock()
    issuer = _checked_issuer(invoices, seller=seller, series=series, invoice_format=invoice_format)
    the_engine = _engine(engine=engine, dsn=dsn, database=database, schema=schema, pool=(pool_size, max_overflow))
    try:
        if issuer is None:
            issuer = _issuer_numbered_in(the_engine, seller, series, the_clock, invoice_format)
        services = _services(
            catalog,
            uow=SqlUnitOfWorkFactory(the_engine),
            clock=the_clock,
            ids=ids if ids is not None else RandomIds(),
            calendar=calendar,
            providers=providers,
            routes=routes,
            invoices=issuer,
            notifier=notifier,
            link_key=link_key,
            accountants=accountants,
            pay_within_days=pay_within_days,
            payment_reminder_days=payment_reminder_days,
            link_valid_days=link_valid_days,
            pause=pause,
            refund_gateways=refund_gateways,
            status_queries=status_queries,
        )
    except Exception:
        if engine is None:  # made here: its connections go with the refusal; a host's engine stays its own
            the_engine.dispose()
        raise
    return SqlWiring(services=services, engine=the_engine, invoices=issuer)


def _engine(
    *,
    engine: Engine | None,
    dsn: str | None,
    database: str | os.PathLike[str] | None,
    schema: str | None,
    pool: tuple[int | None, int | None],
) -> Engine:
    """The one engine of ``bootstrap_sql``, migrated."""
    import sqlalchemy  # noqa: PLC0415 - needs the sql extra

    from subscription_core_adapters.sql import postgres_engine, sqlite_engine, upgrade  # noqa: PLC0415 - lazy
    from subscription_core_adapters.sql.engine import DEFAULT_SQLITE_FILE  # noqa: PLC0415 - lazy

    given = [name for name, value in (("engine", engine), ("dsn", dsn), ("database", database)) if value is not None]
    if len(given) > 1:
        raise ValidationError("give at most one of engine=, dsn= or database=", field="engine", value=given)
    if not given:  # the library's own SQLite file, in the working directory
        database = DEFAULT_SQLITE_FILE
    options = {"pool_size": pool[0], "max_overflow": pool[1]}
    if dsn is None:  # the engine's own options, or SQLite's (which has no schema and a pool of its own)
        for field, value in (("schema", schema), *options.items()):
            if value is not None:
                where = "an engine passed in has its own" if engine is not None else "a SQLite database has none"
                raise ValidationError(f"is for a dsn=: {where}", field=field, value=value)
    if engine is not None:
        if not isinstance(engine, sqlalchemy.Engine):
            raise ValidationError("must be a SQLAlchemy Engine", field="engine", value=type(engine).__name__)
        upgrade(engine)
        return engine
    if database is not None:
        name = os.fspath(database)
        if name.startswith(("postgresql:", "postgres:")):
            raise ValidationError("is a SQLite file: pass a PostgreSQL DSN as dsn=", field="database")
        return sqlite_engine(name)
    made = postgres_engine(str(dsn), schema=schema, **_pool_options(options))
    upgrade(made)
    return made


class _Pool(TypedDict, total=False):
    pool_size: int
    max_overflow: int


def _pool_options(options: Mapping[str, int | None]) -> _Pool:
    """The pool options given, checked: a pool of at least 1 connection, an overflow of 0 or more."""
    checked: _Pool = {}
    for field, value in options.items():
        if value is None:
            continue
        least = 1 if field == "pool_size" else 0
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValidationError(f"must be a whole number >= {least}", field=field, value=value)
        if field == "pool_size":
            checked["pool_size"] = value
        else:
            checked["max_overflow"] = value
    return checked


def _checked_issuer(
    invoices: InvoiceIssuer | None,
    *,
    seller: Seller | None,
    series: InvoiceSeries | None,
    invoice_format: FormatVersion | str | None,
) -> InvoiceIssuer | None:
    """The host's own issuer, or ``None`` for the reference one numbered in the database (I1)."""
    from subscription_core_adapters.einvoice import FormatVersion  # noqa: PLC0415 - lazy

    if invoice_format is not None:
        if invoices is not None:
            raise ValidationError(
                "the format version is the reference issuer's: a provider's issuer writes its own",
                rule="I1",
                field="invoice_format",
            )
        FormatVersion.of(invoice_format)  # refused before any engine is made
    if invoices is None:
        if seller is None or series is None:
            raise ValidationError(
                "pass seller= and series= (invoices numbered in this database) or invoices=",
                rule="I1",
                field="invoices",
            )
        return None
    if seller is not None or series is not None:
        raise ValidationError("pass either invoices= or seller= and series=, not both", rule="I1", field="invoices")
    _refuse_memory_numbering(invoices, fake_too=True)
    return invoices


def _issuer_numbered_in(
    engine: Engine,
    seller: Seller | None,
    series: InvoiceSeries | None,
    clock: Clock,
    invoice_format: FormatVersion | str | None,
) -> InvoiceIssuer:
    from subscription_core_adapters.einvoice import ReferenceInvoiceIssuer  # noqa: PLC0415 - lazy
    from subscription_core_adapters.einvoice.formats import DEFAULT_FORMAT_VERSION  # noqa: PLC0415 - lazy
    from subscription_core_adapters.einvoice.sql_store import SqlNumberedInvoices  # noqa: PLC0415 - lazy

    if seller is None or series is None:  # pragma: no cover - _checked_issuer asked for both
        raise ValidationError("pass seller= and series=", rule="I1", field="invoices")
    version = DEFAULT_FORMAT_VERSION if invoice_format is None else invoice_format
    return ReferenceInvoiceIssuer(seller, series, SqlNumberedInvoices(engine), clock, format_version=version)


def _refuse_memory_numbering(invoices: object, *, fake_too: bool) -> None:
    """Refuse e-invoice numbers kept in memory beside a database: each process would number from 1 (I1).

    ``fake_too`` also refuses the fake ``MemoryInvoiceIssuer`` (numbered in memory as well), which tests may
    pair with a SQL unit of work in ``bootstrap_memory`` but a host's ``bootstrap_sql`` never should.
    """
    from subscription_core_adapters.einvoice import MemoryNumberedInvoices, ReferenceInvoiceIssuer  # noqa: PLC0415
    from subscription_core_adapters.fakes import MemoryInvoiceIssuer  # noqa: PLC0415 - lazy

    in_memory = isinstance(invoices, ReferenceInvoiceIssuer) and isinstance(invoices.store, MemoryNumberedInvoices)
    if in_memory or (fake_too and isinstance(invoices, MemoryInvoiceIssuer)):
        raise ValidationError(
            "numbers e-invoices in memory, so every process starts again at 1 and reissues numbers already used;"
            " number them in the database: bootstrap_sql(seller=..., series=...), or"
            " ReferenceInvoiceIssuer(seller, series, SqlNumberedInvoices(engine), clock)",
            rule="I1",
            field="invoices",
            value=type(invoices).__name__,
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
    refund_gateways: Mapping[str, RefundGateway] | None = None,
    status_queries: Mapping[str, PaymentStatusQuery] | None = None,
) -> Services:
    if routes is None:
        if len(providers) != 1:
            raise ValidationError("say which provider takes each method", rule="Y1", field="routes")
        ((name, provider),) = providers.items()
        # Read loosely: a provider declaring no kinds is refused by Services with a message saying so.
        routes = dict.fromkeys(getattr(provider, "methods", ()), name)
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
        refund_gateways=dict(refund_gateways or {}),
        status_queries=dict(status_queries or {}),
    )
