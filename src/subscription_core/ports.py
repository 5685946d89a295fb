"""The ports: what the core asks of the world, as ``typing.Protocol`` classes.

Adapters (``src/adapters/``) satisfy these without inheriting from them. Each docstring says what an
adapter must guarantee; one contract test suite per port (``tests/contract/``) checks every adapter
against the same promises. Every adapter raises the library's own errors (``NotFoundError``,
``ConflictError``, ...), never a driver's.

Versions: entities carry a ``version``; a use case reads an entity, derives a new one through domain verbs
(each raises the version) and saves it with ``expected_version`` = the version it read. A repository
refuses the save with ``ConflictError`` when the stored version is no longer the one read: two writers
never both win. Saving an entity that was never added raises ``NotFoundError``.

This module holds the time, ids, the outbox, idempotency and the unit of work; the repositories live in
:mod:`subscription_core.repository_ports`, the providers, notifiers and issuers in
:mod:`subscription_core.provider_ports`, refunds in :mod:`subscription_core.refund_ports` and payment
queries in :mod:`subscription_core.payment_status_ports`. Every port is importable from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self

import attrs

from subscription_core.notices import DeadLetter, OutboxMessage
from subscription_core.payment_status_ports import (
    PaymentStatus,
    PaymentStatusAnswer,
    PaymentStatusQuery,
    PaymentStatusRequest,
)
from subscription_core.provider_ports import (
    CorrectingIssuer,
    InvoiceCorrector,
    InvoiceIssuer,
    Notifier,
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
)
from subscription_core.refund_ports import RefundAnswer, RefundGateway, RefundOutcome, RefundRepository, RefundRequest
from subscription_core.repository_ports import (
    CustomerRepository,
    InvoiceRepository,
    OrderRepository,
    PaymentRepository,
    PromotionRepository,
    SubscriptionRepository,
    UnappliedMoneyRepository,
)

__all__ = [
    "Clock",
    "CorrectingIssuer",
    "CustomerRepository",
    "IdGenerator",
    "IdempotencyRecord",
    "IdempotencyStore",
    "InvoiceCorrector",
    "InvoiceIssuer",
    "InvoiceRepository",
    "Notifier",
    "OrderRepository",
    "Outbox",
    "PaymentProvider",
    "PaymentRepository",
    "PaymentRequest",
    "PaymentStart",
    "PaymentStatus",
    "PaymentStatusAnswer",
    "PaymentStatusQuery",
    "PaymentStatusRequest",
    "PromotionRepository",
    "RefundAnswer",
    "RefundGateway",
    "RefundOutcome",
    "RefundRepository",
    "RefundRequest",
    "SubscriptionRepository",
    "UnappliedMoneyRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


class Clock(Protocol):
    """The time. The core never reads the system clock itself."""

    def now(self) -> dt.datetime:
        """Return the current instant, time-zone-aware (UTC preferred); never goes backwards within a process."""
        ...


class IdGenerator(Protocol):
    """New identifiers for entities."""

    def new_id(self, prefix: str) -> str:
        """Return an id never returned before, starting with ``prefix`` (``"ord"``, ``"sub"``...)."""
        ...


class Outbox(Protocol):
    """Notices waiting to leave (N2): written in the change's transaction, delivered at least once."""

    def add(self, message: OutboxMessage) -> bool:
        """Queue a message; ``False`` (and nothing queued) if a message with its id is already there."""
        ...

    def add_many(self, messages: Sequence[OutboxMessage]) -> int:
        """Queue each message as :meth:`add` does (in one round trip where it can); return how many were new."""
        ...

    def pending(self, at: dt.datetime, *, limit: int) -> list[OutboxMessage]:
        """Up to ``limit`` unsent messages due by ``at``, oldest first.

        Due: never tried and created at or before ``at``, or failed with their retry time at or before ``at``;
        a message claimed (:meth:`claim`) is due again only when its lease has run out.
        """
        ...

    def claim(self, at: dt.datetime, *, limit: int, lease: dt.timedelta) -> list[OutboxMessage]:
        """Take up to ``limit`` messages due by ``at`` for delivery, oldest first (N2: a relay's way in).

        Each is due again only at ``at + lease`` (sooner if :meth:`mark_failed` sets an earlier retry), so a
        relay that dies before recording its sends leaves them to the next claim once the lease runs out. A
        claim by another unit of work at the same time never takes the same message: it skips (or waits for)
        the ones being claimed here. The claim counts no attempt and takes effect when the unit commits.
        ``ValidationError`` for a naive ``at``, a negative limit or a lease that is not positive.
        """
        ...

    def mark_sent(self, message_id: str, at: dt.datetime) -> None:
        """Record the message as delivered; it is never handed out again. ``NotFoundError`` if unknown."""
        ...

    def mark_failed(self, message_id: str, at: dt.datetime, *, error: str, retry_at: dt.datetime) -> None:
        """Record a failed attempt (the error text holds no secret) and when to retry. ``NotFoundError`` if unknown.

        A message already sent or dead is left as it is.
        """
        ...

    def attempts(self, message_id: str) -> int:
        """How many deliveries of the message were tried (sent, failed or given up). ``NotFoundError`` if unknown."""
        ...

    def mark_dead(self, message_id: str, at: dt.datetime, *, error: str) -> None:
        """Record a failed attempt after which the message is given up (dead).

        A dead message is never handed out by :meth:`pending` again until :meth:`requeue`; :meth:`dead` lists it with
        ``error`` (which holds no secret or address). Nothing is deleted: the message, its attempts and its error stay.
        A message already sent stays sent; one already dead keeps its first error. ``NotFoundError`` if unknown;
        ``ValidationError`` for a naive ``at``.
        """
        ...

    def dead(self, *, limit: int) -> list[DeadLetter]:
        """Up to ``limit`` dead messages, the longest dead first (by the time they were given up, then id)."""
        ...

    def requeue(self, message_id: str, at: dt.datetime) -> None:
        """Make a dead message pending again, due at ``at``; its attempts and last error are kept.

        Raises ``NotFoundError`` if unknown, ``InvalidTransitionError`` (N2) if the message is not dead.
        """
        ...


@attrs.frozen(kw_only=True)
class IdempotencyRecord:
    """The first outcome of a request made with an idempotency key: what a repeat returns."""

    key: str
    fingerprint: str  # a digest of the request's input; the same key with another input is a conflict
    outcome: str  # what a repeat returns: the id of what the request made, or a small JSON text
    created_at: dt.datetime


class IdempotencyStore(Protocol):
    """Idempotency keys of mutating requests (Stripe's semantics)."""

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The record of ``key`` within ``scope`` (the use case's name), or ``None``."""
        ...

    def put(self, scope: str, record: IdempotencyRecord) -> None:
        """Store the record. Raises ``ConflictError`` if the key is already stored in the scope."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository and the outbox.

    Used as a context manager: leaving the block without :meth:`commit` (or by an exception) rolls back
    everything done in it, outbox included, so a failed use case leaves no trace. Adapters give each unit
    of work its own view: what it writes is invisible to others until committed.
    """

    customers: CustomerRepository
    subscriptions: SubscriptionRepository
    orders: OrderRepository
    payments: PaymentRepository
    promotions: PromotionRepository
    invoices: InvoiceRepository
    unapplied: UnappliedMoneyRepository
    refunds: RefundRepository
    outbox: Outbox
    idempotency: IdempotencyStore

    def __enter__(self) -> Self:
        """Begin the transaction."""
        ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Roll back unless committed."""
        ...

    def commit(self) -> None:
        """Make every change of the block durable and visible, atomically. Raises ``ConflictError`` on a lost race."""
        ...

    def rollback(self) -> None:
        """Discard every change of the block."""
        ...


class UnitOfWorkFactory(Protocol):
    """Makes a new unit of work for each use case call."""

    def __call__(self) -> UnitOfWork:
        """Return a fresh unit of work, not yet begun."""
        ...
