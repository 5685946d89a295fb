"""What payment does, in one unit of work: invoices (I1, I2), notices through the outbox (N1, N2), all or nothing."""

from __future__ import annotations

import collections

from subscription_core.notices import Channel
from subscription_core.orders import OrderState
from subscription_core.services import (
    Checkout,
    NewPurchase,
    NotificationStatus,
    StorageTopUp,
    handle_notification,
    run_scheduler,
    start_payment,
)
from subscription_core.subscriptions import State
from subscription_core.unapplied import UnappliedReason

from .harness import BUYER, WALLET, World, party


def test_i1_one_invoice_per_order_and_part_however_often_the_payment_is_told(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p-1")
    payload = world.notification(order)
    for _ in range(3):
        handle_notification(world.deps, "vnptpay", payload)
    with world.store.lock:
        stored = list(world.store.invoices.rows)
    assert stored == [(order.id, 0)]
    assert [(i.order_id, i.part) for i in world.issuer.issued] == [(order.id, 0)]
    assert world.issuer.issued[0].grand_total == order.grand_total


def test_i2_the_invoice_goes_to_the_invoice_email(world: World) -> None:
    buyer = party("Công ty Mẹ", 88, "hoadon@parent.vn")
    order = world.place(
        NewPurchase(customer_id="cus-1", plan="std", option="1y"), checkout=Checkout(confirmed=True, invoice=buyer)
    )
    world.pay_online(order)
    assert world.issuer.emailed == (("00000001", "hoadon@parent.vn"),)
    told = [m for m in world.outbox() if m.kind == "invoice_issued" and m.channel is Channel.EMAIL]
    assert [m.recipient for m in told] == ["hoadon@parent.vn"]


def test_n1_each_notice_by_email_and_in_app_with_stable_ids(world: World) -> None:
    sub = world.buy()
    world.at(days=365 - 30)
    run_scheduler(world.deps)
    messages = world.outbox()
    ids = [m.id for m in messages]
    assert len(ids) == len(set(ids))
    by_event = collections.Counter(m.id.rsplit(":", 1)[0] for m in messages)
    assert set(by_event.values()) == {2}  # every event once by e-mail and once in-app
    expiring = [m for m in messages if m.kind == "expiring_soon"]
    assert {(m.channel, m.recipient) for m in expiring} == {
        (Channel.EMAIL, "owner1@company1.vn"),
        (Channel.IN_APP, "cus-1"),
    }
    assert all(m.subject_id == sub.id for m in expiring)


def test_n2_y6_refused_fulfilment_leaves_no_outbox_and_keeps_the_money_unapplied(world: World) -> None:
    sub = world.buy()
    world.at(days=300)
    top_up = world.place(StorageTopUp(subscription_id=sub.id, addon="storage10", quantity=1))
    start_payment(world.deps, BUYER, order_id=top_up.id, method=WALLET, idempotency_key="p-1")
    world.at(days=400)  # the term ended before the money came: storage can no longer be added (S6)
    before = world.snapshot()
    issued = world.issuer.issued
    result = handle_notification(world.deps, "vnptpay", world.notification(top_up))
    after = world.snapshot()
    assert result.status is NotificationStatus.UNAPPLIED
    for table in ("subscriptions", "orders", "payments", "invoices", "outbox", "redemptions"):
        assert after[table] == before[table], table
    assert world.issuer.issued == issued
    (kept,) = after["unapplied"].values()
    assert (kept.reason, kept.order_id, kept.amount) == (UnappliedReason.CANNOT_FULFIL, top_up.id, top_up.grand_total)
    assert "[S1]" in kept.note or "[S6]" in kept.note


def test_n2_retries_and_repeats_never_duplicate_a_message(world: World) -> None:
    world.buy()
    world.at(days=380)
    run_scheduler(world.deps)
    count = len(world.outbox())
    run_scheduler(world.deps)
    assert len(world.outbox()) == count


def test_o4_paid_order_is_fulfilled_in_the_same_unit_of_work(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    world.pay_online(order)
    paid = world.order(order.id)
    assert paid.state is OrderState.FULFILLED
    assert [c.target for c in paid.changes] == [OrderState.PLACED, OrderState.PAID, OrderState.FULFILLED]
    assert world.subscription(order.lines[0].ref).state is State.ACTIVE
