"""The ports of refunds (Y8): where refunds are stored, and a provider's refund API.

Re-exported by :mod:`subscription_core.ports`. A :class:`RefundRepository` is part of every unit of work
(``uow.refunds``); a :class:`RefundGateway` is a provider's refund API (VNPay's ``refund`` and ``querydr``,
say), registered in ``Services.refund_gateways`` under the provider's name.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Protocol

import attrs

from subscription_core.refunds import Refund

__all__ = ["RefundAnswer", "RefundGateway", "RefundOutcome", "RefundRepository", "RefundRequest"]


class RefundRepository(Protocol):
    """Refunds (Y8), by id, listed by order, customer, payment or transfer reference."""

    def add(self, refund: Refund) -> None:
        """Store a new refund. Raises ``ConflictError`` if its id is stored (at commit at the latest)."""
        ...

    def get(self, refund_id: str) -> Refund:
        """Return the refund. Raises ``NotFoundError`` if there is none."""
        ...

    def save(self, refund: Refund, *, expected_version: int) -> None:
        """Replace the refund. Raises ``ConflictError`` on a version mismatch, ``NotFoundError`` if never added."""
        ...

    def of_order(self, order_id: str) -> list[Refund]:
        """Return the refunds naming ``order_id``, oldest requested first (ties by id)."""
        ...

    def of_customer(self, customer_id: str) -> list[Refund]:
        """Return the refunds of ``customer_id``, oldest requested first (ties by id)."""
        ...

    def of_payment(self, payment_id: str) -> list[Refund]:
        """Return the refunds of the payment ``payment_id`` (UNUSED_TERM), oldest requested first (ties by id)."""
        ...

    def by_reference(self, reference: str) -> list[Refund]:
        """Return the refunds whose ``reference`` is ``reference`` exactly, oldest requested first (ties by id)."""
        ...

    def requested(self, *, after: tuple[dt.datetime, str] | None = None, limit: int = 100) -> list[Refund]:
        """Return up to ``limit`` refunds still requested, oldest requested first (ties by id).

        With ``after`` (a ``requested_at`` and an id), only those listed after it: the next page. Raises
        ``ValidationError`` for a ``limit`` that is not a whole number >= 0.
        """
        ...


class RefundOutcome(enum.Enum):
    """What a provider answered a refund request or a query with (Y8)."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"  # no answer, a timeout or an answer meaning "processing": ask again later


@attrs.frozen(kw_only=True)
class RefundRequest:
    """What a provider needs to refund money it took (Y8).

    ``refund_id`` is the library's id of the refund, the request id a provider deduplicates on;
    ``payment_reference`` the provider's reference of the money refunded and ``merchant_reference`` the
    reference the library gave that payment, when it started it; ``paid_at`` when it was paid and ``paid``
    its whole amount (decimal text), so that a provider tells a full refund from a partial one;
    ``amount`` the refund (decimal text, never a float) in ``currency``; ``requested_by`` the staff id.
    ``started_at`` is when the library started that payment (``Payment.started_at``, the date a provider
    such as VNPay looks it up by: ``vnp_TransactionDate``), or ``None`` when no started payment is known.
    """

    refund_id: str
    payment_reference: str
    merchant_reference: str | None
    paid_at: dt.datetime
    paid: str
    amount: str
    currency: str
    requested_by: str
    reason: str
    started_at: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class RefundAnswer:
    """A provider's answer: its outcome, its own reference of the refund if it gave one, and why it failed."""

    outcome: RefundOutcome
    reference: str | None = None
    message: str = ""


class RefundGateway(Protocol):
    """A provider's refund API (Y8); ``name`` is the provider's name, as payments record it.

    Idempotent per ``request.refund_id``: asking again for one refund never refunds twice, and answers as
    the first time did (or better: the outcome of an unknown refund, once known). A refusal is a FAILED
    answer, not an exception; a timeout or a transport failure is an UNKNOWN answer, to be settled later
    by :meth:`query`. The answer never carries a secret.
    """

    name: str

    def refund(self, request: RefundRequest) -> RefundAnswer:
        """Ask the provider to refund ``request.amount`` of the payment ``request.payment_reference``."""
        ...

    def query(self, request: RefundRequest) -> RefundAnswer:
        """Ask the provider what became of the refund ``request.refund_id``; UNKNOWN if it cannot tell yet."""
        ...
