"""One subscription that cannot advance never stops the scheduler for the others (issue 14: the poison pill).

Observed: one product with ``purge_after_days=3,000,000`` made ``run_scheduler`` raise ``OverflowError`` on every
run, so another product's subscription was still active two months after it expired. Now the one that cannot
advance is held back with its error, visible to staff, tried again with a growing pause, and the rest go on.
"""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from subscription_core.customers import Actor
from subscription_core.errors import PermissionDeniedError
from subscription_core.held_back import FIRST_RETRY, HeldBack
from subscription_core.scheduling import run_due
from subscription_core.services import held_back_subscriptions, run_scheduler
from subscription_core.subscriptions import LifecyclePolicy, State, Subscription

from .harness import BUYER, STAFF, World


def _poisoned(world: World, sub: Subscription) -> Subscription:
    """``sub`` as stored with a purge window no date can hold: advancing it past expiry overflows."""
    poisoned = attrs.evolve(sub, policy=LifecyclePolicy(purge_after_days=3_000_000), version=sub.version + 1)
    with world.deps.uow() as uow:
        uow.subscriptions.save(poisoned, expected_version=sub.version)
        uow.commit()
    return poisoned


def test_s1_one_subscription_that_cannot_advance_never_stops_the_others(world: World) -> None:
    healthy = world.buy()
    poisoned = _poisoned(world, world.buy(customer_n=2, actor=Actor.customer_user("u-2", "cus-2")))
    world.at(days=366 + 60)  # two months after both expired
    run = run_scheduler(world.deps)
    assert world.subscription(healthy.id).state is State.PURGED  # expired, then its 30-day window ended
    assert run.held_back == (poisoned.id,)
    assert healthy.id in run.advanced
    held = world.subscription(poisoned.id)
    assert held.held_back is not None
    assert (held.held_back.attempts, held.held_back.error) == (1, "OverflowError")
    assert held.next_due_at == world.clock.now() + FIRST_RETRY


def test_s1_a_held_back_subscription_is_tried_again_later_with_a_growing_pause(world: World) -> None:
    poisoned = _poisoned(world, world.buy())
    world.at(days=400)
    run_scheduler(world.deps)
    assert run_scheduler(world.deps).held_back == ()  # not due again yet: one try per pause, not per run
    first = world.subscription(poisoned.id).held_back
    assert first is not None
    world.clock.set(first.retry_at)
    assert run_scheduler(world.deps).held_back == (poisoned.id,)
    second = world.subscription(poisoned.id).held_back
    assert second is not None
    assert (second.attempts, second.since) == (2, first.since)
    assert second.retry_at - first.retry_at == 2 * FIRST_RETRY


def test_a2_staff_list_held_back_subscriptions_with_their_error(world: World) -> None:
    poisoned = _poisoned(world, world.buy())
    world.at(days=400)
    run_scheduler(world.deps)
    (listed,) = held_back_subscriptions(world.deps, STAFF)
    assert listed.id == poisoned.id
    assert listed.held_back is not None
    assert listed.held_back.error == "OverflowError"
    with pytest.raises(PermissionDeniedError):
        held_back_subscriptions(world.deps, BUYER)


def test_s1_once_it_can_advance_the_hold_is_lifted_and_every_missed_transition_applied(world: World) -> None:
    sub = world.buy()
    at = world.at(days=400)
    hold = HeldBack(since=at - dt.timedelta(days=1), attempts=3, error="OverflowError", retry_at=at)
    held = attrs.evolve(sub, held_back=hold, version=sub.version + 1)
    run = run_due([held], at)
    (after,) = run.subscriptions
    assert run.held_back == ()
    assert after.held_back is None
    assert after.state is State.PURGED
    assert [entry.event.value for entry in after.history[len(held.history) :]][-2:] == ["expire", "purge"]
    assert after.version > held.version
