"""Dead letters in the core relay and the staff's use cases: give up, list, requeue, deliver (N2, A2)."""

from __future__ import annotations

import datetime as dt
import logging

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subscription_core.errors import (
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from subscription_core.notices import Channel, OrderNoticeKind, OutboxMessage
from subscription_core.services import Delivery, dead_notices, relay_outbox, requeue_notice

from .harness import BUYER, STAFF, T0, World

MINUTE = dt.timedelta(minutes=1)


def queue_one(world: World, message_id: str = "ord-1:order_placed:email") -> OutboxMessage:
    message = OutboxMessage(
        id=message_id,
        kind=OrderNoticeKind.ORDER_PLACED.value,
        channel=Channel.EMAIL,
        recipient="ketoan@example.vn",
        subject_id="ord-1",
        created_at=T0,
    )
    with world.deps.uow() as uow:
        uow.outbox.add(message)
        uow.commit()
    return message


def test_n2_a_permanent_failure_is_set_aside_at_once_and_never_retried(world: World) -> None:
    message = queue_one(world)
    world.notifier.fail_next(1, permanent=True)
    assert relay_outbox(world.deps) == Delivery(sent=0, failed=0, dead=1)
    world.at(days=30)
    assert relay_outbox(world.deps) == Delivery(sent=0, failed=0, dead=0)
    assert world.notifier.attempts == 1
    [letter] = dead_notices(world.deps, STAFF)
    assert (letter.message, letter.attempts, letter.died_at) == (message, 1, T0)
    assert letter.error.startswith("DeliveryError: [N2] message_id: the notifier refuses the recipient")
    assert "@" not in letter.error
    assert world.outbox() == [message]  # nothing deleted


def test_n2_a_transient_failure_is_retried_with_backoff_and_dead_after_max_attempts(world: World) -> None:
    queue_one(world)
    world.notifier.fail_next(3)
    assert relay_outbox(world.deps, max_attempts=3) == Delivery(sent=0, failed=1, dead=0)
    world.at(minutes=4)
    assert relay_outbox(world.deps, max_attempts=3).failed == 0  # the first retry is 5 minutes away
    world.at(minutes=5)
    assert relay_outbox(world.deps, max_attempts=3) == Delivery(sent=0, failed=1, dead=0)
    world.at(minutes=14)
    assert relay_outbox(world.deps, max_attempts=3).failed == 0  # then 10 minutes
    world.at(minutes=15)
    assert relay_outbox(world.deps, max_attempts=3) == Delivery(sent=0, failed=0, dead=1)
    [letter] = dead_notices(world.deps, STAFF)
    assert (letter.attempts, letter.died_at) == (3, T0 + 15 * MINUTE)
    assert letter.error.startswith("DeliveryError: [N2] message_id: the notifier is unavailable")
    world.at(days=30)
    assert relay_outbox(world.deps, max_attempts=3) == Delivery(sent=0, failed=0, dead=0)
    assert world.notifier.attempts == 3


def test_n2_an_error_that_is_not_a_delivery_error_is_retried_and_recorded_by_its_type_only(world: World) -> None:
    class Broken:
        def send(self, message: OutboxMessage) -> None:
            raise RuntimeError(f"could not reach {message.recipient}")

    queue_one(world)
    broken = attrs.evolve(world.deps, notifier=Broken())
    assert relay_outbox(broken, max_attempts=2) == Delivery(sent=0, failed=1, dead=0)
    world.at(minutes=5)
    assert relay_outbox(broken, max_attempts=2) == Delivery(sent=0, failed=0, dead=1)
    [letter] = dead_notices(world.deps, STAFF)
    assert letter.error == "RuntimeError"  # its text named the address


def test_n2_a_requeued_notice_is_delivered_on_the_next_run(world: World) -> None:
    message = queue_one(world)
    world.notifier.fail_next(1, permanent=True)
    relay_outbox(world.deps)
    world.at(hours=2)
    requeued = requeue_notice(
        world.deps, STAFF, message_id=message.id, reason="address corrected", idempotency_key="rq-1"
    )
    assert requeued == message.id
    assert dead_notices(world.deps, STAFF) == []
    assert relay_outbox(world.deps) == Delivery(sent=1, failed=0, dead=0)
    assert [m.id for m in world.notifier.sent] == [message.id]
    # A repeat of the request answers the same and changes nothing (the message is sent, not dead).
    again = requeue_notice(world.deps, STAFF, message_id=message.id, reason="address corrected", idempotency_key="rq-1")
    assert again == message.id
    assert relay_outbox(world.deps).sent == 0


def test_n2_a_requeued_notice_that_fails_again_gets_one_more_try_before_it_is_dead_again(world: World) -> None:
    message = queue_one(world)
    world.notifier.fail_next(2)
    relay_outbox(world.deps, max_attempts=2)
    world.at(minutes=5)
    assert relay_outbox(world.deps, max_attempts=2).dead == 1
    requeue_notice(world.deps, STAFF, message_id=message.id, reason="mail server back", idempotency_key="rq-1")
    world.notifier.fail_next(1)
    assert relay_outbox(world.deps, max_attempts=2).dead == 1  # attempts are kept: 3 >= 2
    [letter] = dead_notices(world.deps, STAFF)
    assert letter.attempts == 3


def test_a2_only_staff_see_and_requeue_dead_notices(world: World) -> None:
    message = queue_one(world)
    world.notifier.fail_next(1, permanent=True)
    relay_outbox(world.deps)
    with pytest.raises(PermissionDeniedError) as caught:
        dead_notices(world.deps, BUYER)
    assert caught.value.rule == "A2"
    with pytest.raises(PermissionDeniedError):
        requeue_notice(world.deps, BUYER, message_id=message.id, reason="please", idempotency_key="rq-1")
    assert len(dead_notices(world.deps, STAFF)) == 1


def test_n2_requeue_refuses_what_is_not_dead_unknown_or_unexplained(world: World) -> None:
    message = queue_one(world)
    with pytest.raises(InvalidTransitionError) as not_dead:
        requeue_notice(world.deps, STAFF, message_id=message.id, reason="why not", idempotency_key="rq-1")
    assert (not_dead.value.rule, not_dead.value.value) == ("N2", message.id)
    with pytest.raises(NotFoundError):
        requeue_notice(world.deps, STAFF, message_id="msg-404", reason="why not", idempotency_key="rq-2")
    world.notifier.fail_next(1, permanent=True)
    relay_outbox(world.deps)
    with pytest.raises(ValidationError) as no_reason:
        requeue_notice(world.deps, STAFF, message_id=message.id, reason="  ", idempotency_key="rq-3")
    assert no_reason.value.rule == "A2"
    with pytest.raises(ValidationError):
        requeue_notice(world.deps, STAFF, message_id=" ", reason="fixed", idempotency_key="rq-4")
    requeue_notice(world.deps, STAFF, message_id=message.id, reason="fixed", idempotency_key="rq-5")
    with pytest.raises(ConflictError):
        requeue_notice(world.deps, STAFF, message_id="other", reason="fixed", idempotency_key="rq-5")


@pytest.mark.parametrize("value", [0, -1, True, "20", 2.0])
def test_n2_the_relay_refuses_a_bad_max_attempts(world: World, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        relay_outbox(world.deps, max_attempts=value)  # type: ignore[arg-type]
    assert (caught.value.rule, caught.value.field) == ("N2", "max_attempts")


@pytest.mark.parametrize("limit", [0, -1, 1001, True, "10"])
def test_dead_notices_refuses_a_bad_limit(world: World, limit: object) -> None:
    with pytest.raises(ValidationError):
        dead_notices(world.deps, STAFF, limit=limit)  # type: ignore[arg-type]


def test_n2_giving_up_and_requeueing_log_ids_only(world: World, caplog: pytest.LogCaptureFixture) -> None:
    message = queue_one(world)
    world.notifier.fail_next(1, permanent=True)
    with caplog.at_level(logging.INFO):
        relay_outbox(world.deps)
        requeue_notice(
            world.deps,
            STAFF,
            message_id=message.id,
            reason="customer gave ketoan.moi@congty.vn, tax code 0101243150",
            idempotency_key="rq-1",
        )
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert f"notice {message.id} given up after a permanent failure (DeliveryError)" in text
    assert f"notice {message.id} requeued by st-1: customer gave k***@c*** tax code 01****3150" in text
    assert "@congty.vn" not in text
    assert "0101243150" not in text
    assert message.recipient not in text


@settings(max_examples=40, deadline=None)
@given(max_attempts=st.integers(1, 6), failures=st.integers(0, 8), permanent=st.booleans())
def test_n2_a_notice_ends_sent_or_dead_after_the_attempts_allowed_and_is_never_lost(
    max_attempts: int,
    failures: int,
    permanent: bool,
) -> None:
    world = World.make()
    message = queue_one(world)
    world.notifier.fail_next(failures, permanent=permanent)
    runs = 0
    while True:
        runs += 1
        world.at(hours=7 * runs)  # past any retry time (the cap is 6 hours)
        outcome = relay_outbox(world.deps, max_attempts=max_attempts)
        if outcome.failed == 0:
            break
    dead = dead_notices(world.deps, STAFF)
    if failures == 0:
        expected_attempts, ends_dead = 1, False
    elif permanent:
        expected_attempts, ends_dead = 1, True
    else:
        expected_attempts, ends_dead = min(failures + 1, max_attempts), failures >= max_attempts
    assert world.notifier.attempts == expected_attempts
    assert [d.message.id for d in dead] == ([message.id] if ends_dead else [])
    assert [m.id for m in world.notifier.sent] == ([] if ends_dead else [message.id])
    assert world.outbox() == [message]
