"""End to end: a mail server that refuses the address with 550; both relays set the notice aside as dead (N2).

The server is aiosmtpd's threaded ``Controller`` on 127.0.0.1, as in ``test_smtp.py``; its handler refuses
every recipient with ``550 5.1.1 <address>: user unknown`` (echoing the address, as Postfix does) until a
test lets mail through. The notice must end dead, its error naming the 5xx reply code and never the
address, none of the log lines naming it either; once staff requeue it, the next run delivers it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from subscription_core.catalog import Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.customers import Actor
from subscription_core.money import Currency, Money
from subscription_core.notices import Channel, DeadLetter, OrderNoticeKind, OutboxMessage
from subscription_core.services import Delivery, dead_notices, relay_outbox, requeue_notice
from subscription_core.tax import VatSchedule
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.email import Security, SmtpNotifier, SmtpSettings
from subscription_core_adapters.local import ManualClock, SequentialIds
from subscription_core_adapters.memory import MemoryStore, MemoryUnitOfWorkFactory
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, sqlite_engine

T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
RECIPIENT = "khongton.tai@congty-a.example.vn"
STAFF = Actor.staff("st-1")
NOTICE_ID = "ord-1:order_placed:email"
VND = Currency.of("VND")
CATALOG = Catalog(
    currency=VND,
    products=[
        Product(
            code="amis",
            name="AMIS Kế toán",
            plans=[
                Plan(
                    code="std",
                    name="Standard",
                    options=[PricingOption(code="1y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(6_000_000, VND))],
                    vat=VatSchedule.flat("10%"),
                )
            ],
        )
    ],
)


@attrs.define
class Refusing:
    """An aiosmtpd handler refusing every recipient with 550 (the address echoed) until ``accept`` is set."""

    accept: bool = False
    received: list[bytes] = attrs.field(factory=list)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, _server: SMTP, _session: Session, envelope: Envelope, address: str, _options: list[str]
    ) -> str:
        if not self.accept:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.received.append(envelope.original_content or b"")
        return "250 2.0.0 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server() -> Iterator[tuple[Refusing, int]]:
    handler = Refusing()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), server_hostname="mail.test")
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def notifier(port: int) -> SmtpNotifier:
    return SmtpNotifier(
        SmtpSettings(
            host="127.0.0.1",
            port=port,
            security=Security.NONE,
            sender="thongbao@vendor.example.vn",
            message_id_domain="notices.vendor.example.vn",
            timeout=5.0,
        )
    )


def notice() -> OutboxMessage:
    return OutboxMessage(
        id=NOTICE_ID,
        kind=OrderNoticeKind.ORDER_PLACED.value,
        channel=Channel.EMAIL,
        recipient=RECIPIENT,
        subject_id="ord-1",
        created_at=T0,
        data={"order_id": "ord-1", "total": "6,600,000 VND", "state": "placed", "pay_by": "2026-11-30T16:59:59+00:00"},
    )


def assert_dead_with_the_reply_code_and_no_address(letter: DeadLetter, caplog: pytest.LogCaptureFixture) -> None:
    assert letter.message == notice()
    assert letter.attempts == 1
    assert letter.error.startswith(
        "PermanentDeliveryError: [N2] message_id: the mail server refused the recipient: 550 5.1.1 (permanent)"
    )
    ours = [r for r in caplog.records if r.name.startswith("subscription_core")]  # not aiosmtpd's
    logged = "\n".join(record.getMessage() for record in ours)
    assert f"notice {NOTICE_ID} given up after a permanent failure (PermanentDeliveryError)" in logged
    for shown in (letter.error, repr(letter), logged):
        assert RECIPIENT not in shown
        assert "@congty-a" not in shown


def test_n2_the_relay_in_memory_sets_a_550_aside_as_dead_and_delivers_it_once_requeued(
    server: tuple[Refusing, int], caplog: pytest.LogCaptureFixture
) -> None:
    handler, port = server
    clock = ManualClock(T0)
    deps = bootstrap_memory(
        CATALOG, clock=clock, ids=SequentialIds(), uow=MemoryUnitOfWorkFactory(MemoryStore()), notifier=notifier(port)
    )
    with deps.uow() as uow:
        uow.outbox.add(notice())
        uow.commit()
    with caplog.at_level(logging.INFO):
        assert relay_outbox(deps) == Delivery(sent=0, failed=0, dead=1)
        clock.set(T0 + dt.timedelta(days=3))
        assert relay_outbox(deps) == Delivery(sent=0, failed=0, dead=0)  # never retried
        [letter] = dead_notices(deps, STAFF)
        handler.accept = True  # the customer's address was corrected at the mail server
        requeue_notice(deps, STAFF, message_id=NOTICE_ID, reason="mailbox created", idempotency_key="rq-1")
        assert relay_outbox(deps) == Delivery(sent=1, failed=0, dead=0)
    assert_dead_with_the_reply_code_and_no_address(letter, caplog)
    assert len(handler.received) == 1
    assert dead_notices(deps, STAFF) == []


def test_n2_the_relay_on_sql_sets_a_550_aside_as_dead_and_delivers_it_once_requeued(
    server: tuple[Refusing, int], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    handler, port = server
    engine = sqlite_engine(tmp_path / "store.db")
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(engine.dispose)
        units = SqlUnitOfWorkFactory(engine)
        with units() as uow:
            uow.outbox.add(notice())
            uow.commit()
        clock = ManualClock(T0 + dt.timedelta(minutes=1))
        deps = bootstrap_memory(CATALOG, clock=clock, ids=SequentialIds(), uow=units, notifier=notifier(port))
        with caplog.at_level(logging.INFO):
            assert relay_outbox(deps) == Delivery(sent=0, failed=0, dead=1)
            clock.advance(dt.timedelta(days=3))
            assert relay_outbox(deps) == Delivery(sent=0, failed=0, dead=0)
        with units() as uow:
            [letter] = uow.outbox.dead(limit=10)
        assert letter.died_at == T0 + dt.timedelta(minutes=1)
        assert_dead_with_the_reply_code_and_no_address(letter, caplog)
        handler.accept = True
        with units() as uow:
            uow.outbox.requeue(NOTICE_ID, clock.now())
            uow.commit()
        assert relay_outbox(deps) == Delivery(sent=1, failed=0, dead=0)
        assert len(handler.received) == 1
