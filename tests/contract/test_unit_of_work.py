"""The UnitOfWork contract (N2): atomic commit, rollback without a trace, isolation, lost races.

Run on every repository adapter. Interleavings of two units that both write the same row run on threads
(see ``test_concurrency``); here a second unit only reads while the first is open, or writes after it.
"""

from __future__ import annotations

import pytest

from subscription_core.customers import Customer
from subscription_core.errors import ConflictError, NotFoundError
from subscription_core.ports import UnitOfWork, UnitOfWorkFactory

from .builders import T0, at, customer, message, order, redemption, subscription
from .transactions import commit


def nothing_stored(uow: UnitOfWork) -> bool:
    for get in (uow.customers.get, uow.subscriptions.get, uow.orders.get):
        with pytest.raises(NotFoundError):
            get("x-1")
    return uow.outbox.pending(at(1000), limit=10) == [] and uow.customers.search("cong ty") == []


def write_everything(uow: UnitOfWork) -> None:
    uow.customers.add(customer("x-1"))
    uow.subscriptions.add(subscription("x-1", customer_id="x-1"))
    uow.orders.add(order("x-1", customer_id="x-1"))
    uow.outbox.add(message("msg-1", subject_id="x-1"))


def test_n2_commit_makes_every_change_visible(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        write_everything(uow)
        uow.commit()
    with units() as uow:
        assert uow.customers.get("x-1") == customer("x-1")
        assert uow.subscriptions.get("x-1").customer_id == "x-1"
        assert uow.orders.get("x-1").customer_id == "x-1"
        assert [m.id for m in uow.outbox.pending(at(1), limit=10)] == ["msg-1"]


def test_n2_rollback_discards_outbox_on_an_exception(units: UnitOfWorkFactory) -> None:
    class BoomError(Exception):
        pass

    def fail_midway(uow: UnitOfWork) -> None:
        write_everything(uow)
        raise BoomError

    with pytest.raises(BoomError):
        commit(units, fail_midway)
    with units() as uow:
        assert nothing_stored(uow)


def test_n2_leaving_without_commit_leaves_no_trace(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        write_everything(uow)
    with units() as uow:
        assert nothing_stored(uow)


def test_n2_rollback_discards_everything_written_so_far(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        write_everything(uow)
        uow.rollback()
        uow.commit()
    with units() as uow:
        assert nothing_stored(uow)


def test_n2_writes_after_a_commit_need_another_commit(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.customers.add(customer("cus-1", n=1))
        uow.commit()
        uow.customers.add(customer("cus-2", n=2))
        uow.outbox.add(message("msg-1"))
    with units() as uow:
        assert uow.customers.get("cus-1") == customer("cus-1", n=1)
        with pytest.raises(NotFoundError):
            uow.customers.get("cus-2")
        assert uow.outbox.pending(at(1), limit=10) == []


def test_p9_an_uncommitted_reservation_leaves_no_trace(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        assert uow.promotions.reserve(redemption("SALE", "ord-1"), limit=1, per_customer_limit=None)
    with units() as uow:
        assert uow.promotions.redemptions_of("ord-1") == []
        assert uow.promotions.counts(["SALE"], "cus-1").total.get("SALE", 0) == 0
        assert uow.promotions.reserve(redemption("SALE", "ord-2"), limit=1, per_customer_limit=None)


def test_a_unit_sees_its_own_writes(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        write_everything(uow)
        assert uow.customers.get("x-1") == customer("x-1")
        assert [c.id for c in uow.customers.search("cong ty")] == ["x-1"]
        assert [s.id for s in uow.subscriptions.of_customer("x-1")] == ["x-1"]
        assert [o.id for o in uow.orders.of_customer("x-1")] == ["x-1"]
        assert [m.id for m in uow.outbox.pending(at(1), limit=10)] == ["msg-1"]


def test_uncommitted_writes_are_invisible_to_another_unit(units: UnitOfWorkFactory) -> None:
    with units() as writer:
        write_everything(writer)
        with units() as reader:
            assert nothing_stored(reader)
        writer.commit()
    with units() as reader:
        assert reader.customers.get("x-1") == customer("x-1")


def save_and_commit(uow: UnitOfWork, changed: Customer, read_version: int) -> None:
    uow.customers.save(changed, expected_version=read_version)
    uow.commit()


def test_lost_race_raises_conflict(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.customers.add(customer("cus-1"))
        uow.commit()
    with units() as late:
        read = late.customers.get("cus-1")
        with units() as early:
            early.customers.save(early.customers.get("cus-1").grant_buying_right("u-1"), expected_version=0)
            early.commit()
        with pytest.raises(ConflictError):
            save_and_commit(late, read.grant_buying_right("u-2"), read.version)
    with units() as uow:
        assert uow.customers.get("cus-1").buyers == {"u-1"}


def test_a_failed_commit_applies_nothing(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.customers.add(customer("cus-1", n=1))
        uow.commit()
    stale = customer("cus-1", n=1)
    with units() as uow:
        uow.customers.save(stale.grant_buying_right("u-1"), expected_version=0)
        uow.commit()

    def write_then_lose(uow: UnitOfWork) -> None:
        uow.customers.add(customer("cus-2", n=2))
        uow.outbox.add(message("msg-1", created=T0))
        uow.customers.save(stale.grant_buying_right("u-2"), expected_version=0)

    with pytest.raises(ConflictError):
        commit(units, write_then_lose)
    with units() as uow:
        with pytest.raises(NotFoundError):
            uow.customers.get("cus-2")
        assert uow.outbox.pending(at(1), limit=10) == []
        assert uow.customers.get("cus-1").buyers == {"u-1"}
