"""``worker``: one leader among many processes, a takeover when it dies, a clean stop mid-batch, ``--once``.

The test host's notifier appends each delivered message id to a file (flushed before ``send`` returns), so
a test compares what reached "the mail server" with what the outbox still holds: after a clean stop every
notice is either delivered (and marked sent) or still pending, never both and never neither.
"""

from __future__ import annotations

import datetime as dt
import gc
import signal
from pathlib import Path

from subscription_core.notices import Channel, OrderNoticeKind, OutboxMessage
from subscription_core_adapters.bootstrap import SqlWiring
from subscription_core_adapters.cli.worker import collector_for_batches

from .conftest import Db, cli_env, start_cli, wait_for

INTERVAL = "0.2"
WAIT_SECONDS = 30


def queue(wired: SqlWiring, count: int, *, bounce: int = 0) -> set[str]:
    """``count`` order-placed e-mails due now, the last ``bounce`` of them to a mailbox that does not exist."""
    now = wired.services.now()
    messages = [
        OutboxMessage(
            id=f"ord-{i:04d}:order_placed:email",
            kind=OrderNoticeKind.ORDER_PLACED.value,
            channel=Channel.EMAIL,
            recipient=("bounce" if i >= count - bounce else "ketoan") + f"{i}@example.vn",
            subject_id=f"ord-{i:04d}",
            created_at=now - dt.timedelta(minutes=1),
            data={"order_id": f"ord-{i:04d}", "total": "1,200,000 VND", "state": "placed", "pay_by": "2026-11-30"},
        )
        for i in range(count)
    ]
    with wired.services.uow() as uow:
        assert uow.outbox.add_many(messages) == count
        uow.commit()
    return {message.id for message in messages}


def pending(wired: SqlWiring) -> list[str]:
    """The ids still to send, claimed ones included (their lease ends long before tomorrow)."""
    with wired.services.uow() as uow:
        return [m.id for m in uow.outbox.pending(wired.services.now() + dt.timedelta(days=1), limit=1000)]


def delivered(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def logged(path: Path, text: str) -> bool:
    return text in path.read_text()


def test_two_workers_one_leads_the_other_takes_over_when_it_dies(db: Db, wired: SqlWiring, tmp_path: Path) -> None:
    env = cli_env(db, CLI_TEST_DELIVERED=str(tmp_path / "delivered"))
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_cli("worker", "--interval", INTERVAL, env=env, log=first_log)
    second = None
    try:
        wait_for(lambda: logged(first_log, "leading: took the"), "the first worker to lead")
        second = start_cli("worker", "--interval", INTERVAL, env=env, log=second_log)
        wait_for(lambda: logged(second_log, "waiting: another worker holds the"), "the second worker to wait")
        ids = queue(wired, 3)
        wait_for(lambda: set(delivered(tmp_path / "delivered")) == ids, "the leader to relay the notices")
        assert "leading" not in second_log.read_text()  # it waited all along
        first.send_signal(signal.SIGKILL)  # the leader dies without a word: the OS or the server frees its lock
        first.wait(WAIT_SECONDS)
        wait_for(lambda: logged(second_log, "leading: took the"), "the second worker to take over")
        more = queue_more(wired)
        wait_for(lambda: more <= set(delivered(tmp_path / "delivered")), "the new leader to relay")
        second.send_signal(signal.SIGTERM)
        assert second.wait(WAIT_SECONDS) == 0, second_log.read_text()
        assert "worker stopped; the leader lock is released" in second_log.read_text()
        assert "Traceback" not in first_log.read_text() + second_log.read_text()
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(WAIT_SECONDS)


def queue_more(wired: SqlWiring) -> set[str]:
    now = wired.services.now()
    message = OutboxMessage(
        id="ord-9999:order_placed:email",
        kind=OrderNoticeKind.ORDER_PLACED.value,
        channel=Channel.EMAIL,
        recipient="ketoan9999@example.vn",
        subject_id="ord-9999",
        created_at=now - dt.timedelta(minutes=1),
        data={"order_id": "ord-9999", "total": "1,200,000 VND", "state": "placed", "pay_by": "2026-11-30"},
    )
    with wired.services.uow() as uow:
        uow.outbox.add(message)
        uow.commit()
    return {message.id}


def test_sigterm_mid_batch_stops_cleanly_with_nothing_half_done(db: Db, wired: SqlWiring, tmp_path: Path) -> None:
    ids = queue(wired, 40)
    sink = tmp_path / "delivered"
    env = cli_env(db, CLI_TEST_DELIVERED=str(sink), CLI_TEST_SEND_SECONDS="0.05")
    log = tmp_path / "worker.log"
    worker = start_cli("worker", "--interval", INTERVAL, "--relay-batch", "10", env=env, log=log)
    try:
        wait_for(lambda: len(delivered(sink)) >= 3, "the worker to start relaying")
        worker.send_signal(signal.SIGTERM)  # within a batch of 10: the batch finishes, the next is not begun
        assert worker.wait(WAIT_SECONDS) == 0, log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(WAIT_SECONDS)
    text = log.read_text()
    assert "SIGTERM received: stopping after the step under way" in text
    assert "worker stopped; the leader lock is released" in text
    sent, left = delivered(sink), pending(wired)
    assert len(sent) == len(set(sent))  # nothing delivered twice
    assert set(sent).isdisjoint(left)  # nothing delivered yet still pending (claimed, not marked sent)
    assert set(sent) | set(left) == ids  # nothing lost
    assert 0 < len(sent) < len(ids)  # it did stop mid-run
    assert len(sent) % 10 == 0  # whole batches only: the one under way was finished


def test_once_runs_one_round_and_exits(db: Db, wired: SqlWiring, tmp_path: Path) -> None:
    ids = queue(wired, 3)
    sink = tmp_path / "delivered"
    log = tmp_path / "worker.log"
    worker = start_cli("worker", "--once", env=cli_env(db, CLI_TEST_DELIVERED=str(sink)), log=log)
    assert worker.wait(WAIT_SECONDS) == 0, log.read_text()
    assert set(delivered(sink)) == ids
    assert pending(wired) == []
    text = log.read_text()
    assert "relay: 3 sent, 0 to retry, 0 dead" in text
    assert text.count("scheduler at ") == 1  # one round: the scheduler's own summary, once


def test_the_worker_process_tunes_its_collector_only_while_it_runs() -> None:
    thresholds, enabled, frozen = gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()
    with collector_for_batches():
        assert gc.get_threshold()[0] > thresholds[0]  # young objects collected less often
        assert gc.get_freeze_count() > frozen  # what was loaded before is left out of collections
    assert (gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()) == (thresholds, enabled, frozen)
