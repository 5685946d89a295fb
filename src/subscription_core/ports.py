"""The ports: what the core asks of the world, as ``typing.Protocol`` classes.

Adapters (``src/adapters/``) satisfy these without inheriting from them. Each docstring says what an
adapter must guarantee; one contract test suite per port (``tests/contract/``) checks every adapter
against the same promises. Every adapter raises the library's own errors (``NotFoundError``,
``ConflictError``, ...), never a driver's.

Versions: entities carry a ``version``; a use case reads an entity, derives a new one through domain verbs
(each raises the version) and saves it with ``expected_version`` = the version it read. A repository
refuses the save with ``ConflictError`` when the stored version is no longer the one read: two writers
never both win. Saving an entity that was never added raises ``NotFoundError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Protocol, Self

import attrs

from subscription_core.customers import Customer
from subscription_core.invoice_corrections import (
    CorrectedInvoice,
    InvoiceAdjustment,
    InvoiceReplacement,
    IssuedCorrection,
)
from subscription_core.invoices import InvoiceRequest, IssuedInvoice, RequestedInvoice
from subscription_core.notices import DeadLetter, OutboxMessage
from subscription_core.orders import Order
from subscription_core.payment_status_ports import (
    PaymentStatus,
    PaymentStatusAnswer,
    PaymentStatusQuery,
    PaymentStatusRequest,
)
from subscription_core.payments import MethodKind, Payment, PaymentMethod, PaymentProof, ProviderNotification
from subscription_core.promotions import Promotion, RedemptionCounts
from subscription_core.redemptions import Redemption
from subscription_core.refund_invoices import RequestedAdjustment
from subscription_core.refund_ports import RefundAnswer, RefundGateway, RefundOutcome, RefundRepository, RefundRequest
from subscription_core.subscriptions import Subscription
from subscription_core.unapplied import UnappliedMoney, UnappliedState

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


class CustomerRepository(Protocol):
    """Customers (U2, S8, A1, A3)."""

    def add(self, customer: Customer) -> None:
        """Store a new customer. Raises ``ConflictError`` if the id or the tax code is already stored."""
        ...

    def get(self, customer_id: str) -> Customer:
        """Return the customer. Raises ``NotFoundError`` if there is none with that id."""
        ...

    def save(self, customer: Customer, *, expected_version: int) -> None:
        """Replace the stored customer. Raises ``ConflictError`` if its stored version is not ``expected_version``."""
        ...

    def get_many(self, customer_ids: Sequence[str]) -> dict[str, Customer]:
        """The customers with these ids, by id; ids with no customer are left out (bulk work, in few queries)."""
        ...

    def by_tax_code(self, tax_code: str) -> Customer | None:
        """The customer with this tax code (already normalized by ``TaxCode``), or ``None`` (U2)."""
        ...

    def by_tax_codes(self, tax_codes: Sequence[str]) -> dict[str, Customer]:
        """The customers with these (normalized) tax codes, by tax code; codes nobody has are left out (B1)."""
        ...

    def by_business_code(self, business_code: str) -> Customer | None:
        """The customer with this business code, or ``None`` (B1)."""
        ...

    def search(self, query: str, *, limit: int = 50) -> list[Customer]:
        """Customers whose tax code starts with, or whose name contains, ``query`` (U2).

        Name matching ignores case and Vietnamese diacritics (``"cong ty"`` finds ``"Công ty"``), as
        ``customers.find_customers`` does. Ordered by name, then id; at most ``limit``.
        """
        ...

    def clients_of(self, accountant_id: str) -> list[Customer]:
        """The customers linked to a service accountant (A3), ordered by id."""
        ...


class SubscriptionRepository(Protocol):
    """Subscriptions (S1-S9). ``due`` must scale with the number due, not the number stored."""

    def add(self, subscription: Subscription) -> None:
        """Store a new subscription. Raises ``ConflictError`` if the id is already stored."""
        ...

    def get(self, subscription_id: str) -> Subscription:
        """Return the subscription. Raises ``NotFoundError`` if there is none."""
        ...

    def save(self, subscription: Subscription, *, expected_version: int) -> None:
        """Replace it. Raises ``ConflictError`` if the stored version is not ``expected_version``."""
        ...

    def save_many(self, changes: Sequence[tuple[Subscription, int]]) -> None:
        """Replace each subscription of ``(subscription, expected_version)`` as :meth:`save` does, in few statements.

        Raises ``ConflictError`` or ``NotFoundError`` for the first that :meth:`save` would refuse; the
        unit of work must then be rolled back (some of the others may be written in it).
        """
        ...

    def get_many(self, subscription_ids: Sequence[str]) -> dict[str, Subscription]:
        """The subscriptions with these ids, by id; ids with none are left out (bulk work, in few queries)."""
        ...

    def of_customer(self, customer_id: str) -> list[Subscription]:
        """A company's subscriptions (S8), ordered by id."""
        ...

    def of_customers(self, customer_ids: Sequence[str]) -> dict[str, list[Subscription]]:
        """Each of these companies' subscriptions, ordered by id; every id given is a key (B1, in few queries)."""
        ...

    def due(self, at: dt.datetime, *, limit: int) -> list[Subscription]:
        """Up to ``limit`` subscriptions whose ``next_due_at`` is at or before ``at``, earliest first."""
        ...

    def held_back(self, *, limit: int) -> list[Subscription]:
        """Up to ``limit`` subscriptions the time-driven step set aside (``held_back`` set), longest held first.

        Must scale with the number held back, not the number stored.
        """
        ...


class OrderRepository(Protocol):
    """Orders (O1-O5)."""

    def add(self, order: Order) -> None:
        """Store a new order. Raises ``ConflictError`` if the id is already stored."""
        ...

    def get(self, order_id: str) -> Order:
        """Return the order. Raises ``NotFoundError`` if there is none."""
        ...

    def save(self, order: Order, *, expected_version: int) -> None:
        """Replace it. Raises ``ConflictError`` if the stored version is not ``expected_version``."""
        ...

    def of_customer(self, customer_id: str) -> list[Order]:
        """Orders with lines for a customer, newest first."""
        ...

    def unpaid_past_deadline(self, at: dt.datetime, *, limit: int) -> list[Order]:
        """Up to ``limit`` placed orders whose payment deadline is before ``at`` (to lapse, O4)."""
        ...

    def reminders_due(self, at: dt.datetime, *, limit: int) -> list[Order]:
        """Up to ``limit`` placed orders with a payment reminder due by ``at`` (to remind, O8), earliest first.

        Those whose ``next_reminder_at`` is at or before ``at`` and whose deadline is after ``at``. Must
        scale with the number due, not the number stored.
        """
        ...

    def by_transfer_reference(self, reference: str) -> list[Order]:
        """The orders whose ``transfers.transfer_reference`` is ``reference`` (Y3), by id: normally one.

        More than one is possible (the reference is a 60-bit digest of the id), and is the caller's to
        treat as ambiguous. An unknown or malformed reference gives an empty list.
        """
        ...


class PaymentRepository(Protocol):
    """Payments, proofs of payment and the provider notifications already processed (Y1-Y5)."""

    def add(self, payment: Payment) -> None:
        """Store a new payment. Raises ``ConflictError`` if the id is already stored."""
        ...

    def get(self, payment_id: str) -> Payment:
        """Return the payment. Raises ``NotFoundError`` if there is none."""
        ...

    def save(self, payment: Payment, *, expected_version: int) -> None:
        """Replace it. Raises ``ConflictError`` if the stored version is not ``expected_version``."""
        ...

    def of_order(self, order_id: str) -> list[Payment]:
        """The payments of an order, oldest first."""
        ...

    def add_proof(self, proof: PaymentProof) -> None:
        """Store a new proof of payment (Y4). Raises ``ConflictError`` if the id is already stored."""
        ...

    def get_proof(self, proof_id: str) -> PaymentProof:
        """Return the proof. Raises ``NotFoundError`` if there is none."""
        ...

    def save_proof(self, proof: PaymentProof, *, expected_version: int) -> None:
        """Replace it. Raises ``ConflictError`` if the stored version is not ``expected_version``."""
        ...

    def record_notification(self, provider: str, event_id: str, *, order_id: str, at: dt.datetime) -> bool:
        """Remember that a provider's event was processed (Y5).

        Returns ``True`` the first time and ``False`` for a repeat, however the calls race: this is the
        backstop that keeps a payment from being applied twice (a unique key on provider and event id).
        """
        ...


class UnappliedMoneyRepository(Protocol):
    """Money received that no order took (Y6), one record per ``(source, reference)``."""

    def add(self, money: UnappliedMoney) -> bool:
        """Store a new record and return ``True``; ``False``, storing nothing, if its reference is stored.

        However many callers race with one ``(source, reference)``, one record is kept (the backstop of Y6: one
        provider event or bank transaction is recorded once). Raises ``ConflictError`` if only the id is stored.
        """
        ...

    def get(self, unapplied_id: str) -> UnappliedMoney:
        """Return the record. Raises ``NotFoundError`` if there is none."""
        ...

    def save(self, money: UnappliedMoney, *, expected_version: int) -> None:
        """Replace the record. Raises ``ConflictError`` on a version mismatch, ``NotFoundError`` if never added."""
        ...

    def by_reference(self, source: str, reference: str) -> UnappliedMoney | None:
        """Return the record of ``(source, reference)``, or ``None``."""
        ...

    def listing(
        self, *, state: UnappliedState | None = None, customer_id: str | None = None, limit: int = 100
    ) -> list[UnappliedMoney]:
        """Return up to ``limit`` records in ``state`` of ``customer_id``, oldest received first (ties by id).

        ``None`` for either means any.
        """
        ...


class PromotionRepository(Protocol):
    """Promotions and their redemptions (P3, P4, P9). Limits hold under concurrent orders."""

    def add(self, promotion: Promotion) -> None:
        """Store a promotion. Raises ``ConflictError`` if its code (ignoring case) is already stored."""
        ...

    def get(self, code: str) -> Promotion:
        """The promotion with this code, ignoring case. Raises ``NotFoundError`` if there is none."""
        ...

    def all(self) -> list[Promotion]:
        """Every promotion, ordered by code."""
        ...

    def counts(self, codes: Sequence[str], customer_id: str) -> RedemptionCounts:
        """How many redemptions of ``codes`` count (reserved or consumed), in all and by the customer."""
        ...

    def reserve(self, redemption: Redemption, *, limit: int | None, per_customer_limit: int | None) -> bool:
        """Reserve a redemption unless a limit is reached (P9): atomically, whatever the concurrency.

        Returns ``False`` (storing nothing) when the total or the customer's count already reaches its
        limit. A second reservation for the same order and code is a no-op returning ``True``.
        """
        ...

    def save_redemption(self, redemption: Redemption) -> None:
        """Store a redemption's new state (consumed or released). Raises ``NotFoundError`` if unknown."""
        ...

    def redemptions_of(self, order_id: str) -> list[Redemption]:
        """The redemptions an order reserved, by code."""
        ...


class InvoiceRepository(Protocol):
    """E-invoices requested (O7) and issued (I1): at most one of each per order and part."""

    def add(self, invoice: IssuedInvoice) -> None:
        """Store an issued invoice. Raises ``ConflictError`` if one is already stored for its key."""
        ...

    def add_many(self, invoices: Sequence[IssuedInvoice]) -> None:
        """Store each invoice as :meth:`add` does, in few statements.

        Raises ``ConflictError`` if one is already stored (or given twice); the unit of work must then be
        rolled back (the others may be written in it).
        """
        ...

    def of_order(self, order_id: str) -> list[IssuedInvoice]:
        """The invoices of an order, by part."""
        ...

    def request_many(self, requests: Sequence[RequestedInvoice]) -> None:
        """Store the invoices a fulfilled order asks for, pending (O7), in few statements.

        Raises ``ConflictError`` if one is already requested for its key (or given twice); the unit of work
        must then be rolled back.
        """
        ...

    def requested_of(self, order_id: str) -> list[RequestedInvoice]:
        """The invoices an order asked for, pending or issued, by part (O7)."""
        ...

    def get_request(self, order_id: str, part: int) -> RequestedInvoice | None:
        """The invoice ``part`` of ``order_id`` asked for, or ``None`` (O7): one look-up by key."""
        ...

    def save_request(self, request: RequestedInvoice, *, expected_version: int) -> None:
        """Replace a requested invoice. ``ConflictError`` if its stored version is not ``expected_version``.

        ``NotFoundError`` if it was never requested.
        """
        ...

    def due_requests(self, at: dt.datetime, *, limit: int) -> list[RequestedInvoice]:
        """Up to ``limit`` pending invoices whose ``next_attempt_at`` is at or before ``at``, earliest first (O7).

        Must scale with the number due, not the number ever requested.
        """
        ...

    def pending_requests(self, *, limit: int) -> list[RequestedInvoice]:
        """Up to ``limit`` invoices not issued yet, due or not, the earliest requested first (O7: staff see them)."""
        ...

    def request_adjustments(self, adjustments: Sequence[RequestedAdjustment]) -> None:
        """Store the decreases a refund asks for, pending (Y8), each unique by refund and part.

        Raises ``ConflictError`` if one is already requested (or given twice); the unit of work must then be
        rolled back.
        """
        ...

    def adjustments_of(self, order_id: str) -> list[RequestedAdjustment]:
        """The decreases requested for the invoices of ``order_id``, pending or issued, oldest requested first."""
        ...

    def get_adjustment(self, refund_id: str, part: int) -> RequestedAdjustment | None:
        """The decrease of invoice ``part`` the refund ``refund_id`` asked for, or ``None`` (Y8)."""
        ...

    def save_adjustment(self, adjustment: RequestedAdjustment, *, expected_version: int) -> None:
        """Replace a requested decrease. ``ConflictError`` if its stored version is not ``expected_version``.

        ``NotFoundError`` if it was never requested.
        """
        ...

    def due_adjustments(self, at: dt.datetime, *, limit: int) -> list[RequestedAdjustment]:
        """Up to ``limit`` pending decreases whose ``next_attempt_at`` is at or before ``at``, earliest first (Y8).

        Must scale with the number due, not the number ever requested.
        """
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


@attrs.frozen(kw_only=True)
class PaymentRequest:
    """What a payment provider needs to start a payment (Y1, Y2, Y3)."""

    payment_id: str
    order_id: str
    amount: str  # the order's grand total as a decimal text in its currency (never a float)
    currency: str
    method: PaymentMethod
    description: str
    return_url: str = ""
    # When the library started the payment (``Payment.started_at``): a provider that looks a payment up by
    # the date its page was made (VNPay's ``vnp_CreateDate``, needed by its refund and query) dates it so.
    started_at: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class PaymentStart:
    """How the buyer goes on: a provider page to redirect to (online), or instructions (offline).

    ``instructions`` are for a bank transfer or cash, under the keys ``account``, ``amount`` and
    ``transfer_content`` at least, plus a QR payload where the adapter makes one (Y3).
    """

    redirect_url: str | None = None
    instructions: Mapping[str, str] = attrs.field(factory=dict)
    provider_ref: str | None = None


class PaymentProvider(Protocol):
    """A payment gateway, bank or cash desk (Y1-Y5).

    ``name`` is the name it is registered and routed under; ``methods`` the method kinds it takes. Both are
    checked when the services are built (Y1): a provider registered under another name, or routed a kind
    it does not take, is refused then rather than at payment time.
    """

    name: str

    @property
    def methods(self) -> frozenset[MethodKind]:
        """The method kinds :meth:`start` takes (Y1); never changes."""
        ...

    def start(self, request: PaymentRequest) -> PaymentStart:
        """Start a payment; never moves money by itself. Raises ``ValidationError`` for a method it does not take."""
        ...

    def parse_notification(self, payload: Mapping[str, str], *, received_at: dt.datetime) -> ProviderNotification:
        """Verify a notification's signature (in constant time) and read it.

        Raises ``ValidationError`` (rule Y5) for a bad or missing signature or a malformed payload; the
        error never contains the signing key.
        """
        ...


class Notifier(Protocol):
    """Delivers one outbox message by e-mail or in-app (N1)."""

    def send(self, message: OutboxMessage) -> None:
        """Deliver it, or raise. A repeat of the same message id may be delivered again (at least once).

        A failure should be a :class:`~subscription_core.errors.DeliveryError` naming the message id and no
        address; ``permanent=True`` when retrying cannot help, so that the relay sets the message aside (N2).
        Any other exception is taken as a failure that may pass, and retried.
        """
        ...


class InvoiceIssuer(Protocol):
    """Issues e-invoices (I1, I2)."""

    def issue(self, request: InvoiceRequest) -> IssuedInvoice:
        """Issue the invoice and send it to the buyer's e-mail.

        Idempotent per ``request.key``: asking again for the same order and part returns the invoice
        already issued, never a second number.
        """
        ...


class InvoiceCorrector(Protocol):
    """Corrects issued e-invoices by new ones that name them: adjusting and replacement invoices (Y8).

    An issuer that implements it also implements :class:`InvoiceIssuer`. The invoice corrected stays issued
    under its number; the correcting invoice takes the next number of the issuer's series, as any invoice.
    Both methods are idempotent per the request's ``key``: asking again returns the invoice already issued,
    never a second number. Checks come before a number is taken: a refused request leaves no gap.
    """

    def adjust(self, adjustment: InvoiceAdjustment) -> IssuedCorrection:
        """Issue the adjusting invoice ``adjustment`` asks for: its lines are the differences (Y8).

        An invoice may be adjusted many times, never below zero in all; a refund of an invoiced order asks
        for a decrease (negative lines) of that order's invoice.

        Raises:
            NotFoundError: (Y8) the original is not an invoice this issuer issued.
            InvalidTransitionError: (Y8) the original was replaced (adjust its replacement instead).
            ValidationError: (Y8) a decrease below zero with the earlier adjustments, or content the
                invoice format cannot carry.
            ConflictError: (Y8) the key was used for another correction.
        """
        ...

    def replace(self, replacement: InvoiceReplacement) -> IssuedCorrection:
        """Issue the replacement invoice ``replacement`` asks for: the whole corrected content (Y8).

        An invoice is replaced at most once; the original stays issued, marked as replaced.

        Raises:
            NotFoundError: (Y8) the original is not an invoice this issuer issued.
            InvalidTransitionError: (Y8) the original was replaced already.
            ValidationError: (Y8) content the invoice format cannot carry.
            ConflictError: (Y8) the key was used for another correction.
        """
        ...

    def corrections_of(self, invoice: CorrectedInvoice) -> tuple[IssuedCorrection, ...]:
        """What was issued against ``invoice`` (its series and number), by number: adjustments and its replacement.

        The invoice and its adjustments add up to what it comes to; when one of them is a replacement, the
        replacement is the invoice to correct from then on. Empty for an invoice never corrected, or not
        issued here.
        """
        ...


class CorrectingIssuer(InvoiceIssuer, InvoiceCorrector, Protocol):
    """An issuer that issues invoices and corrects them (I1, Y8): what ``Services.invoices`` should be.

    Both real issuers are (the reference e-invoice adapter and ``MemoryInvoiceIssuer``). A host that wires
    an issuer without :class:`InvoiceCorrector`'s methods gets its invoices issued, but a refund of an
    invoiced order then cannot ask for its adjusting invoice: it is logged as a warning, kept pending, and
    the refund still succeeds.
    """
