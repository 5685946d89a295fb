"""Refunds (Y8) through the use cases, in memory: unapplied money, bank transfers, cancelled subscriptions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest

from subscription_core.errors import (
    ConflictError,
    InvalidTransitionError,
    NotEligibleError,
    PermissionDeniedError,
    ValidationError,
)
from subscription_core.money import Money
from subscription_core.ports import RefundOutcome
from subscription_core.refunds import RefundDebit, RefundKind, RefundMethod, RefundState, unused_part
from subscription_core.services import (
    NewPurchase,
    UnusedTermRefund,
    apply_unapplied_money,
    cancel_order,
    cancel_subscription,
    confirm_bank_refunds,
    handle_notification,
    record_bank_refund,
    refund_unapplied,
    refunds_of,
    settle_refund,
    start_payment,
    unapplied_money,
)
from subscription_core.subscriptions import State
from subscription_core.unapplied import UnappliedMoney, UnappliedState
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakeRefundGateway

from .harness import BUYER, CATALOG, STAFF, STRANGER, WALLET, World

VND = "VND"


@pytest.fixture
def gateway(world: World) -> FakeRefundGateway:
    refunds = FakeRefundGateway("vnptpay")
    world.deps = attrs.evolve(world.deps, refund_gateways={"vnptpay": refunds})
    return refunds


def _held(world: World, gateway: FakeRefundGateway) -> UnappliedMoney:
    """6 000 000 VND a wallet took for an order cancelled before the money came: unapplied (Y6)."""
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key=world.key())
    cancel_order(world.deps, BUYER, order.id, reason="wrong plan", idempotency_key=world.key())
    handle_notification(world.deps, "vnptpay", world.notification(order))
    (kept,) = unapplied_money(world.deps, STAFF)
    gateway.knows(kept.reference, kept.amount.amount)
    return kept


def _money(world: World, unapplied_id: str) -> UnappliedMoney:
    with world.deps.uow() as uow:
        return uow.unapplied.get(unapplied_id)


def test_y8_worked_example_partial_then_full_refund_through_the_provider(
    world: World, gateway: FakeRefundGateway
) -> None:
    kept = _held(world, gateway)
    part = refund_unapplied(
        world.deps,
        STAFF,
        unapplied_id=kept.id,
        amount=Money.of(2_000_000, VND),
        reason="customer asked for part back",
        idempotency_key="r-1",
    )
    assert (part.state, part.kind, part.method, part.provider) == (
        RefundState.SUCCEEDED,
        RefundKind.UNAPPLIED,
        RefundMethod.PROVIDER,
        "vnptpay",
    )
    assert (part.requested_by, part.reason, part.reference) == (STAFF, "customer asked for part back", "vnptpay-rf-1")
    assert _money(world, kept.id).remaining == Money.of(4_000_000, VND)
    rest = refund_unapplied(world.deps, STAFF, unapplied_id=kept.id, reason="the rest", idempotency_key="r-2")
    assert rest.amount == Money.of(4_000_000, VND)
    after = _money(world, kept.id)
    assert (after.state, after.refund_reference, after.remaining) == (UnappliedState.REFUNDED, rest.id, Money.zero(VND))
    assert [r.id for r in refunds_of(world.deps, STAFF, customer_id="cus-1")] == [part.id, rest.id]
    assert [r.id for r in refunds_of(world.deps, STAFF, order_id=kept.order_id or "")] == [part.id, rest.id]


def test_y8_a_repeated_key_answers_the_same_refund_and_refunds_once(world: World, gateway: FakeRefundGateway) -> None:
    kept = _held(world, gateway)
    first = refund_unapplied(world.deps, STAFF, unapplied_id=kept.id, reason="left", idempotency_key="r-1")
    again = refund_unapplied(world.deps, STAFF, unapplied_id=kept.id, reason="left", idempotency_key="r-1")
    assert again == first
    assert list(gateway.done) == [first.id]
    with pytest.raises(ConflictError):
        refund_unapplied(world.deps, STAFF, unapplied_id=kept.id, reason="other", idempotency_key="r-1")


def test_y8_an_unknown_answer_stays_requested_until_the_provider_is_asked_again(
    world: World, gateway: FakeRefundGateway
) -> None:
    kept = _held(world, gateway)
    gateway.answer_next(RefundOutcome.UNKNOWN)
    asked = refund_unapplied(world.deps, STAFF, unapplied_id=kept.id, reason="left", idempotency_key="r-1")
    assert asked.state is RefundState.REQUESTED
    assert _money(world, kept.id).remaining == Money.zero(VND)  # held for the refund meanwhile
    again = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    with pytest.raises(InvalidTransitionError):  # money with a refund under way is never applied
        apply_unapplied_money(
            world.deps, STAFF, unapplied_id=kept.id, order_id=again.id, reason="r", idempotency_key="a-1"
        )
    settled = settle_refund(world.deps, STAFF, refund_id=asked.id)
    assert (settled.state, settled.reference) == (RefundState.SUCCEEDED, "vnptpay-rf-1")
    assert _money(world, kept.id).state is UnappliedState.REFUNDED
    assert settle_refund(world.deps, STAFF, refund_id=asked.id) == settled  # settled once


def test_y8_a_refused_refund_fails_and_its_amount_is_refundable_again(world: World, gateway: FakeRefundGateway) -> None:
    kept = _held(world, gateway)
    gateway.answer_next(RefundOutcome.FAILED)
    failed = refund_unapplied(world.deps, STAFF, unapplied_id=kept.id, reason="left", idempotency_key="r-1")
    assert (failed.state, failed.failure) == (RefundState.FAILED, "refused by the provider")
    money = _money(world, kept.id)
    assert (money.state, money.remaining) == (UnappliedState.OPEN, kept.amount)
    with pytest.raises(ValidationError) as too_much:
        refund_unapplied(
            world.deps, STAFF, unapplied_id=kept.id, amount=Money.of(6_000_001, VND), reason="x", idempotency_key="r-2"
        )
    assert too_much.value.rule == "Y8"


def test_y8_only_staff_refund_with_a_reason(world: World, gateway: FakeRefundGateway) -> None:
    kept = _held(world, gateway)
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError):
        refund_unapplied(world.deps, BUYER, unapplied_id=kept.id, reason="mine", idempotency_key="r-1")
    with pytest.raises(ValidationError) as blank:
        refund_unapplied(world.deps, STAFF, unapplied_id=kept.id, reason=" ", idempotency_key="r-1")
    assert blank.value.rule == "A2"
    with pytest.raises(PermissionDeniedError):
        refunds_of(world.deps, BUYER, customer_id="cus-1")
    assert world.snapshot() == before


def test_y8_a_provider_without_a_refund_api_is_refunded_by_bank_transfer(world: World) -> None:
    kept = _held(world, FakeRefundGateway("vnptpay"))  # known to no Services: no refund API registered
    with pytest.raises(NotEligibleError) as caught:
        refund_unapplied(world.deps, STAFF, unapplied_id=kept.id, reason="left", idempotency_key="r-1")
    assert caught.value.rule == "Y8"
    recorded = record_bank_refund(
        world.deps, STAFF, unapplied_id=kept.id, reference="HT-0001", reason="left", idempotency_key="b-1"
    )
    assert (recorded.state, recorded.method, recorded.reference) == (
        RefundState.REQUESTED,
        RefundMethod.BANK_TRANSFER,
        "HT-0001",
    )


def test_y8_a_debit_line_carrying_the_reference_confirms_the_bank_refund(
    world: World, gateway: FakeRefundGateway
) -> None:
    kept = _held(world, gateway)
    sent = record_bank_refund(
        world.deps, STAFF, unapplied_id=kept.id, reference="HT-0001", reason="left", idempotency_key="b-1"
    )
    day = dt.datetime(2026, 11, 24, 3, tzinfo=dt.UTC)
    debits = [
        RefundDebit(line_id="d-1", booked_at=day, amount=Money.of(5_000_000, VND), description="HOAN TIEN HT-0001"),
        RefundDebit(line_id="d-2", booked_at=day, amount=kept.amount, description="salary"),
        RefundDebit(line_id="d-3", booked_at=day, amount=kept.amount, description="HOAN TIEN HT-0001 cus-1"),
    ]
    (confirmed,) = confirm_bank_refunds(world.deps, STAFF, debits)
    assert (confirmed.id, confirmed.state, confirmed.statement_line) == (sent.id, RefundState.SUCCEEDED, "d-3")
    assert _money(world, kept.id).state is UnappliedState.REFUNDED
    assert confirm_bank_refunds(world.deps, STAFF, debits) == []  # a statement imported again
    with pytest.raises(ValidationError):
        record_bank_refund(
            world.deps, STAFF, unapplied_id=kept.id, reference="two words", reason="r", idempotency_key="b-2"
        )


def test_y8_staff_record_a_bank_transfer_that_came_back(world: World, gateway: FakeRefundGateway) -> None:
    kept = _held(world, gateway)
    sent = record_bank_refund(
        world.deps, STAFF, unapplied_id=kept.id, reference="HT-0002", reason="left", idempotency_key="b-1"
    )
    with pytest.raises(NotEligibleError):
        settle_refund(world.deps, STAFF, refund_id=sent.id)  # no provider to ask
    back = settle_refund(world.deps, STAFF, refund_id=sent.id, outcome=RefundOutcome.FAILED, failure="account closed")
    assert (back.state, back.failure) == (RefundState.FAILED, "account closed")
    assert _money(world, kept.id).remaining == kept.amount


def _paid(world: World) -> tuple[str, str]:
    sub = world.buy()
    with world.deps.uow() as uow:
        order_id = next(o.id for o in uow.orders.of_customer("cus-1"))
        (payment,) = uow.payments.of_order(order_id)
    return sub.id, payment.id


def test_y8_worked_example_cancel_with_a_refund_of_the_unused_days(world: World, gateway: FakeRefundGateway) -> None:
    sub_id, payment_id = _paid(world)
    with world.deps.uow() as uow:
        payment = uow.payments.get(payment_id)
        term = uow.subscriptions.get(sub_id).terms[-1]
    gateway.knows(payment.provider_ref or "", payment.amount.amount)
    now = world.at(days=100)
    done = cancel_subscription(
        world.deps,
        STAFF,
        subscription_id=sub_id,
        reason="closing the business",
        idempotency_key="c-1",
        refund=UnusedTermRefund(payment_id=payment_id, method=RefundMethod.PROVIDER),
    )
    assert done.subscription.state is State.CANCELLED
    refund = done.refund
    assert refund is not None
    assert (refund.amount, refund.state, refund.kind) == (
        unused_part(payment.amount, term, now),
        RefundState.SUCCEEDED,
        RefundKind.UNUSED_TERM,
    )
    days = (term.end - term.start).days
    share = (2 * 6_000_000 * done.unused_days + days) // (2 * days)  # whole days, half-up (S6)
    assert refund.amount == Money.of(share, VND)
    assert gateway.done == {refund.id: Decimal(refund.amount.amount)}
    assert "refund" in done.subscription.history[-1].reason
    replay = cancel_subscription(
        world.deps,
        STAFF,
        subscription_id=sub_id,
        reason="closing the business",
        idempotency_key="c-1",
        refund=UnusedTermRefund(payment_id=payment_id, method=RefundMethod.PROVIDER),
    )
    assert replay.refund == refund


def test_y8_cancel_without_a_refund_says_what_paid_time_is_left_unused(world: World) -> None:
    sub_id, _payment = _paid(world)
    world.at(days=300)
    done = cancel_subscription(world.deps, STAFF, subscription_id=sub_id, reason="fraud", idempotency_key="c-1")
    assert (done.refund, done.subscription.state) == (None, State.CANCELLED)
    assert done.unused_days > 0
    assert f"{done.unused_days} paid days unused; no refund" in done.subscription.history[-1].reason


def test_y8_cancel_refuses_another_subscriptions_payment_and_a_second_cancel(
    world: World, gateway: FakeRefundGateway
) -> None:
    sub_id, payment_id = _paid(world)
    other = world.buy(2, actor=STRANGER)
    with pytest.raises(NotEligibleError) as foreign:
        cancel_subscription(
            world.deps,
            STAFF,
            subscription_id=other.id,
            reason="closing",
            idempotency_key="c-0",
            refund=UnusedTermRefund(payment_id=payment_id, method=RefundMethod.PROVIDER),
        )
    assert foreign.value.rule == "Y8"
    assert world.subscription(other.id).state is State.ACTIVE
    del gateway
    bank = UnusedTermRefund(payment_id=payment_id, method=RefundMethod.BANK_TRANSFER, reference="HT-9")
    done = cancel_subscription(
        world.deps, STAFF, subscription_id=sub_id, reason="closing", idempotency_key="c-1", refund=bank
    )
    assert done.refund is not None
    assert (done.refund.state, done.refund.reference) == (RefundState.REQUESTED, "HT-9")
    with pytest.raises(InvalidTransitionError):
        cancel_subscription(world.deps, STAFF, subscription_id=sub_id, reason="again", idempotency_key="c-2")
    with pytest.raises(PermissionDeniedError):
        cancel_subscription(world.deps, BUYER, subscription_id=sub_id, reason="mine", idempotency_key="c-3")


def test_y8_a_refund_api_is_registered_under_its_providers_name(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(world.deps, refund_gateways={"vnpay": FakeRefundGateway("momo")})
    assert (caught.value.rule, caught.value.field) == ("Y8", "refund_gateways")
    wired = bootstrap_memory(CATALOG, refund_gateways={"demo": FakeRefundGateway("demo")})
    assert wired.refund_gateway("demo").name == "demo"
    with pytest.raises(NotEligibleError):
        wired.refund_gateway("momo")
