"""The Outbox contract (N2), run on every repository adapter."""

from __future__ import annotations

import datetime as dt

import pytest

from subscription_core.errors import NotFoundError
from subscription_core.notices import OutboxMessage
from subscription_core.ports import UnitOfWorkFactory

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
