"""The SQL adapter's throughput and the scheduler's ``due`` query as the store grows, on SQLite and PostgreSQL.

For each backend (SQLite in a temporary file; PostgreSQL in a throwaway schema when SUBSCRIPTION_CORE_PG_DSN
is set), the script stores subscriptions in units of work of 100, then measures:

* add: subscriptions stored per second (each with its history rows);
* get: subscriptions read by id per second, one unit of work each;
* save: versioned saves per second (one ``advance`` each, appending history), one unit of work each;
* due: the time of ``due(at, limit=100)`` when 100 are due, at two store sizes: it should not grow with the
  number stored (S3, the ``(next_due_at, id)`` index);
* notifications: ``record_notification`` calls per second from 8 threads, each its own unit of work (Y5);
* reservations: 20 threads racing for a promotion's last 5 redemptions, one attempt each (P9): the time for
  all of them, and that exactly 5 won.

Run: .venv/bin/python benchmarks/sql_store.py [count]   (count: subscriptions stored, default 5000)
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, text

from subscription_core.catalog import Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.customers import Actor
from subscription_core.lifecycle import advance, subscribe
from subscription_core.money import Money
from subscription_core.promotions import PercentOff, Promotion, Scope
from subscription_core.redemptions import Redemption
from subscription_core.subscriptions import Entitlement, Opening, Subscription
from subscription_core.tax import VatSchedule
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, postgres_engine, sqlite_engine, upgrade

T0 = dt.datetime(2026, 1, 1, 2, 0, tzinfo=dt.UTC)
STAFF = Actor.staff("bench")
PRODUCT = Product(
    code="AMIS",
    name="AMIS",
    plans=[
        Plan(
            code="STD",
            name="Standard",
            options=[PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(5_000_000, "VND"))],
            vat=VatSchedule.flat("10%"),
        )
    ],
)
ENTITLEMENT = Entitlement.of(PRODUCT, "STD", "1Y")
BATCH = 100


def make(i: int, start: dt.datetime) -> Subscription:
    opening = Opening(subscription_id=f"sub-{i:07d}", customer_id=f"cus-{i % 997}", product=PRODUCT)
    return subscribe(opening, ENTITLEMENT, start, actor=STAFF).subscription


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:9.0f}/s"


def timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def store(units: SqlUnitOfWorkFactory, subs: list[Subscription]) -> None:
    for first in range(0, len(subs), BATCH):
        with units() as uow:
            for sub in subs[first : first + BATCH]:
                uow.subscriptions.add(sub)
            uow.commit()


def due_seconds(units: SqlUnitOfWorkFactory, at: dt.datetime) -> float:
    with units() as uow:
        uow.subscriptions.due(at, limit=100)  # warm
    runs = 20
    with units() as uow:
        began = time.perf_counter()
        found = [len(uow.subscriptions.due(at, limit=100)) for _ in range(runs)]
        seconds = (time.perf_counter() - began) / runs
    if set(found) != {100}:
        raise SystemExit(f"due found {found[0]} subscriptions, not the 100 due")
    return seconds


def race(count: int, work: Callable[[int], object]) -> list[object]:
    barrier = threading.Barrier(count)

    def run(i: int) -> object:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def measure(name: str, engine: Engine, count: int) -> None:
    units = SqlUnitOfWorkFactory(engine)
    # 100 due soon (started a year ago), the rest spread over the next years.
    due_now = [make(i, T0 - dt.timedelta(days=365)) for i in range(100)]
    later = [make(i, T0 + dt.timedelta(minutes=i)) for i in range(100, count)]
    at = T0 + dt.timedelta(days=1)
    small = count // 10
    store(units, due_now + later[:small])
    due_small = due_seconds(units, at)
    add_time = timed(lambda: store(units, later[small:]))
    due_large = due_seconds(units, at)
    sample = later[:1000]
    get_time = timed(lambda: [units_get(units, s.id) for s in sample])
    save_time = timed(lambda: all_saved(units, sample))
    print(
        f"{name:10} add {rate(len(later) - small, add_time)}  get {rate(len(sample), get_time)}"
        f"  save {rate(len(sample), save_time)}"
    )
    print(
        f"{name:10} due(limit=100): {due_small * 1000:6.2f} ms with {small + 100} stored,"
        f" {due_large * 1000:6.2f} ms with {count} stored"
    )
    notifications(name, units)
    reservations(name, units)


def units_get(units: SqlUnitOfWorkFactory, subscription_id: str) -> Subscription:
    with units() as uow:
        return uow.subscriptions.get(subscription_id)


def units_save(units: SqlUnitOfWorkFactory, sub: Subscription) -> None:
    with units() as uow:
        uow.subscriptions.save(advance(sub, T0 + dt.timedelta(days=400)).subscription, expected_version=sub.version)
        uow.commit()


def all_saved(units: SqlUnitOfWorkFactory, subs: list[Subscription]) -> None:
    for sub in subs:
        units_save(units, sub)


def notifications(name: str, units: SqlUnitOfWorkFactory) -> None:
    per_thread = 250

    def record(t: int) -> None:
        for i in range(per_thread):
            with units() as uow:
                uow.payments.record_notification("vnpay", f"evt-{t}-{i}", order_id="ord-1", at=T0)
                uow.commit()

    seconds = timed(lambda: race(8, record))
    print(f"{name:10} record_notification from 8 threads {rate(8 * per_thread, seconds)}")


def reservations(name: str, units: SqlUnitOfWorkFactory) -> None:
    promotion = Promotion(code="LAST5", scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal(10)))
    with units() as uow:
        uow.promotions.add(promotion)
        uow.commit()

    def reserve(i: int) -> bool:
        held = Redemption(code="LAST5", order_id=f"ord-{i}", customer_id=f"cus-{i}", reserved_at=T0)
        with units() as uow:
            won = uow.promotions.reserve(held, limit=5, per_customer_limit=None)
            uow.commit()
        return won

    began = time.perf_counter()
    outcomes = race(20, reserve)
    seconds = time.perf_counter() - began
    print(f"{name:10} 20 racing reservations for 5 left: {outcomes.count(True)} won in {seconds * 1000:.1f} ms")


@contextmanager
def sqlite_db() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        engine = sqlite_engine(Path(folder) / "bench.db")
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgresql_db(dsn: str) -> Iterator[Engine]:
    schema = f"bench_{secrets.token_hex(4)}"
    engine = postgres_engine(dsn, schema=schema, pool_size=25)
    try:
        upgrade(engine)
        yield engine
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with sqlite_db() as engine:
        measure("sqlite", engine, count)
    dsn = os.environ.get("SUBSCRIPTION_CORE_PG_DSN")
    if dsn:
        with postgresql_db(dsn) as engine:
            measure("postgresql", engine, count)
    else:
        print("postgresql skipped: SUBSCRIPTION_CORE_PG_DSN is not set")


if __name__ == "__main__":
    main()
