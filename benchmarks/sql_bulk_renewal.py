"""A service accountant renews 10,000 clients in one order on the SQL adapter against the same I/O by the shortest path.

For each backend (SQLite files in a temporary folder; PostgreSQL throwaway schemas ``bench_bulk_<random>_<n>``,
dropped at the end, when SUBSCRIPTION_CORE_PG_DSN is set):

The world (not timed), stored in each database by a process of its own: the ASP Accounting example catalog,
one service accountant, 10,000 client companies linked to it, each holding one active yearly subscription,
stored through the repositories in units of work of 500.

The library runs in a fresh process that holds none of those fixtures (only the 10,000 rows of the request),
so that its peak resident set size (``getrusage``) is the library's: the services are ``bootstrap_memory``
wired to the SQL unit of work (what ``bootstrap_sql`` wires), with a fake e-wallet provider, an in-memory
invoice issuer and a fixed clock. Each use case is timed as a phase:

* review: ``review_bulk_renewal``, every row checked (B4), nothing written (reported, not in the ratio);
* place: ``place_bulk_renewal``, rows checked again, one quote of 10,000 lines, the order stored (O3, O4, N2);
* pay: ``start_payment`` by e-wallet (Y1);
* fulfil: ``handle_notification`` of the provider's signed success: the notification recorded (Y5), the
  order paid, 10,000 subscriptions extended (their history rows), 10,000 invoice requests kept, every notice
  queued, the order fulfilled (B5, O7, N2); then the invoices issued after the commit.

A ``before_cursor_execute`` listener records every SELECT the library sends in place, pay and fulfil (its
statement text and parameters as the driver got them).

The baseline, on a second database set up the same way, does each timed phase by the shortest path in one
transaction on a raw DB-API cursor: it sends that phase's SELECTs again, fetches every row and parses its
JSON documents (psycopg parses them itself; on SQLite ``json.loads``), then writes with ``executemany`` the
rows the library left that the phase first writes (read back as stored: the order and its lines and the
idempotency keys in place; the payment in pay; the subscriptions' new columns as UPDATEs, their new history
rows, the invoice requests, the invoices, the outbox and the recorded notification in fulfil), then commits.
It is checked to leave the same rows. It does what the library does but the domain work (checking the rows,
pricing, the renewals, building and encoding entities) and the library's statement building.

Memory: the library process's peak RSS (``VmHWM``) at start and after each phase (bar: 200 MiB), and with
``--tracemalloc`` each phase's peak of traced Python allocations above what was held before it, from a second
library run on a third database (tracing slows it, so timings come from the untraced run).

Run: SUBSCRIPTION_CORE_PG_DSN=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python
     benchmarks/sql_bulk_renewal.py [--clients 10000] [--backends sqlite postgresql] [--tracemalloc]
Prints each phase's time and memory per backend, then last ``ratio: X.XX``: the larger, over the backends, of
(place + pay + fulfil) / baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import multiprocessing
import os
import resource
import secrets
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import attrs
from psycopg.types.string import TextLoader
from sqlalchemy import Engine, event, text

from subscription_core import VIETNAM_TZ, load_catalog
from subscription_core.bulk import BulkRenewal, BulkRow
from subscription_core.catalog import Catalog
from subscription_core.customers import Actor, Contact, Customer, InvoiceInfo, Party, ServiceAccountant, check_digit
from subscription_core.lifecycle import subscribe
from subscription_core.payments import PaymentMethod
from subscription_core.services import (
    NotificationStatus,
    Services,
    handle_notification,
    place_bulk_renewal,
    review_bulk_renewal,
    start_payment,
)
from subscription_core.subscriptions import Entitlement, Opening, Subscription
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier
from subscription_core_adapters.local import ManualClock, SequentialIds
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, postgres_engine, sqlite_engine, upgrade

CATALOG: Final = Path(__file__).resolve().parent.parent / "examples" / "catalogs" / "asp_accounting.toml"
BOUGHT: Final = dt.datetime(2026, 1, 5, 9, tzinfo=VIETNAM_TZ)
RENEWED: Final = dt.datetime(2026, 12, 10, 9, tzinfo=VIETNAM_TZ)
PROVIDER: Final = "vnptpay"
PROVIDER_KEY: Final = b"bench-signing-key-0123456789abcdef012"
LINK_KEY: Final = b"bench-link-key-0123456789abcdef0123456"
FIRM: Final = ServiceAccountant(
    id="ktdv-1", name="Công ty TNHH Dịch vụ Kế toán Một", contact=Contact(name="KTDV", email="giahan@ktdv1.vn")
)
ACCOUNTANT: Final = Actor.accountant(FIRM.id)
PLAN, OPTION = "asp-basic", "1y"
SETUP_BATCH: Final = 500
PHASES: Final = ("review", "place", "pay", "fulfil")
TIMED: Final = ("place", "pay", "fulfil")  # the library's side of the ratio

# The rows the baseline writes: read back from the library's database as stored, written again as they are.
# Each is (the phase that writes them first, read, write); %s placeholders (psycopg), turned into ? for SQLite.
ROWS: Final = (
    (
        "place",
        (
            "SELECT id, version, kind, customer_id, state, created_at, pay_by, grand_total, currency, document,"
            " transfer_reference FROM orders"
        ),
        (
            "INSERT INTO orders (id, version, kind, customer_id, state, created_at, pay_by, grand_total, currency,"
            " document, transfer_reference) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        ),
    ),
    (
        "place",
        (
            "SELECT order_id, position, customer_id, subscription_id, kind, code, quantity, unit_price, base, taxable,"
            " vat, currency, document FROM order_lines"
        ),
        (
            "INSERT INTO order_lines (order_id, position, customer_id, subscription_id, kind, code, quantity,"
            " unit_price, base, taxable, vat, currency, document) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " %s, %s)"
        ),
    ),
    (
        "fulfil",
        "SELECT version, state, next_due_at, history_length, document, id FROM subscriptions",
        (
            "UPDATE subscriptions SET version = %s, state = %s, next_due_at = %s, history_length = %s, document = %s"
            " WHERE id = %s"
        ),
    ),
    (
        "fulfil",
        "SELECT subscription_id, position, at, event, document FROM subscription_history WHERE position >= %s",
        "INSERT INTO subscription_history (subscription_id, position, at, event, document) VALUES (%s, %s, %s, %s, %s)",
    ),
    (
        "fulfil",
        "SELECT order_id, part, version, state, requested_at, next_attempt_at, document FROM invoice_requests",
        (
            "INSERT INTO invoice_requests (order_id, part, version, state, requested_at, next_attempt_at, document)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)"
        ),
    ),
    (
        "fulfil",
        "SELECT order_id, part, series, number, issued_at, grand_total, currency, document FROM invoices",
        (
            "INSERT INTO invoices (order_id, part, series, number, issued_at, grand_total, currency, document)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        ),
    ),
    (
        "fulfil",
        (
            "SELECT id, kind, channel, subject_id, created_at, state, attempts, next_attempt_at, last_attempt_at,"
            " last_error, sent_at, document FROM outbox"
        ),
        (
            "INSERT INTO outbox (id, kind, channel, subject_id, created_at, state, attempts, next_attempt_at,"
            " last_attempt_at, last_error, sent_at, document) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        ),
    ),
    (
        "pay",
        "SELECT id, version, order_id, state, started_at, amount, currency, document FROM payments",
        (
            "INSERT INTO payments (id, version, order_id, state, started_at, amount, currency, document)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        ),
    ),
    (
        "fulfil",
        "SELECT provider, event_id, order_id, processed_at FROM provider_notifications",
        "INSERT INTO provider_notifications (provider, event_id, order_id, processed_at) VALUES (%s, %s, %s, %s)",
    ),
    (
        "place",
        "SELECT scope, key, fingerprint, outcome, created_at FROM idempotency_keys",
        "INSERT INTO idempotency_keys (scope, key, fingerprint, outcome, created_at) VALUES (%s, %s, %s, %s, %s)",
    ),
)


def tax_codes(count: int) -> list[str]:
    """``count`` valid enterprise tax codes (U1), skipping prefixes that have no check digit."""
    codes: list[str] = []
    n = 0
    while len(codes) < count:
        n += 1
        head = f"{3 + n // 10_000_000}{n % 10_000_000:08d}"
        digit = check_digit(head)
        if digit is not None:
            codes.append(f"{head}{digit}")
    return codes


@attrs.frozen(kw_only=True)
class Clients:
    """The accountant's clients, their subscriptions and the bulk renewal naming every one, built once in memory."""

    catalog: Catalog
    customers: tuple[Customer, ...]
    subscriptions: tuple[Subscription, ...]
    request: BulkRenewal


def clients(count: int) -> Clients:
    """``count`` client companies of the firm, each with one active subscription bought on ``BOUGHT``."""
    catalog = load_catalog(CATALOG)
    product = catalog.product("asp")
    entitlement = Entitlement.of(product, PLAN, OPTION)
    customers = []
    for n, code in enumerate(tax_codes(count), start=1):
        details = Party(
            unit_name=f"Công ty TNHH Khách hàng {n}", address="Đà Nẵng", email=f"ceo@c{n}.vn", tax_code=code
        )
        customers.append(
            Customer(
                id=f"c-{n:05d}",
                name=details.unit_name,
                tax_code=code,
                subscriber=details,
                invoice=InvoiceInfo.same_as(details),
                accountant_id=FIRM.id,
            )
        )
    subscriptions = tuple(
        subscribe(
            Opening(subscription_id=f"s-{c.id}", customer_id=c.id, product=product),
            entitlement,
            BOUGHT,
            actor=ACCOUNTANT,
        ).subscription
        for c in customers
    )
    request = BulkRenewal(product="asp", rows=[BulkRow(client=c.tax_code.value, option=OPTION) for c in customers])
    return Clients(catalog=catalog, customers=tuple(customers), subscriptions=subscriptions, request=request)


def services_on(engine: Engine, catalog: Catalog) -> tuple[Services, FakePaymentProvider]:
    """The services on ``engine`` with a fake e-wallet provider, an in-memory issuer and the fixed clock."""
    provider = FakePaymentProvider(PROVIDER, PROVIDER_KEY)
    deps = bootstrap_memory(
        catalog,
        clock=ManualClock(RENEWED),
        ids=SequentialIds(),
        uow=SqlUnitOfWorkFactory(engine),
        providers={PROVIDER: provider},
        invoices=MemoryInvoiceIssuer(),
        notifier=RecordingNotifier(),
        link_key=LINK_KEY,
        accountants={FIRM.id: FIRM},
    )
    return deps, provider


def store_world(place: Place, count: int) -> None:
    """Store ``count`` clients and their subscriptions at ``place`` (run in a process of its own)."""
    given = clients(count)
    with engine_at(place) as engine:
        deps, _ = services_on(engine, given.catalog)
        pairs = list(zip(given.customers, given.subscriptions, strict=True))
        for first in range(0, len(pairs), SETUP_BATCH):
            with deps.uow() as uow:
                for customer, subscription in pairs[first : first + SETUP_BATCH]:
                    uow.customers.add(customer)
                    uow.subscriptions.add(subscription)
                uow.commit()


def request_of(count: int) -> BulkRenewal:
    """The bulk renewal naming the ``count`` clients of :func:`clients`, built without them."""
    return BulkRenewal(product="asp", rows=[BulkRow(client=code, option=OPTION) for code in tax_codes(count)])


def phases(
    deps: Services, provider: FakePaymentProvider, request: BulkRenewal
) -> list[tuple[str, Callable[[], object]]]:
    """The library's phases, in order; each uses what the ones before it stored."""
    placed = []

    def review() -> object:
        problems = review_bulk_renewal(deps, ACCOUNTANT, request)
        if problems:
            raise SystemExit(f"the rows should be valid: {problems[0]}")
        return problems

    def place() -> object:
        placed.append(place_bulk_renewal(deps, ACCOUNTANT, request, confirmed=True, idempotency_key="bulk"))
        return placed[0]

    def pay() -> object:
        method = PaymentMethod.e_wallet("VNPTPAY")
        return start_payment(deps, ACCOUNTANT, order_id=placed[0].id, method=method, idempotency_key="pay")

    def fulfil() -> object:
        result = handle_notification(deps, PROVIDER, provider.notify(placed[0], event_id="evt-1"))
        if result.status is not NotificationStatus.APPLIED:
            raise SystemExit(f"the payment should apply: {result.status}")
        return result

    return list(zip(PHASES, (review, place, pay, fulfil), strict=True))


def peak_rss() -> float:
    """This process's peak resident set size so far, in MiB: ``VmHWM`` of Linux, else ``getrusage``.

    ``getrusage``'s ``ru_maxrss`` survives ``exec``: a spawned process starts with its parent's peak. ``VmHWM``
    belongs to the process's own address space, so it is the library process's alone.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check(deps: Services, count: int) -> None:
    """Every client's subscription was extended by a year (B5)."""
    with deps.uow() as uow:
        renewed = uow.subscriptions.get_many([f"s-c-{n:05d}" for n in range(1, count + 1)])
    wrong = [s.id for s in renewed.values() if s.last_day is None or s.last_day.year != BOUGHT.year + 2]
    if wrong or len(renewed) != count:
        raise SystemExit(f"{len(wrong) or count - len(renewed)} subscriptions were not extended")


@attrs.frozen(kw_only=True)
class Place:
    """Where a database is: an SQLite file, or a PostgreSQL schema of ``dsn``."""

    backend: str
    location: str  # the file's path, or the schema's name
    dsn: str = ""


@contextmanager
def engine_at(place: Place) -> Iterator[Engine]:
    """An engine on ``place`` (migrated), disposed at the end."""
    if place.backend == "sqlite":
        engine = sqlite_engine(place.location)
    else:
        engine = postgres_engine(place.dsn, schema=place.location)
        upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def databases(backend: str, dsn: str, count: int) -> Iterator[list[Place]]:
    """``count`` fresh places of ``backend``: files of a temporary folder, or schemas dropped at the end."""
    with tempfile.TemporaryDirectory() as folder:
        tag = secrets.token_hex(4)
        if backend == "sqlite":
            yield [Place(backend=backend, location=str(Path(folder) / f"bulk-{tag}-{n}.db")) for n in range(count)]
            return
        places = [Place(backend=backend, location=f"bench_bulk_{tag}_{n}", dsn=dsn) for n in range(count)]
        try:
            yield places
        finally:
            for place in places:
                with engine_at(place) as engine, engine.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{place.location}" CASCADE'))


Read = tuple[str, str, Any]  # (phase, statement, parameters) as the driver got them


@attrs.frozen(kw_only=True)
class LibraryRun:
    """The library's phases in one process: seconds, peak RSS after each, traced peaks, the SELECTs it sent."""

    seconds: dict[str, float]
    rss: dict[str, float]
    traced: dict[str, float]
    reads: list[Read]


def run_library(place: Place, count: int, *, trace: bool) -> LibraryRun:
    """Run the phases on ``place`` in this process (a fresh one, holding no fixtures): time or trace them.

    A ``before_cursor_execute`` listener records every SELECT of the timed phases, for the baseline to send.
    """
    with engine_at(place) as engine:
        deps, provider = services_on(engine, load_catalog(CATALOG))
        reads: list[Read] = []
        now = [""]

        def record(*args: Any) -> None:  # noqa: ANN401 - SQLAlchemy's listener arguments
            statement, parameters = args[2], args[3]
            if now[0] in TIMED and statement.lstrip().upper().startswith("SELECT"):
                reads.append((now[0], statement, parameters))

        event.listen(engine, "before_cursor_execute", record)
        seconds, rss, peaks = {}, {"start": peak_rss()}, {}
        if trace:
            tracemalloc.start()
        for name, work in phases(deps, provider, request_of(count)):
            now[0] = name
            gc.collect()
            held, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            began = time.perf_counter()
            work()
            seconds[name] = time.perf_counter() - began
            _, peak = tracemalloc.get_traced_memory()
            peaks[name] = (peak - held) / 2**20
            rss[name] = peak_rss()
        now[0] = ""
        tracemalloc.stop()
        check(deps, count)
    return LibraryRun(seconds=seconds, rss=rss, traced=peaks if trace else {}, reads=reads)


def written_rows(engine: Engine, history_before: int) -> list[list[tuple[object, ...]]]:
    """The rows of each table of ``ROWS`` as the library stored them (new history entries only)."""
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        cursor = connection.cursor()  # type: ignore[union-attr]
        sqlite = isinstance(connection, sqlite3.Connection)
        if not sqlite:
            cursor.adapters.register_loader("json", TextLoader)  # this cursor: written back as the same text
        found = []
        for _, read, _ in ROWS:
            cursor.execute(read.replace("%s", "?") if sqlite else read, (history_before,) if "%s" in read else ())
            found.append([tuple(row) for row in cursor.fetchall()])
        connection.rollback()  # type: ignore[union-attr]
    finally:
        raw.close()
    return found


def replay(cursor: Any, reads: Sequence[Read], phase: str, *, sqlite: bool) -> int:  # noqa: ANN401 - a cursor
    """Send the phase's SELECTs as the library sent them, fetch every row and parse its JSON; rows read."""
    rows = 0
    for _, statement, parameters in (r for r in reads if r[0] == phase):
        cursor.execute(statement, parameters)
        found = cursor.fetchall()
        rows += len(found)
        if sqlite:  # psycopg parses JSON columns itself; sqlite3 hands back their text
            documents = [n for n, column in enumerate(cursor.description) if column[0] == "document"]
            [json.loads(row[n]) for row in found for n in documents if row[n] is not None]
    return rows


def baseline(engine: Engine, reads: Sequence[Read], rows: Sequence[Sequence[tuple[object, ...]]]) -> float:
    """Each phase by the shortest path, in one transaction: its reads sent again, its rows written; seconds taken."""
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        sqlite = isinstance(connection, sqlite3.Connection)
        cursor = connection.cursor()  # type: ignore[union-attr]
        gc.collect()
        began = time.perf_counter()
        for phase in TIMED:
            if sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            replay(cursor, reads, phase, sqlite=sqlite)
            for (written_in, _, write), values in zip(ROWS, rows, strict=True):
                if written_in == phase:
                    cursor.executemany(write.replace("%s", "?") if sqlite else write, values)
            cursor.execute("COMMIT") if sqlite else connection.commit()  # type: ignore[union-attr]
        return time.perf_counter() - began
    finally:
        raw.close()


@attrs.frozen(kw_only=True)
class Result:
    """One backend: the library's run, the baseline's seconds, rows written per table, rows its reads returned."""

    backend: str
    library: LibraryRun
    traced: dict[str, float]
    baseline: float
    rows: dict[str, int]
    reads: int


def in_child(work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - whatever work returns
    """``work(*args, **kwargs)`` in a fresh process: its peak RSS is its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(work, *args, **kwargs).result()


def measure(backend: str, count: int, dsn: str, *, trace: bool) -> Result:
    """Store the world in fresh databases, run the library (timed, then traced if asked), then the baseline."""
    history_before = len(clients(1).subscriptions[0].history)
    with databases(backend, dsn, 3 if trace else 2) as places:
        for place in places:
            in_child(store_world, place, count)
        run: LibraryRun = in_child(run_library, places[0], count, trace=False)
        traced: LibraryRun | None = in_child(run_library, places[2], count, trace=True) if trace else None
        with engine_at(places[0]) as engine:
            rows = written_rows(engine, history_before)
        with engine_at(places[1]) as engine:
            took = baseline(engine, run.reads, rows)
            again = written_rows(engine, history_before)
    if [set(found) for found in again] != [set(found) for found in rows]:
        raise SystemExit("the baseline did not leave the rows the library left")
    counts = {read.split(" FROM ")[1].split()[0]: len(found) for (_, read, _), found in zip(ROWS, rows, strict=True)}
    return Result(
        backend=backend,
        library=run,
        traced=traced.traced if traced is not None else {},
        baseline=took,
        rows=counts,
        reads=len(run.reads),
    )


def report(result: Result, count: int) -> float:
    """Print one backend's figures; return its ratio."""
    name, run = result.backend, result.library
    print(f"{name:10} rows written: " + ", ".join(f"{table} {n:,}" for table, n in result.rows.items()))
    print(f"{name:10} SELECTs sent by place + pay + fulfil (the baseline sends them again): {result.reads}")
    print(f"{name:10} peak RSS of the library's process at start {run.rss['start']:7.1f} MiB")
    for phase in PHASES:
        took = run.seconds[phase]
        traced = f"  traced peak +{result.traced[phase]:7.1f} MiB" if result.traced else ""
        print(
            f"{name:10} {phase:<8} {took:8.3f} s  {took / count * 1e6:8.1f} µs per client"
            f"  peak RSS after {run.rss[phase]:7.1f} MiB{traced}"
        )
    library = sum(run.seconds[p] for p in TIMED)
    print(f"{name:10} library  {library:8.3f} s  {library / count * 1e6:8.1f} µs per client  (place + pay + fulfil)")
    print(
        f"{name:10} baseline {result.baseline:8.3f} s  {result.baseline / count * 1e6:8.1f} µs per client"
        "  (the same SELECTs, parsed, and executemany of the same rows)"
    )
    print(f"{name:10} peak RSS {max(run.rss.values()):.1f} MiB (bar 200)")
    print(f"{name:10} library / baseline: {library / result.baseline:.2f}", flush=True)
    return library / result.baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--tracemalloc", action="store_true", help="add a traced run for each phase's Python peak")
    args = parser.parse_args()
    dsn = os.environ.get("SUBSCRIPTION_CORE_PG_DSN", "")
    ratios = []
    for backend in args.backends:
        if backend == "postgresql" and not dsn:
            print("postgresql skipped: SUBSCRIPTION_CORE_PG_DSN is not set")
            continue
        ratios.append(report(measure(backend, args.clients, dsn, trace=args.tracemalloc), args.clients))
    if not ratios:
        raise SystemExit("nothing was measured")
    print(f"ratio: {max(ratios):.2f}")


if __name__ == "__main__":
    main()
