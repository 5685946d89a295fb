"""Idempotency keys with Stripe's semantics, and races settled by the store's unique keys (Y5, P9)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.customers import Actor
from subscription_core.errors import ConflictError, SubscriptionError, ValidationError
from subscription_core.money import Money
from subscription_core.services import (
    Checkout,
    NewPurchase,
    NotificationResult,
    handle_notification,
    place_order,
    start_payment,
)
from subscription_core.services.idempotency import fingerprint, scope_of
from subscription_core.services.registering import grant_buying_right

from .harness import BUYER, CONFIRMED, STAFF, STRANGER, VND, WALLET, World, promotion

T = TypeVar("T")
REQUEST = NewPurchase(customer_id="cus-1", plan="std", option="1y")


def _race(count: int, call: Callable[[], T]) -> list[T | SubscriptionError]:
    """Run ``call`` in ``count`` threads released together; each result or error, in no particular order."""
    gate = threading.Barrier(count)
    results: list[T | SubscriptionError] = []
    lock = threading.Lock()

    def run() -> None:
        gate.wait()
        try:
            outcome: T | SubscriptionError = call()
        except SubscriptionError as error:
            outcome = error
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_same_key_same_input_returns_the_first_outcome_with_no_new_effect(world: World) -> None:
    first = place_order(world.deps, BUYER, REQUEST, CONFIRMED, idempotency_key="order-1")
    before = world.snapshot()
    world.at(hours=1)
    again = place_order(world.deps, BUYER, REQUEST, Checkout(confirmed=True), idempotency_key="order-1")
    assert again == first
    assert world.snapshot() == before


def test_same_key_different_input_is_a_conflict(world: World) -> None:
    place_order(world.deps, BUYER, REQUEST, CONFIRMED, idempotency_key="order-1")
    before = world.snapshot()
    other = NewPurchase(customer_id="cus-1", plan="pro", option="1y")
    with pytest.raises(ConflictError) as caught:
        place_order(world.deps, BUYER, other, CONFIRMED, idempotency_key="order-1")
    assert caught.value.field == "idempotency_key"
    assert world.snapshot() == before


def test_keys_are_scoped_by_actor(world: World) -> None:
    mine = place_order(world.deps, BUYER, REQUEST, CONFIRMED, idempotency_key="1")
    theirs = place_order(
        world.deps, STRANGER, NewPurchase(customer_id="cus-2", plan="std", option="1y"), CONFIRMED, idempotency_key="1"
    )
    assert mine.id != theirs.id


def test_keys_of_customer_users_are_scoped_by_their_company_too(world: World) -> None:
    grant_buying_right(world.deps, STAFF, customer_id="cus-2", user_id="u-1", idempotency_key="grant-1")
    same_id_elsewhere = Actor.customer_user("u-1", "cus-2")  # another company's user with the same user id
    mine = place_order(world.deps, BUYER, REQUEST, CONFIRMED, idempotency_key="1")
    theirs = place_order(
        world.deps,
        same_id_elsewhere,
        NewPurchase(customer_id="cus-2", plan="std", option="1y"),
        CONFIRMED,
        idempotency_key="1",
    )
    assert (mine.customer_id, theirs.customer_id) == ("cus-1", "cus-2")
    assert scope_of("place_order", BUYER) != scope_of("place_order", same_id_elsewhere)
    assert place_order(world.deps, BUYER, REQUEST, CONFIRMED, idempotency_key="1") == mine


def test_a_refused_request_keeps_no_key(world: World) -> None:
    with pytest.raises(SubscriptionError):
        place_order(world.deps, BUYER, REQUEST, Checkout(confirmed=False), idempotency_key="order-1")
    placed = place_order(world.deps, BUYER, REQUEST, CONFIRMED, idempotency_key="order-1")
    assert placed.customer_id == "cus-1"


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "line\nbreak", 42])
def test_malformed_keys_are_refused(world: World, key: object) -> None:
    before = world.snapshot()
    with pytest.raises(ValidationError):
        place_order(world.deps, BUYER, REQUEST, CONFIRMED, idempotency_key=key)  # type: ignore[arg-type]
    assert world.snapshot() == before


def test_start_payment_repeat_returns_the_same_start_without_asking_the_provider_again(world: World) -> None:
    order = world.place(REQUEST)
    first = start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="pay-1")
    again = start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="pay-1")
    assert again == first
    assert len(world.wallet.started) == 1


def test_concurrent_calls_with_one_key_take_effect_once(world: World) -> None:
    results = _race(8, lambda: place_order(world.deps, BUYER, REQUEST, CONFIRMED, idempotency_key="same"))
    assert not [r for r in results if isinstance(r, SubscriptionError)]
    assert len({r.id for r in results if not isinstance(r, SubscriptionError)}) == 1
    assert len(world.snapshot()["orders"]) == 1


def test_y5_concurrent_deliveries_of_one_notification_apply_once(world: World) -> None:
    order = world.place(REQUEST)
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="pay-1")
    payload = world.notification(order)
    results = _race(6, lambda: handle_notification(world.deps, "vnptpay", payload))
    statuses = sorted(r.status.value for r in results if not isinstance(r, SubscriptionError))
    assert statuses == ["already_processed"] * 5 + ["applied"]
    assert len(world.issuer.issued) == 1
    subscription = world.subscription(order.lines[0].ref)
    assert subscription.version == 1


def test_p9_concurrent_orders_never_exceed_a_redemption_limit(world: World) -> None:
    world.add(promotion("FLASH", limit=2))
    keys = iter(range(100))
    lock = threading.Lock()

    def order_one() -> object:
        with lock:
            key = f"flash-{next(keys)}"
        request = NewPurchase(customer_id="cus-1", plan="std", option="1y", codes=("FLASH",))
        return place_order(world.deps, BUYER, request, CONFIRMED, idempotency_key=key)

    results = _race(6, order_one)
    placed = [r for r in results if not isinstance(r, SubscriptionError)]
    refused = [r for r in results if isinstance(r, SubscriptionError)]
    assert len(placed) == 2
    assert {e.rule for e in refused} <= {"P9", ""}
    with world.store.lock:
        assert len(world.store.redemptions.rows) == 2


def test_y5_two_successes_racing_for_one_order_pay_it_once(world: World) -> None:
    order = world.place(REQUEST)
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="pay-1")
    payloads = iter([world.notification(order), world.notification(order)])
    lock = threading.Lock()

    def deliver() -> object:
        with lock:
            payload = next(payloads)
        return handle_notification(world.deps, "vnptpay", payload)

    results = _race(2, deliver)
    assert not [r for r in results if isinstance(r, SubscriptionError)]
    statuses = sorted(r.status.value for r in results if isinstance(r, NotificationResult))
    assert statuses == ["applied", "unapplied"]  # the second event's money is kept for staff (Y6)
    with world.store.lock:
        succeeded = [p for p in world.store.payments.rows.values() if p.state.value == "succeeded"]
    assert len(succeeded) == 1
    assert len(world.issuer.issued) == 1


def test_fingerprint_compares_decimals_by_value_and_sets_regardless_of_order() -> None:
    assert fingerprint(a=Decimal("1.0")) == fingerprint(a=Decimal(1))
    assert fingerprint(a=Money.of("6000000", VND)) == fingerprint(a=Money.of(Decimal("6000000.0"), VND))
    assert fingerprint(a=frozenset({"x", "y"})) == fingerprint(a=frozenset({"y", "x"}))
    assert fingerprint(a={"x": 1, "y": 2}) == fingerprint(a={"y": 2, "x": 1})
    when = dt.datetime(2026, 11, 23, 9, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert fingerprint(a=when) == fingerprint(a=when.astimezone(dt.UTC))
    assert fingerprint(a=REQUEST) != fingerprint(a=NewPurchase(customer_id="cus-1", plan="std", option="2y"))


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5) | st.none(), max_size=5))
def test_fingerprint_is_a_function_of_the_input(fields: dict[str, object]) -> None:
    assert fingerprint(input=fields) == fingerprint(input=dict(reversed(list(fields.items()))))
    assert len(fingerprint(input=fields)) == 64
