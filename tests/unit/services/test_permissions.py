"""Who may do what (A1-A3): a forbidden action raises PermissionDeniedError and changes nothing; staff give reasons."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from subscription_core.bulk import BulkRenewal, BulkRow
from subscription_core.customers import Actor
from subscription_core.errors import PermissionDeniedError, ValidationError
from subscription_core.orders import Order
from subscription_core.services import (
    NewPurchase,
    Renewal,
    cancel_order,
    issue_payment_link,
    place_bulk_renewal,
    place_order,
    record_offline_payment,
    search_customers,
    start_payment,
    start_trial,
    submit_payment_proof,
    subscription_details,
    verify_payment_proof,
)

from .harness import (
    ACCOUNTANT,
    BUYER,
    CONFIRMED,
    NON_BUYER,
    OTHER_ACCOUNTANT,
    STAFF,
    STRANGER,
    TRANSFER,
    WALLET,
    World,
    tax_code,
)

SCHEDULER = Actor.scheduler()
SYSTEM = Actor.system("vnptpay")

Call = Callable[[World, Order, Actor], object]


def _place(world: World, _order: Order, actor: Actor) -> object:
    return place_order(
        world.deps, actor, NewPurchase(customer_id="cus-1", plan="std", option="1y"), CONFIRMED, idempotency_key="x"
    )


def _renew(world: World, _order: Order, actor: Actor) -> object:
    sub = world.subscriptions_of("cus-1")[0]
    return place_order(world.deps, actor, Renewal(subscription_id=sub.id, option="1y"), CONFIRMED, idempotency_key="x")


def _pay(world: World, order: Order, actor: Actor) -> object:
    return start_payment(world.deps, actor, order_id=order.id, method=WALLET, idempotency_key="x")


def _cancel(world: World, order: Order, actor: Actor) -> object:
    return cancel_order(world.deps, actor, order.id, reason="because", idempotency_key="x")


def _offline(world: World, order: Order, actor: Actor) -> object:
    return record_offline_payment(
        world.deps,
        actor,
        order_id=order.id,
        method=TRANSFER,
        amount=order.grand_total,
        reason="seen",
        idempotency_key="x",
    )


def _verify(world: World, order: Order, actor: Actor) -> object:
    proof = submit_payment_proof(
        world.deps, BUYER, order_id=order.id, transfer_content="x", attachment="f", idempotency_key="proof"
    )
    return verify_payment_proof(world.deps, actor, proof_id=proof.id, reason="seen", idempotency_key="x")


def _proof(world: World, order: Order, actor: Actor) -> object:
    return submit_payment_proof(
        world.deps, actor, order_id=order.id, transfer_content="x", attachment="f", idempotency_key="x"
    )


def _link(world: World, order: Order, actor: Actor) -> object:
    return issue_payment_link(world.deps, actor, order_id=order.id)


def _details(world: World, _order: Order, actor: Actor) -> object:
    return subscription_details(world.deps, actor, "cus-1")


def _search(world: World, _order: Order, actor: Actor) -> object:
    return search_customers(world.deps, actor, "Công ty")


def _bulk(world: World, _order: Order, actor: Actor) -> object:
    rows = (BulkRow(client=tax_code(1), option="1y"),)
    return place_bulk_renewal(
        world.deps, actor, BulkRenewal(product="amis", rows=rows), confirmed=True, idempotency_key="x"
    )


def _trial(world: World, _order: Order, actor: Actor) -> object:
    return start_trial(world.deps, actor, customer_id="cus-1", plan="std", idempotency_key="x")


FORBIDDEN: list[tuple[str, Call, Actor, str]] = [
    ("place by a user without the buying right", _place, NON_BUYER, "A1"),
    ("place by another company's user", _place, STRANGER, "A1"),
    ("place by the scheduler", _place, SCHEDULER, "A1"),
    ("new purchase by the client's accountant", _place, ACCOUNTANT, "A3"),
    ("renewal by another accountant", _renew, OTHER_ACCOUNTANT, "A3"),
    ("pay by another company's user", _pay, STRANGER, "A1"),
    ("pay by the system", _pay, SYSTEM, "A1"),
    ("cancel by another company's user", _cancel, STRANGER, "A1"),
    ("offline money recorded by the buyer", _offline, BUYER, "A2"),
    ("offline money recorded by the accountant", _offline, ACCOUNTANT, "A2"),
    ("proof verified by the buyer", _verify, BUYER, "A2"),
    ("proof submitted by a user without the buying right", _proof, NON_BUYER, "A1"),
    ("link issued by the buyer", _link, BUYER, "O5"),
    ("details seen by another company's user", _details, STRANGER, "A1"),
    ("details seen by another accountant", _details, OTHER_ACCOUNTANT, "A1"),
    ("customers searched by a customer user", _search, BUYER, "U2"),
    ("bulk renewal by a customer user", _bulk, BUYER, "A3"),
    ("bulk renewal by staff", _bulk, STAFF, "A3"),
    ("trial started by another company's user", _trial, STRANGER, "A1"),
]


@pytest.mark.parametrize(("call", "actor", "rule"), [f[1:] for f in FORBIDDEN], ids=[f[0] for f in FORBIDDEN])
def test_a1_a3_forbidden_actions_change_nothing(world: World, call: Call, actor: Actor, rule: str) -> None:
    world.buy()
    order = world.place(NewPurchase(customer_id="cus-1", plan="pro", option="1y"))
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError) as caught:
        call(world, order, actor)
    assert caught.value.rule == rule
    after = world.snapshot()
    # _verify submits a proof as the buyer first, legitimately; nothing else may change.
    after["proofs"] = before["proofs"] if call is _verify else after["proofs"]
    after["idempotency"] = before["idempotency"] if call is _verify else after["idempotency"]
    assert after == before


def test_a2_staff_actions_need_a_reason(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    before = world.snapshot()
    with pytest.raises(ValidationError) as placing:
        place_order(
            world.deps, STAFF, NewPurchase(customer_id="cus-1", plan="std", option="1y"), CONFIRMED, idempotency_key="s"
        )
    assert placing.value.rule == "A2"
    with pytest.raises(ValidationError) as recording:
        record_offline_payment(
            world.deps,
            STAFF,
            order_id=order.id,
            method=TRANSFER,
            amount=order.grand_total,
            reason=" ",
            idempotency_key="o",
        )
    assert recording.value.rule == "A2"
    assert world.snapshot() == before


def test_s9_staff_reason_lands_in_the_history_with_the_actor(world: World) -> None:
    sub = world.buy()
    order = world.renew(sub.id)
    record_offline_payment(
        world.deps,
        STAFF,
        order_id=order.id,
        method=TRANSFER,
        amount=order.grand_total,
        reason="khách chuyển khoản VCB",
        idempotency_key="o",
    )
    entry = world.subscription(sub.id).history[-1]
    assert entry.actor == STAFF
    assert "khách chuyển khoản VCB" in entry.reason
    assert order.id in entry.reason


def test_a1_an_actor_that_is_no_actor_is_refused(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(ValidationError):
        place_order(
            world.deps,
            "u-1",  # type: ignore[arg-type]
            NewPurchase(customer_id="cus-1", plan="std", option="1y"),
            CONFIRMED,
            idempotency_key="x",
        )
    assert world.snapshot() == before
