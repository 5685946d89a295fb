"""The scheduler's step on the SQL adapter against the same reads and writes by the shortest path (issue 18).

For each backend (SQLite in a temporary file; PostgreSQL in a throwaway schema ``bench_due_<random>``, dropped
at the end, when SUBSCRIPTION_CORE_PG_DSN is set) and each store size N (100,000 and 1,000,000 by default),
a fresh database is loaded with N subscriptions of which exactly 10,000 (``--due``) are due at the as-of
instant (1% at N = 1,000,000; 10% at N = 100,000). Then, ``--repeats`` times (best of each side counts), the
due rows are put back as loaded and each side runs once:

* the library: ``services.run_scheduler(deps, batch=500)`` on ``bootstrap_memory`` wired to the SQL unit of
  work (what ``bootstrap_sql`` wires, on the benchmark's own engine and schema), 500 being its default batch.
  Per batch, in one transaction: the due rows and their history (two SELECTs), ``run_due``, one executemany
  UPDATE of the subscriptions (versioned), one of their new history rows, one SELECT of the customers with
  notices (their e-mail addresses), one INSERT of the 1,000 outbox rows, COMMIT; then the four reads of the
  step's tail (orders past their deadline, reminders due, invoices and adjustments pending; none stored).
* the baseline: the same statements, captured from the step with a SQLAlchemy ``before_cursor_execute``
  listener, on a raw DB-API cursor: per batch of 500 it selects the due rows and parses their documents
  (JSON), selects and parses their history, writes the UPDATEs (only the columns that change, by id and
  expected version), the history rows and the outbox rows (``ON CONFLICT DO NOTHING``, no ``RETURNING``)
  with ``executemany``, reads and parses the customers the library read, and commits; then the tail's four
  reads. What it writes is what the library wrote in the same run (read back, documents parsed), encoded
  with ``json.dumps`` inside the timed part: it does everything the step does but the domain work (decoding
  into entities, the transitions, encoding entities) and the library's statement building.

Both sides are checked: the library advanced exactly the due subscriptions, and the baseline left the same
subscription, history and outbox rows (documents compared parsed). Between runs the due rows are written back
as loaded, their new history and the outbox deleted, and on PostgreSQL the tables vacuumed and analysed.

Loading is not timed: the subscriptions are clones (new ids, 1,000 customers) of 100 prototypes built with
the library's own verbs (as ``benchmarks/lifecycle.py`` clones them in memory): 96 with nothing due, 4 due
(an expiry warning, an expiry, a purge, an offline payment at its activation deadline). Their JSON documents
and typed columns are made once per prototype by the adapter's converter and column types, then written with
``executemany`` (SQLite) or ``COPY`` (PostgreSQL), followed by ANALYZE (PostgreSQL: VACUUM ANALYZE, the state
autovacuum leaves a settled table in). 1,000,000 rows take a minute or two; ``--sizes 20000 100000`` is a
quick run.

Run: SUBSCRIPTION_CORE_PG_DSN=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/sql_due.py
     [--sizes 100000 1000000] [--due 10000] [--repeats 3] [--backends sqlite postgresql] [--profile]
     [--worker-collector]  (the step with the garbage collector as the ``worker`` command sets it in its process)
     [--clock wall|cpu]  (what the ratio compares; both are printed for every run: on a shared machine the
     process's CPU time is the steadier on SQLite, whose work is all in this process, but leaves out the
     PostgreSQL server's)
Prints one line per backend and size, the domain's own share of the step (decoding the due documents,
``run_due``, encoding the results, no SQL), the largest / smallest size's step times (the scaling check,
bar 1.5), then last ``ratio: X.XX``: the largest library step time / baseline time of the runs (by ``--clock``).
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
from contextlib import contextmanager, nullcontext
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
from subscription_core_adapters.cli.worker import collector_for_batches
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


def population(count: int, due: int, bind: Callable[[dt.datetime], object]) -> Iterator[tuple[str, str, Template]]:
    """``(id, customer id, template)`` of ``count`` subscriptions, exactly ``due`` of them due at ``AT``."""
    if count < due or count % due:
        raise SystemExit(f"the store size must be a multiple of {due:,}")
    idle, falling_due = prototypes()
    idle_templates = [template(p, bind) for p in idle]
    due_templates = [template(p, bind) for p in falling_due]
    every = count // due
    for i in range(count):
        kind = due_templates[(i // every) % len(due_templates)] if i % every == 0 else idle_templates[i % len(idle)]
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


def load_sqlite(engine: Engine, count: int, due: int) -> None:
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
        for sub_id, customer_id, kind in population(count, due, bind):
            version, product, state, due_at, length = kind.values
            rows.append(
                (sub_id, version, customer_id, product, state, due_at, length, filled(kind, sub_id, customer_id))
            )
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


def load_postgresql(engine: Engine, count: int, due: int) -> None:
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
            for sub_id, customer_id, kind in population(count, due, bind):
                version, product, state, due_at, length = kind.values
                fields = (
                    sub_id,
                    version,
                    customer_id,
                    product,
                    state,
                    due_at,
                    length,
                    filled(kind, sub_id, customer_id),
                )
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


# The step's statements as its SQLAlchemy listener saw them, by the shortest path ({p}: the driver's placeholder,
# {keys}: an IN list on SQLite, ANY of an array on PostgreSQL).
SELECT_DUE: Final = "SELECT id, document FROM subscriptions WHERE next_due_at <= {p} ORDER BY next_due_at, id LIMIT {p}"
SELECT_HISTORY: Final = (
    "SELECT subscription_id, document FROM subscription_history WHERE subscription_id {keys}"
    " ORDER BY subscription_id, position"
)
SELECT_CUSTOMERS: Final = "SELECT document FROM customers WHERE id {keys}"
UPDATE_DUE: Final = (
    "UPDATE subscriptions SET version = {p}, state = {p}, next_due_at = {p}, held_back_since = {p},"
    " history_length = {p}, document = {p} WHERE id = {p} AND version = {p}"
)
INSERT_OUTBOX: Final = (
    "INSERT INTO outbox (id, kind, channel, subject_id, created_at, state, attempts, next_attempt_at, document)"
    " VALUES ({p9}) ON CONFLICT DO NOTHING"
)
OUTBOX_ROWS: Final = (
    "SELECT id, kind, channel, subject_id, created_at, state, attempts, next_attempt_at, document FROM outbox"
    " ORDER BY id"
)
TAIL: Final = (  # (statement, how many instants, limit): the reads after the last batch; nothing is stored there
    ("SELECT id, document FROM orders WHERE state = 'placed' AND pay_by < {p} ORDER BY pay_by, id LIMIT {p}", 1, BATCH),
    (
        (
            "SELECT id, document FROM orders WHERE state = 'placed' AND remind_at <= {p} AND pay_by > {p}"
            " ORDER BY remind_at, id LIMIT {p}"
        ),
        2,
        BATCH,
    ),
    (
        (
            "SELECT document FROM invoice_requests WHERE state = 'pending' AND next_attempt_at <= {p}"
            " ORDER BY next_attempt_at, order_id, part LIMIT {p}"
        ),
        1,
        100,
    ),
    (
        (
            "SELECT document FROM invoice_adjustments WHERE state = 'pending' AND next_attempt_at <= {p}"
            " ORDER BY next_attempt_at, refund_id, part LIMIT {p}"
        ),
        1,
        100,
    ),
)
# What the step changes, read back and written again by the restore: (id, then the columns UPDATE_DUE sets).
DUE_ROWS: Final = (
    "SELECT id, version, state, next_due_at, held_back_since, history_length, document FROM subscriptions"
    " WHERE id {keys}"
)
HISTORY_ROWS: Final = (
    "SELECT subscription_id, position, at, event, document FROM subscription_history WHERE subscription_id {keys}"
    " ORDER BY subscription_id, position"
)
RESTORE: Final = (
    "UPDATE subscriptions SET version = {p}, state = {p}, next_due_at = {p}, held_back_since = {p},"
    " history_length = {p}, document = {p} WHERE id = {p}"
)


@attrs.frozen(kw_only=True)
class Dialect:
    """What differs between the drivers: placeholders, a key list, the as-of instant bound, JSON parsing."""

    sqlite: bool
    at: object  # AT as the adapter's column type binds it

    @classmethod
    def of(cls, engine: Engine) -> Dialect:
        sqlite = engine.dialect.name == "sqlite"
        bind = tables.subscriptions.c.next_due_at.type.bind_processor(engine.dialect)
        at: object = bind(AT) if sqlite and bind is not None else AT.astimezone(dt.UTC)
        return cls(sqlite=sqlite, at=at)

    def sql(self, statement: str, keys: int = 0) -> str:
        p = "?" if self.sqlite else "%s"
        listed = "IN (" + ", ".join([p] * keys) + ")" if self.sqlite else "= ANY(%s)"
        return statement.format(p=p, keys=listed, p9=", ".join([p] * 9))

    def keys(self, values: list[str]) -> tuple[object, ...]:
        return tuple(values) if self.sqlite else (values,)

    def parsed(self, document: Any) -> Any:  # noqa: ANN401 - a JSON document
        # psycopg parses json columns itself (its default loader is json.loads); sqlite3 returns the text.
        return json.loads(document) if self.sqlite else document


Row = tuple[Any, ...]


@attrs.frozen(kw_only=True)
class Written:
    """What one step wrote, by subscription: its UPDATE's values, its new history rows, its outbox rows.

    Documents are parsed (``dict``); the baseline encodes them again as it writes.
    """

    updates: dict[str, Row]  # id -> (version, state, next_due_at, held_back_since, history_length, document)
    history: dict[str, list[Row]]  # id -> [(subscription_id, position, at, event, document)]
    outbox: dict[str, list[Row]]  # subject id -> rows of OUTBOX_ROWS


@contextmanager
def cursor_of(engine: Engine, *, text_json: bool = False) -> Iterator[tuple[Any, Any]]:
    """A raw DB-API connection and cursor of ``engine``'s pool; ``text_json``: PostgreSQL's JSON read as text."""
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        cursor = connection.cursor()  # type: ignore[union-attr]
        if text_json and isinstance(cursor, psycopg.Cursor):
            cursor.adapters.register_loader("json", TextLoader)  # this cursor only: the pool's connection is shared
        yield connection, cursor
        cursor.close()
    finally:
        raw.close()


def due_ids(engine: Engine) -> list[str]:
    """The ids due at ``AT``, as loaded."""
    dialect = Dialect.of(engine)
    with cursor_of(engine) as (connection, cursor):
        cursor.execute(dialect.sql(SELECT_DUE), (dialect.at, 10**9))
        ids = [row[0] for row in cursor.fetchall()]
        connection.rollback()
    return ids


def snapshot(engine: Engine, ids: list[str]) -> list[Row]:
    """The due rows as stored (documents as text), to write back between runs."""
    dialect = Dialect.of(engine)
    with cursor_of(engine, text_json=True) as (connection, cursor):
        found: list[Row] = []
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            cursor.execute(dialect.sql(DUE_ROWS, len(chunk)), dialect.keys(chunk))
            found += [tuple(row) for row in cursor.fetchall()]
        connection.rollback()
    return found


def restore(engine: Engine, loaded: list[Row]) -> None:
    """Write the due rows back as loaded, delete their new history and the outbox; vacuum on PostgreSQL."""
    dialect = Dialect.of(engine)
    with cursor_of(engine) as (connection, cursor):
        if dialect.sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        cursor.executemany(dialect.sql(RESTORE), [(*row[1:], row[0]) for row in loaded])
        delete = "DELETE FROM subscription_history WHERE subscription_id = {p} AND position >= {p}"
        cursor.executemany(dialect.sql(delete), [(row[0], row[5]) for row in loaded])
        cursor.execute("DELETE FROM outbox")
        cursor.execute("COMMIT") if dialect.sqlite else connection.commit()
        if not dialect.sqlite:
            connection.autocommit = True
            for table in ("subscriptions", "subscription_history", "outbox"):
                cursor.execute(f"VACUUM ANALYZE {table}")
            connection.autocommit = False


def written(engine: Engine, loaded: list[Row]) -> Written:
    """What the step wrote over ``loaded``: the due rows' new values, their new history rows, the outbox."""
    dialect = Dialect.of(engine)
    before = {row[0]: row[5] for row in loaded}
    ids = list(before)
    with cursor_of(engine, text_json=True) as (connection, cursor):
        updates: dict[str, Row] = {}
        history: dict[str, list[Row]] = {i: [] for i in ids}
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            cursor.execute(dialect.sql(DUE_ROWS, len(chunk)), dialect.keys(chunk))
            updates.update((row[0], (*row[1:-1], json.loads(row[-1]))) for row in cursor.fetchall())
            cursor.execute(dialect.sql(HISTORY_ROWS, len(chunk)), dialect.keys(chunk))
            for sid, position, at, event, document in cursor.fetchall():
                if position >= before[sid]:
                    history[sid].append((sid, position, at, event, json.loads(document)))
        outbox: dict[str, list[Row]] = {}
        cursor.execute(OUTBOX_ROWS)
        for row in cursor.fetchall():
            outbox.setdefault(row[3], []).append((*row[:-1], json.loads(row[-1])))
        connection.rollback()
    if set(outbox) - set(ids):
        raise SystemExit("the outbox holds messages about something not due")
    return Written(updates=updates, history=history, outbox=outbox)


def baseline_batch(dialect: Dialect, cursor: Any, writes: Written) -> int:  # noqa: ANN401 - a DB-API cursor
    """One batch by the shortest path, uncommitted: read and parse, write with executemany; how many were due."""
    cursor.execute(dialect.sql(SELECT_DUE), (dialect.at, BATCH))
    due = [(sid, dialect.parsed(document)) for sid, document in cursor.fetchall()]
    if not due:
        return 0
    ids = [sid for sid, _ in due]
    cursor.execute(dialect.sql(SELECT_HISTORY, len(ids)), dialect.keys(ids))
    entries = [(sid, dialect.parsed(document)) for sid, document in cursor.fetchall()]
    if len(entries) < len(ids):
        raise SystemExit("the due rows have no history")
    updates = []
    for sid, document in due:
        *values, new_document = writes.updates[sid]
        updates.append((*values, json.dumps(new_document), sid, document["version"]))
    cursor.executemany(dialect.sql(UPDATE_DUE), updates)
    if cursor.rowcount != len(updates):
        raise SystemExit(f"the baseline updated {cursor.rowcount} of {len(updates)} due subscriptions")
    history = [(*row[:-1], json.dumps(row[-1])) for sid in ids for row in writes.history[sid]]
    cursor.executemany(dialect.sql(INSERT_HISTORY.replace("?", "{p}")), history)
    noticed = list({document["customer_id"] for sid, document in due if sid in writes.outbox})
    if noticed:
        cursor.execute(dialect.sql(SELECT_CUSTOMERS, len(noticed)), dialect.keys(noticed))
        [dialect.parsed(document) for (document,) in cursor.fetchall()]
        outbox = [(*row[:-1], json.dumps(row[-1])) for sid in ids for row in writes.outbox.get(sid, ())]
        cursor.executemany(dialect.sql(INSERT_OUTBOX), outbox)
    return len(due)


@attrs.frozen(kw_only=True)
class Took:
    """A run's elapsed time (``wall``) and this process's CPU time in it (``cpu``), in seconds.

    On SQLite the database works in this process, so ``cpu`` is the whole step and stays steady on a
    shared machine; on PostgreSQL the server's work is in ``wall`` only.
    """

    wall: float
    cpu: float

    @classmethod
    def since(cls, began: tuple[float, float]) -> Took:
        """The time since ``began``, a :func:`now`."""
        return cls(wall=time.perf_counter() - began[0], cpu=time.process_time() - began[1])


def now() -> tuple[float, float]:
    """The wall and CPU clocks' readings, for :meth:`Took.since`."""
    return time.perf_counter(), time.process_time()


def baseline_step(engine: Engine, writes: Written) -> Took:
    """Seconds the shortest path takes: every batch, committed one by one, then the tail's reads."""
    dialect = Dialect.of(engine)
    with cursor_of(engine) as (connection, cursor):
        commit = (lambda: cursor.execute("COMMIT")) if dialect.sqlite else connection.commit
        gc.collect()
        began = now()
        advanced = 0
        while True:
            if dialect.sqlite:
                cursor.execute("BEGIN")
            found = baseline_batch(dialect, cursor, writes)
            commit()
            advanced += found
            if found < BATCH:
                break
        for statement, instants, limit in TAIL:
            if dialect.sqlite:
                cursor.execute("BEGIN")
            cursor.execute(dialect.sql(statement), (*[dialect.at] * instants, limit))
            [dialect.parsed(row[-1]) for row in cursor.fetchall()]
            commit()
        took = Took.since(began)
    if advanced != len(writes.updates):
        raise SystemExit(f"the baseline advanced {advanced}, the library {len(writes.updates)}")
    return took


def library_step(engine: Engine, due: int, *, profile: bool, worker_collector: bool = False) -> Took:
    """Seconds ``run_scheduler`` takes; checks it advanced exactly the ``due`` subscriptions.

    ``worker_collector``: with the garbage collector as the ``worker`` command sets it for its own process.
    """
    deps = bootstrap_memory(CATALOG, clock=ManualClock(AT), uow=SqlUnitOfWorkFactory(engine))
    gc.collect()
    profiler = cProfile.Profile() if profile else None
    with collector_for_batches() if worker_collector else nullcontext():
        began = now()
        if profiler is not None:
            profiler.enable()
        run = run_scheduler(deps, batch=BATCH)
        if profiler is not None:
            profiler.disable()
        took = Took.since(began)
    if len(run.advanced) != due or len(set(run.advanced)) != due or due_ids(engine):
        raise SystemExit(f"the step advanced {len(run.advanced)} subscriptions, {due} were due")
    if profiler is not None:
        shown = io.StringIO()
        pstats.Stats(profiler, stream=shown).sort_stats("tottime").print_stats(40)
        print(shown.getvalue())
    return took


def domain_work(count: int) -> float:
    """Seconds the domain alone takes for ``count`` due: decode their documents, ``run_due``, encode the results.

    No SQL: the least any adapter that loads and stores whole entities must do beside its statements.
    """
    _, due = prototypes()
    subs = [
        attrs.evolve(due[i % len(due)], id=f"sub-{i:07d}", customer_id=f"cus-{i % CUSTOMERS:04d}") for i in range(count)
    ]
    documents = [to_document(sub) for sub in subs]
    gc.collect()
    began = time.perf_counter()
    loaded = [from_document(document, Subscription) for document in documents]
    run = run_due(loaded, AT)
    stored = [to_document(sub) for sub in run.subscriptions]
    took = time.perf_counter() - began
    if len(stored) != count:
        raise SystemExit("the domain work did not advance every due subscription")
    return took


@attrs.frozen(kw_only=True)
class Result:
    """One backend and store size: the best step time of the library and of the baseline, by ``clock``."""

    backend: str
    count: int
    step: float
    baseline: float
    clock: str


def measure(
    backend: str,
    engine: Engine,
    count: int,
    due: int,
    *,
    repeats: int,
    profile: bool,
    worker_collector: bool,
    clock: str = "wall",
) -> Result:
    """Load ``count`` subscriptions; ``repeats`` times, the library's step then the baseline's, on them as loaded."""
    began = time.perf_counter()
    store_customers(SqlUnitOfWorkFactory(engine))
    (load_sqlite if backend == "sqlite" else load_postgresql)(engine, count, due)
    loaded = snapshot(engine, due_ids(engine))
    if len(loaded) != due:
        raise SystemExit(f"{len(loaded)} subscriptions are due, not {due}")
    print(f"{backend:10} N={count:>9,}  loaded in {time.perf_counter() - began:6.1f} s (not timed)", flush=True)
    steps, baselines = [], []
    writes: Written | None = None
    for run in range(repeats):
        if run:
            restore(engine, loaded)
        steps.append(library_step(engine, due, profile=profile and not run, worker_collector=worker_collector))
        wrote = written(engine, loaded)
        if writes is not None and wrote != writes:
            raise SystemExit("the library wrote something else this time")
        writes = wrote
        restore(engine, loaded)
        baselines.append(baseline_step(engine, writes))
        if written(engine, loaded) != writes:
            raise SystemExit("the baseline did not leave the rows the library left")
    for shown in ("wall", "cpu"):
        mine, theirs = [getattr(s, shown) for s in steps], [getattr(s, shown) for s in baselines]
        print(
            f"{backend:10} N={count:>9,}  {shown:4} runs: library " + ", ".join(f"{s:.2f}" for s in mine) + " s;"
            " baseline " + ", ".join(f"{s:.3f}" for s in theirs) + f" s; best / best {min(mine) / min(theirs):.2f}",
            flush=True,
        )
    best_step = min(getattr(s, clock) for s in steps)
    best_baseline = min(getattr(s, clock) for s in baselines)
    return Result(backend=backend, count=count, step=best_step, baseline=best_baseline, clock=clock)


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


def runs(
    backends: Iterable[str],
    sizes: Iterable[int],
    due: int,
    *,
    repeats: int,
    profile: bool,
    worker_collector: bool,
    clock: str = "wall",
) -> list[Result]:
    """Measure every backend at every size, each in a fresh database."""
    dsn = os.environ.get("SUBSCRIPTION_CORE_PG_DSN", "")
    results = []
    for backend in backends:
        if backend == "postgresql" and not dsn:
            print("postgresql skipped: SUBSCRIPTION_CORE_PG_DSN is not set")
            continue
        for count in sizes:
            with sqlite_db() if backend == "sqlite" else postgresql_db(dsn) as engine:
                result = measure(
                    backend,
                    engine,
                    count,
                    due,
                    repeats=repeats,
                    profile=profile,
                    worker_collector=worker_collector,
                    clock=clock,
                )
            print(
                f"{backend:10} N={count:>9,}  due={due:,}  {clock} clock: library step {result.step:6.2f} s"
                f" ({result.step / due * 1e6:5.0f} µs per subscription advanced)"
                f"  baseline {result.baseline:6.3f} s ({result.baseline / due * 1e6:4.0f} µs)"
                f"  library/baseline {result.step / result.baseline:5.2f}",
                flush=True,
            )
            results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="subscriptions stored")
    parser.add_argument("--due", type=int, default=DUE, help="how many of them are due (divides every size)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side; the best counts")
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--profile", action="store_true", help="profile the first step (cProfile, top 40 by own time)")
    parser.add_argument(
        "--worker-collector", action="store_true", help="run the step with the worker command's collector settings"
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="what the ratio compares: wall time (default), or this process's CPU time (SQLite: the whole step)",
    )
    args = parser.parse_args()
    results = runs(
        args.backends,
        args.sizes,
        args.due,
        repeats=args.repeats,
        profile=args.profile,
        worker_collector=args.worker_collector,
        clock=args.clock,
    )
    if not results:
        raise SystemExit("nothing was measured")
    domain = domain_work(args.due)
    print(f"domain work alone for the {args.due:,} due (decode documents + run_due + encode, no SQL): {domain:.2f} s")
    for backend in args.backends:
        mine = sorted((r for r in results if r.backend == backend), key=lambda r: r.count)
        if len(mine) > 1:
            small, large = mine[0], mine[-1]
            print(
                f"{backend:10} step at N={large.count:,} / step at N={small.count:,}: {large.step / small.step:.2f}"
                f" (bar 1.5; baseline: {large.baseline / small.baseline:.2f})"
            )
    worst = max(results, key=lambda r: r.step / r.baseline)
    print(f"worst library/baseline: {worst.backend} at N={worst.count:,}")
    print(f"worst by the {args.clock} clock")
    print(f"ratio: {worst.step / worst.baseline:.2f}")


if __name__ == "__main__":
    main()
