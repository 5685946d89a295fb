"""The SMTP notifier against plain smtplib, delivering the same notices to the same local SMTP server.

A local aiosmtpd server (``Controller`` on 127.0.0.1, a free port, a handler that only counts) receives N
e-mail notices of the outbox (order placed with transfer instructions, in Vietnamese), one connection per
message on both sides:

* the library: ``SmtpNotifier.send(message)`` for each, which validates the recipient, renders the text and
  HTML templates, builds the ``EmailMessage`` (Message-ID from the notice id) and sends it;
* the baseline: ``smtplib.SMTP(...).send_message(mail)`` of the same two-part message composed once before
  timing (the least any sender must do: connect, greet, flatten the message, send, quit).

Best of 3 runs each, after a warm-up. Run: ``.venv/bin/python benchmarks/smtp_notifier.py [N]`` (default 300).
Prints messages per second for both, then last ``ratio: X.XX`` (library time / baseline time).
"""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
import sys
import threading
import time
from collections.abc import Callable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from subscription_core.notices import Channel, OrderNoticeKind, OutboxMessage
from subscription_core_adapters.email import SmtpNotifier, SmtpSettings
from subscription_core_adapters.email.smtp import Security

SENDER = "no-reply@amis.vn"
RECIPIENT = "ketoan@hoasen.vn"


class Counter:
    """An aiosmtpd handler that accepts every message and counts it."""

    def __init__(self) -> None:
        """Start at zero."""
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, _server: SMTP, _session: Session, _envelope: Envelope) -> str:  # noqa: N802
        """Accept the message."""
        with self.lock:
            self.count += 1
        return "250 2.0.0 OK"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def notices(count: int) -> list[OutboxMessage]:
    """``count`` order-placed e-mail notices with bank-transfer instructions."""
    at = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)
    data = {
        "order_id": "",
        "total": "12,000,000 VND",
        "state": "placed",
        "method": "bank_transfer",
        "bank": "Vietcombank",
        "account": "0011004123456",
        "account_name": "CONG TY CP PHAN MEM AMIS",
        "amount": "12000000",
        "transfer_content": "SCCFY3QVT9Y97T7",
    }
    return [
        OutboxMessage(
            id=f"ord-{n}:order_placed:email",
            kind=OrderNoticeKind.ORDER_PLACED.value,
            channel=Channel.EMAIL,
            recipient=RECIPIENT,
            subject_id=f"ord-{n}",
            created_at=at,
            data={**data, "order_id": f"ord-{n}"},
        )
        for n in range(count)
    ]


def best_of(runs: int, work: Callable[[], None]) -> float:
    """The shortest of ``runs`` timings of ``work``, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Time both senders against one local server and print the ratio last."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    counter = Counter()
    port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port, server_hostname="mail.test")
    controller.start()
    try:
        settings = SmtpSettings(
            host="127.0.0.1", port=port, sender=SENDER, message_id_domain="amis.vn", security=Security.NONE
        )
        notifier = SmtpNotifier(settings)
        batch = notices(count)
        mail = notifier.compose(batch[0])  # the baseline sends this one, composed once
        size = len(mail.as_bytes())

        def library() -> None:
            for message in batch:
                notifier.send(message)

        def baseline() -> None:
            for _ in batch:
                with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                    smtp.send_message(mail)

        library()
        baseline()  # warm-up: imports, templates, the server's event loop
        ours = best_of(3, library)
        theirs = best_of(3, baseline)
    finally:
        controller.stop()
    print(f"messages: {count} per run, {size:,} bytes each, one connection per message")
    print(f"the server received {counter.count:,} in all (warm-up included)")
    print(f"library:  {count / ours:,.0f} messages/s ({ours / count * 1000:.2f} ms each)")
    print(f"baseline: {count / theirs:,.0f} messages/s ({theirs / count * 1000:.2f} ms each)")
    print(f"ratio: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
