"""The OrderRepository contract (O1-O5), run on every repository adapter."""

from __future__ import annotations

import datetime as dt

import pytest

from subscription_core.errors import ConflictError, NotFoundError
from subscription_core.orders import Order
from subscription_core.ports import UnitOfWorkFactory
from subscription_core.transfers import transfer_reference

from .builders import STAFF, at, bulk_order, order
from .transactions import commit


def store(units: UnitOfWorkFactory, *orders: Order) -> None:
    with units() as uow:
        for o in orders:
            uow.orders.add(o)
        uow.commit()


def test_c5_added_order_reads_back_equal(units: UnitOfWorkFactory) -> None:
    stored = order("ord-1", pay_by=at(3))
    store(units, stored)
    with units() as uow:
        read = uow.orders.get("ord-1")
    assert read == stored
    assert read.lines == stored.lines
    assert read.grand_total == stored.grand_total


def test_b5_bulk_order_reads_back_equal(units: UnitOfWorkFactory) -> None:
    stored = bulk_order("ord-1", clients={"sub-1": "cus-1", "sub-2": "cus-2"})
    store(units, stored)
    with units() as uow:
        assert uow.orders.get("ord-1") == stored


def test_b5_a_large_bulk_order_reads_back_equal_its_lines_in_order_once_paid(units: UnitOfWorkFactory) -> None:
    # More lines than an adapter may read or write at once (the SQL adapter writes 1,000 per statement).
    clients = {f"sub-{n:04d}": f"cus-{n % 700}" for n in range(2_101)}
    stored = bulk_order("ord-1", clients=clients)
    store(units, stored)
    with units() as uow:
        read = uow.orders.get("ord-1")
    assert read == stored
    assert [line.subscription_id for line in read.lines] == list(clients)
    placed = stored.place(at=at(0), pay_by=at(3), confirmed=True)
    paid = placed.mark_paid(at=at(1), payment_id="pay-1", by=STAFF)
    commit(units, lambda uow: uow.orders.save(placed, expected_version=stored.version))
    commit(units, lambda uow: uow.orders.save(paid, expected_version=placed.version))
    with units() as uow:
        assert uow.orders.get("ord-1") == paid
        assert uow.orders.of_customer("cus-699") == [paid]


def test_unknown_order_is_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow, pytest.raises(NotFoundError):
        uow.orders.get("ord-404")


def test_order_id_is_unique(units: UnitOfWorkFactory) -> None:
    store(units, order("ord-1"))
    with units() as uow, pytest.raises(ConflictError):
        uow.orders.add(order("ord-1", customer_id="cus-2"))


def test_o4_saved_order_replaces_the_stored_one(units: UnitOfWorkFactory) -> None:
    draft = order("ord-1")
    store(units, draft)
    placed = draft.place(at=at(0), pay_by=at(3), confirmed=True)
    with units() as uow:
        uow.orders.save(placed, expected_version=draft.version)
        uow.commit()
    with units() as uow:
        assert uow.orders.get("ord-1") == placed


def test_save_with_a_stale_version_conflicts(units: UnitOfWorkFactory) -> None:
    placed = order("ord-1", pay_by=at(3))
    store(units, placed)
    paid = placed.mark_paid(at=at(1), payment_id="pay-1", by=STAFF)
    with units() as uow:
        uow.orders.save(paid, expected_version=placed.version)
        uow.commit()
    cancelled = placed.cancel(at=at(1), by=STAFF, reason="changed mind")
    with pytest.raises(ConflictError):
        commit(units, lambda uow: uow.orders.save(cancelled, expected_version=placed.version))
    with units() as uow:
        assert uow.orders.get("ord-1") == paid


def test_saving_an_unknown_order_is_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow, pytest.raises(NotFoundError):
        uow.orders.save(order("ord-404", pay_by=at(3)), expected_version=0)


def test_o1_orders_of_a_customer_newest_first_bulk_renewals_included(units: UnitOfWorkFactory) -> None:
    store(
        units,
        order("ord-1", customer_id="cus-1", created=at(0)),
        order("ord-4", customer_id="cus-2", created=at(3)),
        bulk_order("ord-3", clients={"sub-1": "cus-1", "sub-2": "cus-2"}, created=at(2)),
        order("ord-2", customer_id="cus-1", created=at(1)),
    )
    with units() as uow:
        assert [o.id for o in uow.orders.of_customer("cus-1")] == ["ord-3", "ord-2", "ord-1"]
        assert [o.id for o in uow.orders.of_customer("cus-2")] == ["ord-4", "ord-3"]
        assert uow.orders.of_customer("cus-9") == []


def test_o4_unpaid_past_deadline_lists_placed_orders_whose_deadline_passed(units: UnitOfWorkFactory) -> None:
    paid = order("ord-paid", pay_by=at(1)).mark_paid(at=at(0.5), payment_id="pay-1", by=STAFF)
    store(
        units,
        order("ord-1", pay_by=at(1)),
        order("ord-2", pay_by=at(2)),
        order("ord-3", pay_by=at(3)),
        order("ord-draft"),
        paid,
    )
    with units() as uow:
        assert {o.id for o in uow.orders.unpaid_past_deadline(at(2.5), limit=10)} == {"ord-1", "ord-2"}
        assert {o.id for o in uow.orders.unpaid_past_deadline(at(2), limit=10)} == {"ord-1"}  # strictly before
        assert uow.orders.unpaid_past_deadline(at(1), limit=10) == []


def test_o4_unpaid_past_deadline_honours_the_limit(units: UnitOfWorkFactory) -> None:
    store(units, *(order(f"ord-{i}", pay_by=at(1 + i / 10)) for i in range(5)))
    with units() as uow:
        some = uow.orders.unpaid_past_deadline(at(10), limit=2)
    assert len(some) == 2
    assert {o.id for o in some} <= {f"ord-{i}" for i in range(5)}


def test_o4_an_order_leaves_the_unpaid_list_once_paid_or_lapsed(units: UnitOfWorkFactory) -> None:
    first, second = order("ord-1", pay_by=at(1)), order("ord-2", pay_by=at(1))
    store(units, first, second)
    with units() as uow:
        uow.orders.save(first.mark_paid(at=at(0.5), payment_id="pay-1", by=STAFF), expected_version=first.version)
        uow.orders.save(second.lapse(at=at(2), by=STAFF), expected_version=second.version)
        uow.commit()
    with units() as uow:
        assert uow.orders.unpaid_past_deadline(at(5), limit=10) == []


def test_y3_an_order_is_found_by_its_transfer_reference(units: UnitOfWorkFactory) -> None:
    first, second = order("ord-1"), order("ord-2")
    store(units, first, second)
    with units() as uow:
        assert uow.orders.by_transfer_reference(transfer_reference("ord-2")) == [second]
        assert uow.orders.by_transfer_reference(transfer_reference("ord-1")) == [first]
        assert uow.orders.by_transfer_reference(transfer_reference("ord-3")) == []


def test_y3_a_malformed_transfer_reference_finds_nothing(units: UnitOfWorkFactory) -> None:
    store(units, order("ord-1"))
    reference = transfer_reference("ord-1")
    with units() as uow:
        for bad in ("", reference.lower(), reference[:-1], reference + "0", "x" * 500):
            assert uow.orders.by_transfer_reference(bad) == []


def test_y3_a_saved_order_keeps_its_transfer_reference(units: UnitOfWorkFactory) -> None:
    placed = order("ord-1", pay_by=at(3))
    store(units, placed)
    with units() as uow:
        cancelled = placed.cancel(at=at(1), by=STAFF, reason="customer asked")
        uow.orders.save(cancelled, expected_version=placed.version)
        uow.commit()
    with units() as uow:
        assert uow.orders.by_transfer_reference(transfer_reference("ord-1")) == [cancelled]


# --- O8: payment reminders ---------------------------------------------------------------------------------
# Due at 10 days (09:00 local on 2026-12-03): reminded 3 days before at 00:00 local on 2026-11-30 (6.625
# days from T0), 1 day before at 00:00 local on 2026-12-02 (8.625 days).
THREE_DAYS, ONE_DAY = at(6.625), at(8.625)


def test_o8_reminders_due_lists_placed_orders_whose_reminder_came_earliest_first(units: UnitOfWorkFactory) -> None:
    paid = order("ord-paid", pay_by=at(10), reminders=(3, 1)).mark_paid(at=at(1), payment_id="pay-1", by=STAFF)
    store(
        units,
        order("ord-1", pay_by=at(10), reminders=(3, 1)),
        order("ord-2", pay_by=at(9), reminders=(1,)),
        order("ord-none", pay_by=at(10)),
        order("ord-draft"),
        paid,
    )
    with units() as uow:
        assert uow.orders.reminders_due(THREE_DAYS - dt.timedelta(seconds=1), limit=10) == []
        assert [o.id for o in uow.orders.reminders_due(THREE_DAYS, limit=10)] == ["ord-1"]
        assert [o.id for o in uow.orders.reminders_due(at(8), limit=10)] == ["ord-1", "ord-2"]  # ord-2: 7.625
        assert [o.id for o in uow.orders.reminders_due(at(8), limit=1)] == ["ord-1"]
        assert [o.id for o in uow.orders.reminders_due(at(9.5), limit=10)] == ["ord-1"]  # ord-2 is past its deadline


def test_o8_a_reminded_order_moves_on_to_its_next_reminder_then_out(units: UnitOfWorkFactory) -> None:
    placed = order("ord-1", pay_by=at(10), reminders=(3, 1))
    store(units, placed)
    first = placed.remind(at=THREE_DAYS)
    commit(units, lambda uow: uow.orders.save(first, expected_version=placed.version))
    with units() as uow:
        assert uow.orders.reminders_due(at(8), limit=10) == []
        assert [o.id for o in uow.orders.reminders_due(ONE_DAY, limit=10)] == ["ord-1"]
        assert uow.orders.get("ord-1") == first
    second = first.remind(at=ONE_DAY)
    commit(units, lambda uow: uow.orders.save(second, expected_version=first.version))
    with units() as uow:
        assert uow.orders.reminders_due(at(9.9), limit=10) == []
        assert [o.id for o in uow.orders.unpaid_past_deadline(at(10.5), limit=10)] == ["ord-1"]


def test_o8_an_order_with_a_reminder_unsent_still_lapses_past_its_deadline(units: UnitOfWorkFactory) -> None:
    store(units, order("ord-1", pay_by=at(10), reminders=(3, 1)), order("ord-2", pay_by=at(2)))
    with units() as uow:
        assert [o.id for o in uow.orders.unpaid_past_deadline(at(11), limit=10)] == ["ord-2", "ord-1"]
        assert [o.id for o in uow.orders.unpaid_past_deadline(at(11), limit=1)] == ["ord-2"]
        assert uow.orders.reminders_due(at(11), limit=10) == []


def test_o8_reminders_due_sees_the_units_own_writes(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.orders.add(order("ord-1", pay_by=at(10), reminders=(3,)))
        assert [o.id for o in uow.orders.reminders_due(THREE_DAYS, limit=10)] == ["ord-1"]


def test_o8_an_order_stored_before_reminders_existed_has_none_due(units: UnitOfWorkFactory) -> None:
    store(units, order("ord-1", pay_by=at(10)))
    with units() as uow:
        assert uow.orders.get("ord-1").reminder_days == ()
        assert uow.orders.reminders_due(at(9.9), limit=10) == []
