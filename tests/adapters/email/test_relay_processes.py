"""Relays side by side deliver each notice once, and a relay killed mid-batch loses nothing (N2).

Four relay processes (``relay_worker.py``, each its own Python) share one SQLite file or one PostgreSQL
schema; four relay threads share one in-memory store. They deliver 500 notices to a local aiosmtpd server,
which counts them by ``Message-ID``: none twice, none lost, none hung. A relay process killed
with SIGKILL while its mail server holds a message unanswered leaves its claims to expire; another relay then
delivers the rest, the message in flight again with the same ``Message-ID`` (at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import Engine, text

from subscription_core.catalog_files import load_catalog
from subscription_core.errors import SubscriptionError
from subscription_core.notices import Channel, OrderNoticeKind, OutboxMessage
from subscription_core.ports import UnitOfWorkFactory
from subscription_core.services import Services, relay_outbox
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.email import Security, SmtpNotifier, SmtpSettings, notice_id_of
from subscription_core_adapters.local import ManualClock
from subscription_core_adapters.memory import MemoryUnitOfWorkFactory
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, postgres_engine, sqlite_engine, upgrade

WORKER = Path(__file__).with_name("relay_worker.py")
CATALOG = Path(__file__).resolve().parents[3] / "examples" / "catalogs" / "amis_vn.toml"
LEASE = dt.timedelta(minutes=5)

T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
RELAY_AT = T0 + dt.timedelta(hours=1)  # every notice is due by then
NOTICES = 500
RELAYS = 4
WITHIN = 180.0  # seconds every relay must finish in


@attrs.define
class Counting:
    """An aiosmtpd handler that counts what it accepts by notice id; it can hold one message unanswered."""

    received: Counter[str] = attrs.field(factory=Counter)
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    hang_after: int | None = None  # accept this many, then keep the next one without answering
    hanging: threading.Event = attrs.field(factory=threading.Event)
    released: threading.Event = attrs.field(factory=threading.Event)

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.received.values())

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = (envelope.original_content or b"").decode()
        header = next(line for line in content.splitlines() if line.lower().startswith("message-id:"))
        with self.lock:
            self.received[notice_id_of(header.split(":", 1)[1])] += 1
            hang = self.hang_after is not None and sum(self.received.values()) > self.hang_after
            if hang:
                self.hang_after = None
        if hang:  # the message arrived, but the relay never hears so: it cannot record the send
            self.hanging.set()
            await asyncio.get_running_loop().run_in_executor(None, self.released.wait, WITHIN)
            return "451 4.3.0 too late"
        return "250 2.0.0 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def smtp_server(handler: Counting) -> Iterator[int]:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), server_hostname="mail.test")
    controller.start()
    try:
        yield controller.port
    finally:
        handler.released.set()
        controller.stop()


def notices(count: int) -> list[OutboxMessage]:
    return [
        OutboxMessage(
            id=f"ord-{i:04d}:order_placed:email",
            kind=OrderNoticeKind.ORDER_PLACED.value,
            channel=Channel.EMAIL,
            recipient=f"ketoan{i}@example.vn",
            subject_id=f"ord-{i:04d}",
            created_at=T0 + dt.timedelta(seconds=i),
            data={"order_id": f"ord-{i:04d}", "total": "1,200,000 VND", "state": "placed", "pay_by": "2026-11-30"},
        )
        for i in range(count)
    ]


def queue(units: UnitOfWorkFactory, count: int) -> set[str]:
    queued = notices(count)
    with units() as uow:
        assert uow.outbox.add_many(queued) == count
        uow.commit()
    return {m.id for m in queued}


@attrs.frozen
class Database:
    engine: Engine
    name: str  # what the worker opens: a SQLite file or a PostgreSQL DSN
    schema: str  # "-" for SQLite


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """One SQLite file, or one PostgreSQL schema of this test's own (skipped without PostgreSQL, failed in CI)."""
    if request.param == "sqlite":
        engine = sqlite_engine(tmp_path / "store.db")
        yield Database(engine=engine, name=str(tmp_path / "store.db"), schema="-")
        engine.dispose()
        return
    unavailable = pytest.fail if os.environ.get("CI") == "true" else pytest.skip
    dsn = os.environ.get("SUBSCRIPTION_CORE_PG_DSN") or unavailable("SUBSCRIPTION_CORE_PG_DSN is not set")
    schema = f"test_{secrets.token_hex(6)}"
    engine = postgres_engine(dsn, schema=schema)
    try:
        upgrade(engine)
    except SubscriptionError as exc:
        engine.dispose()
        unavailable(f"PostgreSQL at SUBSCRIPTION_CORE_PG_DSN is unreachable: {exc}")
    yield Database(engine=engine, name=dsn, schema=schema)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def relay_services(units: UnitOfWorkFactory, port: int, clock: ManualClock) -> Services:
    """What a relay in this process needs: the store, an SMTP notifier to the test server, the clock."""
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security=Security.NONE,
        sender="thongbao@vendor.example.vn",
        message_id_domain="notices.vendor.example.vn",
        timeout=30.0,
    )
    return bootstrap_memory(load_catalog(CATALOG), clock=clock, uow=units, notifier=SmtpNotifier(settings))


def start_relays(db: Database, port: int, go: Path, *, count: int, batch: int) -> list[subprocess.Popen[str]]:
    """Start ``count`` relay processes; they begin when ``go`` appears, their clock at ``RELAY_AT``."""
    lease = str(LEASE.total_seconds())
    argv = [
        sys.executable,
        str(WORKER),
        db.name,
        db.schema,
        str(port),
        RELAY_AT.isoformat(),
        lease,
        str(go),
        str(batch),
    ]
    return [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603 - our own argv
        for _ in range(count)
    ]


def finish(process: subprocess.Popen[str]) -> int:
    out, err = process.communicate(timeout=WITHIN)
    assert process.returncode == 0, err
    return int(out)


def test_n2_four_relay_processes_on_one_database_deliver_each_of_500_notices_once(
    database: Database, tmp_path: Path
) -> None:
    expected = queue(SqlUnitOfWorkFactory(database.engine), NOTICES)
    handler, go = Counting(), tmp_path / "go"
    with smtp_server(handler) as port:
        relays = start_relays(database, port, go, count=RELAYS, batch=20)
        go.touch()
        sent = [finish(relay) for relay in relays]  # each within WITHIN seconds, or it hung (finish's timeout)
    assert set(handler.received) == expected  # none lost
    assert set(handler.received.values()) == {1}  # none twice
    assert sum(sent) == NOTICES
    with SqlUnitOfWorkFactory(database.engine)() as uow:
        assert uow.outbox.pending(T0 + dt.timedelta(days=1), limit=10) == []


def test_n2_four_relay_threads_on_one_memory_store_deliver_each_of_500_notices_once() -> None:
    units = MemoryUnitOfWorkFactory()
    expected = queue(units, NOTICES)
    handler, clock = Counting(), ManualClock(RELAY_AT)
    start = threading.Barrier(RELAYS, timeout=60)
    sent: list[int] = []

    def relay(port: int) -> None:
        deps = relay_services(units, port, clock)
        start.wait()
        while done := relay_outbox(deps, batch=20).sent:
            sent.append(done)

    with smtp_server(handler) as port:
        threads = [threading.Thread(target=relay, args=(port,)) for _ in range(RELAYS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=WITHIN)
        assert not any(thread.is_alive() for thread in threads)
    assert set(handler.received) == expected
    assert set(handler.received.values()) == {1}
    assert sum(sent) == NOTICES


def test_n2_a_relay_killed_mid_batch_leaves_its_claims_to_expire_and_another_finishes(
    database: Database, tmp_path: Path
) -> None:
    total, batch, accepted = 60, 10, 4
    expected = queue(SqlUnitOfWorkFactory(database.engine), total)
    handler, go = Counting(hang_after=accepted), tmp_path / "go"
    with smtp_server(handler) as port:
        [doomed] = start_relays(database, port, go, count=1, batch=batch)
        go.touch()
        assert handler.hanging.wait(WITHIN)  # its 5th message reached the server; the relay awaits the reply
        doomed.kill()
        doomed.communicate(timeout=WITHIN)  # reaps it and closes its pipes
        handler.released.set()
        in_flight = {notice for notice, times in handler.received.items() if times == 1}
        assert len(in_flight) == accepted + 1
        clock = ManualClock(RELAY_AT + LEASE - dt.timedelta(seconds=1))  # the killed relay claimed at RELAY_AT
        other = relay_services(SqlUnitOfWorkFactory(database.engine), port, clock)
        assert relay_outbox(other, batch=total).sent == total - batch  # its claims are not taken yet
        clock.set(RELAY_AT + LEASE)
        assert relay_outbox(other, batch=total).sent == batch - accepted  # now they are
    assert set(handler.received) == expected  # none lost
    [(again, times)] = [(notice, times) for notice, times in handler.received.items() if times > 1]
    assert times == 2  # the one in flight when the relay died: sent again, with the same Message-ID
    assert again in in_flight
