"""The repository ports: where the core's entities are stored, one ``typing.Protocol`` per entity.

Re-exported by :mod:`subscription_core.ports`, whose docstring states the rules every repository keeps
(the library's own errors, versions checked on save). Each is part of every unit of work
(``uow.customers``, ``uow.orders``, ...); one contract suite per port in ``tests/contract/`` runs against
every adapter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from subscription_core.customers import Customer
from subscription_core.invoices import IssuedInvoice, RequestedInvoice
from subscription_core.orders import Order
from subscription_core.payments import Payment, PaymentProof
from subscription_core.promotions import Promotion, RedemptionCounts
from subscription_core.redemptions import Redemption
from subscription_core.refund_invoices import RequestedAdjustment
from subscription_core.subscriptions import Subscription
from subscription_core.unapplied import UnappliedMoney, UnappliedState

__all__ = [
    "CustomerRepository",
    "InvoiceRepository",
    "OrderRepository",
    "PaymentRepository",
    "PromotionRepository",
    "SubscriptionRepository",
    "UnappliedMoneyRepository",
]


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
