"""Payment notifications applied per second on PostgreSQL by 4 workers, against pgbench doing the same writes.

The library: a throwaway schema ``bench_pay_<random>`` (dropped at the end) holds M customers, each with one
yearly subscription (stored through the repositories) and one renewal order placed with ``place_order`` and
an e-wallet payment started with ``start_payment`` (all of it set up untimed, by the workers themselves). Each
of 4 workers (processes by default, or threads) has its own engine on that schema and ``bootstrap_memory``
wired to the SQL unit of work (what ``bootstrap_sql`` wires, but with the fake in-memory invoice issuer it
refuses: the e-invoice's own transaction is not what is measured) with a fake provider and a fixed clock. It
applies a few notifications to warm up, waits at a barrier, then applies its share of the provider's signed
success notifications, one ``handle_notification`` call each, every one for a distinct placed order: verify,
record the notification once, mark the payment succeeded, pay the order, renew the subscription (a history
row), issue the e-invoice, queue the notices, fulfil the order, commit. Timed: from the barrier's release
until the last worker is done; every result must be APPLIED and every order fulfilled. Also printed, to tell
where the time goes: the statements each notification sends (counted per worker thread) and the Python CPU it
costs (the workers' thread CPU time); ``--profile`` prints the first worker's cProfile. The library takes no
row lock on the order: it reads it, then saves it with a versioned UPDATE (a lost race is retried).

The ceiling: pgbench with 4 clients (``-n -c 4 -j 2 -T <seconds>``) running ``benchmarks/pgbench_payment.sql``
in a scratch schema ``bench_pgb_<random>`` (dropped at the end) whose orders, subscriptions, invoices and
outbox tables are copies of the library's, rows and indexes included, taken after the library's run (so they
hold as many rows): per transaction it locks the order row, updates it (a new document), updates the
subscription (a new document), inserts the invoice row and one outbox row (the library writes six notices).
Needs the ``pgbench`` program (Debian: ``postgresql-client``).

Run: SUBSCRIPTION_CORE_PG_DSN=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/sql_payments.py
     [--orders 4000] [--workers 4] [--mode process|thread] [--seconds 30] [--profile]
Prints both rates, then last ``ratio: X.XX`` = pgbench's transactions per second / the library's notifications
applied per second.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import multiprocessing
import os
import pstats
import re
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Protocol, Self

import attrs
import psycopg
from psycopg import sql
from sqlalchemy import Connection, Engine, event, make_url, text

from subscription_core.catalog import Catalog, Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.customers import Actor, Customer, InvoiceInfo, Party
from subscription_core.lifecycle import subscribe
from subscription_core.money import Currency, Money
from subscription_core.payments import PaymentMethod
from subscription_core.services import (
    Checkout,
    NotificationStatus,
    Renewal,
    Services,
    handle_notification,
    place_order,
    start_payment,
)
from subscription_core.subscriptions import Entitlement, Opening
from subscription_core.tax import VatSchedule
from subscription_core.testing import valid_tax_code
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier
from subscription_core_adapters.local import ManualClock
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, postgres_engine, upgrade

SCRIPT: Final = Path(__file__).resolve().with_name("pgbench_payment.sql")
PROVIDER: Final = "vnptpay"
PROVIDER_KEY: Final = b"bench-provider-signing-key-0123456789abcdef"
LINK_KEY: Final = b"bench-payment-link-key-0123456789abcdef012"
RENEWED: Final = dt.datetime(2026, 12, 10, 2, 0, tzinfo=dt.UTC)
BOUGHT: Final = RENEWED - dt.timedelta(days=300)
WALLET: Final = PaymentMethod.e_wallet("VNPTPAY")
WARMUP: Final = 25
SETUP_BATCH: Final = 500
VND: Final = Currency.of("VND")
PRODUCT: Final = Product(
    code="amis",
    name="MISA AMIS",
    plans=[
        Plan(
            code="std",
            name="Standard",
            options=[PricingOption(code="1y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(6_000_000, VND))],
            vat=VatSchedule.flat("KCT"),
            quotas=[Quota(code="storage", amount=10, unit="GB"), Quota(code="employees", amount=50)],
        )
    ],
)

tax_code = valid_tax_code  # a valid tax code (U1), a different one for each n
CATALOG: Final = Catalog(currency=VND, products=[PRODUCT])
COPIED: Final = ("orders", "subscriptions", "invoices", "outbox")
TPS: Final = re.compile(r"tps = ([0-9.]+) \(without initial connection time\)")
PROCESSED: Final = re.compile(r"number of transactions actually processed: (\d+)")


class Waiter(Protocol):
    """A barrier, of threads or of processes."""

    def wait(self, timeout: float | None = None) -> int:
        """Wait until every party arrived."""
        ...


def services(engine: Engine) -> tuple[Services, FakePaymentProvider]:
    """The use cases on the SQL unit of work, a fake provider (the same key in every worker) and a fixed clock."""
    provider = FakePaymentProvider(PROVIDER, PROVIDER_KEY)
    deps = bootstrap_memory(
        CATALOG,
        clock=ManualClock(RENEWED),
        uow=SqlUnitOfWorkFactory(engine),
        providers={PROVIDER: provider},
        invoices=MemoryInvoiceIssuer(),
        notifier=RecordingNotifier(),
        link_key=LINK_KEY,
    )
    return deps, provider


def store_clients(engine: Engine, count: int) -> None:
    """Store ``count`` customers (buyer ``u-<n>``), each with one yearly subscription bought 300 days ago."""
    deps, _ = services(engine)
    entitlement = Entitlement.of(PRODUCT, "std", "1y")
    for first in range(0, count, SETUP_BATCH):
        with deps.uow() as uow:
            for n in range(first, min(first + SETUP_BATCH, count)):
                details = Party(
                    unit_name=f"Công ty {n}", address="Hà Nội", email=f"ketoan@c{n}.vn", tax_code=tax_code(n)
                )
                customer = Customer(
                    id=f"cus-{n}",
                    name=details.unit_name,
                    tax_code=tax_code(n),
                    subscriber=details,
                    invoice=InvoiceInfo.same_as(details),
                    buyers=frozenset({f"u-{n}"}),
                )
                opening = Opening(subscription_id=f"sub-{n}", customer_id=customer.id, product=PRODUCT)
                uow.customers.add(customer)
                uow.subscriptions.add(subscribe(opening, entitlement, BOUGHT, actor=Actor.staff("setup")).subscription)
            uow.commit()


def placed_notifications(deps: Services, provider: FakePaymentProvider, clients: Sequence[int]) -> list[dict[str, str]]:
    """Place a renewal for each client, start its e-wallet payment, and return the provider's success notices."""
    payloads = []
    for n in clients:
        buyer = Actor.customer_user(f"u-{n}", f"cus-{n}")
        request = Renewal(subscription_id=f"sub-{n}", option="1y")
        order = place_order(deps, buyer, request, Checkout(confirmed=True), idempotency_key=f"renew-{n}")
        start_payment(deps, buyer, order_id=order.id, method=WALLET, idempotency_key=f"pay-{n}")
        payloads.append(provider.notify(order, event_id=f"evt-{n}"))
    return payloads


@attrs.frozen(kw_only=True)
class Share:
    """What one worker does: set up its clients' orders, warm up on a few, then (timed) apply the rest."""

    dsn: str
    schema: str
    clients: tuple[int, ...]
    profile: bool = False


def apply_all(deps: Services, payloads: Sequence[dict[str, str]]) -> int:
    """Apply each notification; return how many were APPLIED."""
    applied = 0
    for payload in payloads:
        applied += handle_notification(deps, PROVIDER, payload).status is NotificationStatus.APPLIED
    return applied


class StatementCount:
    """Counts the statements the current thread sends through ``engine`` while in the ``with`` block."""

    def __init__(self, engine: Engine) -> None:
        """Count for the calling thread on ``engine``."""
        self.engine = engine
        self.thread = threading.get_ident()
        self.count = 0

    def __call__(self, *_event: object) -> None:
        """A ``before_cursor_execute`` event: one more statement if it is this thread's."""
        if threading.get_ident() == self.thread:
            self.count += 1

    def __enter__(self) -> Self:
        """Start counting."""
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop counting."""
        event.remove(self.engine, "before_cursor_execute", self)


def timed_part(deps: Services, payloads: Sequence[dict[str, str]], *, profile: bool) -> int:
    """Apply the notifications, under cProfile if asked (then print the top 60 by cumulative time)."""
    if not profile:
        return apply_all(deps, payloads)
    profiler = cProfile.Profile()
    applied = profiler.runcall(apply_all, deps, payloads)
    shown = io.StringIO()
    pstats.Stats(profiler, stream=shown).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(60)
    print(shown.getvalue(), flush=True)
    return applied


def work(share: Share, barrier: Waiter, engine: Engine | None = None) -> tuple[int, float, int]:
    """One worker: set up, warm up, wait for the others, apply its share.

    Returns how many of the timed ones applied, the CPU seconds this thread spent on them and the statements
    it sent.
    """
    own = engine if engine is not None else postgres_engine(share.dsn, schema=share.schema, pool_size=2)
    try:
        deps, provider = services(own)
        payloads = placed_notifications(deps, provider, share.clients)
        if apply_all(deps, payloads[:WARMUP]) != WARMUP:
            raise SystemExit("a warm-up notification did not apply")
        barrier.wait()
        cpu = time.thread_time()
        with StatementCount(own) as statements:
            applied = timed_part(deps, payloads[WARMUP:], profile=share.profile)
        return applied, time.thread_time() - cpu, statements.count
    finally:
        if engine is None:
            own.dispose()


def process_worker(share: Share, barrier: Waiter, done: Any) -> None:  # noqa: ANN401 - a multiprocessing queue
    """A worker process: report how many applied and its CPU seconds, or the error that stopped it."""
    try:
        done.put(work(share, barrier))
    except BaseException as error:
        done.put(repr(error))
        raise


def run_processes(shares: Sequence[Share]) -> tuple[float, list[tuple[int, float, int]]]:
    """Run the shares in worker processes.

    Returns the seconds from the barrier to the last one done, and each worker's outcome (see :func:`work`).
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(shares) + 1)
    done = context.Queue()
    workers = [context.Process(target=process_worker, args=(share, barrier, done)) for share in shares]
    for worker in workers:
        worker.start()
    try:
        barrier.wait(timeout=900)
        began = time.perf_counter()
        outcomes = [done.get(timeout=900) for _ in workers]
        took = time.perf_counter() - began
    finally:
        for worker in workers:
            worker.join(timeout=60)
    failed = [o for o in outcomes if not isinstance(o, tuple)]
    if failed:
        raise SystemExit(f"a worker failed: {failed[0]}")
    return took, outcomes


def run_threads(shares: Sequence[Share], engine: Engine) -> tuple[float, list[tuple[int, float, int]]]:
    """Run the shares in threads of this process, on one engine; as :func:`run_processes`."""
    barrier = threading.Barrier(len(shares) + 1)
    with ThreadPoolExecutor(max_workers=len(shares)) as pool:
        futures = [pool.submit(work, share, barrier, engine) for share in shares]
        barrier.wait(timeout=900)
        began = time.perf_counter()
        outcomes = [f.result() for f in futures]
        return time.perf_counter() - began, outcomes


def fulfilled(connection: Connection) -> int:
    """How many orders of the schema are fulfilled."""
    return int(connection.execute(text("SELECT count(*) FROM orders WHERE state = 'fulfilled'")).scalar_one())


SCRATCH: Final = (
    "CREATE TABLE {scratch}.templates (name text PRIMARY KEY, document json NOT NULL)",
    "CREATE SEQUENCE {scratch}.payments_seq",
    (
        "CREATE TEMPORARY TABLE pairs ON COMMIT DROP AS SELECT row_number() OVER (ORDER BY order_id) AS n,"
        " order_id, subscription_id FROM {source}.order_lines WHERE position = 0"
    ),
    (
        "INSERT INTO {scratch}.orders SELECT 'o' || p.n, o.version, o.kind, o.customer_id, o.state,"
        " o.created_at, o.pay_by, o.grand_total, o.currency, o.document, o.transfer_reference"
        " FROM pairs AS p JOIN {source}.orders AS o ON o.id = p.order_id"
    ),
    (
        "INSERT INTO {scratch}.subscriptions SELECT 's' || p.n, s.version, s.customer_id, s.product_code,"
        " s.state, s.next_due_at, s.history_length, s.document"
        " FROM pairs AS p JOIN {source}.subscriptions AS s ON s.id = p.subscription_id"
    ),
    "INSERT INTO {scratch}.invoices SELECT * FROM {source}.invoices",
    "INSERT INTO {scratch}.outbox SELECT * FROM {source}.outbox",
    (
        "INSERT INTO {scratch}.templates"
        " (SELECT 'order', document FROM {source}.orders LIMIT 1)"
        " UNION ALL (SELECT 'subscription', document FROM {source}.subscriptions LIMIT 1)"
        " UNION ALL (SELECT 'invoice', document FROM {source}.invoices LIMIT 1)"
        " UNION ALL (SELECT 'outbox', document FROM {source}.outbox WHERE kind = 'order_paid' LIMIT 1)"
    ),
)
"""After the copies of the tables: the statements filling ``scratch`` from the library's ``source`` schema."""


def scratch_statements(source: str, scratch: str) -> list[sql.Composed]:
    """The statements copying the library's tables into ``scratch``: orders o<n> renewing subscriptions s<n>, etc."""
    names = {"source": sql.Identifier(source), "scratch": sql.Identifier(scratch)}
    statements = [sql.SQL("CREATE SCHEMA {scratch}").format(**names)]
    statements += [
        sql.SQL("CREATE TABLE {scratch}.{table} (LIKE {source}.{table} INCLUDING ALL)").format(
            table=sql.Identifier(table), **names
        )
        for table in COPIED
    ]
    return statements + [sql.SQL(statement).format(**names) for statement in SCRATCH]


def make_scratch(engine: Engine, source: str, scratch: str) -> int:
    """Copy the library's tables into ``scratch`` and VACUUM ANALYZE them; return how many orders it holds."""
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        if not isinstance(connection, psycopg.Connection):
            raise SystemExit("not a psycopg connection")
        for statement in scratch_statements(source, scratch):
            connection.execute(statement)
        connection.commit()
        connection.autocommit = True  # VACUUM runs outside a transaction
        for table in (*COPIED, "templates"):
            connection.execute(sql.SQL("VACUUM ANALYZE {}.{}").format(sql.Identifier(scratch), sql.Identifier(table)))
        connection.autocommit = False
        count = connection.execute(sql.SQL("SELECT count(*) FROM {}.orders").format(sql.Identifier(scratch)))
        row = count.fetchone()
        connection.rollback()
    finally:
        raw.close()
    if row is None:
        raise SystemExit("the scratch schema has no orders table")
    return int(row[0])


def pgbench(dsn: str, schema: str, orders: int, *, clients: int, seconds: int) -> tuple[float, int]:
    """Run the payment script with pgbench in ``schema``; return its tps (without connection time) and transactions."""
    program = shutil.which("pgbench")
    if program is None:
        raise SystemExit("pgbench is not installed (apt-get install postgresql-client)")
    url = make_url(dsn)
    command = [program, "-n", "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)), "-T", str(seconds)]
    command += ["-D", f"orders={orders}", "-f", str(SCRIPT), "-h", url.host or "localhost", "-p", str(url.port or 5432)]
    command += ["-U", url.username or "postgres", url.database or "postgres"]
    env = {**os.environ, "PGOPTIONS": f"-c search_path={schema}"}
    if url.password:
        env["PGPASSWORD"] = url.password
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - our own command
    tps, processed = TPS.search(done.stdout), PROCESSED.search(done.stdout)
    if done.returncode != 0 or tps is None or processed is None:
        raise SystemExit(f"pgbench failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return float(tps.group(1)), int(processed.group(1))


@contextmanager
def schemas(dsn: str) -> Iterator[tuple[Engine, str, str]]:
    """The library's migrated schema and the name of pgbench's scratch schema; both dropped at the end."""
    mine, scratch = f"bench_pay_{secrets.token_hex(4)}", f"bench_pgb_{secrets.token_hex(4)}"
    engine = postgres_engine(dsn, schema=mine, pool_size=8)
    try:
        upgrade(engine)
        yield engine, mine, scratch
    finally:
        with engine.begin() as connection:
            for name in (mine, scratch):
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orders", type=int, default=4000, help="notifications timed, all workers together")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--mode", choices=["process", "thread"], default="process")
    parser.add_argument("--seconds", type=int, default=30, help="pgbench's duration")
    parser.add_argument("--profile", action="store_true", help="profile the first worker's timed part (cProfile)")
    args = parser.parse_args()
    dsn = os.environ.get("SUBSCRIPTION_CORE_PG_DSN", "")
    if not dsn:
        raise SystemExit("set SUBSCRIPTION_CORE_PG_DSN to a PostgreSQL database (postgresql://user@host:port/db)")
    workers: int = args.workers
    total = args.orders + WARMUP * workers
    with schemas(dsn) as (engine, mine, scratch):
        began = time.perf_counter()
        store_clients(engine, total)
        shares = [
            Share(dsn=dsn, schema=mine, clients=tuple(range(w, total, workers)), profile=args.profile and w == 0)
            for w in range(workers)
        ]
        runner: Callable[[], tuple[float, list[tuple[int, float, int]]]] = (
            (lambda: run_processes(shares)) if args.mode == "process" else (lambda: run_threads(shares, engine))
        )
        took, outcomes = runner()
        applied, cpu, statements = (sum(column) for column in zip(*outcomes, strict=True))
        with engine.connect() as connection:
            done = fulfilled(connection)
        if applied != args.orders or done != total:
            raise SystemExit(f"{applied} of {args.orders} notifications applied, {done} of {total} orders fulfilled")
        ours = applied / took
        print(
            f"library: {applied:,} notifications by {workers} {args.mode} workers in {took:.2f} s = {ours:,.1f}/s"
            f"  ({total:,} clients, orders and subscriptions stored; set up in"
            f" {time.perf_counter() - began - took:.0f} s, not timed)",
            flush=True,
        )
        print(
            f"library: {statements / applied:.1f} statements and {cpu / applied * 1000:.2f} ms of Python CPU per"
            f" notification; {cpu / took:.2f} of the {os.cpu_count()} cores busy with Python, the rest with"
            " PostgreSQL or idle",
            flush=True,
        )
        orders = make_scratch(engine, mine, scratch)
        tps, transactions = pgbench(dsn, scratch, orders, clients=workers, seconds=args.seconds)
        print(
            f"pgbench: {transactions:,} transactions by {workers} clients in {args.seconds} s = {tps:,.1f}/s"
            f"  ({orders:,} orders and subscriptions, copies of the library's tables)"
        )
    print(f"ratio: {tps / ours:.2f}")


if __name__ == "__main__":
    main()
