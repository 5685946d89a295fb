"""The SMTP notifier against a real SMTP server on localhost (aiosmtpd), and its templates (N1, N2, I2).

The server is aiosmtpd's threaded ``Controller`` on 127.0.0.1 and a free port; its handler keeps every
message it accepts and answers as a test tells it: a 4xx or 5xx reply, a dropped connection, a reply later
than the notifier's time-out. No ``__init__.py`` here: as a package this folder would be imported as
``email`` or ``adapters``, shadowing the standard library's or ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import doctest
import email
import re
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import attrs
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from subscription_core.catalog import Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.customers import Actor, Customer, InvoiceInfo, Party, check_digit
from subscription_core.errors import NotFoundError, SubscriptionError, ValidationError
from subscription_core.money import Currency, Money
from subscription_core.notices import Channel, OrderNoticeKind, OutboxMessage, notice_kinds
from subscription_core.payments import PaymentMethod
from subscription_core.services import Checkout, NewPurchase, place_order, relay_outbox, start_payment
from subscription_core.tax import VatSchedule
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.email import (
    DeliveryError,
    Language,
    PermanentDeliveryError,
    RoutingNotifier,
    Security,
    SmtpNotifier,
    SmtpSettings,
    Template,
    TransientDeliveryError,
    default_templates,
    is_email_address,
    message_id_of,
    notice_id_of,
    vietnamese_amount,
)
from subscription_core_adapters.fakes import RecordingNotifier
from subscription_core_adapters.local import ManualClock, SequentialIds
from subscription_core_adapters.memory import MemoryStore, MemoryUnitOfWorkFactory
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, schema, sqlite_engine

ROOT = Path(__file__).resolve().parents[3]
T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
RECIPIENT = "ketoan@example.vn"
SENDER = "thongbao@vendor.example.vn"
DOMAIN = "notices.vendor.example.vn"
PASSWORD = "pass-never-shown-42"  # noqa: S105 - a test credential, checked to stay out of errors


# --- the server -----------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nothing listens on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@attrs.define
class Mailbox:
    """An aiosmtpd handler: keeps what it accepts, and answers DATA as told first."""

    received: list[EmailMessage] = attrs.field(factory=list)
    envelopes: list[tuple[str, list[str]]] = attrs.field(factory=list)
    data_replies: list[str] = attrs.field(factory=list)  # replies to give to the next DATA commands
    rcpt_reply: str | None = None  # a refusal of every recipient
    drops: int = 0  # how many of the next DATA commands get the connection closed instead of a reply
    delay: float = 0.0  # seconds to wait before answering DATA
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, _server: SMTP, _session: Session, envelope: Envelope, address: str, _options: list[str]
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.drops:
                self.drops -= 1
                assert server.transport is not None
                server.transport.close()
                return "421 4.4.2 closing"
            if self.data_replies:
                return self.data_replies.pop(0)
            content = envelope.original_content or b""
            parsed = email.message_from_bytes(content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            self.received.append(parsed)
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 2.0.0 OK"


@contextlib.contextmanager
def serving(mailbox: Mailbox, **smtp: Any) -> Iterator[int]:
    """Run ``mailbox`` behind an SMTP server on 127.0.0.1; yield its port."""
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), server_hostname="mail.test", **smtp)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def port(mailbox: Mailbox) -> Iterator[int]:
    with serving(mailbox) as port:
        yield port


def settings(port: int, **changes: Any) -> SmtpSettings:
    return SmtpSettings(**(fields_of(port) | changes))


def fields_of(port: int) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "security": Security.NONE,
        "sender": SENDER,
        "sender_name": "Phần mềm Kế toán",
        "message_id_domain": DOMAIN,
        "timeout": 5.0,
        "local_hostname": "client.test",
    }


def notice(
    id: str = "ord-1:order_placed:email",  # noqa: A002 - the outbox's name
    *,
    kind: str = OrderNoticeKind.ORDER_PLACED.value,
    recipient: str = RECIPIENT,
    channel: Channel = Channel.EMAIL,
    data: dict[str, str] | None = None,
) -> OutboxMessage:
    facts = {"order_id": "ord-1", "total": "1,200,000 VND", "state": "placed", "pay_by": "2026-11-30T16:59:59+00:00"}
    return OutboxMessage(
        id=id,
        kind=kind,
        channel=channel,
        recipient=recipient,
        subject_id="ord-1",
        created_at=T0,
        data=facts if data is None else data,
    )


def parts(mail: EmailMessage) -> dict[str, str]:
    found = {}
    for part in mail.iter_parts():
        assert isinstance(part, EmailMessage)
        found[part.get_content_type()] = part.get_content().replace("\r\n", "\n")
    return found


def shows_no_secret(error: BaseException) -> bool:
    text = f"{error} {error!r} {getattr(error, 'value', '')}"
    return RECIPIENT not in text and SENDER not in text and PASSWORD not in text


# --- delivery --------------------------------------------------------------------------------------------


def test_n1_a_notice_arrives_with_its_headers_and_both_parts(mailbox: Mailbox, port: int) -> None:
    SmtpNotifier(settings(port)).send(notice())
    [mail] = mailbox.received
    assert mailbox.envelopes == [(SENDER, [RECIPIENT])]
    assert mail["To"] == RECIPIENT
    assert mail["From"].addresses[0].display_name == "Phần mềm Kế toán"
    assert mail["From"].addresses[0].addr_spec == SENDER
    assert mail["Subject"] == "Đơn hàng ord-1 đã được ghi nhận"  # UTF-8, decoded back from its encoded words
    assert notice_id_of(mail["Message-ID"]) == "ord-1:order_placed:email"
    assert mail["Message-ID"].endswith(f"@{DOMAIN}>")
    assert email.utils.parsedate_to_datetime(mail["Date"]) == T0
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Content-Language"] == "vi"
    assert mail.get_content_type() == "multipart/alternative"
    body = parts(mail)
    assert set(body) == {"text/plain", "text/html"}
    assert "Tổng tiền thanh toán: 1.200.000 đ" in body["text/plain"]
    assert "Hạn thanh toán: 23:59 30/11/2026" in body["text/plain"]
    assert "<p>Tổng tiền thanh toán: 1.200.000 đ</p>" in body["text/html"]


def test_n2_a_resend_of_a_notice_carries_the_same_message_id_and_content(mailbox: Mailbox, port: int) -> None:
    notifier = SmtpNotifier(settings(port))
    notifier.send(notice())
    notifier.send(notice())
    first, second = mailbox.received
    assert first["Message-ID"] == second["Message-ID"]
    assert parts(first) == parts(second)
    assert first["Date"] == second["Date"]


def test_n1_english_is_sent_when_the_settings_ask(mailbox: Mailbox, port: int) -> None:
    SmtpNotifier(settings(port, language=Language.EN)).send(notice())
    [mail] = mailbox.received
    assert mail["Subject"] == "Order ord-1 received"
    assert mail["Content-Language"] == "en"
    assert "Total to pay: 1.200.000 đ" in parts(mail)["text/plain"]


def test_n2_a_451_is_transient_and_the_retry_delivers(mailbox: Mailbox, port: int) -> None:
    mailbox.data_replies.append("451 4.3.0 Mailbox busy, try later")
    notifier = SmtpNotifier(settings(port))
    with pytest.raises(TransientDeliveryError) as caught:
        notifier.send(notice())
    assert (caught.value.reply_code, caught.value.permanent) == (451, False)
    assert "451 4.3.0" in str(caught.value)
    assert caught.value.message_id == "ord-1:order_placed:email"
    assert shows_no_secret(caught.value)
    assert mailbox.received == []
    notifier.send(notice())
    assert len(mailbox.received) == 1


def test_n2_a_dropped_connection_is_transient_and_the_retry_delivers(mailbox: Mailbox, port: int) -> None:
    mailbox.drops = 1
    notifier = SmtpNotifier(settings(port))
    with pytest.raises(TransientDeliveryError) as caught:
        notifier.send(notice())
    assert caught.value.reply_code is None
    assert "closed the connection" in str(caught.value)
    notifier.send(notice())
    assert len(mailbox.received) == 1


def test_i2_a_550_for_the_recipient_is_permanent_and_names_no_address(mailbox: Mailbox, port: int) -> None:
    mailbox.rcpt_reply = f"550 5.1.1 <{RECIPIENT}>: recipient address rejected"
    with pytest.raises(PermanentDeliveryError) as caught:
        SmtpNotifier(settings(port)).send(notice())
    assert (caught.value.reply_code, caught.value.permanent) == (550, True)
    assert "550 5.1.1" in str(caught.value)
    assert shows_no_secret(caught.value)
    assert mailbox.received == []


def test_n2_a_5xx_for_the_message_is_permanent(mailbox: Mailbox, port: int) -> None:
    mailbox.data_replies.append(f"554 5.7.1 message from {SENDER} rejected as spam")
    with pytest.raises(PermanentDeliveryError) as caught:
        SmtpNotifier(settings(port)).send(notice())
    assert caught.value.reply_code == 554
    assert shows_no_secret(caught.value)


def test_n2_a_server_that_is_not_listening_is_transient() -> None:
    with pytest.raises(TransientDeliveryError) as caught:
        SmtpNotifier(settings(free_port())).send(notice())
    assert "refused the connection" in str(caught.value)
    assert caught.value.reply_code is None


def test_n2_a_reply_later_than_the_time_out_is_transient(mailbox: Mailbox, port: int) -> None:
    mailbox.delay = 1.5
    with pytest.raises(TransientDeliveryError) as caught:
        SmtpNotifier(settings(port, timeout=0.2)).send(notice())
    assert "did not answer within 0.2 s" in str(caught.value)
    assert mailbox.received == []


@pytest.mark.parametrize(
    "address",
    [
        "not-an-address",
        "ketoan@localhost",
        "ke toan@example.vn",
        "ketoan@@example.vn",
        "kếtoán@example.vn",
        "Kế toán <ketoan@example.vn>",
        ".ketoan@example.vn",
    ],
)
def test_i2_an_invalid_recipient_is_refused_permanently_before_connecting(address: str) -> None:
    # Nothing listens on the port: had the notifier connected, the error would be a refused connection.
    with pytest.raises(PermanentDeliveryError) as caught:
        SmtpNotifier(settings(free_port())).send(notice(recipient=address))
    assert caught.value.rule == "I2"
    assert address.strip() not in str(caught.value)
    assert not is_email_address(address)


@pytest.mark.parametrize("address", ["ketoan@example.vn\nBcc: everyone@example.vn", "ketoan@example.vn\n"])
def test_i2_a_recipient_with_a_line_break_never_becomes_an_outbox_message(address: str) -> None:
    # A header injection is refused where the text enters, before any notifier could meet it.
    with pytest.raises(ValidationError) as caught:
        notice(recipient=address)
    assert (caught.value.rule, caught.value.field) == ("N2", "recipient")
    assert "U+000A" in caught.value.message
    assert address.strip() not in str(caught.value)


# --- channels --------------------------------------------------------------------------------------------


def test_n1_an_in_app_message_is_refused_by_the_smtp_notifier_and_routed_by_channel(
    mailbox: Mailbox, port: int
) -> None:
    smtp = SmtpNotifier(settings(port))
    bell = RecordingNotifier()
    in_app = notice("ord-1:order_placed:in_app", recipient="cus-1", channel=Channel.IN_APP)
    with pytest.raises(PermanentDeliveryError) as caught:
        smtp.send(in_app)
    assert caught.value.rule == "N1"
    router = RoutingNotifier({Channel.EMAIL: smtp, Channel.IN_APP: bell})
    router.send(in_app)
    router.send(notice())
    assert [m.id for m in bell.sent] == ["ord-1:order_placed:in_app"]
    assert [notice_id_of(m["Message-ID"]) for m in mailbox.received] == ["ord-1:order_placed:email"]
    with pytest.raises(NotFoundError):
        RoutingNotifier({Channel.EMAIL: smtp}).send(in_app)


@pytest.mark.parametrize("routes", [{"email": RecordingNotifier()}, {Channel.EMAIL: object()}, [("email", 1)]])
def test_n1_a_router_refuses_routes_that_are_not_channels_to_notifiers(routes: Any) -> None:
    with pytest.raises(ValidationError):
        RoutingNotifier(routes)


def test_n2_a_send_refuses_what_is_not_an_outbox_message() -> None:
    with pytest.raises(ValidationError):
        SmtpNotifier(settings(free_port())).send("ord-1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        RoutingNotifier({}).send("ord-1")  # type: ignore[arg-type]


# --- TLS and login ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(  # noqa: S603 - a fixed command line
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            *subject,
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def authenticator(
    _server: SMTP, _session: Session, _envelope: Envelope, _mechanism: str, auth_data: LoginPassword
) -> AuthResult:
    ok = auth_data.login == b"vendor" and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


def test_n1_starttls_and_login_deliver_and_a_wrong_password_is_permanent(
    mailbox: Mailbox, certificate: tuple[Path, Path]
) -> None:
    tls = {"tls_context": server_tls(certificate), "require_starttls": True, "auth_required": True}
    with serving(mailbox, authenticator=authenticator, **tls) as port:
        good = settings(port, security=Security.STARTTLS, tls_context=trusting(certificate))
        SmtpNotifier(attrs.evolve(good, username="vendor", password=PASSWORD)).send(notice())
        assert len(mailbox.received) == 1
        with pytest.raises(PermanentDeliveryError) as caught:
            SmtpNotifier(attrs.evolve(good, username="vendor", password=PASSWORD + "x")).send(notice())
        assert caught.value.reply_code == 535
        assert "login" in str(caught.value)
        assert shows_no_secret(caught.value)
        with pytest.raises(PermanentDeliveryError) as untrusted:  # the system's store does not know this certificate
            SmtpNotifier(settings(port, security=Security.STARTTLS)).send(notice())
        assert "certificate" in str(untrusted.value)


def test_n1_implicit_tls_delivers(mailbox: Mailbox, certificate: tuple[Path, Path]) -> None:
    with serving(mailbox, ssl_context=server_tls(certificate)) as port:
        SmtpNotifier(settings(port, security=Security.SSL, tls_context=trusting(certificate))).send(notice())
    assert len(mailbox.received) == 1


def test_n1_starttls_asked_of_a_server_without_it_is_permanent(port: int) -> None:
    with pytest.raises(PermanentDeliveryError):
        SmtpNotifier(settings(port, security=Security.STARTTLS)).send(notice())


# --- settings --------------------------------------------------------------------------------------------


def test_settings_never_show_the_sender_or_the_credentials() -> None:
    secret = settings(587, security=Security.STARTTLS, username="vendor-login", password=PASSWORD)
    shown = f"{secret!r} {SmtpNotifier(secret)!r}"
    assert PASSWORD not in shown
    assert SENDER not in shown
    assert "vendor-login" not in shown
    assert "127.0.0.1" in shown


@pytest.mark.parametrize(
    "changes",
    [
        {"host": ""},
        {"host": "mail.example.vn\nRCPT"},
        {"port": 0},
        {"port": 70000},
        {"port": True},
        {"sender": "not an address"},
        {"sender_name": "Kế toán\r\nBcc: everyone@example.vn"},
        {"sender_name": None},
        {"message_id_domain": "localhost"},
        {"timeout": 0},
        {"timeout": float("nan")},
        {"timeout": "30"},
        {"language": "vi"},
        {"security": "none"},
        {"username": "vendor"},  # no password
        {"password": PASSWORD},  # no username
        {"username": "vendor", "password": PASSWORD},  # over an unprotected connection
        {"username": "", "password": PASSWORD, "security": Security.SSL},
        {"username": "vendor", "password": "mật-khẩu", "security": Security.SSL},  # smtplib sends ASCII only
        {"local_hostname": "client test"},
        {"tls_context": "yes"},
    ],
)
def test_settings_refuse_bad_fields_without_showing_a_secret(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        SmtpSettings(**(fields_of(25) | changes))
    assert shows_no_secret(caught.value)


def test_a_notifier_refuses_what_is_not_settings_or_templates() -> None:
    with pytest.raises(ValidationError):
        SmtpNotifier({"host": "127.0.0.1"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        SmtpNotifier(settings(25), templates={})  # type: ignore[arg-type]


# --- Message-ID ------------------------------------------------------------------------------------------

MSG_ID = re.compile(r"^<[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9.-]+>$")


@given(st.text(min_size=1))
def test_n2_a_message_id_is_a_valid_msg_id_that_gives_the_notice_id_back(notice_id: str) -> None:
    made = message_id_of(notice_id, DOMAIN)
    assert MSG_ID.match(made)
    assert made == message_id_of(notice_id, DOMAIN)
    assert notice_id_of(made) == notice_id


@pytest.mark.parametrize("text", ["", "plain", "<no-at>", "<a b@x.vn>", "<=ZZ@x.vn>", "<=FF@x.vn>", None])
def test_n2_what_is_not_a_notice_message_id_is_refused(text: Any) -> None:
    with pytest.raises(ValidationError):
        notice_id_of(text)


def test_n2_a_message_id_needs_an_id_and_a_domain() -> None:
    with pytest.raises(ValidationError):
        message_id_of("", DOMAIN)
    with pytest.raises(ValidationError):
        message_id_of("ord-1", "not a domain")


# --- templates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", sorted(notice_kinds()))
def test_n1_every_notice_kind_has_a_template_in_every_language(kind: str, language: Language) -> None:
    rendered = default_templates().render(notice(kind=kind, data={}), language)
    assert rendered.subject.strip()
    assert "\n" not in rendered.subject
    assert "$" not in rendered.subject + rendered.text + rendered.html
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language.value}">' in rendered.html


def test_n1_vietnamese_is_the_default_and_written_with_its_diacritics() -> None:
    rendered = default_templates().render(notice(kind="expiring_soon", data={"days_left": "7"}))
    assert rendered.subject == "Thuê bao ord-1 sắp hết hạn"
    assert "còn 7 ngày" in rendered.text


def test_n1_amounts_dates_and_instants_are_shown_as_in_vietnam() -> None:
    data = {
        "order_id": "ord-9",
        "total": "13,200,000 VND",
        "amount": "13200000",
        "currency": "VND",
        "pay_by": "2027-04-30T16:59:59.999999+00:00",  # 23:59 in Hà Nội
        "method": "bank_transfer",
        "bank": "VCB",
        "account": "0011004000000",
        "transfer_content": "ord-9",
    }
    text = default_templates().render(notice(data=data)).text
    assert "Tổng tiền thanh toán: 13.200.000 đ" in text
    assert "Số tiền: 13.200.000 đ" in text
    assert "Hạn thanh toán: 23:59 30/04/2027" in text
    assert "Hình thức thanh toán: Chuyển khoản ngân hàng" in text
    assert "Số tài khoản: 0011004000000" in text
    extended = default_templates().render(notice(kind="extended", data={"term_end": "2028-02-29"})).text
    assert "đến 29/02/2028" in extended


def test_n1_a_line_whose_every_fact_is_missing_is_left_out() -> None:
    text = default_templates().render(notice(data={"order_id": "ord-1"})).text
    assert "Ngân hàng" not in text
    assert "Đơn hàng ord-1 của Quý khách đã được ghi nhận." in text


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal(1_200_000), "VND", "1.200.000 đ"),
        (Decimal("1200000.00"), "VND", "1.200.000 đ"),
        (Decimal(0), "VND", "0 đ"),
        (Decimal("1234.5"), "USD", "1.234,5 USD"),
        (Decimal(-500_000), "VND", "-500.000 đ"),
    ],
)
def test_amounts_read_as_in_vietnam(amount: Decimal, currency: str, shown: str) -> None:
    assert vietnamese_amount(amount, currency) == shown


@pytest.mark.parametrize("amount", [1.5, Decimal("NaN"), "100"])
def test_amounts_must_be_finite_decimals(amount: Any) -> None:
    with pytest.raises(ValidationError):
        vietnamese_amount(amount)


KNOWN_KEYS = ["order_id", "total", "amount", "currency", "pay_by", "method", "kind", "deadline", "term_end", "erased"]
values = st.one_of(
    st.text(),
    st.sampled_from(["<script>alert(1)</script>", "a & b", '"quoted"', "1,200,000 VND", "2027-02-30", "$total"]),
    st.sampled_from(["2027-04-30", "2027-04-30T10:00:00+07:00", "2027-04-30T10:00:00", "-1", "NaN", "1e999999"]),
)
random_data = st.dictionaries(st.one_of(st.sampled_from(KNOWN_KEYS), st.text(min_size=1)), values, max_size=8)


@given(kind=st.sampled_from(sorted(notice_kinds())), data=random_data, language=st.sampled_from(list(Language)))
def test_n1_any_data_renders_escaped_in_html_and_unknown_keys_are_ignored(
    kind: str, data: dict[str, str], language: Language
) -> None:
    marked = {**data, "zz_unknown": "<b>ignored</b>", "reason": "<img src=x onerror=alert(1)>"}
    rendered = default_templates().render(notice(kind=kind, data=marked), language)
    assert "<img" not in rendered.html
    assert "<script" not in rendered.html
    assert "ignored" not in rendered.text
    assert "\n" not in rendered.subject


@given(kind=st.sampled_from(sorted(notice_kinds())), data=random_data)
def test_n2_any_notice_composes_into_a_mail_that_reads_back(kind: str, data: dict[str, str]) -> None:
    message = notice("sub-1:7:" + kind + ":email", kind=kind, data=data)
    mail = SmtpNotifier(settings(25)).compose(message)
    back = email.message_from_bytes(mail.as_bytes(policy=policy.SMTP), policy=policy.default)
    assert notice_id_of(back["Message-ID"]) == message.id
    assert back["Subject"] == default_templates().render(message).subject


def test_n1_a_host_overrides_one_template_and_keeps_the_others(mailbox: Mailbox, port: int) -> None:
    own = Template.of_text(subject="Cảm ơn Quý khách: đơn $order_id", text="Tổng: $total\nKhông có: $nothing\n")
    templates = default_templates().replace("order_placed", Language.VI, own)
    SmtpNotifier(settings(port), templates=templates).send(notice())
    [mail] = mailbox.received
    assert mail["Subject"] == "Cảm ơn Quý khách: đơn ord-1"
    assert parts(mail)["text/plain"] == "Tổng: 1.200.000 đ\n"
    assert templates.template("order_paid") == default_templates().template("order_paid")


@pytest.mark.parametrize(
    "sources",
    [
        {"subject": "Cost $", "text": "", "html": ""},
        {"subject": "One\nTwo", "text": "", "html": ""},
        {"subject": " ", "text": "", "html": ""},
        {"subject": "Ok", "text": "${unclosed", "html": ""},
        {"subject": "Ok", "text": "", "html": 3},
    ],
)
def test_n1_a_template_with_a_stray_dollar_or_a_multi_line_subject_is_refused(sources: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Template(**sources)


def test_n1_templates_refuse_unknown_kinds_and_say_when_one_is_missing() -> None:
    with pytest.raises(ValidationError):
        default_templates().replace("no_such_kind", Language.VI, default_templates().template("order_paid"))
    with pytest.raises(NotFoundError):
        default_templates().template("no_such_kind")
    with pytest.raises(ValidationError):
        default_templates().replace("order_paid", Language.VI, "Subject")  # type: ignore[arg-type]


# --- through the outbox relays ---------------------------------------------------------------------------

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
BUYER = Actor.customer_user("u-1", "cus-1")


def a_customer() -> Customer:
    head = next(h for h in (f"{lead}10000001" for lead in range(10)) if check_digit(h) is not None)
    code = f"{head}{check_digit(head)}"
    details = Party(unit_name="Công ty Cổ phần Số 1", address="Cầu Giấy, Hà Nội", email=RECIPIENT, tax_code=code)
    return Customer(
        id="cus-1",
        name="Công ty Cổ phần Số 1",
        tax_code=code,
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        buyers=frozenset({"u-1"}),
    )


def test_n2_the_relay_records_a_refused_notice_and_delivers_it_on_its_next_run(mailbox: Mailbox, port: int) -> None:
    clock, store, bell = ManualClock(T0), MemoryStore(), RecordingNotifier()
    notifier = RoutingNotifier({Channel.EMAIL: SmtpNotifier(settings(port)), Channel.IN_APP: bell})
    deps = bootstrap_memory(
        CATALOG, clock=clock, ids=SequentialIds(), uow=MemoryUnitOfWorkFactory(store), notifier=notifier
    )
    with deps.uow() as uow:
        uow.customers.add(a_customer())
        uow.commit()
    order = place_order(
        deps,
        BUYER,
        NewPurchase(customer_id="cus-1", plan="std", option="1y"),
        Checkout(confirmed=True),
        idempotency_key="k-1",
    )
    start_payment(deps, BUYER, order_id=order.id, method=PaymentMethod.bank_transfer(), idempotency_key="k-2")
    with store.lock:
        emails = sorted(d.message.id for d in store.outbox.rows.values() if d.message.channel is Channel.EMAIL)
    assert len(emails) == 2  # the order placed, and its transfer instructions

    mailbox.data_replies.extend(["451 4.3.0 try later"] * 2)
    first = relay_outbox(deps)
    assert (first.sent, first.failed) == (2, 2)  # the in-app notices went, the e-mails failed
    with store.lock:
        failed = [store.outbox.rows[i] for i in emails]
    assert all(d.sent_at is None and d.retry_at is not None and d.retry_at > T0 for d in failed)
    assert all(d.error and d.error.startswith("TransientDeliveryError: [N2]") for d in failed)
    assert not any(RECIPIENT in (d.error or "") for d in failed)
    assert relay_outbox(deps).sent == 0  # nothing is due before the retry time

    clock.set(T0 + dt.timedelta(minutes=6))
    assert relay_outbox(deps).sent == 2
    assert sorted(notice_id_of(m["Message-ID"]) for m in mailbox.received) == emails
    instructions = next(m for m in mailbox.received if "instructions" in notice_id_of(m["Message-ID"]))
    assert f"Nội dung chuyển khoản: {order.id}" in parts(instructions)["text/plain"]
    assert relay_outbox(deps).sent == 0


def test_n2_the_relay_on_sql_keeps_an_error_text_without_address(mailbox: Mailbox, port: int, tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "store.db")
    try:
        with SqlUnitOfWorkFactory(engine)() as uow:
            uow.outbox.add(notice())
            uow.commit()
        clock = ManualClock(T0 + dt.timedelta(minutes=1))
        deps = bootstrap_memory(
            CATALOG, clock=clock, uow=SqlUnitOfWorkFactory(engine), notifier=SmtpNotifier(settings(port))
        )
        mailbox.rcpt_reply = f"450 4.2.1 <{RECIPIENT}> mailbox temporarily unavailable"
        assert relay_outbox(deps).failed == 1
        with engine.connect() as connection:
            error = connection.execute(select(schema.outbox.c.last_error)).scalar_one()
        assert error.startswith(
            "TransientDeliveryError: [N2] message_id: the mail server refused the recipient: 450 4.2.1"
        )
        assert RECIPIENT not in error
        mailbox.rcpt_reply = None
        clock.set(T0 + dt.timedelta(hours=1))
        assert relay_outbox(deps).sent == 1
        assert [notice_id_of(m["Message-ID"]) for m in mailbox.received] == ["ord-1:order_placed:email"]
    finally:
        engine.dispose()


def test_a_delivery_error_is_one_of_the_library_errors() -> None:
    error = TransientDeliveryError("the mail server refused the connection", message_id="m-1")
    assert isinstance(error, SubscriptionError)
    assert isinstance(error, DeliveryError)
    assert not error.permanent
    assert PermanentDeliveryError("x", message_id="m-1").permanent


def test_the_docs_page_runs_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    page = ROOT / "docs" / "adapters" / "email.md"
    failures, tried = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert tried > 0
    assert failures == 0
