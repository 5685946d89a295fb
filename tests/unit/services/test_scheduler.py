"""The scheduler: time-driven transitions in batches, lapsed orders, idempotence, the outbox relay (S3, S4, O4, N2)."""

from __future__ import annotations

import pytest

from subscription_core.errors import ValidationError
from subscription_core.orders import OrderState
from subscription_core.services import NewPurchase, relay_outbox, run_scheduler
from subscription_core.subscriptions import State

from .harness import STAFF, World


def test_s3_s4_warnings_then_expiry_then_purge(world: World) -> None:
    sub = world.buy()
    for lead in (30, 15, 7, 1):
        world.at(days=365 - lead)
        assert run_scheduler(world.deps).advanced == (sub.id,)
    world.at(days=366)
    run_scheduler(world.deps)
    assert world.subscription(sub.id).state is State.EXPIRED
    world.at(days=366 + 31)
    run_scheduler(world.deps)
    purged = world.subscription(sub.id)
    assert purged.state is State.PURGED
    kinds = [m.kind for m in world.outbox() if m.subject_id == sub.id and m.channel.value == "email"]
    assert kinds == ["activated", *["expiring_soon"] * 4, "expired", "purged"]
    leads = [
        dict(m.data)["days_left"] for m in world.outbox() if m.kind == "expiring_soon" and m.channel.value == "email"
    ]
    assert sorted(leads, key=int, reverse=True) == ["30", "15", "7", "1"]


def test_scheduler_is_idempotent_at_the_same_instant(world: World) -> None:
    world.buy()
    world.place(NewPurchase(customer_id="cus-2", plan="std", option="1y"), actor=STAFF)
    world.at(days=380)
    first = run_scheduler(world.deps)
    assert first.advanced
    assert first.lapsed
    after_first = world.snapshot()
    second = run_scheduler(world.deps)
    assert (second.advanced, second.lapsed, second.cancelled) == ((), (), ())
    assert world.snapshot() == after_first


def test_scheduler_works_in_batches(world: World) -> None:
    subs = [world.buy() for _ in range(5)]
    world.at(days=370)
    run = run_scheduler(world.deps, batch=2)
    assert sorted(run.advanced) == sorted(s.id for s in subs)
    assert {world.subscription(s.id).state for s in subs} == {State.EXPIRED}


def test_o4_orders_unpaid_past_their_deadline_lapse(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    world.at(days=7)
    assert run_scheduler(world.deps).lapsed == ()
    world.at(days=8)
    assert run_scheduler(world.deps).lapsed == (order.id,)
    assert world.order(order.id).state is OrderState.LAPSED
    assert "order_lapsed" in {m.kind for m in world.outbox() if m.subject_id == order.id}


@pytest.mark.parametrize("batch", [0, -1, True, "10"])
def test_scheduler_refuses_a_bad_batch_size(world: World, batch: object) -> None:
    with pytest.raises(ValidationError):
        run_scheduler(world.deps, batch=batch)  # type: ignore[arg-type]


def test_n2_relay_delivers_each_message_and_retries_failures(world: World) -> None:
    world.buy()
    queued = len(world.outbox())
    world.notifier.fail_next(1)
    first = relay_outbox(world.deps)
    assert (first.sent, first.failed) == (queued - 1, 1)
    assert relay_outbox(world.deps).sent == 0  # the failed one waits for its retry time
    world.at(minutes=6)
    assert relay_outbox(world.deps).sent == 1
    assert sorted(m.id for m in world.notifier.sent) == sorted(m.id for m in world.outbox())
    assert relay_outbox(world.deps).sent == 0
