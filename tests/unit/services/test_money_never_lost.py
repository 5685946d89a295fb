"""Money is never lost (Y6) and is dated when received (Y7): the observed failures of issue 11, in memory.

Each test combines flows the earlier tests kept apart: payment x purge, payment x cancel, payment x lapse,
staff receipts with a backdated date, and what staff then do with money no order took. The same flows run
on SQLite and PostgreSQL in ``tests/integration/sql/test_unapplied_money.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from subscription_core.errors import (
    InvalidTransitionError,
    NotEligibleError,
    PermissionDeniedError,
    ValidationError,
)
from subscription_core.money import Money
from subscription_core.orders import OrderState
from subscription_core.payments import PaymentState
from subscription_core.services import (
    NewPurchase,
    NotificationStatus,
    apply_unapplied_money,
    cancel_order,
    handle_notification,
    record_offline_payment,
    refund_unapplied_money,
    run_scheduler,
    start_payment,
    unapplied_money,
)
from subscription_core.subscriptions import State
from subscription_core.unapplied import UnappliedReason, UnappliedState

from .harness import BUYER, STAFF, STRANGER, TRANSFER, WALLET, World


def _paid_later(world: World, order_id: str) -> NotificationStatus:
    order = world.order(order_id)
    return handle_notification(world.deps, "vnptpay", world.notification(order)).status


def test_y6_renewal_paid_after_the_purge_is_unapplied_never_silently_dropped(world: World) -> None:
    sub = world.buy()
    world.at(days=366)  # expired: in the purge window
    run_scheduler(world.deps)
    renewal = world.renew(sub.id)
    start_payment(world.deps, BUYER, order_id=renewal.id, method=WALLET, idempotency_key="p-r")
    world.at(days=366 + 40)  # past the purge
    run_scheduler(world.deps)
    assert world.subscription(sub.id).state is State.PURGED
    assert _paid_later(world, renewal.id) is NotificationStatus.UNAPPLIED
    (kept,) = unapplied_money(world.deps, STAFF)
    assert kept.reason in {UnappliedReason.PURGED, UnappliedReason.LAPSED}
    assert (kept.order_id, kept.amount, kept.source) == (renewal.id, renewal.grand_total, "vnptpay")


def test_y6_renewal_paid_after_the_purge_before_the_scheduler_lapses_it_is_unapplied_as_purged(world: World) -> None:
    sub = world.buy()
    world.at(days=366)
    run_scheduler(world.deps)
    renewal = world.renew(sub.id)
    start_payment(world.deps, BUYER, order_id=renewal.id, method=WALLET, idempotency_key="p-r")
    world.at(days=366 + 31)  # the purge is due; the scheduler purges, the order may still await payment
    run_scheduler(world.deps)
    if world.order(renewal.id).state is OrderState.PLACED:
        assert _paid_later(world, renewal.id) is NotificationStatus.UNAPPLIED
        (kept,) = unapplied_money(world.deps, STAFF)
        assert kept.reason is UnappliedReason.PURGED
        assert "fulfilment refused" in kept.note
        assert world.order(renewal.id).state is OrderState.PLACED  # nothing of the refused fulfilment kept


def test_y6_success_for_a_lapsed_order_is_unapplied(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p-1")
    world.at(days=10)
    run_scheduler(world.deps)
    assert world.order(order.id).state is OrderState.LAPSED
    assert _paid_later(world, order.id) is NotificationStatus.UNAPPLIED
    assert [m.reason for m in unapplied_money(world.deps, STAFF)] == [UnappliedReason.LAPSED]


def test_y6_success_for_a_cancelled_order_is_unapplied_and_takes_no_invoice(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p-1")
    cancel_order(world.deps, BUYER, order.id, reason="wrong plan", idempotency_key="c-1")
    issued = world.issuer.issued
    assert _paid_later(world, order.id) is NotificationStatus.UNAPPLIED
    assert [m.reason for m in unapplied_money(world.deps, STAFF)] == [UnappliedReason.CANCELLED]
    assert world.issuer.issued == issued


def test_y6_staff_apply_unapplied_money_to_a_new_order_of_the_same_customer(world: World) -> None:
    first = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    start_payment(world.deps, BUYER, order_id=first.id, method=WALLET, idempotency_key="p-1")
    cancel_order(world.deps, BUYER, first.id, reason="wrong plan", idempotency_key="c-1")
    _paid_later(world, first.id)
    (kept,) = unapplied_money(world.deps, STAFF)
    again = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    done = apply_unapplied_money(
        world.deps, STAFF, unapplied_id=kept.id, order_id=again.id, reason="customer asked", idempotency_key="a-1"
    )
    assert done.state is OrderState.FULFILLED
    assert unapplied_money(world.deps, STAFF) == []
    (applied,) = unapplied_money(world.deps, STAFF, state=UnappliedState.APPLIED)
    assert (applied.applied_order_id, applied.closed_by) == (again.id, STAFF)
    with world.deps.uow() as uow:
        (payment,) = uow.payments.of_order(again.id)
    assert (payment.state, payment.unapplied_id, payment.amount) == (PaymentState.SUCCEEDED, kept.id, kept.amount)
    assert world.subscriptions_of("cus-1")[0].state is State.ACTIVE
    repeat = apply_unapplied_money(
        world.deps, STAFF, unapplied_id=kept.id, order_id=again.id, reason="customer asked", idempotency_key="a-1"
    )
    assert repeat == done
    with pytest.raises(InvalidTransitionError):
        apply_unapplied_money(
            world.deps, STAFF, unapplied_id=kept.id, order_id=again.id, reason="twice", idempotency_key="a-2"
        )


def test_y6_unapplied_money_is_applied_whole_to_the_same_customer_only(world: World) -> None:
    first = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    start_payment(world.deps, BUYER, order_id=first.id, method=WALLET, idempotency_key="p-1")
    cancel_order(world.deps, BUYER, first.id, reason="wrong plan", idempotency_key="c-1")
    _paid_later(world, first.id)
    (kept,) = unapplied_money(world.deps, STAFF)
    bigger = world.place(NewPurchase(customer_id="cus-1", plan="pro", option="1y"))
    other = world.place(NewPurchase(customer_id="cus-2", plan="std", option="1y"), actor=STRANGER)
    before = world.snapshot()
    with pytest.raises(ValidationError) as caught:
        apply_unapplied_money(
            world.deps, STAFF, unapplied_id=kept.id, order_id=bigger.id, reason="r", idempotency_key="x"
        )
    assert caught.value.rule == "Y6"
    with pytest.raises(NotEligibleError):
        apply_unapplied_money(
            world.deps, STAFF, unapplied_id=kept.id, order_id=other.id, reason="r", idempotency_key="y"
        )
    with pytest.raises(PermissionDeniedError):
        apply_unapplied_money(
            world.deps, BUYER, unapplied_id=kept.id, order_id=bigger.id, reason="r", idempotency_key="z"
        )
    with pytest.raises(PermissionDeniedError):
        unapplied_money(world.deps, BUYER)
    assert world.snapshot() == before


def test_y6_staff_close_unapplied_money_as_refunded_with_its_reference(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p-1")
    cancel_order(world.deps, BUYER, order.id, reason="wrong plan", idempotency_key="c-1")
    _paid_later(world, order.id)
    (kept,) = unapplied_money(world.deps, STAFF)
    closed = refund_unapplied_money(
        world.deps, STAFF, unapplied_id=kept.id, reference="VCB-RF-001", reason="customer left", idempotency_key="r-1"
    )
    assert (closed.state, closed.refund_reference, closed.closing_note) == (
        UnappliedState.REFUNDED,
        "VCB-RF-001",
        "customer left",
    )
    assert unapplied_money(world.deps, STAFF) == []
    with pytest.raises(InvalidTransitionError):
        refund_unapplied_money(
            world.deps, STAFF, unapplied_id=kept.id, reference="VCB-RF-002", reason="again", idempotency_key="r-2"
        )


# --- Y7: money is dated when it was received ---------------------------------------------------------


def _offline(world: World, order_id: str, received_at: dt.datetime) -> object:
    order = world.order(order_id)
    return record_offline_payment(
        world.deps,
        STAFF,
        order_id=order_id,
        method=TRANSFER,
        amount=order.grand_total,
        reason="transfer seen on the statement",
        idempotency_key=f"off-{received_at.isoformat()}",
        received_at=received_at,
    )


@pytest.mark.parametrize(
    "received_at",
    [
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),  # a date in year 1 purged the subscription
        dt.datetime(2025, 11, 23, 2, 0, tzinfo=dt.UTC),  # a year before: the term ended on the order date
        dt.datetime(2026, 11, 22, 16, 59, tzinfo=dt.UTC),  # 23:59 in Hà Nội the day before placing
    ],
)
def test_y7_a_receipt_dated_before_the_order_was_placed_is_refused(world: World, received_at: dt.datetime) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    before = world.snapshot()
    with pytest.raises(ValidationError) as caught:
        _offline(world, order.id, received_at)
    assert (caught.value.rule, caught.value.field) == ("Y7", "received_at")
    assert "before order" in caught.value.message
    assert world.snapshot() == before


def test_y7_a_receipt_earlier_on_the_placing_day_counts_from_the_placing(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))  # 09:00 in Hà Nội
    _offline(world, order.id, dt.datetime(2026, 11, 23, 0, 30, tzinfo=dt.UTC))  # 07:30 the same day
    (waiting,) = world.subscriptions_of("cus-1")
    assert order.placed_at is not None
    assert dict(waiting.history[-1].details)["received_at"] == order.placed_at.isoformat()
    world.at(days=3)
    run_scheduler(world.deps)
    (sub,) = world.subscriptions_of("cus-1")
    assert sub.state is State.ACTIVE
    assert sub.last_day is not None
    assert sub.last_day >= dt.date(2027, 11, 22)


def test_y7_a_receipt_in_the_future_is_refused_beyond_a_small_clock_skew(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    now = world.clock.now()
    with pytest.raises(ValidationError) as caught:
        _offline(world, order.id, now + dt.timedelta(minutes=6))
    assert caught.value.rule == "Y7"
    assert _offline(world, order.id, now + dt.timedelta(minutes=4)) is not None  # within the skew: accepted


def test_y6_money_received_equals_applied_plus_unapplied_to_the_dong(world: World) -> None:
    paid = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    world.pay_online(paid)
    cancelled = world.place(NewPurchase(customer_id="cus-1", plan="pro", option="1y"))
    start_payment(world.deps, BUYER, order_id=cancelled.id, method=WALLET, idempotency_key="p-2")
    cancel_order(world.deps, BUYER, cancelled.id, reason="changed mind", idempotency_key="c-2")
    received = [paid.grand_total, cancelled.grand_total, paid.grand_total]
    _paid_later(world, cancelled.id)
    _paid_later(world, paid.id)  # a second success for a paid order
    with world.deps.uow() as uow:
        applied = [
            p.amount
            for o in (paid, cancelled)
            for p in uow.payments.of_order(o.id)
            if p.state is PaymentState.SUCCEEDED
        ]
    kept = [m.amount for m in unapplied_money(world.deps, STAFF, state=None)]
    zero = Money.zero(paid.currency)
    assert sum(received, zero) == sum(applied, zero) + sum(kept, zero)
