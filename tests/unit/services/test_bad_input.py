"""Bad input to every use case: a clear error from the library's hierarchy, and nothing changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from subscription_core.bulk import BulkRenewal, BulkRow
from subscription_core.errors import (
    NotFoundError,
    SubscriptionError,
    ValidationError,
)
from subscription_core.services import (
    NewPurchase,
    activate_now,
    cancel_order,
    extend_commitment,
    issue_payment_link,
    place_bulk_renewal,
    quote_order,
    record_offline_payment,
    register_commitment,
    reject_payment_proof,
    start_payment,
    start_trial,
    submit_payment_proof,
    subscription_details,
    verify_payment_proof,
)

from .harness import ACCOUNTANT, BUYER, CONFIRMED, STAFF, TRANSFER, WALLET, World, tax_code

Call = Callable[[World], object]


def _order_total(world: World) -> object:
    return world.order("ord-0001").grand_total


UNKNOWN: dict[str, Call] = {
    "quote for an unknown customer": lambda w: quote_order(
        w.deps, BUYER, NewPurchase(customer_id="cus-9", plan="std", option="1y")
    ),
    "pay an unknown order": lambda w: start_payment(
        w.deps, BUYER, order_id="ord-9", method=WALLET, idempotency_key="k"
    ),
    "cancel an unknown order": lambda w: cancel_order(w.deps, BUYER, "ord-9", reason="x", idempotency_key="k"),
    "offline money for an unknown order": lambda w: record_offline_payment(
        w.deps,
        STAFF,
        order_id="ord-9",
        method=TRANSFER,
        amount=_order_total(w),  # type: ignore[arg-type]
        reason="x",
        idempotency_key="k",
    ),
    "proof for an unknown order": lambda w: submit_payment_proof(
        w.deps, BUYER, order_id="ord-9", transfer_content="x", attachment="f", idempotency_key="k"
    ),
    "verify an unknown proof": lambda w: verify_payment_proof(
        w.deps, STAFF, proof_id="prf-9", reason="x", idempotency_key="k"
    ),
    "reject an unknown proof": lambda w: reject_payment_proof(
        w.deps, STAFF, proof_id="prf-9", reason="x", idempotency_key="k"
    ),
    "link to an unknown order": lambda w: issue_payment_link(w.deps, STAFF, order_id="ord-9"),
    "commit an unknown subscription": lambda w: register_commitment(
        w.deps,
        BUYER,
        subscription_id="sub-9",
        due_on=dt.date(2027, 1, 1),
        pledged=True,
        checkout=CONFIRMED,
        idempotency_key="k",
    ),
    "extend an unknown commitment": lambda w: extend_commitment(
        w.deps, BUYER, subscription_id="sub-9", due_on=dt.date(2027, 1, 1), pledged=True, idempotency_key="k"
    ),
    "activate an unknown subscription": lambda w: activate_now(
        w.deps, STAFF, subscription_id="sub-9", reason="x", idempotency_key="k"
    ),
    "trial for an unknown customer": lambda w: start_trial(
        w.deps, BUYER, customer_id="cus-9", plan="std", idempotency_key="k"
    ),
    "trial of an unknown plan": lambda w: start_trial(
        w.deps, BUYER, customer_id="cus-1", plan="gold", idempotency_key="k"
    ),
    "details of an unknown company": lambda w: subscription_details(w.deps, STAFF, "cus-9"),
}


@pytest.fixture
def busy(world: World) -> World:
    """A world with a subscription of cus-1 and an order awaiting payment (ord-0002)."""
    world.buy()
    world.place(NewPurchase(customer_id="cus-1", plan="pro", option="1y"))
    return world


@pytest.mark.parametrize("call", UNKNOWN.values(), ids=UNKNOWN.keys())
def test_unknown_ids_are_not_found_and_nothing_changes(busy: World, call: Call) -> None:
    before = busy.snapshot()
    with pytest.raises(NotFoundError):
        call(busy)
    assert busy.snapshot() == before


def _held(world: World) -> str:
    return world.subscriptions_of("cus-1")[0].id


def _commit_with(world: World, *, due_on: object, checkout: object) -> object:
    return register_commitment(
        world.deps,
        BUYER,
        subscription_id=_held(world),
        due_on=due_on,  # type: ignore[arg-type]
        pledged=True,
        checkout=checkout,  # type: ignore[arg-type]
        idempotency_key="k",
    )


BAD: dict[str, tuple[Call, type[SubscriptionError], str]] = {
    "a due date given as a datetime": (
        lambda w: _commit_with(w, due_on=dt.datetime(2027, 1, 1, tzinfo=dt.UTC), checkout=CONFIRMED),
        ValidationError,
        "K3",
    ),
    "a checkout that is no checkout": (
        lambda w: _commit_with(w, due_on=dt.date(2027, 1, 1), checkout="yes"),
        ValidationError,
        "O2",
    ),
    "a trial of a plan without one": (
        lambda w: start_trial(w.deps, BUYER, customer_id="cus-1", plan="pro", idempotency_key="k"),
        SubscriptionError,
        "C4",
    ),
    "a bulk renewal of another product": (
        lambda w: place_bulk_renewal(
            w.deps,
            ACCOUNTANT,
            BulkRenewal(product="qlts", rows=(BulkRow(client=tax_code(1), option="1y"),)),
            confirmed=True,
            idempotency_key="k",
        ),
        ValidationError,
        "B4",
    ),
    "a payment method that is no method": (
        lambda w: start_payment(
            w.deps,
            BUYER,
            order_id="ord-0002",
            method="card",  # type: ignore[arg-type]
            idempotency_key="k",
        ),
        ValidationError,
        "Y1",
    ),
}


@pytest.mark.parametrize(("call", "error", "rule"), BAD.values(), ids=BAD.keys())
def test_bad_input_is_refused_with_its_rule_and_nothing_changes(
    busy: World, call: Call, error: type[SubscriptionError], rule: str
) -> None:
    before = busy.snapshot()
    with pytest.raises(error) as caught:
        call(busy)
    assert caught.value.rule == rule
    assert busy.snapshot() == before
