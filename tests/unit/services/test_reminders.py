"""Payment reminders: a placed, unpaid order is reminded before its deadline, each reminder once (O8)."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from subscription_core.bulk import BulkRenewal, BulkRow
from subscription_core.errors import ValidationError
from subscription_core.orders import Order, OrderState
from subscription_core.services import NewPurchase, cancel_order, place_bulk_renewal, run_scheduler

from .harness import ACCOUNTANT, BUYER, STRANGER, World, tax_code

# Placed at T0 (Monday 2026-11-23, 09:00 local), payable until the end of Monday 2026-11-30 local. Reminded
# at 00:00 local on Friday 2026-11-27 (3 days before) and on Sunday 2026-11-29 (1 day before).
THREE_DAYS = dt.datetime(2026, 11, 26, 17, 0, tzinfo=dt.UTC)
ONE_DAY = dt.datetime(2026, 11, 28, 17, 0, tzinfo=dt.UTC)


def _order(world: World) -> Order:
    return world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))


def _reminders(world: World, order: Order) -> list[tuple[str, str, str, str]]:
    """``(id, recipient, days_left, pay_by)`` of the order's reminders, in the order they were queued."""
    found = [m for m in world.outbox() if m.subject_id == order.id and m.kind == "payment_reminder"]
    return [(m.id, m.recipient, dict(m.data)["days_left"], dict(m.data)["pay_by"]) for m in found]


def _run_at(world: World, instant: dt.datetime) -> tuple[str, ...]:
    world.clock.set(instant)
    return run_scheduler(world.deps).reminded


def test_o8_a_placed_unpaid_order_is_reminded_3_and_1_days_before_its_deadline(world: World) -> None:
    order = _order(world)
    assert order.pay_by is not None
    pay_by = order.pay_by.isoformat()
    assert _run_at(world, THREE_DAYS - dt.timedelta(seconds=1)) == ()
    assert _run_at(world, THREE_DAYS) == (order.id,)
    assert _run_at(world, THREE_DAYS + dt.timedelta(hours=5)) == ()
    assert _run_at(world, ONE_DAY) == (order.id,)
    assert _run_at(world, ONE_DAY + dt.timedelta(hours=23)) == ()
    email = "owner1@company1.vn"
    assert _reminders(world, order) == [
        (f"{order.id}:payment_reminder:3d:email", email, "3", pay_by),
        (f"{order.id}:payment_reminder:3d:in_app", "cus-1", "3", pay_by),
        (f"{order.id}:payment_reminder:1d:email", email, "1", pay_by),
        (f"{order.id}:payment_reminder:1d:in_app", "cus-1", "1", pay_by),
    ]
    world.at(days=8)
    assert run_scheduler(world.deps).lapsed == (order.id,)
    assert world.order(order.id).state is OrderState.LAPSED


def test_o8_a_run_repeated_at_the_same_instant_reminds_nobody_twice(world: World) -> None:
    order = _order(world)
    assert _run_at(world, ONE_DAY) == (order.id,)
    after = world.snapshot()
    assert _run_at(world, ONE_DAY) == ()
    assert world.snapshot() == after


def test_o8_a_scheduler_that_lagged_sends_only_the_nearest_reminder(world: World) -> None:
    order = _order(world)
    assert _run_at(world, ONE_DAY + dt.timedelta(hours=2)) == (order.id,)
    assert [days for _, _, days, _ in _reminders(world, order)] == ["1", "1"]
    assert world.order(order.id).reminder_days == ()


def test_o8_no_reminder_for_an_order_paid_or_cancelled(world: World) -> None:
    paid, cancelled = _order(world), _order(world)
    world.pay_online(paid)
    cancel_order(world.deps, BUYER, cancelled.id, reason="changed my mind", idempotency_key=world.key())
    assert _run_at(world, THREE_DAYS) == ()
    assert _run_at(world, ONE_DAY) == ()
    assert _reminders(world, paid) == _reminders(world, cancelled) == []


def test_o8_no_reminder_for_an_order_past_its_deadline_it_lapses_instead(world: World) -> None:
    order = _order(world)
    world.at(days=9)
    run = run_scheduler(world.deps)
    assert (run.lapsed, run.reminded) == ((order.id,), ())
    assert _reminders(world, order) == []


def test_o8_no_reminder_whose_time_passed_before_the_order_was_placed() -> None:
    world = World.make(pay_within_days=2)  # payable until the end of Wednesday 2026-11-25
    order = _order(world)
    assert order.reminder_days == (1,)  # 3 days before was Sunday 2026-11-22, before it was placed
    assert _run_at(world, dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)) == (order.id,)
    assert [days for _, _, days, _ in _reminders(world, order)] == ["1", "1"]


def test_o8_the_lead_times_are_a_setting(world: World) -> None:
    world.deps = attrs.evolve(world.deps, payment_reminder_days=[2, 5, 2])
    assert world.deps.payment_reminder_days == (5, 2)
    order = _order(world)
    assert order.reminder_days == (5, 2)
    assert _run_at(world, dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.UTC)) == (order.id,)  # 5 days before
    assert _run_at(world, THREE_DAYS) == ()  # 3 days before is no longer a lead time
    assert _run_at(world, dt.datetime(2026, 11, 27, 17, 0, tzinfo=dt.UTC)) == (order.id,)  # 2 days before
    world.deps = attrs.evolve(world.deps, payment_reminder_days=())
    assert _order(world).reminder_days == ()


@pytest.mark.parametrize("days", [(0,), (-1,), ("3",), (True,), 3, None])
def test_o8_bad_lead_times_are_refused(world: World, days: object) -> None:
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(world.deps, payment_reminder_days=days)
    assert (caught.value.rule, caught.value.field) == ("O8", "payment_reminder_days")


def test_o8_a_bulk_renewal_is_reminded_at_its_notify_contact(world: World) -> None:
    world.buy(1)
    world.buy(2, actor=STRANGER)
    rows = (BulkRow(client=tax_code(1), option="1y"), BulkRow(client="HKD-2", option="1y"))
    order = place_bulk_renewal(
        world.deps, ACCOUNTANT, BulkRenewal(product="amis", rows=rows), confirmed=True, idempotency_key="b-1"
    )
    assert _run_at(world, THREE_DAYS) == (order.id,)
    assert [(r[1], r[2]) for r in _reminders(world, order)] == [("ktdv1@firm.vn", "3"), ("acc-1", "3")]


def test_o8_reminders_go_out_in_batches(world: World) -> None:
    orders = [_order(world) for _ in range(5)]
    world.clock.set(THREE_DAYS)
    assert sorted(run_scheduler(world.deps, batch=2).reminded) == sorted(o.id for o in orders)
    assert all(world.order(o.id).reminder_days == (1,) for o in orders)
