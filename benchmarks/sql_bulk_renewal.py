"""A service accountant renews 10,000 clients in one order on the SQL adapter, against a plain executemany of its rows.

For each backend (SQLite in a temporary file; PostgreSQL in throwaway schemas ``bench_bulk_<random>``, dropped
at the end, when SUBSCRIPTION_CORE_PG_DSN is set), in a fresh process of its own (so that its peak resident
set size is its own):

The world (not timed): the ASP Accounting example catalog, one service accountant, 10,000 client companies
linked to it, each holding one active yearly subscription, stored through the repositories in units of work
of 500. The services are ``bootstrap_memory`` wired to the SQL unit of work (what ``bootstrap_sql`` wires, on
the benchmark's own engine), with a fake e-wallet provider, an in-memory invoice issuer and a fixed clock.

The library runs the use cases of a bulk renewal, each timed as a phase:

* review: ``review_bulk_renewal``, every row checked (B4), nothing written (reported, not in the ratio);
* place: ``place_bulk_renewal``, rows checked again, one quote of 10,000 lines, the order stored (O3, O4, N2);
* pay: ``start_payment`` by e-wallet (Y1);
* fulfil: ``handle_notification`` of the provider's signed success, in one unit of work: the notification
  recorded (Y5), the order paid, 10,000 subscriptions extended (a history row each), 10,000 e-invoices issued,
  every notice queued, the order fulfilled (B5, I1, N2).

The baseline writes the same rows with plain DB-API ``executemany`` in one transaction, on a second database
set up the same way: the rows the library left in the first (read back as stored: the order and its 10,000
lines, the 10,000 subscriptions' new columns as UPDATEs, their new history rows, the invoices, the outbox,
the payment, the recorded notification and the idempotency keys). Only the statements and the commit are
timed; the library's domain work, serialization and reads are what the ratio measures beyond it.

Memory: the process's peak resident set size (``getrusage``) after setup and after each phase, and with
``--tracemalloc`` each phase's peak of traced Python allocations above what was held before it, from a second,
traced run on a third database (tracing slows it, so timings come from the untraced run).

Run: SUBSCRIPTION_CORE_PG_DSN=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python
     benchmarks/sql_bulk_renewal.py [--clients 10000] [--backends sqlite postgresql] [--tracemalloc]
Prints each phase's time and memory per backend, then last ``ratio: X.XX``: the larger, over the backends, of
(place + pay + fulfil) / baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
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
import psycopg
from psycopg.types.string import TextLoader
from sqlalchemy import Engine, text

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

# The rows the baseline writes: read back from the library's database as stored, written again as they are.
# Each pair is (read, write); %s placeholders (psycopg), turned into ? for SQLite.
ROWS: Final = (
    (
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
        "SELECT version, state, next_due_at, history_length, document, id FROM subscriptions",
        (
            "UPDATE subscriptions SET version = %s, state = %s, next_due_at = %s, history_length = %s, document = %s"
            " WHERE id = %s"
        ),
    ),
    (
        "SELECT subscription_id, position, at, event, document FROM subscription_history WHERE position >= %s",
        "INSERT INTO subscription_history (subscription_id, position, at, event, document) VALUES (%s, %s, %s, %s, %s)",
    ),
    (
        "SELECT order_id, part, series, number, issued_at, grand_total, currency, document FROM invoices",
        (
            "INSERT INTO invoices (order_id, part, series, number, issued_at, grand_total, currency, document)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        ),
    ),
    (
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
        "SELECT id, version, order_id, state, started_at, amount, currency, document FROM payments",
        (
            "INSERT INTO payments (id, version, order_id, state, started_at, amount, currency, document)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        ),
    ),
    (
        "SELECT provider, event_id, order_id, processed_at FROM provider_notifications",
        "INSERT INTO provider_notifications (provider, event_id, order_id, processed_at) VALUES (%s, %s, %s, %s)",
    ),
    (
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


def world(engine: Engine, given: Clients) -> tuple[Services, FakePaymentProvider]:
    """Store the clients and their subscriptions; return the services on ``engine`` and the fake provider."""
    provider = FakePaymentProvider(PROVIDER, PROVIDER_KEY)
    deps = bootstrap_memory(
        given.catalog,
        clock=ManualClock(RENEWED),
        ids=SequentialIds(),
        uow=SqlUnitOfWorkFactory(engine),
        providers={PROVIDER: provider},
        invoices=MemoryInvoiceIssuer(),
        notifier=RecordingNotifier(),
        link_key=LINK_KEY,
        accountants={FIRM.id: FIRM},
    )
    pairs = list(zip(given.customers, given.subscriptions, strict=True))
    for first in range(0, len(pairs), SETUP_BATCH):
        with deps.uow() as uow:
            for customer, subscription in pairs[first : first + SETUP_BATCH]:
                uow.customers.add(customer)
                uow.subscriptions.add(subscription)
            uow.commit()
    return deps, provider


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
    """The process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check(deps: Services, given: Clients) -> None:
    """Every client's subscription was extended by a year (B5)."""
    with deps.uow() as uow:
        renewed = [uow.subscriptions.get(s.id) for s in given.subscriptions]
    wrong = [s.id for s in renewed if s.last_day is None or s.last_day.year != BOUGHT.year + 2]
    if wrong:
        raise SystemExit(f"{len(wrong)} subscriptions were not extended, {wrong[0]} first")


def driver(engine: Engine) -> Any:  # noqa: ANN401 - a DB-API connection: sqlite3's or psycopg's
    """A raw DB-API connection of ``engine``'s pool (the caller closes it); PostgreSQL's reads JSON as text."""
    raw = engine.raw_connection()
    connection = raw.driver_connection
    if isinstance(connection, psycopg.Connection):
        connection.adapters.register_loader("json", TextLoader)
    elif not isinstance(connection, sqlite3.Connection):
        raise SystemExit("an unexpected driver")
    return raw


def written_rows(engine: Engine, history_before: int) -> list[list[tuple[object, ...]]]:
    """The rows of each table of ``ROWS`` as the library stored them (new history entries only)."""
    raw = driver(engine)
    try:
        cursor = raw.driver_connection.cursor()
        found = []
        for read, _ in ROWS:
            sqlite = isinstance(raw.driver_connection, sqlite3.Connection)
            statement = read.replace("%s", "?") if sqlite else read
            cursor.execute(statement, (history_before,) if "%s" in read else ())
            found.append([tuple(row) for row in cursor.fetchall()])
        raw.driver_connection.rollback()
    finally:
        raw.close()
    return found


def baseline(engine: Engine, rows: Sequence[Sequence[tuple[object, ...]]]) -> float:
    """Write ``rows`` with one ``executemany`` per table in one transaction; return the seconds taken."""
    raw = driver(engine)
    try:
        connection = raw.driver_connection
        sqlite = isinstance(connection, sqlite3.Connection)
        cursor = connection.cursor()
        gc.collect()
        began = time.perf_counter()
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        for (_, write), values in zip(ROWS, rows, strict=True):
            cursor.executemany(write.replace("%s", "?") if sqlite else write, values)
        connection.commit() if not sqlite else cursor.execute("COMMIT")
        return time.perf_counter() - began
    finally:
        raw.close()


@attrs.frozen(kw_only=True)
class Result:
    """One backend: each phase's seconds and peak RSS after it, the baseline's seconds, traced peaks if asked."""

    backend: str
    seconds: dict[str, float]
    rss: dict[str, float]
    traced: dict[str, float]
    baseline: float
    rows: dict[str, int]


def run_timed(
    deps: Services, provider: FakePaymentProvider, given: Clients
) -> tuple[dict[str, float], dict[str, float]]:
    """Run the phases untraced; return each one's seconds and the peak RSS after it."""
    seconds, rss = {}, {"setup": peak_rss()}
    for name, work in phases(deps, provider, given.request):
        gc.collect()
        began = time.perf_counter()
        work()
        seconds[name] = time.perf_counter() - began
        rss[name] = peak_rss()
    check(deps, given)
    return seconds, rss


def run_traced(deps: Services, provider: FakePaymentProvider, given: Clients) -> dict[str, float]:
    """Run the phases under tracemalloc; return each one's peak in MiB above what was held before it."""
    peaks = {}
    tracemalloc.start()
    for name, work in phases(deps, provider, given.request):
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        work()
        _, peak = tracemalloc.get_traced_memory()
        peaks[name] = (peak - held) / 2**20
    tracemalloc.stop()
    return peaks


@contextmanager
def database(backend: str, folder: Path, dsn: str) -> Iterator[Engine]:
    """A fresh migrated database: an SQLite file in ``folder``, or a PostgreSQL schema dropped at the end."""
    if backend == "sqlite":
        engine = sqlite_engine(folder / f"bulk-{secrets.token_hex(4)}.db")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    schema = f"bench_bulk_{secrets.token_hex(4)}"
    engine = postgres_engine(dsn, schema=schema)
    try:
        upgrade(engine)
        yield engine
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def measure(backend: str, count: int, dsn: str, *, trace: bool) -> Result:
    """Everything for one backend, in the calling process: library (timed, then traced if asked), then baseline."""
    given = clients(count)
    history_before = len(given.subscriptions[0].history)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        with database(backend, folder, dsn) as engine:
            deps, provider = world(engine, given)
            seconds, rss = run_timed(deps, provider, given)
            rows = written_rows(engine, history_before)
        traced: dict[str, float] = {}
        if trace:
            with database(backend, folder, dsn) as engine:
                traced = run_traced(*world(engine, given), given)
        with database(backend, folder, dsn) as engine:
            world(engine, given)
            took = baseline(engine, rows)
            again = written_rows(engine, history_before)
    if [set(found) for found in again] != [set(found) for found in rows]:
        raise SystemExit("the baseline did not leave the rows the library left")
    counts = {read.split(" FROM ")[1].split()[0]: len(found) for (read, _), found in zip(ROWS, rows, strict=True)}
    return Result(backend=backend, seconds=seconds, rss=rss, traced=traced, baseline=took, rows=counts)


def report(result: Result, count: int) -> float:
    """Print one backend's figures; return its ratio."""
    name = result.backend
    print(f"{name:10} rows written: " + ", ".join(f"{table} {n:,}" for table, n in result.rows.items()))
    print(f"{name:10} peak RSS after setup {result.rss['setup']:7.1f} MiB")
    for phase in PHASES:
        took = result.seconds[phase]
        traced = f"  traced peak +{result.traced[phase]:7.1f} MiB" if result.traced else ""
        print(
            f"{name:10} {phase:<8} {took:8.3f} s  {took / count * 1e6:8.1f} µs per client"
            f"  peak RSS after {result.rss[phase]:7.1f} MiB{traced}"
        )
    library = sum(result.seconds[p] for p in ("place", "pay", "fulfil"))
    print(f"{name:10} library  {library:8.3f} s  {library / count * 1e6:8.1f} µs per client  (place + pay + fulfil)")
    print(
        f"{name:10} baseline {result.baseline:8.3f} s  {result.baseline / count * 1e6:8.1f} µs per client"
        "  (executemany of the same rows)"
    )
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
        # A fresh process per backend: its peak RSS is this backend's alone.
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            result = pool.submit(measure, backend, args.clients, dsn, trace=args.tracemalloc).result()
        ratios.append(report(result, args.clients))
    if not ratios:
        raise SystemExit("nothing was measured")
    print(f"ratio: {max(ratios):.2f}")


if __name__ == "__main__":
    main()
