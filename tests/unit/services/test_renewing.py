"""Bulk renewal by a service accountant (B1-B5, A3) and renewal on commitment (K1-K5)."""

from __future__ import annotations

import datetime as dt

import pytest

from subscription_core.bulk import BulkRenewal, BulkRow, InvalidRowsError, InvoiceTarget, NoticeTarget
from subscription_core.calendar import local_date
from subscription_core.customers import Actor, Contact
from subscription_core.errors import (
    NotEligibleError,
    PermissionDeniedError,
    ValidationError,
)
from subscription_core.lifecycle import subscribe
from subscription_core.money import Money
from subscription_core.orders import Order, OrderKind, OrderState
from subscription_core.services import (
    NewPurchase,
    NotificationStatus,
    Renewal,
    cancel_order,
    extend_commitment,
    handle_notification,
    place_bulk_renewal,
    quote_bulk_renewal,
    register_commitment,
    reject_payment_proof,
    review_bulk_renewal,
    run_scheduler,
    start_payment,
    submit_payment_proof,
    verify_payment_proof,
)
from subscription_core.subscriptions import Entitlement, Opening, State, Subscription

from .harness import ACCOUNTANT, BUYER, CONFIRMED, STAFF, STRANGER, VND, WALLET, World, customer, party, tax_code


def _clients(world: World) -> tuple[Subscription, Subscription]:
    return world.buy(1), world.buy(2, actor=STRANGER)


def _bulk(world: World, request: BulkRenewal, *, key: str = "b-1") -> Order:
    return place_bulk_renewal(world.deps, ACCOUNTANT, request, confirmed=True, idempotency_key=key)


def _pay(world: World, order: Order) -> None:
    start_payment(world.deps, ACCOUNTANT, order_id=order.id, method=WALLET, idempotency_key=world.key())
    result = handle_notification(world.deps, "vnptpay", world.notification(order))
    assert result.status is NotificationStatus.APPLIED


TWO_ROWS = (BulkRow(client=tax_code(1), option="1y"), BulkRow(client="HKD-2", option="2y"))


def test_b1_bulk_renewal_is_one_order_for_every_row(world: World) -> None:
    first, second = _clients(world)
    order = _bulk(world, BulkRenewal(product="amis", rows=TWO_ROWS))
    assert order.kind is OrderKind.BULK_RENEWAL
    assert order.customer_id is None
    assert sorted((line.customer_id, line.subscription_id) for line in order.lines) == [
        ("cus-1", first.id),
        ("cus-2", second.id),
    ]
    assert order.grand_total == Money.of(17_000_000, VND)
    assert order.notify.email == "ktdv1@firm.vn"  # B3: the accountant by default


def test_b5_bulk_paid_extends_every_client_and_tells_the_recipient(world: World) -> None:
    first, second = _clients(world)
    order = _bulk(world, BulkRenewal(product="amis", rows=TWO_ROWS))
    _pay(world, order)
    assert world.subscription(first.id).last_day == dt.date(2028, 11, 22)
    assert world.subscription(second.id).last_day == dt.date(2029, 11, 22)
    done = [m for m in world.outbox() if m.kind == "bulk_renewed"]
    assert sorted((m.channel.value, m.recipient) for m in done) == [("email", "ktdv1@firm.vn"), ("in_app", "acc-1")]
    assert world.order(order.id).state is OrderState.FULFILLED


def test_b2_invoices_go_to_each_client_by_default(world: World) -> None:
    _clients(world)
    order = _bulk(world, BulkRenewal(product="amis", rows=TWO_ROWS))
    before = len(world.issuer.issued)
    _pay(world, order)
    mails = world.issuer.emailed[before:]
    assert sorted(address for _, address in mails) == ["owner1@company1.vn", "owner2@company2.vn"]


def test_b2_invoice_to_other_is_one_invoice(world: World) -> None:
    _clients(world)
    other = party("Văn phòng KTDV", 99, "hoadon@firm.vn")
    request = BulkRenewal(product="amis", rows=TWO_ROWS, invoice_target=InvoiceTarget.OTHER, other_buyer=other)
    order = _bulk(world, request)
    before = len(world.issuer.issued)
    _pay(world, order)
    assert [address for _, address in world.issuer.emailed[before:]] == ["hoadon@firm.vn"]
    assert world.issuer.issued[-1].grand_total == order.grand_total


def test_b3_notices_to_another_recipient(world: World) -> None:
    _clients(world)
    someone = Contact(name="Chủ doanh nghiệp", email="chu@company1.vn")
    request = BulkRenewal(product="amis", rows=TWO_ROWS, notice_target=NoticeTarget.OTHER, other_recipient=someone)
    order = _bulk(world, request)
    _pay(world, order)
    mailed = {m.kind for m in world.outbox() if m.recipient == "chu@company1.vn"}
    assert {"order_placed", "order_paid", "bulk_renewed"} <= mailed


def test_b4_invalid_rows_reported_row_by_row_and_nothing_placed(world: World) -> None:
    _clients(world)
    world.buy(3, actor=STAFF)
    rows = (
        BulkRow(client=tax_code(1), option="1y"),
        BulkRow(client=tax_code(3), option="1y"),  # not a client of acc-1
        BulkRow(client="0000000000", option="1y"),  # no such customer
        BulkRow(client="HKD-2", option="9y"),  # no such option
    )
    request = BulkRenewal(product="amis", rows=rows)
    problems = review_bulk_renewal(world.deps, ACCOUNTANT, request)
    assert sorted({(p.row, p.rule) for p in problems}) == [(2, "A3"), (3, "B1"), (4, "C1")]
    before = world.snapshot()
    with pytest.raises(InvalidRowsError) as caught:
        _bulk(world, request)
    assert [p.row for p in caught.value.problems] == [p.row for p in problems]
    assert world.snapshot() == before


def test_b4_the_list_must_be_confirmed(world: World) -> None:
    _clients(world)
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        place_bulk_renewal(
            world.deps, ACCOUNTANT, BulkRenewal(product="amis", rows=TWO_ROWS), confirmed=False, idempotency_key="b"
        )
    assert caught.value.rule == "O3"
    assert world.snapshot() == before


def test_b5_bulk_all_or_nothing(world: World) -> None:
    first, second = _clients(world)
    order = _bulk(world, BulkRenewal(product="amis", rows=TWO_ROWS))
    world.at(days=360)
    register_commitment(
        world.deps,
        STRANGER,
        subscription_id=second.id,
        due_on=local_date(world.clock.now()) + dt.timedelta(days=30),
        pledged=True,
        checkout=CONFIRMED,
        idempotency_key="k-1",
    )
    start_payment(world.deps, ACCOUNTANT, order_id=order.id, method=WALLET, idempotency_key="p-1")
    before = world.snapshot()
    issued = len(world.issuer.issued)
    result = handle_notification(world.deps, "vnptpay", world.notification(order))
    assert result.status is NotificationStatus.UNAPPLIED  # none renewed; the money is kept for staff (Y6)
    after = world.snapshot()
    for table in ("subscriptions", "orders", "payments", "invoices", "outbox", "redemptions"):
        assert after[table] == before[table], table
    assert world.subscription(first.id) == first
    assert len(world.issuer.issued) == issued
    (kept,) = after["unapplied"].values()
    assert (kept.order_id, kept.amount) == (order.id, order.grand_total)


def test_b5_quote_of_a_bulk_renewal_changes_nothing(world: World) -> None:
    _clients(world)
    before = world.snapshot()
    shown = quote_bulk_renewal(world.deps, ACCOUNTANT, BulkRenewal(product="amis", rows=TWO_ROWS))
    assert shown.grand_total == Money.of(17_000_000, VND)
    assert world.snapshot() == before


def test_a3_accountant_renews_only_linked_clients(world: World) -> None:
    mine, _ = _clients(world)
    theirs = world.buy(3, actor=STAFF)
    renewed = world.place(Renewal(subscription_id=mine.id, option="1y"), actor=ACCOUNTANT)
    assert renewed.placed_by == ACCOUNTANT
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError) as caught:
        world.place(Renewal(subscription_id=theirs.id, option="1y"), actor=ACCOUNTANT)
    assert caught.value.rule == "A3"
    with pytest.raises(PermissionDeniedError) as bought:
        world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"), actor=ACCOUNTANT)
    assert bought.value.rule == "A3"
    with pytest.raises(PermissionDeniedError):
        place_bulk_renewal(
            world.deps, BUYER, BulkRenewal(product="amis", rows=TWO_ROWS), confirmed=True, idempotency_key="b"
        )
    assert world.snapshot() == before


def _commit(world: World, sub: Subscription, *, days: int = 30, actor: object = BUYER, key: str = "k-1") -> Order:
    return register_commitment(
        world.deps,
        actor,  # type: ignore[arg-type]
        subscription_id=sub.id,
        due_on=local_date(world.clock.now()) + dt.timedelta(days=days),
        pledged=True,
        checkout=CONFIRMED,
        idempotency_key=key,
    )


def test_k1_commitment_keeps_the_subscription_usable_until_the_due_date(world: World) -> None:
    sub = world.buy()
    world.at(days=350)
    order = _commit(world, sub)
    assert order.kind is OrderKind.RENEWAL_ON_COMMITMENT
    assert order.grand_total == Money.of(6_000_000, VND)  # one year of the current plan by default
    committed = world.subscription(sub.id)
    assert committed.state is State.ACTIVE_ON_COMMITMENT
    assert committed.commitment is not None
    assert order.pay_by is not None
    assert local_date(order.pay_by) == committed.commitment.limit
    world.at(days=370)  # past the paid expiry, before the due date
    run_scheduler(world.deps)
    assert world.subscription(sub.id).state is State.ACTIVE_ON_COMMITMENT


def test_k1_the_buyer_must_commit_to_pay(world: World) -> None:
    sub = world.buy()
    before = world.snapshot()
    with pytest.raises(ValidationError) as caught:
        register_commitment(
            world.deps,
            BUYER,
            subscription_id=sub.id,
            due_on=dt.date(2027, 1, 1),
            pledged=False,
            checkout=CONFIRMED,
            idempotency_key="k-1",
        )
    assert caught.value.rule == "K1"
    assert world.snapshot() == before


def test_k3_due_date_beyond_180_days_refused(world: World) -> None:
    sub = world.buy()
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        _commit(world, sub, days=181)
    assert caught.value.rule == "K3"
    assert world.snapshot() == before


def test_k3_second_commitment_once_no_third(world: World) -> None:
    sub = world.buy()
    _commit(world, sub, days=30)
    today = local_date(world.clock.now())
    second = extend_commitment(
        world.deps,
        BUYER,
        subscription_id=sub.id,
        due_on=today + dt.timedelta(days=90),
        pledged=True,
        idempotency_key="e",
    )
    assert second.commitment is not None
    assert second.commitment.due_on == today + dt.timedelta(days=90)
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        extend_commitment(
            world.deps,
            BUYER,
            subscription_id=sub.id,
            due_on=today + dt.timedelta(days=120),
            pledged=True,
            idempotency_key="e-3",
        )
    assert caught.value.rule == "K3"
    assert world.snapshot() == before


def test_k2_k5_verified_proof_makes_the_renewal_official(world: World) -> None:
    sub = world.buy()
    world.at(days=350)
    order = _commit(world, sub)
    proof = submit_payment_proof(
        world.deps, BUYER, order_id=order.id, transfer_content="UNC 123", attachment="file-9", idempotency_key="pr"
    )
    assert world.subscription(sub.id).commitment is not None
    verify_payment_proof(world.deps, STAFF, proof_id=proof.id, reason="treasury slip checked", idempotency_key="v")
    official = world.subscription(sub.id)
    assert official.state is State.ACTIVE
    assert official.last_day == dt.date(2028, 11, 22)
    assert "renewal_official" in {m.kind for m in world.outbox() if m.subject_id == sub.id}
    assert world.order(order.id).state is OrderState.FULFILLED


def test_k2_proof_awaiting_review_holds_the_cut_off_and_rejection_releases_it(world: World) -> None:
    sub = world.buy()
    world.at(days=350)
    order = _commit(world, sub, days=30)
    proof = submit_payment_proof(
        world.deps, BUYER, order_id=order.id, transfer_content="UNC 1", attachment="file-1", idempotency_key="pr"
    )
    world.at(days=390)
    run_scheduler(world.deps)
    assert world.subscription(sub.id).state is State.ACTIVE_ON_COMMITMENT
    reject_payment_proof(world.deps, STAFF, proof_id=proof.id, reason="no such transfer", idempotency_key="r")
    run_scheduler(world.deps)
    assert world.subscription(sub.id).state is State.CUT_OFF


def test_k4_unpaid_at_the_due_date_cut_off_and_its_order_closed(world: World) -> None:
    sub = world.buy()
    world.at(days=350)
    order = _commit(world, sub, days=30)
    world.at(days=381)
    run = run_scheduler(world.deps)
    assert world.subscription(sub.id).state is State.CUT_OFF
    assert run.cancelled == (order.id,)
    assert world.order(order.id).state is OrderState.CANCELLED


def test_k5_commitment_paid_online_is_official(world: World) -> None:
    sub = world.buy()
    world.at(days=350)
    order = _commit(world, sub)
    world.pay_online(order)
    assert world.subscription(sub.id).state is State.ACTIVE


def test_k1_a_commitment_order_is_not_cancelled(world: World) -> None:
    sub = world.buy()
    order = _commit(world, sub)
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        cancel_order(world.deps, BUYER, order.id, reason="never mind", idempotency_key="c")
    assert caught.value.rule == "K1"
    assert world.snapshot() == before


def test_k1_a_stranger_may_not_commit(world: World) -> None:
    sub = world.buy()
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError):
        _commit(world, sub, actor=STRANGER)
    assert world.snapshot() == before


def _many_clients(world: World, count: int) -> list[Subscription]:
    """``count`` more clients of acc-1 (cus-10 on; the last one's buyer is u-9), each with a yearly subscription."""
    product = world.deps.catalog.product("amis")
    subs = []
    with world.deps.uow() as uow:
        for n in range(10, 10 + count):
            uow.customers.add(customer(n, accountant="acc-1", buyers={"u-9"} if n == 9 + count else ()))
            opening = Opening(subscription_id=f"sub-many-{n}", customer_id=f"cus-{n}", product=product)
            sub = subscribe(opening, Entitlement.of(product, "std", "1y"), world.clock.now(), actor=STAFF).subscription
            uow.subscriptions.add(sub)
            subs.append(sub)
        uow.commit()
    return subs


def _rows_for(subs: list[Subscription]) -> tuple[BulkRow, ...]:
    return tuple(BulkRow(client=tax_code(int(sub.customer_id.removeprefix("cus-"))), option="1y") for sub in subs)


def test_b5_a_bulk_renewal_larger_than_a_batch_extends_every_client(world: World) -> None:
    subs = _many_clients(world, 501)  # fulfilment grants 500 subscriptions per round of statements
    order = _bulk(world, BulkRenewal(product="amis", rows=_rows_for(subs)))
    _pay(world, order)
    bought = subs[0].last_day
    assert bought is not None
    assert {world.subscription(s.id).last_day for s in subs} == {bought.replace(year=bought.year + 1)}
    extended = {m.subject_id for m in world.outbox() if m.kind == "extended" and m.channel.value == "email"}
    assert extended == {s.id for s in subs}
    assert world.order(order.id).state is OrderState.FULFILLED


def test_b5_a_client_refused_in_the_last_batch_keeps_every_client_as_it_was(world: World) -> None:
    subs = _many_clients(world, 501)
    order = _bulk(world, BulkRenewal(product="amis", rows=_rows_for(subs)))
    world.at(days=360)
    register_commitment(  # the last client commits to pay by itself: its line of the bulk order no longer applies
        world.deps,
        Actor.customer_user("u-9", subs[-1].customer_id),
        subscription_id=subs[-1].id,
        due_on=local_date(world.clock.now()) + dt.timedelta(days=30),
        pledged=True,
        checkout=CONFIRMED,
        idempotency_key="k-many",
    )
    start_payment(world.deps, ACCOUNTANT, order_id=order.id, method=WALLET, idempotency_key="p-many")
    before = world.snapshot()
    result = handle_notification(world.deps, "vnptpay", world.notification(order))
    assert result.status is NotificationStatus.UNAPPLIED
    after = world.snapshot()
    for table in ("subscriptions", "orders", "invoices", "outbox"):
        assert after[table] == before[table], table
