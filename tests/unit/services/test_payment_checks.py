"""The scheduler asks providers about payments left started past their deadline, and refunds left unknown (Y5, Y8)."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from subscription_core.errors import ValidationError
from subscription_core.money import Money
from subscription_core.orders import Order, OrderState
from subscription_core.payments import PaymentMethod, PaymentState
from subscription_core.ports import PaymentStatus, PaymentStatusAnswer, RefundOutcome
from subscription_core.refunds import RefundState
from subscription_core.services import (
    NewPurchase,
    NotificationStatus,
    cancel_order,
    handle_notification,
    record_bank_refund,
    refund_unapplied,
    run_scheduler,
    start_payment,
    unapplied_money,
)
from subscription_core.services.payment_checks import UNKNOWN_STATUS_GRACE
from subscription_core.unapplied import UnappliedReason
from subscription_core_adapters.fakes import FakePaymentStatusQuery, FakeRefundGateway

from .harness import BUYER, STAFF, WALLET, World


@pytest.fixture
def queried(world: World) -> FakePaymentStatusQuery:
    """The wallet provider's payment query, wired into the world's services."""
    query = FakePaymentStatusQuery("vnptpay", clock=world.clock)
    world.deps = attrs.evolve(world.deps, status_queries={"vnptpay": query})
    return query


def started(world: World, method: PaymentMethod = WALLET) -> tuple[Order, str]:
    """An order placed at T0 (payable 7 days) whose payment was started, and no notification came."""
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    begun = start_payment(world.deps, BUYER, order_id=order.id, method=method, idempotency_key=world.key())
    return order, begun.payment_id


def test_y5_a_success_whose_notification_was_lost_is_applied_before_the_order_lapses(
    world: World, queried: FakePaymentStatusQuery
) -> None:
    order, payment_id = started(world)
    queried.paid(payment_id, event_id="evt-lost")
    world.at(days=7)
    assert run_scheduler(world.deps).confirmed == ()  # not past its deadline: nobody asks
    assert queried.asked == []
    world.at(days=8)
    run = run_scheduler(world.deps)
    assert (run.confirmed, run.lapsed) == ((order.id,), ())
    assert world.order(order.id).state is OrderState.FULFILLED
    (payment,) = [p for p in world.store.payments.rows.values() if p.order_id == order.id]
    assert (payment.state, payment.provider_ref) == (PaymentState.SUCCEEDED, "evt-lost")
    assert queried.asked[0].started_at == payment.started_at
    # The notification arrives after all: the same event, already processed; nothing is paid twice.
    late = handle_notification(world.deps, "vnptpay", world.notification(order, event="evt-lost"))
    assert late.status is NotificationStatus.ALREADY_PROCESSED
    assert run_scheduler(world.deps).confirmed == ()


def test_y5_a_payment_the_provider_says_failed_is_failed_and_the_order_lapses(
    world: World, queried: FakePaymentStatusQuery
) -> None:
    order, payment_id = started(world)
    queried.failed(payment_id)
    world.at(days=8)
    run = run_scheduler(world.deps)
    assert (run.confirmed, run.lapsed, run.awaiting_status) == ((), (order.id,), ())
    assert world.order(order.id).state is OrderState.LAPSED
    assert world.store.payments.rows[payment_id].state is PaymentState.FAILED


def test_y5_an_unknown_status_holds_the_order_back_for_a_bounded_time_then_it_lapses(
    world: World, queried: FakePaymentStatusQuery
) -> None:
    order, _ = started(world)
    assert order.pay_by is not None
    world.at(days=8)
    first = run_scheduler(world.deps)
    assert (first.lapsed, first.awaiting_status) == ((), (order.id,))
    assert world.order(order.id).state is OrderState.PLACED
    world.clock.set(order.pay_by + UNKNOWN_STATUS_GRACE - dt.timedelta(seconds=1))
    assert run_scheduler(world.deps).awaiting_status == (order.id,)  # asked again, still held
    assert len(queried.asked) == 2
    world.clock.set(order.pay_by + UNKNOWN_STATUS_GRACE)
    last = run_scheduler(world.deps)
    assert (last.lapsed, last.awaiting_status) == ((order.id,), ())
    assert world.order(order.id).state is OrderState.LAPSED


@pytest.mark.usefixtures("queried")
def test_y6_a_success_confirmed_after_the_bound_is_kept_as_unapplied_money(world: World) -> None:
    order, _payment_id = started(world)
    assert order.pay_by is not None
    world.clock.set(order.pay_by + UNKNOWN_STATUS_GRACE)
    assert run_scheduler(world.deps).lapsed == (order.id,)
    late = handle_notification(world.deps, "vnptpay", world.notification(order, event="evt-late"))
    assert late.status is NotificationStatus.UNAPPLIED
    (money,) = world.store.unapplied.rows.values()
    assert (money.reason, money.amount) == (UnappliedReason.LAPSED, order.grand_total)


def test_y5_orders_without_a_queried_payment_lapse_as_before(world: World, queried: FakePaymentStatusQuery) -> None:
    by_transfer, _ = started(world, PaymentMethod.bank_transfer())
    world.at(days=8)
    run = run_scheduler(world.deps)
    assert (run.lapsed, run.awaiting_status) == ((by_transfer.id,), ())
    assert queried.asked == []


def test_y5_held_orders_never_stall_the_batches(world: World, queried: FakePaymentStatusQuery) -> None:
    orders = [started(world)[0] for _ in range(3)]
    unpaid = [world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y")) for _ in range(3)]
    world.at(days=8)
    run = run_scheduler(world.deps, batch=2)
    assert sorted(run.awaiting_status) == sorted(o.id for o in orders)
    assert sorted(run.lapsed) == sorted(o.id for o in unpaid)
    assert len(queried.asked) == len(orders)  # each asked once per run


def test_y8_the_scheduler_settles_a_refund_whose_answer_was_lost(world: World) -> None:
    gateway = FakeRefundGateway("vnptpay")
    world.deps = attrs.evolve(world.deps, refund_gateways={"vnptpay": gateway})
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key=world.key())
    cancel_order(world.deps, BUYER, order.id, reason="wrong plan", idempotency_key=world.key())
    handle_notification(world.deps, "vnptpay", world.notification(order))
    (kept,) = unapplied_money(world.deps, STAFF)
    gateway.knows(kept.reference, kept.amount.amount)
    gateway.answer_next(RefundOutcome.UNKNOWN, RefundOutcome.UNKNOWN)  # both refunds done, the answers lost
    asked = [
        refund_unapplied(
            world.deps,
            STAFF,
            unapplied_id=kept.id,
            amount=Money.of(1_000_000, "VND"),
            reason="customer left",
            idempotency_key=world.key(),
        )
        for _ in range(2)
    ]
    assert {r.state for r in asked} == {RefundState.REQUESTED}
    bank = record_bank_refund(
        world.deps, STAFF, unapplied_id=kept.id, reference="FT-9", reason="by transfer", idempotency_key=world.key()
    )
    run = run_scheduler(world.deps, batch=1)  # one refund read at a time: every page is walked
    assert sorted(run.refunds_settled) == sorted(r.id for r in asked)
    with world.deps.uow() as uow:
        assert {uow.refunds.get(r.id).state for r in asked} == {RefundState.SUCCEEDED}
        assert uow.refunds.get(bank.id).state is RefundState.REQUESTED  # a statement settles it, not a provider
    assert run_scheduler(world.deps).refunds_settled == ()


def test_y5_a_paid_answer_carries_the_success_it_stands_for() -> None:
    with pytest.raises(ValidationError):
        PaymentStatusAnswer(status=PaymentStatus.PAID)
    assert PaymentStatusAnswer(status=PaymentStatus.UNKNOWN).notification is None
