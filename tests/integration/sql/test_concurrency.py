"""The SQL adapter under real threads: one attempt each, and still every limit and unique key holds.

Unlike the contract suites' races, no thread retries here: the adapter's locks must serialize the racers
by themselves (the promotion code's lock on PostgreSQL, SQLite's single writer), so that losers get the port's
answer (``False``) rather than an error. Only two units saving the same entity may end in a
``ConflictError``, for exactly one of them. Threads are lined up on a barrier so they race for real.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from sqlalchemy import Engine

from subscription_core.errors import ConflictError
from subscription_core.lifecycle import advance
from subscription_core_adapters.sql import SqlUnitOfWork, SqlUnitOfWorkFactory, run_in_transaction
from subscription_core_adapters.sql.driver_errors import TransientConflictError

from .builders import T0, at, customer, promotion, redemption, subscription

T = TypeVar("T")


def race(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0)`` … ``work(count - 1)`` on ``count`` threads released together; their results in order."""
    barrier = threading.Barrier(count, timeout=60)

    def run(i: int) -> T:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_y5_the_same_notification_recorded_50_times_at_once_is_new_exactly_once(units: SqlUnitOfWorkFactory) -> None:
    def record(_: int) -> bool:
        with units() as uow:
            new = uow.payments.record_notification("vnpay", "evt-1", order_id="ord-1", at=T0)
            uow.commit()
        return new

    assert sorted(race(50, record)) == [False] * 49 + [True]


def test_p9_twenty_racing_reservations_with_five_left_get_exactly_five(units: SqlUnitOfWorkFactory) -> None:
    with units() as uow:
        uow.promotions.add(promotion("SALE", limit=8))
        for i in range(3):
            assert uow.promotions.reserve(redemption("SALE", f"old-{i}"), limit=8, per_customer_limit=None)
        uow.commit()

    def reserve(i: int) -> bool:
        with units() as uow:
            held = uow.promotions.reserve(
                redemption("sale", f"ord-{i}", customer_id=f"cus-{i}"), limit=8, per_customer_limit=None
            )
            uow.commit()
        return held

    outcomes = race(20, reserve)
    assert outcomes.count(True) == 5
    with units() as uow:
        assert uow.promotions.counts(["SALE"], "cus-0").total == {"SALE": 8}
        assert [i for i in range(20) if uow.promotions.redemptions_of(f"ord-{i}")] == [
            i for i, held in enumerate(outcomes) if held
        ]


def test_p9_the_limit_holds_for_a_code_with_no_promotion_row(units: SqlUnitOfWorkFactory) -> None:
    # No promotion row to lock: the advisory lock on the code alone serializes the reservations.
    def reserve(i: int) -> bool:
        with units() as uow:
            held = uow.promotions.reserve(redemption("FLASH", f"ord-{i}"), limit=None, per_customer_limit=3)
            uow.commit()
        return held

    assert race(12, reserve).count(True) == 3


def test_two_units_saving_the_same_subscription_one_conflicts(units: SqlUnitOfWorkFactory) -> None:
    stored = subscription("sub-1")
    with units() as uow:
        uow.subscriptions.add(stored)
        uow.commit()
    read_both = threading.Barrier(2, timeout=60)

    def save(i: int) -> str:
        try:
            with units() as uow:
                read = uow.subscriptions.get("sub-1")
                read_both.wait()
                changed = advance(read, at(20 + i)).subscription
                uow.subscriptions.save(changed, expected_version=read.version)
                uow.commit()
        except ConflictError:
            return "conflict"
        return "saved"

    outcomes = race(2, save)
    assert sorted(outcomes) == ["conflict", "saved"]
    winner = advance(stored, at(20 + outcomes.index("saved"))).subscription
    with units() as uow:
        assert uow.subscriptions.get("sub-1") == winner


def test_no_update_is_lost_when_racing_units_run_again_on_conflict(units: SqlUnitOfWorkFactory) -> None:
    with units() as uow:
        uow.customers.add(customer("cus-1"))
        uow.commit()

    def grant(i: int) -> None:
        def act(uow: SqlUnitOfWork) -> None:
            read = uow.customers.get("cus-1")
            uow.customers.save(read.grant_buying_right(f"u-{i}"), expected_version=read.version)
            uow.commit()

        run_in_transaction(units, act, attempts=100, first_delay=0.001)

    def grant_after_stale_conflicts(i: int) -> None:
        for _ in range(100):
            try:
                grant(i)
            except ConflictError:  # a stale version: read again, as a use case does
                continue
            return
        raise AssertionError("starved")

    race(10, grant_after_stale_conflicts)
    with units() as uow:
        stored = uow.customers.get("cus-1")
    assert stored.buyers == {f"u-{i}" for i in range(10)}
    assert stored.version == 10


def test_a_deadlock_is_a_transient_conflict_and_the_retried_units_both_commit(postgresql_db: Engine) -> None:
    units = SqlUnitOfWorkFactory(postgresql_db)
    with units() as uow:
        uow.customers.add(customer("cus-a", n=1))
        uow.customers.add(customer("cus-b", n=2))
        uow.commit()
    first_writes_done = threading.Barrier(2, timeout=60)
    runs = [0, 0]

    def cross(i: int) -> None:
        order = ["cus-a", "cus-b"] if i == 0 else ["cus-b", "cus-a"]

        def act(uow: SqlUnitOfWork) -> None:
            runs[i] += 1
            for step, customer_id in enumerate(order):
                read = uow.customers.get(customer_id)
                uow.customers.save(read.grant_buying_right(f"u-{i}"), expected_version=read.version)
                if step == 0 and runs[i] == 1:
                    first_writes_done.wait()  # each holds one row and now asks for the other's
            uow.commit()

        for _ in range(5):
            try:
                run_in_transaction(units, act, first_delay=0.001)
            except ConflictError as lost:
                # After the deadlock, the retried unit may read a row the survivor has not committed yet and
                # then lose the race on its version: a plain lost race, which the caller runs again.
                if isinstance(lost, TransientConflictError):
                    raise
            else:
                return
        pytest.fail("kept losing races")

    race(2, cross)
    assert sum(runs) >= 3  # PostgreSQL broke the deadlock by failing one unit, which ran again
    with units() as uow:
        for customer_id in ("cus-a", "cus-b"):
            assert uow.customers.get(customer_id).buyers == {"u-0", "u-1"}


def test_sqlite_writers_queue_for_the_one_write_lock(sqlite_db: Engine) -> None:
    units = SqlUnitOfWorkFactory(sqlite_db)
    racers = 8

    def add(i: int) -> str:
        with units() as uow:
            uow.customers.add(customer(f"cus-{i}", n=i))
            uow.commit()
        return f"cus-{i}"

    assert race(racers, add) == [f"cus-{i}" for i in range(racers)]
    with units() as uow:
        assert len(uow.customers.search("cong ty", limit=100)) == racers
