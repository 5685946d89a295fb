"""What only the in-memory adapter promises beyond the contract: commit-time checks, and indexes read, not scans.

The contract suites show the races on threads; here the memory adapter's commit checks are driven step by
step (two units open in one thread, both writing: a database would block the second on the first's lock,
the memory adapter lets both run and refuses the later commit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

from subscription_core.errors import ConflictError, NotFoundError
from subscription_core_adapters.memory import MemoryStore, MemoryUnitOfWork, MemoryUnitOfWorkFactory

from .builders import T0, at, customer, message, order, redemption, subscription

V = TypeVar("V")


class CountingRows(dict[str, V]):
    """A table's rows that count how many are read one by one."""

    reads = 0

    def __getitem__(self, key: str) -> V:
        self.reads += 1
        return super().__getitem__(key)


def both_commit(first: Callable[[MemoryUnitOfWork], object], second: Callable[[MemoryUnitOfWork], object]) -> None:
    """Open two units, run ``first`` in one and ``second`` in the other, commit the first then the second."""
    units = MemoryUnitOfWorkFactory()
    with units() as setup:
        setup.customers.add(customer("cus-1"))
        setup.commit()
    with units() as a, units() as b:
        first(a)
        second(b)
        a.commit()
        b.commit()


def test_a_stale_version_is_refused_at_commit() -> None:
    def grant(user: str) -> Callable[[MemoryUnitOfWork], None]:
        return lambda uow: uow.customers.save(uow.customers.get("cus-1").grant_buying_right(user), expected_version=0)

    with pytest.raises(ConflictError, match="changed by a concurrent unit of work"):
        both_commit(grant("u-1"), grant("u-2"))


def test_y5_the_second_unit_to_record_a_notification_loses_at_commit() -> None:
    def record(uow: MemoryUnitOfWork) -> None:
        assert uow.payments.record_notification("vnpay", "evt-1", order_id="ord-1", at=T0)

    with pytest.raises(ConflictError) as caught:
        both_commit(record, record)
    assert caught.value.rule == "Y5"


def test_p9_the_unit_that_would_break_a_limit_loses_at_commit() -> None:
    def reserve(order_id: str) -> Callable[[MemoryUnitOfWork], object]:
        return lambda uow: uow.promotions.reserve(redemption("SALE", order_id), limit=1, per_customer_limit=None)

    with pytest.raises(ConflictError) as caught:
        both_commit(reserve("ord-1"), reserve("ord-2"))
    assert caught.value.rule == "P9"


def test_p9_the_per_customer_limit_is_checked_at_commit_too() -> None:
    def reserve(order_id: str) -> Callable[[MemoryUnitOfWork], object]:
        return lambda uow: uow.promotions.reserve(redemption("SALE", order_id), limit=None, per_customer_limit=1)

    with pytest.raises(ConflictError, match="per customer"):
        both_commit(reserve("ord-1"), reserve("ord-2"))


def test_u1_a_tax_code_taken_concurrently_is_refused_at_commit() -> None:
    with pytest.raises(ConflictError, match="tax_code"):
        both_commit(
            lambda uow: uow.customers.add(customer("cus-2", n=2)),
            lambda uow: uow.customers.add(customer("cus-3", n=2)),
        )


def test_unique_keys_taken_concurrently_are_refused_at_commit() -> None:
    for write in (
        lambda uow: uow.outbox.add(message("msg-1")),
        lambda uow: uow.orders.add(order("ord-1")),
        lambda uow: uow.subscriptions.add(subscription("sub-1")),
    ):
        with pytest.raises(ConflictError, match="stored by a concurrent unit of work"):
            both_commit(write, write)


def test_a_redemption_settled_concurrently_is_refused_at_commit() -> None:
    units = MemoryUnitOfWorkFactory()
    held = redemption("SALE", "ord-1")
    with units() as uow:
        uow.promotions.reserve(held, limit=None, per_customer_limit=None)
        uow.commit()
    with units() as a, units() as b:
        a.promotions.save_redemption(held.consume(at(1)))
        b.promotions.save_redemption(held.release(at(1)))
        a.commit()
        with pytest.raises(ConflictError):
            b.commit()


def test_a_lost_commit_keeps_nothing_and_the_store_stays_as_the_winner_left_it() -> None:
    store = MemoryStore()
    units = MemoryUnitOfWorkFactory(store)
    with units() as a, units() as b:
        a.customers.add(customer("cus-1", n=1))
        b.customers.add(customer("cus-1", n=2))
        b.outbox.add(message("msg-1"))
        a.commit()
        with pytest.raises(ConflictError):
            b.commit()
    with units() as uow:
        assert uow.customers.get("cus-1") == customer("cus-1", n=1)
        assert uow.outbox.pending(at(1), limit=10) == []
    assert set(store.outbox.rows) == set()


def test_units_on_one_store_share_it_and_separate_stores_do_not() -> None:
    shared = MemoryUnitOfWorkFactory()
    with MemoryUnitOfWork(shared.store) as uow:
        uow.customers.add(customer("cus-1"))
        uow.commit()
    with shared() as uow:
        assert uow.customers.get("cus-1") == customer("cus-1")
    with MemoryUnitOfWorkFactory()() as uow, pytest.raises(NotFoundError):
        uow.customers.get("cus-1")


def test_s3_due_reads_only_the_rows_it_returns() -> None:
    store = MemoryStore()
    units = MemoryUnitOfWorkFactory(store)
    subs = [subscription(f"sub-{i:03d}", start=at(i % 60, minutes=i)) for i in range(300)]
    with units() as uow:
        for sub in subs:
            uow.subscriptions.add(sub)
        uow.commit()
    rows = CountingRows(store.subscriptions.rows)
    store.subscriptions.rows = rows
    with units() as uow:
        due = uow.subscriptions.due(at(400), limit=3)
    earliest = sorted(subs, key=lambda s: (s.next_due_at, s.id))[:3]
    assert due == earliest
    assert rows.reads == 3


def test_o4_unpaid_past_deadline_reads_only_the_rows_it_returns() -> None:
    store = MemoryStore()
    units = MemoryUnitOfWorkFactory(store)
    with units() as uow:
        for i in range(50):
            uow.orders.add(order(f"ord-{i:02d}", pay_by=at(1, minutes=i)))
        uow.commit()
    rows = CountingRows(store.orders.rows)
    store.orders.rows = rows
    with units() as uow:
        found = uow.orders.unpaid_past_deadline(at(2), limit=2)
    assert [o.id for o in found] == ["ord-00", "ord-01"]
    assert rows.reads == 2


def test_o8_reminders_due_reads_only_the_rows_it_returns() -> None:
    store = MemoryStore()
    units = MemoryUnitOfWorkFactory(store)
    with units() as uow:
        for i in range(50):
            uow.orders.add(order(f"ord-{i:02d}", pay_by=at(10, minutes=i), reminders=(3, 1)))
        uow.commit()
    rows = CountingRows(store.orders.rows)
    store.orders.rows = rows
    with units() as uow:
        found = uow.orders.reminders_due(at(9), limit=2)
    assert [o.id for o in found] == ["ord-00", "ord-01"]
    assert rows.reads == 2
