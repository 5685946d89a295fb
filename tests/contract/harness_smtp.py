"""The smtp adapters' entries (merged into ``registry.NOTIFIERS`` by conftest.py).

The SMTP notifier runs the Notifier contract against a real SMTP server: one aiosmtpd server on 127.0.0.1,
started when a contract test first asks for the notifier and stopped when the test process exits. Each
harness sends from a sender address of its own, and the server keeps what it received and the refusals it
owes per sender, so harnesses never see each other's mail. ``delivered()`` reads the notice ids back from
the ``Message-ID`` of the mail received; ``fail_next(n)`` makes the server answer the next ``n`` messages
with ``451`` (a transient refusal, which the relay retries).
"""

from __future__ import annotations

import atexit
import email
import itertools
import socket
import threading
from collections.abc import Callable
from email import policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from subscription_core.errors import ValidationError
from subscription_core_adapters.email import Security, SmtpNotifier, SmtpSettings, notice_id_of

from .registry import NotifierHarness


class _MailServer:
    """An SMTP server on localhost that files mail by sender, and refuses a sender's next mail when told."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self._received: dict[str, list[str]] = {}
        self._refusals: dict[str, int] = {}

    def port(self) -> int:
        """The server's port, starting it on first use."""
        with self._lock:
            if self._controller is None:
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", 0))
                    free: int = probe.getsockname()[1]
                controller = Controller(self, hostname="127.0.0.1", port=free, server_hostname="contract.test")
                controller.start()
                atexit.register(controller.stop)
                self._controller = controller
            port: int = self._controller.port
            return port

    def delivered(self, sender: str) -> list[str]:
        """The notice ids of the mail received from ``sender``, in order."""
        with self._lock:
            return list(self._received.get(sender, []))

    def fail_next(self, sender: str, count: int) -> None:
        """Refuse the next ``count`` messages from ``sender`` with a 451."""
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValidationError("must be a whole number >= 0", field="count", value=count)
        with self._lock:
            self._refusals[sender] = count

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook
        sender = str(envelope.mail_from)
        with self._lock:
            if self._refusals.get(sender):
                self._refusals[sender] -= 1
                return "451 4.3.0 a planned failure, try again later"
            mail = email.message_from_bytes(envelope.original_content or b"", policy=policy.default)
            self._received.setdefault(sender, []).append(notice_id_of(str(mail["Message-ID"])))
        return "250 2.0.0 OK"


_SERVER = _MailServer()  # starts nothing until a test asks for the SMTP notifier
_HARNESSES = itertools.count(1)


def smtp_notifier() -> NotifierHarness:
    """The SMTP notifier, sending to the shared server from an address of its own."""
    sender = f"contract-{next(_HARNESSES)}@vendor.example.vn"
    settings = SmtpSettings(
        host="127.0.0.1",
        port=_SERVER.port(),
        security=Security.NONE,
        sender=sender,
        message_id_domain="contract.example.vn",
        timeout=5.0,
        local_hostname="contract.test",
    )
    return NotifierHarness(
        notifier=SmtpNotifier(settings),
        delivered=lambda: _SERVER.delivered(sender),
        fail_next=lambda count: _SERVER.fail_next(sender, count),
    )


NOTIFIERS: dict[str, Callable[[], NotifierHarness]] = {"smtp": smtp_notifier}
