"""The outbox relay: claims due messages, hands them to a notifier, retries failures with backoff (N1, N2)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from sqlalchemy import Engine, select, text

from adapters.fakes import RecordingNotifier
from adapters.local import ManualClock
from adapters.sql import OutboxRelay, RelayReport, SqlUnitOfWorkFactory
from adapters.sql.outbox import SqlOutbox
from adapters.sql.outbox_relay import backoff
from adapters.sql.rows import Rows
from adapters.sql.schema import outbox
from subscription_core.errors import ValidationError

from .builders import T0, at, message

SECOND = dt.timedelta(seconds=1)


def queue(engine: Engine, *ids: str) -> None:
    with SqlUnitOfWorkFactory(engine)() as uow:
        for i, message_id in enumerate(ids):
            assert uow.outbox.add(message(message_id, created=T0 + i * SECOND))
        uow.commit()


def delivery(engine: Engine, message_id: str) -> tuple[str, int, dt.datetime, str | None]:
    query = select(outbox.c.state, outbox.c.attempts, outbox.c.next_attempt_at, outbox.c.last_error)
    with engine.connect() as connection:
        state, attempts, next_attempt_at, error = connection.execute(query.where(outbox.c.id == message_id)).one()
    return state, attempts, next_attempt_at, error


def relay(engine: Engine, notifier: RecordingNotifier, clock: ManualClock, **options: object) -> OutboxRelay:
    return OutboxRelay(engine, notifier, clock, **options)  # type: ignore[arg-type]


def test_n2_the_relay_sends_due_messages_oldest_first_and_marks_them_sent(engine: Engine) -> None:
    queue(engine, "msg-c", "msg-a", "msg-b")
    notifier, clock = RecordingNotifier(), ManualClock(at(1))
    first = relay(engine, notifier, clock, batch=2)
    assert first.run_once() == RelayReport(sent=("msg-c", "msg-a"))
    assert first.run_once() == RelayReport(sent=("msg-b",))
    assert first.run_once() == RelayReport()
    assert [m.id for m in notifier.sent] == ["msg-c", "msg-a", "msg-b"]
    assert delivery(engine, "msg-a")[:2] == ("sent", 1)
    with SqlUnitOfWorkFactory(engine)() as uow:
        assert uow.outbox.pending(at(100), limit=10) == []


def test_n2_a_message_is_not_sent_before_it_is_due(engine: Engine) -> None:
    queue(engine, "msg-1")
    notifier, clock = RecordingNotifier(), ManualClock(T0 - SECOND)
    assert relay(engine, notifier, clock).run_once() == RelayReport()
    clock.set(T0)
    assert relay(engine, notifier, clock).run_once() == RelayReport(sent=("msg-1",))


def test_n2_failures_are_recorded_and_retried_with_exponential_backoff(engine: Engine) -> None:
    queue(engine, "msg-1")
    notifier, clock = RecordingNotifier(), ManualClock(at(1))
    sender = relay(engine, notifier, clock, first_retry=dt.timedelta(seconds=30), max_retry=dt.timedelta(minutes=2))
    notifier.fail_next(4)
    waits = []
    for attempt in range(1, 5):
        assert sender.run_once() == RelayReport(failed=("msg-1",))
        state, attempts, next_attempt_at, error = delivery(engine, "msg-1")
        assert (state, attempts) == ("pending", attempt)
        assert error is not None
        assert error.startswith("DeliveryError: [N2]")
        assert "ketoan@example.vn" not in error
        waits.append(next_attempt_at - clock.now())
        assert sender.run_once() == RelayReport()  # not before its retry time
        clock.set(next_attempt_at)
    assert waits == [dt.timedelta(seconds=s) for s in (30, 60, 120, 120)]
    assert sender.run_once() == RelayReport(sent=("msg-1",))
    assert delivery(engine, "msg-1")[:2] == ("sent", 5)


def test_n2_a_relay_that_dies_after_claiming_leaves_its_messages_to_another_after_the_lease(engine: Engine) -> None:
    queue(engine, "msg-1", "msg-2")
    clock = ManualClock(at(1))
    with engine.connect() as connection:  # a relay claims, then dies before sending or recording anything
        rows = Rows()
        rows.bind(connection)
        claimed = SqlOutbox(rows).claim(clock.now(), limit=10, lease=dt.timedelta(minutes=5))
        connection.commit()
    assert [m.id for m in claimed] == ["msg-1", "msg-2"]
    notifier = RecordingNotifier()
    other = relay(engine, notifier, clock, lease=dt.timedelta(minutes=5))
    assert other.run_once() == RelayReport()
    clock.advance(dt.timedelta(minutes=5))
    assert other.run_once() == RelayReport(sent=("msg-1", "msg-2"))


def test_n2_relays_running_side_by_side_deliver_each_message_once(engine: Engine) -> None:
    ids = [f"msg-{i:03d}" for i in range(120)]
    queue(engine, *ids)
    notifier, clock = RecordingNotifier(), ManualClock(at(1))
    start = threading.Barrier(4, timeout=60)

    def drain() -> None:
        worker = relay(engine, notifier, clock, batch=7)
        start.wait()
        while worker.run_once().sent:
            pass

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = Counter(m.id for m in notifier.sent)
    assert sorted(counts) == ids
    assert set(counts.values()) == {1}


def test_backoff_doubles_per_failure_up_to_the_cap() -> None:
    first, cap = dt.timedelta(seconds=10), dt.timedelta(hours=1)
    assert [backoff(n, first=first, cap=cap).total_seconds() for n in (1, 2, 3, 9, 500)] == [10, 20, 40, 2560, 3600]


def test_the_relay_refuses_nonsense_settings(sqlite_db: Engine) -> None:
    notifier, clock = RecordingNotifier(), ManualClock(T0)
    with pytest.raises(ValidationError):
        relay(sqlite_db, notifier, clock, batch=0)
    with pytest.raises(ValidationError):
        relay(sqlite_db, notifier, clock, lease=dt.timedelta(0))


def test_n2_a_claim_skips_the_messages_another_relay_is_claiming_without_waiting(postgresql_db: Engine) -> None:
    queue(postgresql_db, "msg-1", "msg-2", "msg-3", "msg-4")
    lease = dt.timedelta(minutes=5)
    with postgresql_db.connect() as first, postgresql_db.connect() as second:
        first_rows, second_rows = Rows(), Rows()
        first_rows.bind(first)
        second_rows.bind(second)
        taken = SqlOutbox(first_rows).claim(at(1), limit=2, lease=lease)  # its transaction stays open
        second.execute(text("SET lock_timeout = '1s'"))  # waiting on the first's locks would fail the claim
        skipped_to = SqlOutbox(second_rows).claim(at(1), limit=10, lease=lease)
        assert ([m.id for m in taken], [m.id for m in skipped_to]) == (["msg-1", "msg-2"], ["msg-3", "msg-4"])
        first.commit()
        second.commit()
