"""Paying orders: providers, notifications, offline money, proofs of payment, payment links (Y1-Y5, A2, O5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from subscription_core.calendar import VIETNAM_TZ, local_date
from subscription_core.errors import (
    CurrencyMismatchError,
    InvalidTransitionError,
    NotEligibleError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from subscription_core.money import Money
from subscription_core.notices import OrderNoticeKind
from subscription_core.orders import Order, OrderState
from subscription_core.payments import MethodKind, PaymentMethod, PaymentState
from subscription_core.services import (
    NewPurchase,
    NotificationStatus,
    activate_now,
    handle_notification,
    issue_payment_link,
    open_payment_link,
    pay_by_link,
    record_offline_payment,
    reject_payment_proof,
    run_scheduler,
    start_payment,
    submit_payment_proof,
    verify_payment_proof,
)
from subscription_core.subscriptions import State
from subscription_core.unapplied import UnappliedMoney, UnappliedReason

from .harness import ACCOUNTANT, BUYER, OTHER_ACCOUNTANT, STAFF, TRANSFER, VND, WALLET, World


def _new(world: World, n: int = 1) -> Order:
    actor = BUYER if n == 1 else STAFF
    return world.place(NewPurchase(customer_id=f"cus-{n}", plan="std", option="1y"), actor=actor)


def _payments(world: World) -> list[tuple[str, PaymentState]]:
    with world.store.lock:
        rows = world.store.payments.rows.values()
        return sorted(((p.order_id, p.state) for p in rows), key=lambda pair: (pair[0], pair[1].value))


def _offline(world: World, order: Order, **overrides: object) -> Order:
    arguments: dict[str, object] = {
        "order_id": order.id,
        "method": TRANSFER,
        "amount": order.grand_total,
        "reason": "transfer seen on the statement",
        "idempotency_key": world.key(),
    }
    arguments.update(overrides)
    return record_offline_payment(world.deps, STAFF, **arguments)  # type: ignore[arg-type]


def test_y1_online_method_starts_with_a_redirect_to_its_provider(world: World) -> None:
    order = _new(world)
    started = start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p-1")
    assert started.redirect_url is not None
    assert started.redirect_url.startswith("https://vnptpay.")
    assert [r.payment_id for r in world.wallet.started] == [started.payment_id]
    assert world.bank.started == ()
    assert _payments(world) == [(order.id, PaymentState.STARTED)]


def test_y3_offline_method_gives_instructions_and_queues_them(world: World) -> None:
    order = _new(world)
    started = start_payment(world.deps, BUYER, order_id=order.id, method=TRANSFER, idempotency_key="p-1")
    instructions = dict(started.instructions)
    assert started.redirect_url is None
    assert instructions["transfer_content"] == order.id
    assert instructions["amount"] == "6000000"
    queued = [m for m in world.outbox() if m.id.startswith(f"{order.id}:order_placed:instructions")]
    assert len(queued) == 2
    assert all(dict(m.data)["transfer_content"] == order.id for m in queued)


def test_y1_a_method_without_a_provider_is_refused(world: World) -> None:
    world.deps = attrs.evolve(world.deps, routes={MethodKind.E_WALLET: "vnptpay"})
    order = _new(world)
    before = world.snapshot()
    with pytest.raises(NotFoundError) as caught:
        start_payment(world.deps, BUYER, order_id=order.id, method=PaymentMethod.cash(), idempotency_key="p-1")
    assert caught.value.rule == "Y1"
    assert world.snapshot() == before


def test_y2_confirmed_success_activates_at_once_and_mails_the_customer(world: World) -> None:
    order = _new(world)
    result = world.pay_online(order)
    assert result.status is NotificationStatus.APPLIED
    sub = world.subscription(order.lines[0].ref)
    assert sub.state is State.ACTIVE
    assert sub.history[-1].actor.id == "vnptpay"
    mails = {m.kind for m in world.outbox() if m.channel.value == "email" and m.recipient == "owner1@company1.vn"}
    assert {"activated", "order_paid", "order_placed"} <= mails
    assert _payments(world) == [(order.id, PaymentState.SUCCEEDED)]


def test_y5_duplicate_notification_applied_once(world: World) -> None:
    order = _new(world)
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p-1")
    payload = world.notification(order)
    assert handle_notification(world.deps, "vnptpay", payload).status is NotificationStatus.APPLIED
    before = world.snapshot()
    again = handle_notification(world.deps, "vnptpay", payload)
    assert again.status is NotificationStatus.ALREADY_PROCESSED
    assert world.snapshot() == before
    assert len(world.issuer.issued) == 1


def test_y5_tampered_notification_refused_and_nothing_changed(world: World) -> None:
    order = _new(world)
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p-1")
    payload = {**world.notification(order), "amount": "1000"}
    before = world.snapshot()
    with pytest.raises(ValidationError) as caught:
        handle_notification(world.deps, "vnptpay", payload)
    assert (caught.value.rule, caught.value.field) == ("Y5", "signature")
    assert world.snapshot() == before


def kept_unapplied(world: World, before: dict[str, dict[Any, Any]]) -> UnappliedMoney:
    """The one unapplied record a notification added; nothing else changed but its processed event."""
    after = world.snapshot()
    for table in ("subscriptions", "orders", "payments", "invoices", "outbox", "redemptions"):
        assert after[table] == before[table], table
    assert len(after["notifications"]) == len(before["notifications"]) + 1
    (new,) = set(after["unapplied"]) - set(before["unapplied"])
    kept: UnappliedMoney = after["unapplied"][new]
    return kept


def test_y6_notification_for_another_amount_is_kept_unapplied_and_the_right_one_still_pays(world: World) -> None:
    order = _new(world)
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p-1")
    short = world.wallet.notify(order, event_id="evt-short", amount=order.grand_total.amount - 1)
    before = world.snapshot()
    result = handle_notification(world.deps, "vnptpay", short)
    kept = kept_unapplied(world, before)
    assert (result.status, result.unapplied_id) == (NotificationStatus.UNAPPLIED, kept.id)
    assert (kept.reason, kept.reference, kept.order_id) == (UnappliedReason.AMOUNT_DIFFERS, "evt-short", order.id)
    assert kept.amount == order.grand_total - Money.of(1, "VND")
    assert handle_notification(world.deps, "vnptpay", short).status is NotificationStatus.ALREADY_PROCESSED
    assert handle_notification(world.deps, "vnptpay", world.notification(order)).status is NotificationStatus.APPLIED


def test_y6_notification_in_another_currency_is_kept_unapplied_in_that_currency(world: World) -> None:
    order = _new(world)
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p-1")
    fields = {k: v for k, v in world.notification(order).items() if k != "signature"}
    fields["currency"] = "USD"
    payload = {**fields, "signature": world.wallet._signature(fields)}
    before = world.snapshot()
    assert handle_notification(world.deps, "vnptpay", payload).status is NotificationStatus.UNAPPLIED
    kept = kept_unapplied(world, before)
    assert (kept.reason, kept.amount.currency.code) == (UnappliedReason.AMOUNT_DIFFERS, "USD")


def test_y5_notification_from_an_unknown_provider_or_badly_signed_is_refused_and_records_nothing(world: World) -> None:
    order = _new(world)
    before = world.snapshot()
    with pytest.raises(NotFoundError):
        handle_notification(world.deps, "momo", world.notification(order))
    with pytest.raises(ValidationError):
        handle_notification(world.deps, "bank", world.notification(order))  # signed by another key
    ghost = attrs.evolve(order, id="ord-404")
    with pytest.raises(NotFoundError):
        handle_notification(world.deps, "vnptpay", world.notification(ghost, succeeded=False))
    assert world.snapshot() == before


def test_y6_a_signed_success_for_an_unknown_order_is_kept_unapplied(world: World) -> None:
    order = _new(world)
    ghost = attrs.evolve(order, id="ord-404")
    before = world.snapshot()
    result = handle_notification(world.deps, "vnptpay", world.notification(ghost))
    kept = kept_unapplied(world, before)
    assert (result.status, result.order_id) == (NotificationStatus.UNAPPLIED, "ord-404")
    assert (kept.reason, kept.order_id, kept.customer_id) == (UnappliedReason.UNKNOWN_ORDER, "ord-404", None)


def test_y5_failure_fails_the_attempt_and_the_order_stays_payable(world: World) -> None:
    order = _new(world)
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p-1")
    result = handle_notification(world.deps, "vnptpay", world.notification(order, succeeded=False))
    assert result.status is NotificationStatus.FAILED
    assert _payments(world) == [(order.id, PaymentState.FAILED)]
    assert world.order(order.id).state is OrderState.PLACED
    assert world.pay_online(order).status is NotificationStatus.APPLIED


def test_y5_failure_arriving_after_the_success_is_stale(world: World) -> None:
    order = _new(world)
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p-1")
    failure = world.notification(order, succeeded=False)
    handle_notification(world.deps, "vnptpay", world.notification(order))
    before = world.snapshot()
    assert handle_notification(world.deps, "vnptpay", failure).status is NotificationStatus.STALE
    after = world.snapshot()
    assert len(after["notifications"]) == len(before["notifications"]) + 1
    assert {k: v for k, v in after.items() if k != "notifications"} == {
        k: v for k, v in before.items() if k != "notifications"
    }


def test_y5_success_after_a_reordered_failure_still_pays(world: World) -> None:
    order = _new(world)
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p-1")
    success = world.notification(order)
    handle_notification(world.deps, "vnptpay", world.notification(order, succeeded=False))
    assert handle_notification(world.deps, "vnptpay", success).status is NotificationStatus.APPLIED
    assert [s for _, s in _payments(world)] == [PaymentState.FAILED, PaymentState.SUCCEEDED]
    assert world.order(order.id).state is OrderState.FULFILLED
    with world.deps.uow() as uow:
        attempts = {p.state: p for p in uow.payments.of_order(order.id)}
    failed, paid = attempts[PaymentState.FAILED], attempts[PaymentState.SUCCEEDED]
    assert paid.started_at == failed.started_at  # the provider's one attempt, found by its start (Y8)


def test_y6_a_second_success_for_a_paid_order_is_kept_unapplied(world: World) -> None:
    order = _new(world)
    world.pay_online(order)
    before = world.snapshot()
    result = handle_notification(world.deps, "vnptpay", world.notification(world.order(order.id)))
    kept = kept_unapplied(world, before)
    assert result.status is NotificationStatus.UNAPPLIED
    assert (kept.reason, kept.customer_id, kept.method) == (UnappliedReason.ALREADY_PAID, order.customer_id, WALLET)


def test_y6_a_success_with_no_payment_started_is_kept_unapplied(world: World) -> None:
    order = _new(world)
    before = world.snapshot()
    assert handle_notification(world.deps, "vnptpay", world.notification(order)).status is NotificationStatus.UNAPPLIED
    assert kept_unapplied(world, before).reason is UnappliedReason.NO_PAYMENT_STARTED
    assert world.order(order.id).state is OrderState.PLACED


def test_a2_y3_d4_staff_record_offline_money_activated_by_the_next_business_day(world: World) -> None:
    world.clock.set(dt.datetime(2027, 4, 30, 10, 0, tzinfo=VIETNAM_TZ))  # a Friday
    order = _new(world)
    paid = _offline(world, order)
    assert paid.state is OrderState.FULFILLED
    sub = world.subscription(order.lines[0].ref)
    assert sub.state is State.AWAITING_ACTIVATION
    assert sub.pending is not None
    assert local_date(sub.pending.activate_by) == dt.date(2027, 5, 4)  # D4: Tue, after the 1 May holiday
    assert sub.history[-1].actor == STAFF
    assert "transfer seen on the statement" in sub.history[-1].reason
    world.clock.set(dt.datetime(2027, 5, 4, 12, 0, tzinfo=VIETNAM_TZ))
    run_scheduler(world.deps)
    assert world.subscription(sub.id).state is State.AWAITING_ACTIVATION
    world.clock.set(dt.datetime(2027, 5, 5, 0, 0, tzinfo=VIETNAM_TZ))
    run_scheduler(world.deps)
    assert world.subscription(sub.id).state is State.ACTIVE


def test_a2_offline_money_received_for_a_started_transfer_settles_that_payment(world: World) -> None:
    order = _new(world)
    start_payment(world.deps, BUYER, order_id=order.id, method=TRANSFER, idempotency_key="p-1")
    _offline(world, order)
    assert _payments(world) == [(order.id, PaymentState.SUCCEEDED)]


def test_a2_only_staff_record_offline_money(world: World) -> None:
    order = _new(world)
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError) as caught:
        record_offline_payment(
            world.deps,
            BUYER,
            order_id=order.id,
            method=TRANSFER,
            amount=order.grand_total,
            reason="I paid",
            idempotency_key="o-1",
        )
    assert caught.value.rule == "A2"
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "error", "rule"),
    [
        ({"amount": Money.of(5_999_999, VND)}, ValidationError, "Y3"),
        ({"amount": Money.of("240.00", "USD")}, CurrencyMismatchError, "Y3"),
        ({"amount": 6_000_000}, ValidationError, "Y3"),
        ({"method": WALLET}, ValidationError, "Y3"),
        ({"reason": ""}, ValidationError, "A2"),
        ({"received_at": dt.datetime(2026, 11, 23, 9, 0)}, ValidationError, "D2"),  # noqa: DTZ001 - naive on purpose
        ({"received_at": dt.datetime(2026, 12, 1, tzinfo=dt.UTC)}, ValidationError, "Y7"),
        ({"order_id": "ord-404"}, NotFoundError, ""),
    ],
)
def test_y3_bad_offline_records_refused_and_nothing_changed(
    world: World, overrides: dict[str, object], error: type[Exception], rule: str
) -> None:
    order = _new(world)
    before = world.snapshot()
    with pytest.raises(error) as caught:
        _offline(world, order, **overrides)
    assert getattr(caught.value, "rule", "") == rule
    assert world.snapshot() == before


def test_y3_offline_money_for_a_cancelled_order_refused(world: World) -> None:
    from subscription_core.services import cancel_order  # noqa: PLC0415 - only this test cancels

    order = _new(world)
    cancel_order(world.deps, BUYER, order.id, reason="wrong plan", idempotency_key="c-1")
    before = world.snapshot()
    with pytest.raises(InvalidTransitionError):
        _offline(world, order)
    assert world.snapshot() == before


def test_y4_verified_proof_pays_and_activates_at_once(world: World) -> None:
    order = _new(world)
    proof = submit_payment_proof(
        world.deps,
        BUYER,
        order_id=order.id,
        transfer_content=f"{order.id} Cong ty So 1",
        attachment="file-123",
        idempotency_key="pr-1",
    )
    assert world.order(order.id).state is OrderState.PLACED
    paid = verify_payment_proof(world.deps, STAFF, proof_id=proof.id, reason="seen on statement", idempotency_key="v-1")
    assert paid.state is OrderState.FULFILLED
    sub = world.subscription(order.lines[0].ref)
    assert sub.state is State.ACTIVE
    assert sub.history[-1].actor == STAFF


def test_y4_rejected_proof_keeps_the_order_awaiting_payment(world: World) -> None:
    order = _new(world)
    proof = submit_payment_proof(
        world.deps, BUYER, order_id=order.id, transfer_content="x", attachment="file-1", idempotency_key="pr-1"
    )
    with pytest.raises(ValidationError):
        reject_payment_proof(world.deps, STAFF, proof_id=proof.id, reason="", idempotency_key="r-0")
    rejected = reject_payment_proof(
        world.deps, STAFF, proof_id=proof.id, reason="no such transfer", idempotency_key="r-1"
    )
    assert rejected.rejection == "no such transfer"
    assert world.order(order.id).state is OrderState.PLACED
    before = world.snapshot()
    with pytest.raises(InvalidTransitionError):
        verify_payment_proof(world.deps, STAFF, proof_id=proof.id, reason="changed my mind", idempotency_key="v-1")
    assert world.snapshot() == before


def test_y4_customers_do_not_verify_proofs(world: World) -> None:
    order = _new(world)
    proof = submit_payment_proof(
        world.deps, BUYER, order_id=order.id, transfer_content="x", attachment="file-1", idempotency_key="pr-1"
    )
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError):
        verify_payment_proof(world.deps, BUYER, proof_id=proof.id, reason="trust me", idempotency_key="v-1")
    assert world.snapshot() == before


def test_y4_proof_for_a_paid_order_refused(world: World) -> None:
    order = _new(world)
    world.pay_online(order)
    before = world.snapshot()
    with pytest.raises(InvalidTransitionError):
        submit_payment_proof(
            world.deps, BUYER, order_id=order.id, transfer_content="x", attachment="f", idempotency_key="pr-1"
        )
    assert world.snapshot() == before


def test_o5_staff_link_reveals_only_that_order_and_pays_it(world: World) -> None:
    order = _new(world, 3)
    link = issue_payment_link(world.deps, STAFF, order_id=order.id)
    assert link.order_id == order.id
    assert order.pay_by is not None
    assert link.expires_at <= order.pay_by
    shown = open_payment_link(world.deps, link.token)
    assert shown.order_id == order.id
    assert shown.grand_total == order.grand_total
    assert "owner3" not in repr(shown)
    assert "company3" not in repr(shown)
    started = pay_by_link(world.deps, link.token, method=WALLET, idempotency_key="l-1")
    assert started.order_id == order.id
    assert handle_notification(world.deps, "vnptpay", world.notification(order)).status is NotificationStatus.APPLIED


def test_o5_accountant_copies_a_link_for_its_clients_only(world: World) -> None:
    mine = _new(world, 2)
    theirs = _new(world, 3)
    assert issue_payment_link(world.deps, ACCOUNTANT, order_id=mine.id).order_id == mine.id
    with pytest.raises(PermissionDeniedError) as caught:
        issue_payment_link(world.deps, ACCOUNTANT, order_id=theirs.id)
    assert caught.value.rule == "A3"
    with pytest.raises(PermissionDeniedError) as other:
        issue_payment_link(world.deps, OTHER_ACCOUNTANT, order_id=mine.id)
    assert other.value.rule == "A3"


def test_o5_customers_do_not_issue_links(world: World) -> None:
    order = _new(world)
    with pytest.raises(PermissionDeniedError) as caught:
        issue_payment_link(world.deps, BUYER, order_id=order.id)
    assert caught.value.rule == "O5"


def test_o5_tampered_or_expired_link_refused(world: World) -> None:
    order = _new(world)
    link = issue_payment_link(world.deps, STAFF, order_id=order.id)
    payload, mac = link.token.split(".")
    tampered = f"{payload}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"
    before = world.snapshot()
    with pytest.raises(ValidationError) as caught:
        open_payment_link(world.deps, tampered)
    assert caught.value.rule == "O5"
    with pytest.raises(ValidationError):
        pay_by_link(world.deps, tampered, method=WALLET, idempotency_key="l-1")
    world.at(days=30)
    with pytest.raises(NotEligibleError):
        open_payment_link(world.deps, link.token)
    assert world.snapshot() == before


def test_o5_no_link_for_an_order_not_awaiting_payment(world: World) -> None:
    order = _new(world)
    world.pay_online(order)
    with pytest.raises(NotEligibleError):
        issue_payment_link(world.deps, STAFF, order_id=order.id)


def test_n1_offline_receipt_sends_the_payment_received_notice(world: World) -> None:
    sub = world.buy()
    order = world.renew(sub.id)
    _offline(world, order)
    kinds = [m.kind for m in world.outbox() if m.subject_id == sub.id]
    assert "payment_received" in kinds
    assert OrderNoticeKind.ORDER_PAID.value in {m.kind for m in world.outbox() if m.subject_id == order.id}


def test_y3_staff_may_activate_offline_money_before_its_deadline(world: World) -> None:
    order = _new(world)
    _offline(world, order)
    sub_id = order.lines[0].ref
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError):
        activate_now(world.deps, BUYER, subscription_id=sub_id, reason="please", idempotency_key="a-0")
    assert world.snapshot() == before
    activated = activate_now(world.deps, STAFF, subscription_id=sub_id, reason="customer called", idempotency_key="a-1")
    assert activated.state is State.ACTIVE
    assert activated.history[-1].actor == STAFF
    assert activated.history[-1].reason == "customer called"
    with pytest.raises(NotEligibleError) as caught:
        activate_now(world.deps, STAFF, subscription_id=sub_id, reason="again", idempotency_key="a-2")
    assert caught.value.rule == "Y3"


class _NaiveClock:
    def now(self) -> dt.datetime:
        return dt.datetime(2026, 11, 23, 9, 0)  # noqa: DTZ001 - a broken clock, on purpose


def test_d2_a_clock_giving_naive_instants_is_refused_and_nothing_changes(world: World) -> None:
    order = _new(world)
    broken = attrs.evolve(world.deps, clock=_NaiveClock())
    before = world.snapshot()
    with pytest.raises(ValidationError) as caught:
        start_payment(broken, BUYER, order_id=order.id, method=WALLET, idempotency_key="p-1")
    assert caught.value.rule == "D2"
    with pytest.raises(ValidationError):
        handle_notification(broken, "vnptpay", world.notification(order))
    assert world.snapshot() == before
