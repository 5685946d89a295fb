"""Free trials: one per company and product, ever (S12, C4)."""

from __future__ import annotations

import pytest

from subscription_core.errors import NotEligibleError
from subscription_core.services import NewPurchase, run_scheduler, start_trial
from subscription_core.subscriptions import State, Subscription

from .harness import BUYER, STAFF, STRANGER, World


def _trial(world: World, *, key: str, customer: str = "cus-1") -> Subscription:
    actor = BUYER if customer == "cus-1" else STRANGER
    return start_trial(world.deps, actor, customer_id=customer, plan="std", idempotency_key=key)


def _refused(world: World, first: Subscription) -> None:
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        _trial(world, key="t-again")
    assert (caught.value.rule, caught.value.field, caught.value.value) == ("S12", "plan", "std")
    assert first.id in caught.value.message
    assert world.snapshot() == before


def test_s12_a_second_trial_of_the_product_is_refused_while_the_first_runs(world: World) -> None:
    first = _trial(world, key="t-1")
    world.at(days=3)
    _refused(world, first)


def test_s12_a_second_trial_is_refused_after_the_first_ended_and_after_its_data_was_purged(world: World) -> None:
    first = _trial(world, key="t-1")
    world.at(days=20)
    run_scheduler(world.deps)
    assert world.subscription(first.id).state is State.EXPIRED
    _refused(world, first)
    world.at(days=60)
    run_scheduler(world.deps)
    assert world.subscription(first.id).state is State.PURGED
    _refused(world, first)


def test_s12_a_second_trial_is_refused_after_the_first_was_converted(world: World) -> None:
    first = _trial(world, key="t-1")
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y", trial_id=first.id))
    world.pay_online(order)
    assert world.subscription(first.id).state is State.ACTIVE
    _refused(world, first)


def test_s12_staff_cannot_start_a_second_trial_for_a_customer_either(world: World) -> None:
    _trial(world, key="t-1")
    with pytest.raises(NotEligibleError) as caught:
        start_trial(world.deps, STAFF, customer_id="cus-1", plan="std", idempotency_key="t-2", reason="asked")
    assert caught.value.rule == "S12"


def test_s12_another_company_gets_its_own_trial(world: World) -> None:
    first = _trial(world, key="t-1")
    other = _trial(world, key="t-2", customer="cus-2")
    assert (first.customer_id, other.customer_id) == ("cus-1", "cus-2")
    assert other.state is State.TRIAL


def test_s12_repeating_the_same_request_answers_the_first_trial(world: World) -> None:
    first = _trial(world, key="t-1")
    assert _trial(world, key="t-1") == first
    assert [s.id for s in world.subscriptions_of("cus-1")] == [first.id]
