"""The scheduler's step on the SQL adapter with N subscriptions stored and 10,000 due, on SQLite and PostgreSQL.

For each backend (SQLite in a temporary file; PostgreSQL in a throwaway schema ``bench_due_<random>``, dropped
at the end, when SUBSCRIPTION_CORE_PG_DSN is set) and each store size N (100,000 and 1,000,000 by default),
a fresh database is loaded with N subscriptions of which exactly 10,000 are due at the as-of instant
(1% at N = 1,000,000; 10% at N = 100,000), then two things are timed:

* the bare select: ``SELECT id, document FROM subscriptions WHERE next_due_at <= :at ORDER BY next_due_at,
  id`` on a raw driver cursor, every due row fetched, documents as the stored JSON text (not parsed). Best of
  5, after a warm-up run. SQLite reads the ``(next_due_at, id)`` index; PostgreSQL's planner may prefer a
  parallel sequential scan at these selectivities, so there it is timed both as planned and forced onto the
  index (sequential and bitmap scans off), and the faster counts (both plans are printed);
* the step: ``services.run_scheduler(deps, batch=500)`` once, on ``bootstrap_memory`` wired to the SQL unit of
  work (what ``bootstrap_sql`` wires, but on the benchmark's own engine and schema), 500 being its default
  batch. It runs 21 units of work (20 of 500, then one finding none due): ``subscriptions.due`` (the due
  rows and their history), ``scheduling.run_due``, then for each
  subscription a versioned save (history count, UPDATE, history INSERT), its customer read and its notices
  queued in the outbox (e-mail and in-app), and a commit; then one ``unpaid_past_deadline`` query (no
  orders are stored). The step must advance exactly the 10,000 due and leave none due.

Loading is not timed: the subscriptions are clones (new ids, 1,000 customers) of 100 prototypes built with
the library's own verbs (as ``benchmarks/lifecycle.py`` clones them in memory): 96 with nothing due, 4 due
(an expiry warning, an expiry, a purge, an offline payment at its activation deadline). Their JSON documents
and typed columns are made once per prototype by the adapter's converter and column types, then written with
``executemany`` (SQLite) or ``COPY`` (PostgreSQL), followed by ANALYZE (PostgreSQL: VACUUM ANALYZE, the state
autovacuum leaves a settled table in).

Run: SUBSCRIPTION_CORE_PG_DSN=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/sql_due.py
     [--sizes 100000 1000000] [--backends sqlite postgresql] [--profile]
Prints one line per backend and size, the domain's own share of the step (decoding the 10,000 due documents,
``run_due``, encoding the results, no SQL), the 1,000,000 / 100,000 step times, then last ``ratio: X.XX``:
the largest step time / bare select time of the runs.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import os
import pstats
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import attrs
import psycopg
from psycopg.types.string import TextLoader
from sqlalchemy import Engine, text

from subscription_core.calendar import VIETNAM_TZ, BusinessCalendar
from subscription_core.catalog import Catalog, Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.customers import Actor, Customer, InvoiceInfo, Party
from subscription_core.entitlements import Entitlement
from subscription_core.lifecycle import advance, subscribe
from subscription_core.money import Currency, Money
from subscription_core.renewals import receive_payment
from subscription_core.scheduling import run_due
from subscription_core.services import run_scheduler
from subscription_core.subscriptions import Opening, Subscription
from subscription_core.tax import VatSchedule
from subscription_core.testing import valid_tax_code
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.local import ManualClock
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, postgres_engine, sqlite_engine, upgrade
from subscription_core_adapters.sql import schema as tables
from subscription_core_adapters.sql.serialization import from_document, to_document

AT: Final = dt.datetime(2027, 6, 1, 2, 0, tzinfo=VIETNAM_TZ)
DUE: Final = 10_000
CUSTOMERS: Final = 1_000
PROTOTYPES: Final = 100
BATCH: Final = 500
CHUNK: Final = 20_000
STAFF: Final = Actor.staff("staff-1")
VND: Final = Currency.of("VND")
PRODUCT: Final = Product(
    code="AMIS",
    name="AMIS Kế toán",
    plans=[
        Plan(
            code="STD",
            name="Standard",
            options=[
                PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(3_000_000, VND)),
                PricingOption(code="1M", cycle=Cycle(CycleUnit.MONTH), price=Money.of(300_000, VND)),
            ],
            vat=VatSchedule.flat("KCT"),
            quotas=[Quota(code="storage", amount=10, unit="GB"), Quota(code="seats", amount=5)],
        )
    ],
)

tax_code = valid_tax_code  # a valid tax code (U1), a different one for each n
CATALOG: Final = Catalog(currency=VND, products=[PRODUCT])
SUB_COLUMNS: Final = "id, version, customer_id, product_code, state, next_due_at, history_length, document"
HISTORY_COLUMNS: Final = "subscription_id, position, at, event, document"
INSERT_SUB: Final = (
    "INSERT INTO subscriptions (id, version, customer_id, product_code, state, next_due_at, history_length, document)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_HISTORY: Final = (
    "INSERT INTO subscription_history (subscription_id, position, at, event, document) VALUES (?, ?, ?, ?, ?)"
)
COPY_SUB: Final = "COPY subscriptions (" + SUB_COLUMNS + ") FROM STDIN"
COPY_HISTORY: Final = "COPY subscription_history (" + HISTORY_COLUMNS + ") FROM STDIN"
BARE_SELECT: Final = "SELECT id, document FROM subscriptions WHERE next_due_at <= {p} ORDER BY next_due_at, id"
ID_MARK: Final = "@@id@@"
CUSTOMER_MARK: Final = "@@customer@@"


def prototypes() -> tuple[list[Subscription], list[Subscription]]:
    """Return (not due, due) prototypes at ``AT``, made with the library's verbs (as benchmarks/lifecycle.py)."""
    opening = Opening(subscription_id=ID_MARK, customer_id=CUSTOMER_MARK, product=PRODUCT)
    year, month = Entitlement.of(PRODUCT, "STD", "1Y"), Entitlement.of(PRODUCT, "STD", "1M")

    def started(at: dt.datetime, entitlement: Entitlement = year) -> Subscription:
        return subscribe(opening, entitlement, at, actor=STAFF).subscription

    idle = [advance(started(AT - dt.timedelta(days=40 + 3 * k)), AT).subscription for k in range(PROTOTYPES - 4)]
    paid_offline = receive_payment(
        started(AT - dt.timedelta(days=200)), year, AT - dt.timedelta(days=3), calendar=BusinessCalendar(), actor=STAFF
    ).subscription
    due = [
        started(AT - dt.timedelta(days=365 - 10)),  # the 15-day warning fell due 5 days ago
        started(AT - dt.timedelta(days=31, hours=-1), month),  # expired this night
        advance(started(AT - dt.timedelta(days=65), month), AT - dt.timedelta(days=5)).subscription,  # purge due
        paid_offline,  # the activation deadline has passed
    ]
    if any(p.next_due_at is None or p.next_due_at <= AT for p in idle):
        raise SystemExit("a prototype meant to be idle is due")
    if any(p.next_due_at is None or p.next_due_at > AT for p in due):
        raise SystemExit("a prototype meant to be due is not")
    return idle, due


@attrs.frozen(kw_only=True)
class Template:
    """A prototype's row values as the adapter stores them, its id and customer left as marks to fill in."""

    values: tuple[object, ...]  # SUB_COLUMNS without id and customer_id, then the document text
    document: str
    history: tuple[tuple[int, object, str, str], ...]  # position, at, event, document text


def template(proto: Subscription, bind: Callable[[dt.datetime], object]) -> Template:
    """The stored form of ``proto``, split as the adapter's repository splits it, instants bound by ``bind``."""
    document = to_document(proto)
    history = document.pop("history")
    entries = tuple(
        (position, bind(entry.at), entry.event.value, json.dumps(doc))
        for position, (entry, doc) in enumerate(zip(proto.history, history, strict=True))
    )
    due = proto.next_due_at
    values = (proto.version, proto.product_code, proto.state.value, None if due is None else bind(due), len(history))
    return Template(values=values, document=json.dumps(document), history=entries)


def population(count: int, bind: Callable[[dt.datetime], object]) -> Iterator[tuple[str, str, Template]]:
    """``(id, customer id, template)`` of ``count`` subscriptions, exactly ``DUE`` of them due at ``AT``."""
    if count < DUE or count % DUE:
        raise SystemExit(f"the store size must be a multiple of {DUE:,}")
    idle, due = prototypes()
    idle_templates = [template(p, bind) for p in idle]
    due_templates = [template(p, bind) for p in due]
    every = count // DUE
    for i in range(count):
        kind = due_templates[(i // every) % len(due)] if i % every == 0 else idle_templates[i % len(idle)]
        yield f"sub-{i:07d}", f"cus-{i % CUSTOMERS:04d}", kind


def filled(kind: Template, sub_id: str, customer_id: str) -> str:
    """The template's document with the clone's id and customer."""
    return kind.document.replace(f'"{ID_MARK}"', f'"{sub_id}"').replace(f'"{CUSTOMER_MARK}"', f'"{customer_id}"')


def store_customers(units: SqlUnitOfWorkFactory) -> None:
    """Store the customers the clones name (the step reads each due one's e-mail address for its notices)."""
    with units() as uow:
        for n in range(CUSTOMERS):
            details = Party(unit_name=f"Công ty {n}", address="Hà Nội", email=f"ketoan@c{n}.vn", tax_code=tax_code(n))
            uow.customers.add(
                Customer(
                    id=f"cus-{n:04d}",
                    name=details.unit_name,
                    tax_code=tax_code(n),
                    subscriber=details,
                    invoice=InvoiceInfo.same_as(details),
                )
            )
        uow.commit()


def load_sqlite(engine: Engine, count: int) -> None:
    """Insert the clones with ``executemany`` in one transaction, values bound as the adapter's column types do."""
    bind_type = tables.subscriptions.c.next_due_at.type.bind_processor(engine.dialect)
    if bind_type is None:
        raise SystemExit("the instant column has no bind processor on SQLite")
    bind: Callable[[dt.datetime], object] = bind_type
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        if not isinstance(connection, sqlite3.Connection):
            raise SystemExit("not an sqlite3 connection")
        connection.execute("BEGIN IMMEDIATE")
        rows: list[tuple[object, ...]] = []
        entries: list[tuple[object, ...]] = []
        for sub_id, customer_id, kind in population(count, bind):
            version, product, state, due, length = kind.values
            rows.append((sub_id, version, customer_id, product, state, due, length, filled(kind, sub_id, customer_id)))
            entries.extend((sub_id, *entry) for entry in kind.history)
            if len(rows) >= CHUNK:
                connection.executemany(INSERT_SUB, rows)
                connection.executemany(INSERT_HISTORY, entries)
                rows, entries = [], []
        connection.executemany(INSERT_SUB, rows)
        connection.executemany(INSERT_HISTORY, entries)
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
    finally:
        raw.close()


def _copy_text(value: object) -> str:
    """One field of COPY's text format."""
    if value is None:
        return "\\N"
    shown = value.isoformat() if isinstance(value, dt.datetime) else str(value)
    return shown.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def load_postgresql(engine: Engine, count: int) -> None:
    """``COPY`` the clones in, then VACUUM ANALYZE (the planner's statistics of a settled table)."""

    def bind(instant: dt.datetime) -> object:
        return instant.astimezone(dt.UTC)

    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        if not isinstance(connection, psycopg.Connection):
            raise SystemExit("not a psycopg connection")
        subs: list[str] = []
        entries: list[str] = []
        with connection.cursor() as cursor:
            for sub_id, customer_id, kind in population(count, bind):
                version, product, state, due, length = kind.values
                fields = (sub_id, version, customer_id, product, state, due, length, filled(kind, sub_id, customer_id))
                subs.append("\t".join(map(_copy_text, fields)))
                entries.extend("\t".join(map(_copy_text, (sub_id, *entry))) for entry in kind.history)
                if len(subs) >= CHUNK:
                    _copy(cursor, COPY_SUB, subs)
                    _copy(cursor, COPY_HISTORY, entries)
                    subs, entries = [], []
            _copy(cursor, COPY_SUB, subs)
            _copy(cursor, COPY_HISTORY, entries)
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE subscriptions")
        connection.execute("VACUUM ANALYZE subscription_history")
        connection.autocommit = False
    finally:
        raw.close()


def _copy(cursor: psycopg.Cursor[Any], statement: str, lines: list[str]) -> None:
    if not lines:
        return
    with cursor.copy(statement.encode()) as copy:
        copy.write("\n".join(lines) + "\n")


def bare_select(engine: Engine, *, index_only_plan: bool = False) -> tuple[float, int]:
    """Best of 5 (after a warm-up) of fetching every due row on a raw driver cursor; and how many there were.

    ``index_only_plan``: on PostgreSQL, forbid sequential and bitmap scans so the plan reads the index.
    """
    sqlite = engine.dialect.name == "sqlite"
    statement = BARE_SELECT.format(p="?" if sqlite else "%s")
    bind = tables.subscriptions.c.next_due_at.type.bind_processor(engine.dialect)
    at: object = bind(AT) if sqlite and bind is not None else AT.astimezone(dt.UTC)
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        if connection is None:
            raise SystemExit("no driver connection")
        cursor = connection.cursor()
        if isinstance(cursor, psycopg.Cursor):
            # The stored text, as SQLite hands it back: parsing the JSON is the library's work, not the select's.
            cursor.adapters.register_loader("json", TextLoader)
        best, found = float("inf"), 0
        for _ in range(6):
            if index_only_plan and not sqlite:
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("SET LOCAL enable_bitmapscan = off")
            gc.collect()
            started = time.perf_counter()
            cursor.execute(statement, (at,))
            found = len(cursor.fetchall())
            best = min(best, time.perf_counter() - started)
            connection.rollback()
        cursor.close()
    finally:
        raw.close()
    return best, found


def plan(engine: Engine, *, index_only_plan: bool = False) -> str:
    """What the database does for the bare select: the first line of its plan."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {BARE_SELECT.format(p='?')}", ("2027",)).all()
            return "; ".join(str(row[-1]) for row in rows)
        if index_only_plan:
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {BARE_SELECT.format(p='%(at)s')}", {"at": AT}).all()
        return str(rows[0][0]).strip().split("  (cost")[0]


def baseline(engine: Engine) -> float:
    """The bare select's time: on PostgreSQL the faster of the planner's own plan and the index scan."""
    select, found = bare_select(engine)
    if found != DUE:
        raise SystemExit(f"{found} subscriptions are due, not {DUE}")
    if engine.dialect.name == "sqlite":
        return select
    forced, _ = bare_select(engine, index_only_plan=True)
    print(
        f"{'':10} bare select: {select * 1000:.1f} ms as planned ({plan(engine)}),"
        f" {forced * 1000:.1f} ms on the index ({plan(engine, index_only_plan=True)}); the faster is the baseline",
        flush=True,
    )
    return min(select, forced)


def domain_work() -> float:
    """Seconds the domain alone takes for the step's 10,000: decode their documents, ``run_due``, encode the results.

    No SQL: the least any adapter that loads and stores whole entities must do beside its statements.
    """
    _, due = prototypes()
    subs = [
        attrs.evolve(due[i % len(due)], id=f"sub-{i:07d}", customer_id=f"cus-{i % CUSTOMERS:04d}") for i in range(DUE)
    ]
    documents = [to_document(sub) for sub in subs]
    gc.collect()
    began = time.perf_counter()
    loaded = [from_document(document, Subscription) for document in documents]
    run = run_due(loaded, AT)
    stored = [to_document(sub) for sub in run.subscriptions]
    took = time.perf_counter() - began
    if len(stored) != DUE:
        raise SystemExit("the domain work did not advance every due subscription")
    return took


@attrs.frozen(kw_only=True)
class Result:
    """One backend and store size: load, bare select and step times."""

    backend: str
    count: int
    loaded: float
    select: float
    step: float


def measure(backend: str, engine: Engine, count: int, *, profile: bool) -> Result:
    """Load ``count`` subscriptions, time the bare select, then the step; check it advanced exactly the due ones."""
    units = SqlUnitOfWorkFactory(engine)
    began = time.perf_counter()
    store_customers(units)
    (load_sqlite if backend == "sqlite" else load_postgresql)(engine, count)
    loaded = time.perf_counter() - began
    print(f"{backend:10} N={count:>9,}  loaded in {loaded:6.1f} s (not timed); plan: {plan(engine)}", flush=True)
    select = baseline(engine)
    deps = bootstrap_memory(CATALOG, clock=ManualClock(AT), uow=units)
    gc.collect()
    profiler = cProfile.Profile() if profile else None
    began = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    run = run_scheduler(deps, batch=BATCH)
    if profiler is not None:
        profiler.disable()
    step = time.perf_counter() - began
    if len(run.advanced) != DUE or len(set(run.advanced)) != DUE or bare_select(engine)[1]:
        raise SystemExit(f"the step advanced {len(run.advanced)} subscriptions, {DUE} were due")
    if profiler is not None:
        shown = io.StringIO()
        pstats.Stats(profiler, stream=shown).sort_stats("cumulative").print_stats(45)
        print(shown.getvalue())
    return Result(backend=backend, count=count, loaded=loaded, select=select, step=step)


@contextmanager
def sqlite_db() -> Iterator[Engine]:
    """A migrated SQLite file in a temporary folder, removed at the end."""
    with tempfile.TemporaryDirectory() as folder:
        engine = sqlite_engine(Path(folder) / "due.db")
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgresql_db(dsn: str) -> Iterator[Engine]:
    """A migrated PostgreSQL schema of this run's own, dropped at the end."""
    schema = f"bench_due_{secrets.token_hex(4)}"
    engine = postgres_engine(dsn, schema=schema)
    try:
        upgrade(engine)
        yield engine
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def runs(backends: Iterable[str], sizes: Iterable[int], *, profile: bool) -> list[Result]:
    """Measure every backend at every size, each in a fresh database."""
    dsn = os.environ.get("SUBSCRIPTION_CORE_PG_DSN", "")
    results = []
    for backend in backends:
        if backend == "postgresql" and not dsn:
            print("postgresql skipped: SUBSCRIPTION_CORE_PG_DSN is not set")
            continue
        for count in sizes:
            with sqlite_db() if backend == "sqlite" else postgresql_db(dsn) as engine:
                result = measure(backend, engine, count, profile=profile)
            print(
                f"{backend:10} N={count:>9,}  due={DUE:,}  bare select {result.select * 1000:8.1f} ms"
                f"  step {result.step:7.2f} s ({result.step / DUE * 1e6:6.0f} µs per subscription advanced)"
                f"  step/select {result.step / result.select:7.1f}",
                flush=True,
            )
            results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--profile", action="store_true", help="profile the step (cProfile, top 45 by cumulative time)")
    args = parser.parse_args()
    results = runs(args.backends, args.sizes, profile=args.profile)
    if not results:
        raise SystemExit("nothing was measured")
    domain = domain_work()
    print(f"domain work alone for the {DUE:,} due (decode documents + run_due + encode, no SQL): {domain:.2f} s")
    for backend in args.backends:
        mine = sorted((r for r in results if r.backend == backend), key=lambda r: r.count)
        if len(mine) > 1:
            small, large = mine[0], mine[-1]
            print(
                f"{backend:10} step at N={large.count:,} / step at N={small.count:,}: {large.step / small.step:.2f}"
                f" (select: {large.select / small.select:.2f})"
            )
    worst = max(results, key=lambda r: r.step / r.select)
    print(f"worst step/select: {worst.backend} at N={worst.count:,}")
    print(f"ratio: {worst.step / worst.select:.2f}")


if __name__ == "__main__":
    main()
