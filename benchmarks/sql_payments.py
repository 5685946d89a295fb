"""Payment notifications applied per second on PostgreSQL by 1, 2 and 4 workers, against pgbench doing the same.

The library: a throwaway schema ``bench_pay_<random>`` (dropped at the end) holds customers, each with one yearly
subscription (stored through the repositories) and one renewal order placed with ``place_order`` and an e-wallet
payment started with ``start_payment`` (all of it set up untimed, by the workers themselves). Each worker
(processes by default, or threads) has its own engine on that schema and ``bootstrap_memory`` wired to the SQL
unit of work (what ``bootstrap_sql`` wires, but with the fake in-memory invoice issuer it refuses: the e-invoice
service's own work is not what is measured) with a fake provider and a fixed clock. It applies a few
notifications to warm up, waits at a barrier, then applies its share of the provider's signed success
notifications, one ``handle_notification`` call each, every one for a distinct placed order: verify, record the
notification once, mark the payment succeeded, pay the order, renew the subscription (a history row), request
the e-invoice, queue the notices, fulfil the order, commit; then issue the e-invoice in its own transaction.
Timed: from the barrier's release until the last worker is done; every result must be APPLIED and every order
fulfilled. Also printed: the statements each notification sends (counted per worker thread) and the Python CPU
it costs (the workers' thread CPU time); ``--profile`` prints the first worker's cProfile.

The baseline: pgbench with as many clients as the library has workers, each doing as
many transactions, running ``pgbench_payment.sql`` with ``-M prepared`` in a scratch schema ``bench_pgb_<random>``
(dropped at the end) migrated like the library's and filled with numbered copies of one placed order's rows.
The script sends the statements the library sends for one notification, in the same transactions, reading the
same rows back and writing the same rows with the same documents: before timing, the benchmark applies one
notification in this process, captures its statements and documents (SQLAlchemy's ``before_cursor_execute``,
``commit`` and ``rollback`` events), and stops unless they are the script's, line by line: the baseline cannot
drift from the library unnoticed.

Run: SUBSCRIPTION_CORE_PG_DSN=postgresql://postgres@127.0.0.1:5432/bench_payments \\
     .venv/bin/python benchmarks/sql_payments.py [--orders 2000] [--workers 1,2,4] [--mode process|thread] [--profile]
Prints one line per worker count (both rates, at the same count), then last ``ratio: X.XX`` = pgbench's best
rate / the library's best rate (each side at its own best worker count): the library's time per notification
over the baseline's.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
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
from sqlalchemy import Connection, Engine, Table, event, make_url, text

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
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, postgres_engine, schema, upgrade

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


def store_clients(engine: Engine, clients: range) -> None:
    """Store customers ``cus-<n>`` (buyer ``u-<n>``), each with one yearly subscription bought 300 days ago."""
    deps, _ = services(engine)
    entitlement = Entitlement.of(PRODUCT, "std", "1y")
    for first in range(clients.start, clients.stop, SETUP_BATCH):
        with deps.uow() as uow:
            for n in range(first, min(first + SETUP_BATCH, clients.stop)):
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
    """Apply the notifications, under cProfile if asked (then print the top 60 by cumulative time).

    The profile counts the thread's CPU time (waits on the database left out); ``BENCH_CLOCK=wall`` for wall
    time, ``BENCH_SORT=tottime`` to sort by time spent in each function itself.
    """
    if not profile:
        return apply_all(deps, payloads)
    wall = os.environ.get("BENCH_CLOCK") == "wall"
    profiler = cProfile.Profile() if wall else cProfile.Profile(time.thread_time)
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


def fulfilled_orders(connection: Connection) -> int:
    """How many orders of the schema are fulfilled."""
    return int(connection.execute(text("SELECT count(*) FROM orders WHERE state = 'fulfilled'")).scalar_one())


VERB: Final = re.compile(r"^\s*(SELECT|INSERT INTO|UPDATE|COMMIT|ROLLBACK)\b\s*(?:.*?\bFROM\s+)?(\w+)?", re.DOTALL)
ORDER: Final = "'ord-' || lpad(g::text, 32, '0')"
COPIES: Final[tuple[tuple[Table, str, dict[str, str]], ...]] = (
    (schema.customers, "id", {"id": "'cus-' || g", "tax_code": "lpad(g::text, 10, '0')"}),
    (schema.subscriptions, "id", {"id": "'sub-' || g", "customer_id": "'cus-' || g"}),
    (schema.subscription_history, "subscription_id", {"subscription_id": "'sub-' || g"}),
    (
        schema.orders,
        "id",
        {"id": ORDER, "customer_id": "'cus-' || g", "transfer_reference": "lpad(g::text, 16, '0')"},
    ),
    (
        schema.order_lines,
        "order_id",
        {"order_id": ORDER, "customer_id": "'cus-' || g", "subscription_id": "'sub-' || g"},
    ),
    (schema.payments, "order_id", {"id": "'pay-' || lpad(g::text, 32, '0')", "order_id": ORDER}),
)
"""Each table copied, the column naming the template's row, and the columns numbered per copy ``g``."""


def shape(statement: str) -> str:
    """A statement's verb and table, e.g. ``SELECT orders``, ``INSERT INTO outbox``, ``COMMIT``."""
    found = VERB.match(statement)
    if found is None:
        raise SystemExit(f"not a statement the baseline knows: {statement[:80]!r}")
    return " ".join(part for part in found.groups() if part)


def script_shapes() -> list[str]:
    """The shapes of the script's statements, in order (``BEGIN`` and pgbench's meta-commands left out)."""
    lines = SCRIPT.read_text(encoding="utf-8").splitlines()
    return [shape(line) for line in lines if line and not line.startswith(("--", "\\", "BEGIN"))]


def documents(parameters: Any) -> list[str]:  # noqa: ANN401 - the DB-API parameters of one statement
    """The JSON documents among one statement's bound values, as JSON text, in the order they are bound."""
    rows = parameters if isinstance(parameters, list | tuple) else [parameters]
    found = []
    for row in rows:
        values = [row[name] for name in sorted(row, key=_bound_order)] if isinstance(row, dict) else list(row)
        found += [json.dumps(value.obj) for value in values if type(value).__name__ in ("Json", "Jsonb")]
    return found


def _bound_order(name: str) -> tuple[int, str]:
    # A multi-row insert binds ``document__0``, ``document__1``...: keep the rows' order.
    row = name.rsplit("__", 1)
    return (int(row[1]), row[0]) if len(row) == 2 and row[1].isdigit() else (0, name)


@contextmanager
def library_statements(engine: Engine) -> Iterator[tuple[list[str], list[str]]]:
    """While in the block, collect the shapes of the statements sent through ``engine`` and the documents bound."""
    shapes: list[str] = []
    written: list[str] = []

    def sent(_conn: object, _cursor: object, statement: str, parameters: Any, _context: object, many: bool) -> None:  # noqa: ANN401, FBT001 - an event's signature
        # An executemany is the statement once per row (psycopg sends them in one pipeline, as the script does).
        shapes.extend([shape(statement)] * (len(parameters) if many else 1))
        written.extend(documents(parameters))

    listeners = (
        ("before_cursor_execute", sent),
        ("commit", lambda _conn: shapes.append("COMMIT")),
        ("rollback", lambda _conn: shapes.append("ROLLBACK")),
    )
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield shapes, written
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def check_script(shapes: Sequence[str], written: Sequence[str]) -> None:
    """Stop unless the library sent exactly the script's statements and wrote one document per ``:d<n>``."""
    # SQLAlchemy reports a rollback also when the pool resets a connection already committed: not a statement.
    sent = [
        s for i, s in enumerate(shapes) if not (s == "ROLLBACK" and i > 0 and shapes[i - 1] in ("COMMIT", "ROLLBACK"))
    ]
    expected = script_shapes()
    if sent != expected:
        raise SystemExit(f"the library's statements are not the script's:\nlibrary: {sent}\nscript:  {expected}")
    wanted = len(set(re.findall(r":d(\d+)\b", SCRIPT.read_text(encoding="utf-8"))))
    if len(written) != wanted:
        raise SystemExit(f"the library wrote {len(written)} documents, the script writes {wanted}")


def make_scratch(dsn: str, source: str, scratch: str, template: dict[str, str], count: int) -> None:
    """Migrate ``scratch`` and fill it with ``count`` numbered copies of the template order's rows from ``source``.

    ``template`` gives the key of each copied table's row in ``source`` (by table name).
    """
    engine = postgres_engine(dsn, schema=scratch, pool_size=1)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            for table, key, numbered in COPIES:
                columns = ", ".join(f'"{c.name}"' for c in table.columns)
                values = ", ".join(numbered.get(c.name, f't."{c.name}"') for c in table.columns)
                connection.execute(
                    text(
                        f'INSERT INTO "{scratch}"."{table.name}" ({columns}) SELECT {values}'  # noqa: S608 - ours
                        f' FROM "{source}"."{table.name}" AS t CROSS JOIN generate_series(1, :count) AS g'
                        f' WHERE t."{key}" = :key'
                    ),
                    {"count": count, "key": template[table.name]},
                )
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def pgbench(dsn: str, scratch: str, written: Sequence[str], *, clients: int, each: int, base: int) -> tuple[float, int]:
    """Run the script in ``scratch`` by ``clients`` clients, ``each`` transactions each, on orders after ``base``.

    Returns pgbench's transactions per second (without connection time) and the transactions processed.
    """
    program = shutil.which("pgbench")
    if program is None:
        raise SystemExit("pgbench is not installed (apt-get install postgresql-client)")
    url = make_url(dsn)
    command = [program, "-n", "-M", "prepared", "-c", str(clients), "-j", str(clients), "-t", str(each)]
    command += ["-D", f"base={base}", "-D", f"clients={clients}", "-D", "i=0", "-f", str(SCRIPT)]
    command += [item for n, document in enumerate(written, 1) for item in ("-D", f"d{n}={document}")]
    command += ["-h", url.host or "localhost", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    command.append(url.database or "postgres")
    env = {**os.environ, "PGOPTIONS": f"-c search_path={scratch}"}
    if url.password:
        env["PGPASSWORD"] = url.password
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - our own command
    tps, processed = TPS.search(done.stdout), PROCESSED.search(done.stdout)
    if done.returncode != 0 or tps is None or processed is None:
        raise SystemExit(f"pgbench failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return float(tps.group(1)), int(processed.group(1))


def scratch_fulfilled(engine: Engine, scratch: str) -> int:
    """How many of the scratch schema's orders pgbench fulfilled (each transaction fulfils one)."""
    with engine.connect() as connection:
        query = text(f"SELECT count(*) FROM \"{scratch}\".orders WHERE state = 'fulfilled'")  # noqa: S608 - ours
        return int(connection.execute(query).scalar_one())


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


def template(engine: Engine, dsn: str, scratch: str, source: str, count: int) -> list[str]:
    """Build pgbench's schema from one order placed here, then apply its notification, capturing what is sent.

    Returns the documents the library wrote, for the script's ``:d<n>``; stops unless the library sent the
    script's statements.
    """
    store_clients(engine, range(1))
    deps, provider = services(engine)
    [payload] = placed_notifications(deps, provider, [0])
    with engine.connect() as connection:
        order_id = connection.execute(text("SELECT id FROM orders")).scalar_one()
    keys = {
        "customers": "cus-0",
        "subscriptions": "sub-0",
        "subscription_history": "sub-0",
        "orders": order_id,
        "order_lines": order_id,
        "payments": order_id,
    }
    make_scratch(dsn, source, scratch, keys, count)
    with library_statements(engine) as (shapes, written):
        if apply_all(deps, [payload]) != 1:
            raise SystemExit("the template's notification did not apply")
    check_script(shapes, written)
    return written


@attrs.frozen(kw_only=True)
class Run:
    """One worker count's figures."""

    workers: int
    rate: float
    cpu_ms: float
    statements: float
    baseline: float


def library_run(engine: Engine, dsn: str, schema: str, clients: range, workers: int, args: argparse.Namespace) -> Run:
    """Apply ``args.orders`` notifications of ``clients`` by ``workers`` workers; ``baseline`` left at 0."""
    store_clients(engine, clients)
    shares = [
        Share(dsn=dsn, schema=schema, clients=tuple(clients[w::workers]), profile=args.profile and w == 0)
        for w in range(workers)
    ]
    runner: Callable[[], tuple[float, list[tuple[int, float, int]]]] = (
        (lambda: run_processes(shares)) if args.mode == "process" else (lambda: run_threads(shares, engine))
    )
    with engine.connect() as connection:
        before = fulfilled_orders(connection)
    took, outcomes = runner()
    applied, cpu, statements = (sum(column) for column in zip(*outcomes, strict=True))
    with engine.connect() as connection:
        done = fulfilled_orders(connection) - before
    if applied != args.orders or done != len(clients):
        raise SystemExit(f"{applied} of {args.orders} notifications applied, {done} of {len(clients)} orders fulfilled")
    return Run(
        workers=workers, rate=applied / took, cpu_ms=cpu / applied * 1000, statements=statements / applied, baseline=0.0
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orders", type=int, default=2000, help="notifications timed per worker count")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--mode", choices=["process", "thread"], default="process")
    parser.add_argument("--profile", action="store_true", help="profile the first worker's timed part (cProfile)")
    args = parser.parse_args()
    dsn = os.environ.get("SUBSCRIPTION_CORE_PG_DSN", "")
    if not dsn:
        raise SystemExit("set SUBSCRIPTION_CORE_PG_DSN to a PostgreSQL database (postgresql://user@host:port/db)")
    counts = [int(w) for w in args.workers.split(",")]
    if any(args.orders % w for w in counts):
        raise SystemExit("--orders must be a multiple of every worker count")
    runs: list[Run] = []
    with schemas(dsn) as (engine, mine, scratch):
        written = template(engine, dsn, scratch, mine, args.orders * len(counts))
        first, base = 1, 0
        print(f"load before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores", flush=True)
        for workers in counts:
            clients = range(first, first + args.orders + WARMUP * workers)
            first = clients.stop
            run = library_run(engine, dsn, mine, clients, workers, args)
            tps, done = pgbench(dsn, scratch, written, clients=workers, each=args.orders // workers, base=base)
            base += args.orders
            if done != args.orders or scratch_fulfilled(engine, scratch) != base:
                raise SystemExit(f"pgbench: {done} of {args.orders} transactions, not every order fulfilled")
            runs.append(attrs.evolve(run, baseline=tps))
            print(
                f"{workers} {args.mode} workers: library {run.rate:,.1f}/s ({run.statements:.1f} statements,"
                f" {run.cpu_ms:.2f} ms Python CPU per notification); pgbench {tps:,.1f}/s;"
                f" ratio {tps / run.rate:.2f}; load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    ours = max(runs, key=lambda r: r.rate)
    theirs = max(runs, key=lambda r: r.baseline)
    print(f"best: library {ours.rate:,.1f}/s at {ours.workers}, pgbench {theirs.baseline:,.1f}/s at {theirs.workers}")
    print(f"ratio: {theirs.baseline / ours.rate:.2f}")


if __name__ == "__main__":
    main()
