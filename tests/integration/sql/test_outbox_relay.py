"""The outbox relay on SQL: claims due messages, hands them to a notifier, retries failures with backoff (N1, N2)."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections import Counter
from types import TracebackType
from typing import Self

import pytest
from sqlalchemy import Engine, select, text

from subscription_core.calendar import BusinessCalendar
from subscription_core.errors import TransientConflictError, ValidationError
from subscription_core.notices import DeadLetter, OutboxMessage, backoff
from subscription_core.payments import PaymentLinkSigner
from subscription_core.ports import Notifier, UnitOfWorkFactory
from subscription_core.services import Delivery, Services, relay_outbox
from subscription_core_adapters.fakes import MemoryInvoiceIssuer, RecordingNotifier
from subscription_core_adapters.local import ManualClock, SequentialIds
from subscription_core_adapters.sql import SqlUnitOfWork, SqlUnitOfWorkFactory
from subscription_core_adapters.sql.outbox import SqlOutbox
from subscription_core_adapters.sql.rows import Rows
from subscription_core_adapters.sql.schema import outbox

from .builders import CATALOG, T0, at, message
from .test_query_plans import first_plan, plan, statements_sent

SECOND = dt.timedelta(seconds=1)


def relay_deps(units: UnitOfWorkFactory, notifier: Notifier, clock: ManualClock) -> Services:
    """The services a relay needs: the store, the notifier and the clock (the rest is never used)."""
    return Services(
        uow=units,
        clock=clock,
        ids=SequentialIds(),
        catalog=CATALOG,
        calendar=BusinessCalendar(),
        providers={},
        routes={},
        invoices=MemoryInvoiceIssuer(clock=clock),
        links=PaymentLinkSigner(key=secrets.token_bytes(32)),
        notifier=notifier,
    )


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


def relay_of(engine: Engine, notifier: Notifier, clock: ManualClock) -> Services:
    return relay_deps(SqlUnitOfWorkFactory(engine), notifier, clock)


def test_n2_the_relay_sends_due_messages_oldest_first_and_marks_them_sent(engine: Engine) -> None:
    queue(engine, "msg-c", "msg-a", "msg-b")
    notifier, clock = RecordingNotifier(), ManualClock(at(1))
    deps = relay_of(engine, notifier, clock)
    assert relay_outbox(deps, batch=2) == Delivery(sent=2, failed=0)
    assert relay_outbox(deps, batch=2) == Delivery(sent=1, failed=0)
    assert relay_outbox(deps, batch=2) == Delivery(sent=0, failed=0)
    assert [m.id for m in notifier.sent] == ["msg-c", "msg-a", "msg-b"]
    assert delivery(engine, "msg-a")[:2] == ("sent", 1)
    with SqlUnitOfWorkFactory(engine)() as uow:
        assert uow.outbox.pending(at(100), limit=10) == []


def test_n2_a_message_is_not_sent_before_it_is_due(engine: Engine) -> None:
    queue(engine, "msg-1")
    notifier, clock = RecordingNotifier(), ManualClock(T0 - SECOND)
    deps = relay_of(engine, notifier, clock)
    assert relay_outbox(deps).sent == 0
    clock.set(T0)
    assert relay_outbox(deps).sent == 1


def test_n2_failures_are_recorded_and_retried_with_exponential_backoff(engine: Engine) -> None:
    queue(engine, "msg-1")
    notifier, clock = RecordingNotifier(), ManualClock(at(1))
    deps = relay_of(engine, notifier, clock)
    notifier.fail_next(4)
    waits = []
    first, cap = dt.timedelta(seconds=30), dt.timedelta(minutes=2)
    for attempt in range(1, 5):
        assert relay_outbox(deps, first_retry=first, max_retry=cap) == Delivery(sent=0, failed=1)
        state, attempts, next_attempt_at, error = delivery(engine, "msg-1")
        assert (state, attempts) == ("pending", attempt)
        assert error is not None
        assert error.startswith("DeliveryError: [N2]")
        assert "ketoan@example.vn" not in error
        waits.append(next_attempt_at - clock.now())
        assert relay_outbox(deps, first_retry=first, max_retry=cap) == Delivery(sent=0, failed=0)  # not yet due
        clock.set(next_attempt_at)
    assert waits == [dt.timedelta(seconds=s) for s in (30, 60, 120, 120)]
    assert relay_outbox(deps).sent == 1
    assert delivery(engine, "msg-1")[:2] == ("sent", 5)


def test_n2_a_relay_that_dies_after_claiming_leaves_its_messages_to_another_after_the_lease(engine: Engine) -> None:
    queue(engine, "msg-1", "msg-2")
    clock = ManualClock(at(1))
    with SqlUnitOfWorkFactory(engine)() as uow:  # a relay claims, then dies before sending or recording anything
        claimed = uow.outbox.claim(clock.now(), limit=10, lease=dt.timedelta(minutes=5))
        uow.commit()
    assert [m.id for m in claimed] == ["msg-1", "msg-2"]
    notifier = RecordingNotifier()
    other = relay_of(engine, notifier, clock)
    assert relay_outbox(other).sent == 0
    clock.advance(dt.timedelta(minutes=5))
    assert relay_outbox(other).sent == 2
    assert list(notifier.sent) == claimed


class CountingUnits(SqlUnitOfWorkFactory):
    """Units of work that count how many are open at once."""

    open_now = 0

    def __call__(self) -> SqlUnitOfWork:
        factory = self

        class Counted(SqlUnitOfWork):
            def __enter__(self) -> Self:
                factory.open_now += 1
                return super().__enter__()

            def __exit__(
                self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
            ) -> None:
                factory.open_now -= 1
                super().__exit__(kind, error, trace)

        return Counted(self.engine)


class WatchingNotifier(RecordingNotifier):
    """Records, for each send, how many units of work were open meanwhile."""

    def __init__(self, units: CountingUnits) -> None:
        super().__init__()
        self.units = units
        self.open_while_sending: list[int] = []

    def send(self, message: OutboxMessage) -> None:
        self.open_while_sending.append(self.units.open_now)
        super().send(message)


def test_n2_no_unit_of_work_is_open_while_the_notifier_sends(engine: Engine) -> None:
    queue(engine, "msg-1", "msg-2", "msg-3")
    units = CountingUnits(engine)
    notifier = WatchingNotifier(units)
    notifier.fail_next(1)
    assert relay_outbox(relay_deps(units, notifier, ManualClock(at(1)))) == Delivery(sent=2, failed=1)
    assert notifier.open_while_sending == [0, 0, 0]
    assert units.open_now == 0


def test_n2_relays_running_side_by_side_deliver_each_message_once(engine: Engine) -> None:
    ids = [f"msg-{i:03d}" for i in range(120)]
    queue(engine, *ids)
    notifier, clock = RecordingNotifier(), ManualClock(at(1))
    start = threading.Barrier(4, timeout=60)

    def drain() -> None:
        deps = relay_of(engine, notifier, clock)
        start.wait()
        while relay_outbox(deps, batch=7).sent:
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


@pytest.mark.parametrize(
    ("setting", "value"),
    [("batch", 0), ("lease", dt.timedelta(0)), ("first_retry", dt.timedelta(seconds=-1)), ("max_retry", 60)],
)
def test_the_relay_refuses_nonsense_settings(sqlite_db: Engine, setting: str, value: object) -> None:
    deps = relay_of(sqlite_db, RecordingNotifier(), ManualClock(T0))
    with pytest.raises(ValidationError) as caught:
        relay_outbox(deps, **{setting: value})  # type: ignore[arg-type]
    assert caught.value.field == setting


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


def test_n2_a_sqlite_claim_after_another_in_a_unit_that_began_by_reading_is_a_lost_race(sqlite_db: Engine) -> None:
    queue(sqlite_db, "msg-1", "msg-2")
    units, lease = SqlUnitOfWorkFactory(sqlite_db), dt.timedelta(minutes=5)
    with units() as late:
        assert [m.id for m in late.outbox.pending(at(1), limit=10)] == ["msg-1", "msg-2"]  # began by reading
        with units() as first:
            assert [m.id for m in first.outbox.claim(at(1), limit=1, lease=lease)] == ["msg-1"]
            first.commit()
        with pytest.raises(TransientConflictError):  # retried by the relay in a fresh unit of work
            late.outbox.claim(at(1), limit=10, lease=lease)
    with units() as retried:
        assert [m.id for m in retried.outbox.claim(at(1), limit=10, lease=lease)] == ["msg-2"]
        retried.commit()


def dead_letters(engine: Engine) -> list[DeadLetter]:
    with SqlUnitOfWorkFactory(engine)() as uow:
        return uow.outbox.dead(limit=100)


def test_n2_the_relay_sets_a_permanent_failure_aside_at_once(engine: Engine) -> None:
    queue(engine, "msg-1", "msg-2")
    notifier, clock = RecordingNotifier(), ManualClock(at(1))
    deps = relay_of(engine, notifier, clock)
    notifier.fail_next(1, permanent=True)
    assert relay_outbox(deps) == Delivery(sent=1, failed=0, dead=1)
    clock.advance(dt.timedelta(days=30))
    assert relay_outbox(deps) == Delivery(sent=0, failed=0, dead=0)
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
    deps = relay_of(engine, notifier, clock)
    notifier.fail_next(5)
    for _ in range(2):
        assert relay_outbox(deps, max_attempts=3) == Delivery(sent=0, failed=1)
        clock.set(delivery(engine, "msg-1")[2])
    assert relay_outbox(deps, max_attempts=3) == Delivery(sent=0, failed=0, dead=1)
    assert delivery(engine, "msg-1")[:2] == ("dead", 3)
    clock.advance(dt.timedelta(days=30))
    assert relay_outbox(deps, max_attempts=3) == Delivery(sent=0, failed=0)
    assert notifier.attempts == 3


def test_n2_a_requeued_message_is_delivered_on_the_relays_next_run(engine: Engine) -> None:
    queue(engine, "msg-1")
    notifier, clock = RecordingNotifier(), ManualClock(at(1))
    deps = relay_of(engine, notifier, clock)
    notifier.fail_next(1, permanent=True)
    assert relay_outbox(deps).dead == 1
    clock.advance(dt.timedelta(hours=1))
    with SqlUnitOfWorkFactory(engine)() as uow:
        uow.outbox.requeue("msg-1", clock.now())
        uow.commit()
    assert dead_letters(engine) == []
    assert relay_outbox(deps) == Delivery(sent=1, failed=0)
    assert delivery(engine, "msg-1")[:2] == ("sent", 2)
    assert [m.id for m in notifier.sent] == ["msg-1"]


@pytest.mark.parametrize("max_attempts", [0, -3, True, "20"])
def test_n2_the_relay_refuses_a_bad_max_attempts(sqlite_db: Engine, max_attempts: object) -> None:
    deps = relay_of(sqlite_db, RecordingNotifier(), ManualClock(T0))
    with pytest.raises(ValidationError) as caught:
        relay_outbox(deps, max_attempts=max_attempts)  # type: ignore[arg-type]
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


def test_n2_a_claim_reads_the_state_index_among_many_sent(engine: Engine) -> None:
    stored, due = 1500, 3
    queue(engine, *[f"msg-{i:05d}" for i in range(stored)])
    with engine.begin() as connection:
        connection.execute(outbox.update().where(outbox.c.id < f"msg-{stored - due:05d}").values(state="sent"))
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow, statements_sent(engine) as sent:
        assert len(uow.outbox.claim(at(2), limit=50, lease=dt.timedelta(minutes=5))) == due
    # PostgreSQL picks with a SELECT ... FOR UPDATE SKIP LOCKED; SQLite picks and takes in one UPDATE.
    statement, parameters = next((s, p) for s, p in sent if s.lstrip().upper().startswith(("SELECT", "UPDATE")))
    found = plan(engine, statement, parameters)
    assert "ix_outbox_state_next_attempt_at" in found
    if engine.dialect.name == "postgresql":
        assert f'"Actual Rows": {due}' in found
        assert '"Seq Scan"' not in found
