"""The e-mail notifier: sends the e-mail notices of the outbox over SMTP with the standard library (N1, N2).

:class:`SmtpNotifier` implements the ``Notifier`` port for messages of the ``EMAIL`` channel. Each send opens a
connection, delivers one message (a text and an HTML part, see :mod:`subscription_core_adapters.email.templates`) and
closes it. Delivery is at least once: the relay sends again whatever it could not mark as sent, and every send of one
notice carries the same ``Message-ID`` (:func:`message_id_of` the outbox id and the configured domain), so a receiver
can drop repeats.

A failed send raises a :class:`DeliveryError` that names the notice's id and never an address or a
password: :class:`PermanentDeliveryError` when sending again cannot help (a 5xx reply, an invalid address,
a certificate that does not verify, an in-app message handed to e-mail), :class:`TransientDeliveryError`
when it may (a 4xx reply, a time-out, a refused or dropped connection). Both are the core's
``DeliveryError`` with its ``permanent`` flag: the outbox relays set a permanently refused notice aside as
dead at once (staff list and requeue dead notices) and retry the others, up to their ``max_attempts``.

The outbox holds in-app messages too; :class:`RoutingNotifier` hands each message to the notifier of its
channel, so a host wires ``RoutingNotifier({Channel.EMAIL: SmtpNotifier(...), Channel.IN_APP: bell})``.
"""

from __future__ import annotations

import contextlib
import email.utils
import enum
import math
import re
import smtplib
import ssl
from collections.abc import Iterator, Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from typing import ClassVar, Final

import attrs

from subscription_core import errors

# is_email_address, the core's e-mail check (I2), is re-exported: hosts check a recipient with it.
from subscription_core.contact_details import is_email_address
from subscription_core.errors import NotFoundError, ValidationError, of_type, optional
from subscription_core.notices import Channel, OutboxMessage
from subscription_core.ports import Notifier
from subscription_core_adapters.email.headers import fold_unstructured
from subscription_core_adapters.email.templates import Language, Templates, default_templates

__all__ = [
    "DeliveryError",
    "PermanentDeliveryError",
    "RoutingNotifier",
    "Security",
    "SmtpNotifier",
    "SmtpSettings",
    "TransientDeliveryError",
    "is_email_address",
    "message_id_of",
    "notice_id_of",
]

_DOMAIN: Final = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_HOST: Final = re.compile(r"^[A-Za-z0-9.:\[\]-]+$")
_ENHANCED: Final = re.compile(r"^\s*([245]\.\d{1,3}\.\d{1,3})\b")
_SAFE_ID: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_MAX_PORT: Final = 65535


def message_id_of(notice_id: str, domain: str) -> str:
    """The ``Message-ID`` of every e-mail of the notice ``notice_id``: ``<id@domain>``, the same on each resend (N2).

    Letters, digits, ``-`` and ``_`` stay as they are; any other character becomes ``=XX`` per UTF-8 byte
    (``ord-1:order_placed:email`` gives ``<ord-1=3Aorder_placed=3Aemail@domain>``), so the id is a valid
    RFC 5322 ``msg-id`` and :func:`notice_id_of` reads the notice's id back.

    Raises:
        ValidationError: (N2) an empty id, or a domain that is not a host name.
    """
    if not isinstance(notice_id, str) or not notice_id:
        raise ValidationError("must be a non-empty text", rule="N2", field="notice_id", value=notice_id)
    if not isinstance(domain, str) or not _DOMAIN.match(domain) or "\n" in domain:
        raise ValidationError("must be a host name such as notices.example.vn", rule="N2", field="domain", value=domain)
    left = "".join(
        c if c in _SAFE_ID else "".join(f"={b:02X}" for b in c.encode("utf-8", "surrogatepass")) for c in notice_id
    )
    return f"<{left}@{domain}>"


def notice_id_of(message_id: str) -> str:
    """The notice id a ``Message-ID`` made by :func:`message_id_of` carries.

    Raises:
        ValidationError: (N2) not such a ``Message-ID``.
    """
    text = message_id.strip() if isinstance(message_id, str) else ""
    left, at, _domain = text.removeprefix("<").removesuffix(">").rpartition("@")
    encoded = re.fullmatch(r"(?:[A-Za-z0-9_-]|=[0-9A-F]{2})+", left)
    if not (text.startswith("<") and text.endswith(">") and at and encoded):
        raise ValidationError("is not a notice's Message-ID", rule="N2", field="message_id", value=message_id)
    data = re.sub(rb"=([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), left.encode("ascii"))
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        raise ValidationError("is not a notice's Message-ID", rule="N2", field="message_id", value=message_id) from None


class DeliveryError(errors.DeliveryError):
    """An e-mail notice was not delivered (N2). ``str()`` names the notice's id, never an address.

    A subclass of the core's :class:`subscription_core.errors.DeliveryError`, so the outbox relays tell a
    permanent failure (set aside as dead) from one worth retrying by its ``permanent`` attribute.

    Attributes:
        message_id: the outbox message's id.
        reply_code: the SMTP reply code that refused it (``550``), or ``None`` when there was no reply.
        permanent: ``True`` when sending the same message again cannot succeed without a change.
    """

    _PERMANENT: ClassVar[bool] = False

    def __init__(self, message: str, *, message_id: str, reply_code: int | None = None, rule: str = "N2") -> None:
        """Build the error for the notice ``message_id``."""
        super().__init__(message, permanent=self._PERMANENT, rule=rule, field="message_id", value=message_id)
        self.message_id = message_id
        self.reply_code = reply_code


class PermanentDeliveryError(DeliveryError):
    """Sending again cannot help: a 5xx reply, an invalid address, a TLS or login set-up that is refused."""

    _PERMANENT: ClassVar[bool] = True


class TransientDeliveryError(DeliveryError):
    """Sending again later may succeed: a 4xx reply, a time-out, a refused or dropped connection."""


class Security(enum.Enum):
    """How the connection to the SMTP server is protected."""

    NONE = "none"  # plain SMTP: a relay on the same host or a private network
    STARTTLS = "starttls"  # upgrade after connecting, usually on port 587
    SSL = "ssl"  # TLS from the first byte (SMTPS), usually on port 465


def _host(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _HOST.match(value) or "\n" in value:
        raise ValidationError("must be a host name or IP address", field=attribute.name, value=value)


def _port(_instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= _MAX_PORT:
        raise ValidationError(f"must be a whole number from 1 to {_MAX_PORT}", field=attribute.name, value=value)


def _sender(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not is_email_address(value):  # the address itself is kept out of the error
        raise ValidationError("must be a plain e-mail address such as notices@example.vn", field=attribute.name)


def _domain(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _DOMAIN.match(value) or "\n" in value:
        raise ValidationError("must be a host name such as notices.example.vn", field=attribute.name, value=value)


def _timeout(_instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value <= 0:  # type: ignore[arg-type, operator]
        raise ValidationError("must be a number of seconds > 0", field=attribute.name, value=value)


def _display_name(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not all(c.isprintable() for c in value):
        raise ValidationError("must be one line of printable text", field=attribute.name, value=value)


def _secret(_instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ValidationError("must be a non-empty text or None", field=attribute.name)
    if isinstance(value, str) and not value.isascii():  # smtplib sends credentials as ASCII only
        raise ValidationError("must be ASCII: smtplib cannot send other characters", field=attribute.name)


@attrs.frozen(kw_only=True)
class SmtpSettings:
    """Where and how to send e-mail. Nothing connects until a send.

    ``sender`` (and ``sender_name``, shown beside it) is the ``From`` of every notice; ``message_id_domain``
    the right-hand side of every ``Message-ID`` (a domain the vendor controls). ``timeout`` bounds each
    network operation in seconds (connecting, each reply), not a whole send. ``tls_context`` defaults to
    the system's trusted certificates. ``username`` and ``password`` log in (both or neither, and only
    over TLS, in ASCII); they, the sender and the TLS context are never shown in ``repr``.

    Raises:
        ValidationError: a bad host, port, sender, domain, timeout or language; one of username and
            password without the other; credentials over an unprotected connection. No error shows the
            sender or the password.
    """

    host: str = attrs.field(validator=_host)
    port: int = attrs.field(validator=_port)
    sender: str = attrs.field(validator=_sender, repr=False)
    message_id_domain: str = attrs.field(validator=_domain)
    security: Security = attrs.field(default=Security.STARTTLS, validator=of_type(Security))
    sender_name: str = attrs.field(default="", validator=_display_name, repr=False)
    username: str | None = attrs.field(default=None, validator=_secret, repr=False)
    password: str | None = attrs.field(default=None, validator=_secret, repr=False)
    timeout: float = attrs.field(default=30.0, validator=_timeout)
    language: Language = attrs.field(default=Language.VI, validator=of_type(Language))
    local_hostname: str | None = attrs.field(default=None, validator=optional(_host))
    tls_context: ssl.SSLContext | None = attrs.field(default=None, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        """Check the fields that depend on each other."""
        if (self.username is None) != (self.password is None):
            raise ValidationError("give both a username and a password, or neither", field="username")
        if self.username is not None and self.security is Security.NONE:
            raise ValidationError("credentials are sent only over STARTTLS or SSL", field="security", value="none")
        if self.tls_context is not None and not isinstance(self.tls_context, ssl.SSLContext):
            raise ValidationError("must be an ssl.SSLContext or None", field="tls_context")


class SmtpNotifier:
    """Sends the ``EMAIL`` messages of the outbox over SMTP: ``SmtpNotifier(settings, templates=...)``.

    Thread-safe: each send uses its own connection. ``templates`` default to :func:`default_templates`;
    every notice is written in ``settings.language``.
    """

    def __init__(self, settings: SmtpSettings, *, templates: Templates | None = None) -> None:
        """Configure the notifier; nothing connects until :meth:`send`.

        Raises:
            ValidationError: ``settings`` is not ``SmtpSettings`` or ``templates`` not ``Templates``.
        """
        if not isinstance(settings, SmtpSettings):
            raise ValidationError("must be SmtpSettings", field="settings", value=type(settings).__name__)
        if templates is not None and not isinstance(templates, Templates):
            raise ValidationError("must be Templates", field="templates", value=type(templates).__name__)
        self._settings = settings
        self._templates = templates if templates is not None else default_templates()

    def __repr__(self) -> str:
        """Show where it sends, never the sender or credentials."""
        return f"SmtpNotifier(host={self._settings.host!r}, port={self._settings.port})"

    def compose(self, message: OutboxMessage) -> EmailMessage:
        """The e-mail of ``message``: headers, a text part and an HTML part, identical on every call (N2).

        ``Date`` is the notice's ``created_at``; ``Message-ID`` comes from :func:`message_id_of`;
        ``Auto-Submitted: auto-generated`` tells auto-responders not to answer (RFC 3834).

        Raises:
            ValidationError: not an ``OutboxMessage``.
            PermanentDeliveryError: (N1) not an e-mail message; (I2) the recipient is not a valid address.
            NotFoundError: (N1) no template for the message's kind.
        """
        if not isinstance(message, OutboxMessage):
            raise ValidationError("must be an OutboxMessage", rule="N2", field="message", value=type(message).__name__)
        if message.channel is not Channel.EMAIL:
            raise PermanentDeliveryError(
                "is an in-app notice, not an e-mail: route it to another notifier", rule="N1", message_id=message.id
            )
        if not is_email_address(message.recipient):
            raise PermanentDeliveryError(
                "the recipient is not a valid e-mail address", rule="I2", message_id=message.id
            )
        settings = self._settings
        rendered = self._templates.render(message, settings.language)
        mail = EmailMessage()
        mail["From"] = Address(display_name=settings.sender_name, addr_spec=settings.sender)
        mail["To"] = Address(addr_spec=message.recipient)
        # set_raw: the standard library's own folding loses spaces in long non-ASCII subjects (see headers).
        mail.set_raw("Subject", fold_unstructured("Subject", rendered.subject))
        mail["Date"] = email.utils.format_datetime(message.created_at)
        mail["Message-ID"] = message_id_of(message.id, settings.message_id_domain)
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(rendered.text)
        mail.add_alternative(rendered.html, subtype="html")
        mail["Content-Language"] = settings.language.value  # after the parts: set_content drops Content-* headers
        return mail

    def send(self, message: OutboxMessage) -> None:
        """Deliver ``message`` by e-mail; a repeat is delivered again with the same ``Message-ID`` (N2).

        Raises:
            ValidationError, NotFoundError: as :meth:`compose`.
            PermanentDeliveryError: as :meth:`compose`; a 5xx reply; STARTTLS not offered; a certificate
                that does not verify. The message was not accepted.
            TransientDeliveryError: a 4xx reply, a time-out, a refused or dropped connection. The message
                was not accepted (or its acceptance was not heard: a repeat may follow).
        """
        mail = self.compose(message)
        try:
            with self._session() as smtp:
                smtp.send_message(mail)
        except Exception as error:  # noqa: BLE001 - every driver failure becomes one of ours, named by id only
            raise _failure(error, message.id, self._settings.timeout) from None

    @contextlib.contextmanager
    def _session(self) -> Iterator[smtplib.SMTP]:
        settings = self._settings
        context = settings.tls_context
        if settings.security is not Security.NONE and context is None:
            context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if settings.security is Security.SSL:
            smtp = smtplib.SMTP_SSL(
                settings.host, settings.port, settings.local_hostname, timeout=settings.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, settings.local_hostname, timeout=settings.timeout)
        try:
            if settings.security is Security.STARTTLS:
                smtp.starttls(context=context)
            if settings.username is not None and settings.password is not None:
                smtp.login(settings.username, settings.password)
            yield smtp
        except BaseException:
            smtp.close()  # no QUIT: the server may be the reason we are here
            raise
        # Accepted once the server answered the data: a failed goodbye changes nothing.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
        smtp.close()


def _reply(code: int, text: bytes | str, message_id: str, what: str) -> DeliveryError:
    """The error for an SMTP reply: its code and enhanced status only, for the text may echo the address."""
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    enhanced = _ENHANCED.match(raw)
    shown = f"{code} {enhanced.group(1)}" if enhanced else str(code)
    if 500 <= code <= 599:  # noqa: PLR2004 - SMTP's permanent failures
        return PermanentDeliveryError(f"{what}: {shown} (permanent)", message_id=message_id, reply_code=code)
    return TransientDeliveryError(f"{what}: {shown} (try again later)", message_id=message_id, reply_code=code)


_WITHOUT_REPLY: Final[tuple[tuple[type[Exception], type[DeliveryError], str], ...]] = (
    (smtplib.SMTPServerDisconnected, TransientDeliveryError, "the mail server closed the connection"),
    (smtplib.SMTPNotSupportedError, PermanentDeliveryError, "the mail server does not offer what the settings ask"),
    (ssl.SSLCertVerificationError, PermanentDeliveryError, "the mail server's certificate does not verify"),
    (ConnectionRefusedError, TransientDeliveryError, "the mail server refused the connection"),
)


def _reply_of(error: Exception) -> tuple[int, bytes | str, str] | None:
    """The reply code and text of a refusal by the server, and what it refused; ``None`` if it did not answer."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (-1, b""))
        return code, text, "the mail server refused the recipient"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return error.smtp_code, error.smtp_error, "the mail server refused the login"
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code, error.smtp_error, "the mail server refused the message"
    return None


def _failure(error: Exception, message_id: str, timeout: float) -> DeliveryError:
    """Translate a failure of smtplib, ssl or the socket into a :class:`DeliveryError` naming ``message_id``."""
    reply = _reply_of(error)
    if reply is not None:
        return _reply(*reply[:2], message_id, reply[2])
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        return TransientDeliveryError(f"the mail server did not answer within {timeout:g} s", message_id=message_id)
    for kind, error_class, what in _WITHOUT_REPLY:
        if isinstance(error, kind):
            return error_class(what, message_id=message_id)
    if isinstance(error, OSError):  # smtplib's other errors, TLS failures, DNS failures, resets
        reason = error.strerror or type(error).__name__  # the OS's reason names no address
        return TransientDeliveryError(f"the mail server could not be reached ({reason})", message_id=message_id)
    # Anything else is no network trouble, and sending again would fail the same way.
    return PermanentDeliveryError(f"the send failed ({type(error).__name__})", message_id=message_id)


class RoutingNotifier:
    """Hands each message to the notifier of its channel: ``RoutingNotifier({Channel.EMAIL: smtp, ...})``.

    The outbox holds e-mail and in-app messages alike (N1), and a relay has one notifier. Errors of the
    chosen notifier pass through unchanged.
    """

    def __init__(self, routes: Mapping[Channel, Notifier]) -> None:
        """Route by ``routes``.

        Raises:
            ValidationError: (N1) a key that is not a Channel, or a value without a ``send`` method.
        """
        if not isinstance(routes, Mapping):
            raise ValidationError(
                "must map channels to notifiers", rule="N1", field="routes", value=type(routes).__name__
            )
        for channel, notifier in routes.items():
            if not isinstance(channel, Channel):
                raise ValidationError("must be a Channel", rule="N1", field="routes", value=channel)
            if not callable(getattr(notifier, "send", None)):
                raise ValidationError("must have a send method", rule="N1", field=f"routes[{channel.value}]")
        self._routes = dict(routes)

    def __repr__(self) -> str:
        """Show the routes."""
        routes = ", ".join(f"{c.value}: {type(n).__name__}" for c, n in self._routes.items())
        return f"RoutingNotifier({{{routes}}})"

    def send(self, message: OutboxMessage) -> None:
        """Send ``message`` through the notifier of its channel.

        Raises:
            ValidationError: not an ``OutboxMessage``.
            NotFoundError: (N1) no notifier for its channel.
            SubscriptionError: whatever the chosen notifier raises.
        """
        if not isinstance(message, OutboxMessage):
            raise ValidationError("must be an OutboxMessage", rule="N2", field="message", value=type(message).__name__)
        notifier = self._routes.get(message.channel)
        if notifier is None:
            raise NotFoundError("no notifier for this channel", rule="N1", field="channel", value=message.channel.value)
        notifier.send(message)
