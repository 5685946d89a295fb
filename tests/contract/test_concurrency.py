"""The UnitOfWork contract under real threads (N2, P9, Y5, I1): limits and unique keys hold, no update is lost.

Each thread runs a use case's shape: open a unit, act, commit; on ``ConflictError`` (a lost race) it
starts again, as a use case retries. Threads are lined up on a barrier before they open their units, so
they race for real; nothing waits on a timer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

from subscription_core.errors import ConflictError
from subscription_core.ports import UnitOfWork, UnitOfWorkFactory

from .builders import T0, customer, idempotency_record, issued_invoice, message, redemption
from .racing import race
from .transactions import commit

T = TypeVar("T")
ATTEMPTS = 200  # a thread that loses this many races in a row shows a livelock

pytestmark = pytest.mark.usefixtures("eager_thread_switching")


def retrying(units: UnitOfWorkFactory, action: Callable[[UnitOfWork], T]) -> T:
    """Run ``action`` in a unit of work and commit, starting again after each lost race."""
    for _ in range(ATTEMPTS):
        try:
            with units() as uow:
                result = action(uow)
                uow.commit()
        except ConflictError:
            continue
        return result
    raise AssertionError(f"still losing races after {ATTEMPTS} attempts")


def once(units: UnitOfWorkFactory, action: Callable[[UnitOfWork], object]) -> bool:
    """Run ``action`` in a unit of work and commit once: whether it committed, or lost with ``ConflictError``."""
    try:
        commit(units, action)
    except ConflictError:
        return False
    return True


def test_p9_redemption_limit_holds_under_threads(units: UnitOfWorkFactory) -> None:
    def reserve(i: int) -> bool:
        held = redemption("SALE", f"ord-{i}", customer_id=f"cus-{i}")
        return retrying(units, lambda uow: uow.promotions.reserve(held, limit=5, per_customer_limit=None))

    outcomes = race(20, reserve)
    assert outcomes.count(True) == 5
    with units() as uow:
        assert uow.promotions.counts(["SALE"], "cus-0").total.get("SALE", 0) == 5
        held = [i for i in range(20) if uow.promotions.redemptions_of(f"ord-{i}")]
    assert held == [i for i, ok in enumerate(outcomes) if ok]


def test_p9_per_customer_limit_holds_under_threads(units: UnitOfWorkFactory) -> None:
    def reserve(i: int) -> bool:
        held = redemption("SALE", f"ord-{i}", customer_id="cus-1")
        return retrying(units, lambda uow: uow.promotions.reserve(held, limit=None, per_customer_limit=2))

    assert race(12, reserve).count(True) == 2
    with units() as uow:
        assert uow.promotions.counts(["SALE"], "cus-1").by_customer.get("SALE", 0) == 2


def test_y5_notification_recorded_once_under_threads(units: UnitOfWorkFactory) -> None:
    def record(_: int) -> bool:
        return retrying(units, lambda uow: uow.payments.record_notification("vnpay", "evt-1", order_id="ord-1", at=T0))

    assert sorted(race(50, record)) == [False] * 49 + [True]


def test_no_update_is_lost_under_threads(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.customers.add(customer("cus-1"))
        uow.commit()

    def grant(i: int) -> None:
        def act(uow: UnitOfWork) -> None:
            read = uow.customers.get("cus-1")
            uow.customers.save(read.grant_buying_right(f"u-{i}"), expected_version=read.version)

        retrying(units, act)

    race(20, grant)
    with units() as uow:
        stored = uow.customers.get("cus-1")
    assert stored.buyers == {f"u-{i}" for i in range(20)}
    assert stored.version == 20


def test_i1_one_invoice_per_order_part_under_threads(units: UnitOfWorkFactory) -> None:
    def add(i: int) -> bool:
        return once(units, lambda uow: uow.invoices.add(issued_invoice("ord-1", 0, number=f"{i + 1:08d}")))

    assert race(20, add).count(True) == 1
    with units() as uow:
        assert len(uow.invoices.of_order("ord-1")) == 1


def test_n2_outbox_message_queued_once_under_threads(units: UnitOfWorkFactory) -> None:
    def add(_: int) -> bool:
        return retrying(units, lambda uow: uow.outbox.add(message("msg-1")))

    assert sorted(race(20, add)) == [False] * 19 + [True]


def test_idempotency_key_stored_once_under_threads(units: UnitOfWorkFactory) -> None:

    def put(i: int) -> bool:
        return once(
            units, lambda uow: uow.idempotency.put("place_order", idempotency_record("req-1", outcome=f"o-{i}"))
        )

    assert race(20, put).count(True) == 1
