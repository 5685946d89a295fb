"""Notices on their way out: the outbox message every notice of N1 becomes (N1, N2).

A use case writes :class:`OutboxMessage` values into the unit of work's outbox, in the same transaction as
the change they tell of (N2). A relay later hands each to a :class:`~subscription_core.ports.Notifier`;
delivery is at least once, and the message ``id`` is stable so that a receiver can drop repeats.

Logs and reprs carry ids only: the recipient (an e-mail address) is kept out of ``repr``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any, Final

import attrs

# backoff is re-exported: the relays and the invoice retries import it from here.
from subscription_core.backoff import backoff
from subscription_core.errors import DeliveryError, ValidationError, aware, non_empty_text, of_type, whole_number
from subscription_core.lifecycle import Notice, NoticeKind

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "Channel",
    "DeadLetter",
    "DeliveryState",
    "OrderNoticeKind",
    "OutboxMessage",
    "backoff",
    "check_delay",
    "check_max_attempts",
    "failure_text",
    "notice_kinds",
]

DEFAULT_MAX_ATTEMPTS: Final = 20
"""How many tries of a notice a relay makes before it gives the notice up as dead (N2) [decision]."""
_ERROR_CHARS: Final = 300


class OrderNoticeKind(enum.Enum):
    """Notices about orders and invoices (N1, I2); subscription notices are lifecycle ``NoticeKind``s."""

    ORDER_PLACED = "order_placed"  # with the payment instructions or the payment link (Y3, O5)
    ORDER_PAID = "order_paid"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_LAPSED = "order_lapsed"
    PAYMENT_REMINDER = "payment_reminder"  # a placed order still unpaid, days before its deadline (O8)
    INVOICE_ISSUED = "invoice_issued"
    BULK_RENEWED = "bulk_renewed"  # every client of a bulk renewal extended (B5)


def notice_kinds() -> frozenset[str]:
    """Every kind an outbox message may carry: the lifecycle's and the orders'."""
    return frozenset(k.value for k in NoticeKind) | frozenset(k.value for k in OrderNoticeKind)


_KINDS = notice_kinds()


class Channel(enum.Enum):
    """How a notice reaches the customer (N1)."""

    EMAIL = "email"
    IN_APP = "in_app"  # the bell and the banner


class DeliveryState(enum.Enum):
    """Where a message of the outbox stands."""

    PENDING = "pending"  # waiting for its first try, or for its retry time after a failure
    SENT = "sent"
    DEAD = "dead"  # set aside after a permanent failure or too many attempts; staff may requeue it


def check_max_attempts(value: object) -> int:
    """Return ``value``, a relay's attempts before a message is given up, if it is a whole number >= 1.

    Raises:
        ValidationError: (N2) anything else.
    """
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError("must be a whole number >= 1", rule="N2", field="max_attempts", value=value)
    return value


def check_delay(value: object, *, field: str) -> dt.timedelta:
    """Return ``value``, a relay's lease or retry delay, if it is a positive ``timedelta``.

    Raises:
        ValidationError: (N2) anything else, naming ``field``.
    """
    if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
        raise ValidationError("must be a positive timedelta", rule="N2", field=field, value=value)
    return value


def failure_text(error: Exception) -> str:
    """What a relay records of a failed delivery: a ``DeliveryError``'s class and first line, else the class only.

    A ``DeliveryError`` promises a message naming ids only; any other exception's text might carry an
    address or a secret, so only its type is kept. At most 300 characters.
    """
    lines = str(error).strip().splitlines() if isinstance(error, DeliveryError) else []
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text[:_ERROR_CHARS]


def _kind(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in _KINDS:
        raise ValidationError("is not a notice kind", rule="N1", field=attribute.name, value=value)


def _data(value: object) -> tuple[tuple[str, str], ...]:
    items = list(value.items()) if isinstance(value, Mapping) else value
    if not isinstance(items, tuple | list) or not all(isinstance(i, tuple | list) and len(i) == 2 for i in items):  # noqa: PLR2004
        raise ValidationError("must be pairs of texts", rule="N1", field="data", value=value)
    return tuple(sorted((str(k), str(v)) for k, v in items))


@attrs.frozen(kw_only=True)
class OutboxMessage:
    """One notice to deliver (N1), written to the outbox with the change it tells of (N2).

    ``id`` is stable and unique: the same event never yields two ids, so receivers deduplicate on it.
    ``recipient`` is an e-mail address for EMAIL and a customer id for IN_APP; it is never shown in
    ``repr``. ``subject_id`` is the subscription or order the notice is about; ``data`` the facts a
    template shows, as sorted text pairs (amounts as text, never floats).
    """

    id: str = attrs.field(validator=non_empty_text(rule="N2"))
    kind: str = attrs.field(validator=_kind)
    channel: Channel = attrs.field(validator=of_type(Channel))
    recipient: str = attrs.field(validator=non_empty_text(rule="N2"), repr=False)
    subject_id: str = attrs.field(validator=non_empty_text(rule="N2"))
    created_at: dt.datetime = attrs.field(validator=aware())
    data: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_data)

    @classmethod
    def of_notice(cls, notice: Notice, *, channel: Channel, recipient: str, sequence: int) -> OutboxMessage:
        """The message for a lifecycle notice; ``sequence`` is the subscription's version after the change.

        The id ``<subscription>:<version>:<kind>:<channel>`` is the same however often a use case is
        retried, so a repeat is dropped by the outbox's unique id rather than sent twice (N2).
        """
        return cls(
            id=f"{notice.subscription_id}:{sequence}:{notice.kind.value}:{channel.value}",
            kind=notice.kind.value,
            channel=channel,
            recipient=recipient,
            subject_id=notice.subscription_id,
            created_at=notice.at,
            data=tuple((str(k), str(v)) for k, v in notice.details),
        )


@attrs.frozen(kw_only=True)
class DeadLetter:
    """An outbox message set aside undelivered (N2): what staff see before fixing the cause and requeueing it.

    ``error`` is the last failure as the relay recorded it (the notifier's error, which names no address);
    ``attempts`` the deliveries tried; ``died_at`` when the message was given up.
    """

    message: OutboxMessage = attrs.field(validator=of_type(OutboxMessage))
    error: str = attrs.field(validator=of_type(str))
    attempts: int = attrs.field(validator=whole_number(0, rule="N2"))
    died_at: dt.datetime = attrs.field(validator=aware())
