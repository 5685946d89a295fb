"""The Outbox contract (N2), run on every repository adapter."""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscription_core.errors import InvalidTransitionError, NotFoundError, ValidationError
from subscription_core.notices import DeadLetter, OutboxMessage
from subscription_core.ports import Outbox, UnitOfWorkFactory

from .builders import T0, at, message


def queue(units: UnitOfWorkFactory, *messages: OutboxMessage) -> None:
    with units() as uow:
        for m in messages:
            assert uow.outbox.add(m) is True
        uow.commit()


def pending_ids(units: UnitOfWorkFactory, when: dt.datetime | None = None, limit: int = 100) -> list[str]:
    with units() as uow:
        return [m.id for m in uow.outbox.pending(at(10) if when is None else when, limit=limit)]


def test_n2_queued_message_is_pending_and_reads_back_equal(units: UnitOfWorkFactory) -> None:
    queued = message("msg-1")
    queue(units, queued)
    with units() as uow:
        assert uow.outbox.pending(at(1), limit=10) == [queued]


def test_n2_a_message_id_is_queued_once(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1"))
    with units() as uow:
        assert uow.outbox.add(message("msg-1", created=at(1))) is False
        assert uow.outbox.add(message("msg-2")) is True
        assert uow.outbox.add(message("msg-2")) is False
        uow.commit()
    assert pending_ids(units) == ["msg-1", "msg-2"]


def test_n2_add_many_queues_each_id_once_and_counts_the_new(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1"))
    with units() as uow:
        assert uow.outbox.add_many([]) == 0
        batch = [message("msg-1", created=at(1)), message("msg-2"), message("msg-3"), message("msg-2")]
        assert uow.outbox.add_many(batch) == 2  # msg-1 was queued before; msg-2 comes twice
        assert uow.outbox.add_many([message("msg-3")]) == 0
        uow.commit()
    assert pending_ids(units) == ["msg-1", "msg-2", "msg-3"]
    with units() as uow:
        assert uow.outbox.pending(at(10), limit=1)[0].created_at == T0  # the first msg-1 stands


def test_n2_add_many_is_rolled_back_with_its_unit(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        assert uow.outbox.add_many([message("msg-1"), message("msg-2")]) == 2
    assert pending_ids(units) == []


def test_n2_pending_oldest_first_within_the_limit(units: UnitOfWorkFactory) -> None:
    queue(
        units, message("msg-c", created=at(0.3)), message("msg-a", created=at(0.1)), message("msg-b", created=at(0.2))
    )
    assert pending_ids(units) == ["msg-a", "msg-b", "msg-c"]
    assert pending_ids(units, limit=2) == ["msg-a", "msg-b"]


def test_n2_a_message_is_pending_from_its_creation(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1", created=at(1)))
    with units() as uow:
        assert uow.outbox.pending(at(0.5), limit=10) == []
        assert [m.id for m in uow.outbox.pending(at(1), limit=10)] == ["msg-1"]


def test_n2_a_sent_message_is_never_handed_out_again(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1"), message("msg-2"))
    with units() as uow:
        uow.outbox.mark_sent("msg-1", at(0.1))
        uow.commit()
    assert pending_ids(units) == ["msg-2"]
    assert pending_ids(units, at(1000)) == ["msg-2"]


def test_n2_a_failed_message_waits_for_its_retry_time(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1"))
    with units() as uow:
        uow.outbox.mark_failed("msg-1", at(0.1), error="SMTP 451 try later", retry_at=at(1))
        uow.commit()
    assert pending_ids(units, at(0.5)) == []
    assert pending_ids(units, at(1)) == ["msg-1"]
    with units() as uow:
        uow.outbox.mark_sent("msg-1", at(1))
        uow.commit()
    assert pending_ids(units, at(2)) == []


def test_n2_failed_again_moves_the_retry_time(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1"))
    for retry in (at(1), at(3)):
        with units() as uow:
            uow.outbox.mark_failed("msg-1", T0, error="timeout", retry_at=retry)
            uow.commit()
    assert pending_ids(units, at(2)) == []
    assert pending_ids(units, at(3)) == ["msg-1"]


def test_n2_marking_an_unknown_message_is_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        with pytest.raises(NotFoundError):
            uow.outbox.mark_sent("msg-404", T0)
        with pytest.raises(NotFoundError):
            uow.outbox.mark_failed("msg-404", T0, error="timeout", retry_at=at(1))


def dead_ids(units: UnitOfWorkFactory, limit: int = 100) -> list[str]:
    with units() as uow:
        return [letter.message.id for letter in uow.outbox.dead(limit=limit)]


def kill(units: UnitOfWorkFactory, message_id: str, when: dt.datetime, error: str = "550 5.1.1 (permanent)") -> None:
    with units() as uow:
        uow.outbox.mark_dead(message_id, when, error=error)
        uow.commit()


def test_n2_a_dead_message_is_never_pending_and_is_listed_with_its_error(units: UnitOfWorkFactory) -> None:
    queued = message("msg-1")
    queue(units, queued, message("msg-2"))
    with units() as uow:
        uow.outbox.mark_failed("msg-1", at(0.1), error="TransientDeliveryError", retry_at=at(0.2))
        uow.commit()
    kill(units, "msg-1", at(0.3))
    assert pending_ids(units, at(1000)) == ["msg-2"]
    with units() as uow:
        assert uow.outbox.dead(limit=10) == [
            DeadLetter(message=queued, error="550 5.1.1 (permanent)", attempts=2, died_at=at(0.3))
        ]
        assert uow.outbox.attempts("msg-1") == 2
        assert uow.outbox.attempts("msg-2") == 0


def test_n2_dead_messages_are_listed_longest_dead_first_within_the_limit(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-a"), message("msg-b", created=at(0.1)), message("msg-c"), message("msg-d"))
    kill(units, "msg-b", at(1))
    kill(units, "msg-c", at(3))
    kill(units, "msg-a", at(2))
    assert dead_ids(units) == ["msg-b", "msg-a", "msg-c"]
    assert dead_ids(units, limit=2) == ["msg-b", "msg-a"]
    assert dead_ids(units, limit=0) == []
    assert pending_ids(units) == ["msg-d"]


def test_n2_marking_dead_is_rolled_back_with_its_unit(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1"))
    with units() as uow:
        uow.outbox.mark_dead("msg-1", at(1), error="550")
        assert [d.message.id for d in uow.outbox.dead(limit=10)] == ["msg-1"]  # the unit sees its own write
        assert uow.outbox.pending(at(2), limit=10) == []
    assert dead_ids(units) == []
    assert pending_ids(units) == ["msg-1"]


def test_n2_a_sent_message_stays_sent_and_a_dead_one_keeps_its_first_death(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1"), message("msg-2"))
    with units() as uow:
        uow.outbox.mark_sent("msg-1", at(0.1))
        uow.commit()
    kill(units, "msg-1", at(1))
    kill(units, "msg-2", at(1), error="first")
    kill(units, "msg-2", at(2), error="second")
    with units() as uow:
        uow.outbox.mark_failed("msg-2", at(3), error="later", retry_at=at(4))  # a dead message stays dead
        uow.outbox.mark_sent("msg-2", at(3))
        uow.commit()
    with units() as uow:
        letters = uow.outbox.dead(limit=10)
    assert [(d.message.id, d.error, d.attempts, d.died_at) for d in letters] == [("msg-2", "first", 1, at(1))]
    assert pending_ids(units, at(1000)) == []


def test_n2_a_requeued_message_is_pending_again_at_the_given_time_with_its_attempts_kept(
    units: UnitOfWorkFactory,
) -> None:
    queue(units, message("msg-1"))
    kill(units, "msg-1", at(1))
    with units() as uow:
        uow.outbox.requeue("msg-1", at(5))
        uow.commit()
    assert dead_ids(units) == []
    assert pending_ids(units, at(4.9)) == []
    assert pending_ids(units, at(5)) == ["msg-1"]
    with units() as uow:
        assert uow.outbox.attempts("msg-1") == 1
        uow.outbox.mark_sent("msg-1", at(5))
        uow.commit()
    with units() as uow:
        assert uow.outbox.attempts("msg-1") == 2
    assert pending_ids(units, at(1000)) == []


def test_n2_only_a_dead_message_may_be_requeued(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1"), message("msg-2"))
    with units() as uow:
        uow.outbox.mark_sent("msg-2", at(0.1))
        uow.commit()
    for message_id in ("msg-1", "msg-2"):
        with units() as uow, pytest.raises(InvalidTransitionError) as caught:
            uow.outbox.requeue(message_id, at(1))
        assert (caught.value.rule, caught.value.value) == ("N2", message_id)
    assert pending_ids(units) == ["msg-1"]


def test_n2_dead_letters_on_an_unknown_message_are_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        with pytest.raises(NotFoundError):
            uow.outbox.mark_dead("msg-404", T0, error="550")
        with pytest.raises(NotFoundError):
            uow.outbox.requeue("msg-404", T0)
        with pytest.raises(NotFoundError):
            uow.outbox.attempts("msg-404")


def test_n2_dead_letters_refuse_naive_instants_and_negative_limits(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1"))
    with units() as uow:
        with pytest.raises(ValidationError):
            uow.outbox.mark_dead("msg-1", T0.replace(tzinfo=None), error="550")
        with pytest.raises(ValidationError):
            uow.outbox.dead(limit=-1)
    kill(units, "msg-1", at(1))
    with units() as uow, pytest.raises(ValidationError):
        uow.outbox.requeue("msg-1", T0.replace(tzinfo=None))


# --- claims: the relay's way in -------------------------------------------------------------------------

LEASE = dt.timedelta(minutes=5)


def claim_ids(units: UnitOfWorkFactory, when: dt.datetime, limit: int = 100, lease: dt.timedelta = LEASE) -> list[str]:
    with units() as uow:
        taken = [m.id for m in uow.outbox.claim(when, limit=limit, lease=lease)]
        uow.commit()
    return taken


def test_n2_a_claim_takes_due_messages_oldest_first_within_the_limit(units: UnitOfWorkFactory) -> None:
    queue(
        units,
        message("msg-c", created=at(0.3)),
        message("msg-a", created=at(0.1)),
        message("msg-b", created=at(0.2)),
        message("msg-later", created=at(2)),
    )
    with units() as uow:
        claimed = uow.outbox.claim(at(1), limit=2, lease=LEASE)
        uow.commit()
    assert claimed == [message("msg-a", created=at(0.1)), message("msg-b", created=at(0.2))]
    assert claim_ids(units, at(1)) == ["msg-c"]
    assert claim_ids(units, at(1)) == []


def test_n2_a_claimed_message_is_due_again_only_when_its_lease_runs_out(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1"), message("msg-2"))
    assert claim_ids(units, at(1), limit=1) == ["msg-1"]
    lease_end = at(1) + LEASE
    assert pending_ids(units, lease_end - dt.timedelta(seconds=1)) == ["msg-2"]
    assert claim_ids(units, lease_end - dt.timedelta(seconds=1)) == ["msg-2"]
    assert pending_ids(units, lease_end) == ["msg-1"]
    assert claim_ids(units, lease_end) == ["msg-1"]  # the relay that claimed it died: another takes it
    with units() as uow:
        assert uow.outbox.attempts("msg-1") == 0  # a claim is no attempt


def test_n2_a_claimed_message_is_recorded_as_any_other(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1"), message("msg-2"), message("msg-3"))
    assert claim_ids(units, at(1)) == ["msg-1", "msg-2", "msg-3"]
    with units() as uow:
        uow.outbox.mark_sent("msg-1", at(1))
        uow.outbox.mark_failed("msg-2", at(1), error="451", retry_at=at(1.5))  # sooner than the lease's end
        uow.outbox.mark_dead("msg-3", at(1), error="550")
        uow.commit()
    assert claim_ids(units, at(1.4)) == []
    assert claim_ids(units, at(1.5)) == ["msg-2"]
    assert dead_ids(units) == ["msg-3"]
    with units() as uow:
        assert [uow.outbox.attempts(i) for i in ("msg-1", "msg-2", "msg-3")] == [1, 1, 1]


def test_n2_a_claim_never_takes_sent_or_dead_messages(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1"), message("msg-2"), message("msg-3"))
    with units() as uow:
        uow.outbox.mark_sent("msg-1", at(0.1))
        uow.commit()
    kill(units, "msg-2", at(0.1))
    assert claim_ids(units, at(100)) == ["msg-3"]


def test_n2_a_claim_is_undone_with_its_unit(units: UnitOfWorkFactory) -> None:
    queue(units, message("msg-1"))
    with units() as uow:
        assert [m.id for m in uow.outbox.claim(at(1), limit=10, lease=LEASE)] == ["msg-1"]
    assert claim_ids(units, at(1)) == ["msg-1"]


def test_n2_claims_at_the_same_time_never_take_the_same_message(units: UnitOfWorkFactory) -> None:
    queue(units, *(message(f"msg-{i}", created=at(seconds=i)) for i in range(6)))
    taken: list[str] = []

    def second_claim() -> None:  # in another thread: on SQLite it waits for the first claim's commit
        taken.extend(claim_ids(units, at(1)))

    with units() as uow:
        first = [m.id for m in uow.outbox.claim(at(1), limit=4, lease=LEASE)]
        other = threading.Thread(target=second_claim)
        other.start()
        other.join(timeout=0.5)  # PostgreSQL and memory skip the claimed messages without waiting
        uow.commit()
    other.join(timeout=30)
    assert not other.is_alive()
    assert first == ["msg-0", "msg-1", "msg-2", "msg-3"]
    assert taken == ["msg-4", "msg-5"]


def test_n2_a_claim_refuses_a_naive_instant_a_negative_limit_and_a_lease_not_positive(
    units: UnitOfWorkFactory,
) -> None:
    with units() as uow:
        for when, limit, lease in (
            (T0.replace(tzinfo=None), 1, LEASE),
            (T0, -1, LEASE),
            (T0, 1, dt.timedelta(0)),
            (T0, 1, -LEASE),
        ):
            with pytest.raises(ValidationError):
                uow.outbox.claim(when, limit=limit, lease=lease)


_SEQUENCE = itertools.count()


def apply(outbox: Outbox, step: str, message_id: str, when: dt.datetime) -> None:
    if step == "fail":
        outbox.mark_failed(message_id, when, error="451", retry_at=when)
    elif step == "die":
        outbox.mark_dead(message_id, when, error="550")
    elif step == "requeue":
        outbox.requeue(message_id, when)
    else:
        outbox.mark_sent(message_id, when)


_STEPS = st.lists(st.sampled_from(["fail", "die", "requeue", "send"]), max_size=8)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=_STEPS)
def test_n2_whatever_happens_a_message_is_pending_sent_or_dead_and_never_lost(
    units: UnitOfWorkFactory, steps: list[str]
) -> None:
    message_id = f"msg-{next(_SEQUENCE)}"  # the store lives across examples: each example has its own message
    queue(units, message(message_id))
    state, attempts = "pending", 0
    for hour, step in enumerate(steps, start=1):
        when = at(hours=hour)
        with units() as uow:
            if step == "requeue" and state != "dead":
                with pytest.raises(InvalidTransitionError):
                    uow.outbox.requeue(message_id, when)
                continue
            apply(uow.outbox, step, message_id, when)
            uow.commit()
        if state == "pending" and step != "requeue":
            attempts += 1
            state = {"fail": "pending", "die": "dead", "send": "sent"}[step]
        elif state == "dead" and step == "requeue":
            state = "pending"
    later = at(hours=100)
    with units() as uow:
        is_pending = message_id in [m.id for m in uow.outbox.pending(later, limit=10_000)]
        is_dead = message_id in [d.message.id for d in uow.outbox.dead(limit=10_000)]
        assert uow.outbox.attempts(message_id) == attempts
    assert (is_pending, is_dead) == (state == "pending", state == "dead")
