"""The outbox relay: claims due messages, hands them to a notifier, retries failures with backoff (N1, N2)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from sqlalchemy import Engine, select, text

from subscription_core.errors import ValidationError
from subscription_core.notices import DeadLetter
from subscription_core_adapters.fakes import RecordingNotifier
from subscription_core_adapters.local import ManualClock
from subscription_core_adapters.sql import OutboxRelay, RelayReport, SqlUnitOfWorkFactory
from subscription_core_adapters.sql.outbox import SqlOutbox
from subscription_core_adapters.sql.outbox_relay import backoff
from subscription_core_adapters.sql.rows import Rows
from subscription_core_adapters.sql.schema import outbox

from .builders import T0, at, message
from .test_query_plans import first_plan

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


def dead_letters(engine: Engine) -> list[DeadLetter]:
    with SqlUnitOfWorkFactory(engine)() as uow:
        return uow.outbox.dead(limit=100)


def test_n2_the_relay_sets_a_permanent_failure_aside_at_once(engine: Engine) -> None:
    queue(engine, "msg-1", "msg-2")
    notifier, clock = RecordingNotifier(), ManualClock(at(1))
    sender = relay(engine, notifier, clock)
    notifier.fail_next(1, permanent=True)
    assert sender.run_once() == RelayReport(sent=("msg-2",), dead=("msg-1",))
    clock.advance(dt.timedelta(days=30))
    assert sender.run_once() == RelayReport()
    state, attempts, _, error = delivery(engine, "msg-1")
    assert (state, attempts) == ("dead", 1)
    assert error is not None
    assert error.startswith("DeliveryError: [N2] message_id: the notifier refuses the recipient")
    [letter] = dead_letters(engine)
    assert (letter.message, letter.error, letter.attempts, letter.died_at) == (
        message("msg-1", created=T0),
        error,
        1,
        at(1),
    )


def test_n2_the_relay_gives_a_failing_message_up_after_max_attempts(engine: Engine) -> None:
    queue(engine, "msg-1")
    notifier, clock = RecordingNotifier(), ManualClock(at(1))
    sender = relay(engine, notifier, clock, first_retry=dt.timedelta(seconds=30), max_attempts=3)
    notifier.fail_next(5)
    for _ in range(2):
        assert sender.run_once() == RelayReport(failed=("msg-1",))
        clock.set(delivery(engine, "msg-1")[2])
    assert sender.run_once() == RelayReport(dead=("msg-1",))
    assert delivery(engine, "msg-1")[:2] == ("dead", 3)
    clock.advance(dt.timedelta(days=30))
    assert sender.run_once() == RelayReport()
    assert notifier.attempts == 3


def test_n2_a_requeued_message_is_delivered_on_the_relays_next_run(engine: Engine) -> None:
    queue(engine, "msg-1")
    notifier, clock = RecordingNotifier(), ManualClock(at(1))
    sender = relay(engine, notifier, clock)
    notifier.fail_next(1, permanent=True)
    assert sender.run_once().dead == ("msg-1",)
    clock.advance(dt.timedelta(hours=1))
    with SqlUnitOfWorkFactory(engine)() as uow:
        uow.outbox.requeue("msg-1", clock.now())
        uow.commit()
    assert dead_letters(engine) == []
    assert sender.run_once() == RelayReport(sent=("msg-1",))
    assert delivery(engine, "msg-1")[:2] == ("sent", 2)
    assert [m.id for m in notifier.sent] == ["msg-1"]


@pytest.mark.parametrize("max_attempts", [0, -3, True, "20"])
def test_n2_the_relay_refuses_a_bad_max_attempts(sqlite_db: Engine, max_attempts: object) -> None:
    with pytest.raises(ValidationError) as caught:
        relay(sqlite_db, RecordingNotifier(), ManualClock(T0), max_attempts=max_attempts)
    assert (caught.value.rule, caught.value.field) == ("N2", "max_attempts")


def test_n2_pending_and_dead_read_the_state_index_among_many_sent_and_dead(engine: Engine) -> None:
    stored, due = 1500, 3
    queue(engine, *[f"msg-{i:05d}" for i in range(stored)])
    with engine.begin() as connection:  # most sent, a third dead, the last few still pending
        sent, dead = outbox.c.id < f"msg-{stored * 2 // 3:05d}", outbox.c.id < f"msg-{stored - due:05d}"
        connection.execute(outbox.update().where(sent).values(state="sent", sent_at=at(1)))
        connection.execute(outbox.update().where(~sent, dead).values(state="dead", next_attempt_at=at(1)))
    with SqlUnitOfWorkFactory(engine)() as uow:
        assert len(uow.outbox.pending(at(2), limit=50)) == due
        assert len(uow.outbox.dead(limit=50)) == 50
    for query, rows in (
        (lambda uow: uow.outbox.pending(at(2), limit=50), due),
        (lambda uow: uow.outbox.dead(limit=50), 50),
    ):
        found = first_plan(engine, query)
        assert "ix_outbox_state_next_attempt_at" in found
        if engine.dialect.name == "postgresql":
            assert f'"Actual Rows": {rows}' in found
            assert '"Seq Scan"' not in found
