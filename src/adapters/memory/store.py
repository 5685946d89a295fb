"""The in-memory "database": every committed row, and the one lock that commits take."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable
from typing import Any

from subscription_core.customers import Customer
from subscription_core.invoices import IssuedInvoice, RequestedInvoice
from subscription_core.orders import Order, OrderState
from subscription_core.payments import Payment, PaymentProof
from subscription_core.ports import IdempotencyRecord
from subscription_core.promotions import Promotion
from subscription_core.redemptions import Redemption
from subscription_core.refund_invoices import RequestedAdjustment
from subscription_core.refunds import Refund
from subscription_core.subscriptions import Subscription
from subscription_core.transfers import transfer_reference
from subscription_core.unapplied import UnappliedMoney
from subscription_core_adapters.memory.outbox import Delivery
from subscription_core_adapters.memory.payments import ProcessedNotification
from subscription_core_adapters.memory.promotions import code_key
from subscription_core_adapters.memory.tables import Table

__all__ = ["MemoryStore"]


def _one(value: Hashable | None) -> Iterable[Hashable]:
    return () if value is None else (value,)


def _version(entity: Any) -> int:  # noqa: ANN401 - every entity type of the domain has an int version
    version: int = entity.version
    return version


def _held_back(subscription: Subscription) -> Iterable[Hashable]:
    # Only subscriptions the time-driven step set aside are in this index: listing them costs their number.
    return ("held",) if subscription.held_back is not None else ()


def _due(subscription: Subscription) -> tuple[Any, ...] | None:
    due = subscription.next_due_at
    return None if due is None else (due, subscription.id)


def _trial_of(subscription: Subscription) -> tuple[tuple[str, str], ...]:
    return () if subscription.trial is None else ((subscription.customer_id, subscription.product_code),)


def _deadline(order: Order) -> tuple[Any, ...] | None:
    # A placed order sits at the first instant something is due for it: its next payment reminder (O8),
    # which always comes before its deadline, else its deadline (O4).
    if order.state is not OrderState.PLACED or order.pay_by is None:
        return None
    return (order.next_reminder_at or order.pay_by, order.id)


def _to_issue(request: RequestedInvoice) -> tuple[Any, ...] | None:
    # Issued requests are out of the due index: due_requests never reads them.
    return (request.next_attempt_at, *request.key) if request.pending else None


def _to_adjust(adjustment: RequestedAdjustment) -> tuple[Any, ...] | None:
    # Issued decreases are out of the due index: due_adjustments never reads them.
    return (adjustment.next_attempt_at, adjustment.refund_id, adjustment.part) if adjustment.pending else None


def _unsent(delivery: Delivery) -> tuple[Any, ...] | None:
    # Sent and dead messages are out of the due index: pending never reads them.
    if delivery.sent_at is not None or delivery.dead_at is not None:
        return None
    return (delivery.due_at, delivery.message.id)


class MemoryStore:
    """Committed state shared by every :class:`~subscription_core_adapters.memory.MemoryUnitOfWork` on it; thread-safe.

    Nothing is read or written here directly: units of work read it under :attr:`lock` and commit into it
    atomically. It lives as long as the process holds it; nothing is persisted.
    """

    def __init__(self) -> None:
        """Make an empty store."""
        self.lock = threading.Lock()
        self.customers: Table[str, Customer] = Table(
            "customer",
            indexes={
                "tax_code": lambda c: (c.tax_code.value,),
                "business_code": lambda c: _one(c.business_code),
                "accountant": lambda c: _one(c.accountant_id),
            },
            unique=("tax_code",),
            version=_version,
        )
        self.subscriptions: Table[str, Subscription] = Table(
            "subscription",
            indexes={"customer": lambda s: (s.customer_id,), "trial": _trial_of, "held_back": _held_back},
            unique=("trial",),  # one free trial per company and product, even for trials started at once (S12)
            order=_due,
            version=_version,
        )
        self.orders: Table[str, Order] = Table(
            "order",
            indexes={
                "customer": lambda o: {line.customer_id for line in o.lines},
                "transfer_reference": lambda o: (transfer_reference(o.id),),
            },
            order=_deadline,
            version=_version,
        )
        self.payments: Table[str, Payment] = Table(
            "payment", indexes={"order": lambda p: (p.order_id,)}, version=_version
        )
        self.proofs: Table[str, PaymentProof] = Table("payment proof", version=_version)
        self.notifications: Table[tuple[str, str], ProcessedNotification] = Table("provider notification", rule="Y5")
        self.promotions: Table[str, Promotion] = Table("promotion", rule="P3")
        self.redemptions: Table[tuple[str, str], Redemption] = Table(
            "redemption",
            indexes={"order": lambda r: (r.order_id,), "code": lambda r: (code_key(r.code),)},
            rule="P9",
        )
        self.invoices: Table[tuple[str, int], IssuedInvoice] = Table(
            "invoice", indexes={"order": lambda i: (i.order_id,)}, rule="I1"
        )
        self.unapplied: Table[str, UnappliedMoney] = Table(
            "unapplied money record",
            indexes={"reference": lambda m: ((m.source, m.reference),), "state": lambda m: (m.state,)},
            unique=("reference",),
            version=_version,
            rule="Y6",
        )
        self.refunds: Table[str, Refund] = Table(
            "refund",
            indexes={
                "order": lambda r: _one(r.order_id),
                "customer": lambda r: _one(r.customer_id),
                "payment": lambda r: _one(r.payment_id),
                "reference": lambda r: _one(r.reference),
            },
            version=_version,
            rule="Y8",
        )
        self.invoice_requests: Table[tuple[str, int], RequestedInvoice] = Table(
            "requested invoice",
            indexes={"order": lambda r: (r.order_id,)},
            order=_to_issue,
            version=_version,
            rule="O7",
        )
        self.invoice_adjustments: Table[tuple[str, int], RequestedAdjustment] = Table(
            "requested adjusting invoice",
            indexes={"order": lambda a: (a.order_id,)},
            order=_to_adjust,
            version=_version,
            rule="Y8",
        )
        self.outbox: Table[str, Delivery] = Table("outbox message", order=_unsent, rule="N2")
        self.idempotency: Table[tuple[str, str], IdempotencyRecord] = Table("idempotency key")
