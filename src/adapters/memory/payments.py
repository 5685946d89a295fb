"""Payments, proofs of payment and processed notifications in memory: the ``PaymentRepository`` port (Y1-Y5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from subscription_core.errors import ValidationError
from subscription_core.payments import Payment, PaymentProof
from subscription_core_adapters.memory.tables import TableView, check_instant, checked

__all__ = ["MemoryPaymentRepository", "ProcessedNotification"]


def _text(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty text", rule="Y5", field=attribute.name, value=value)


@attrs.frozen(kw_only=True)
class ProcessedNotification:
    """A provider's event already processed (Y5): unique by ``(provider, event_id)``."""

    provider: str = attrs.field(validator=_text)
    event_id: str = attrs.field(validator=_text)
    order_id: str = attrs.field(validator=_text)
    at: dt.datetime = attrs.field(converter=check_instant)

    @property
    def key(self) -> tuple[str, str]:
        """What makes it unique."""
        return (self.provider, self.event_id)


class MemoryPaymentRepository:
    """Payments, proofs and processed notifications of one unit of work."""

    def __init__(
        self,
        payments: TableView[str, Payment],
        proofs: TableView[str, PaymentProof],
        notifications: TableView[tuple[str, str], ProcessedNotification],
    ) -> None:
        """Work on the unit of work's windows on the three tables."""
        self._payments = payments
        self._proofs = proofs
        self._notifications = notifications

    def add(self, payment: Payment) -> None:
        """Store a new payment. Raises ``ConflictError`` if the id is already stored."""
        self._payments.insert(checked(payment, Payment, field="payment").id, payment)

    def get(self, payment_id: str) -> Payment:
        """Return the payment. Raises ``NotFoundError`` if there is none."""
        return self._payments.require(payment_id, field="payment_id", shown=payment_id)

    def save(self, payment: Payment, *, expected_version: int) -> None:
        """Replace it.

        Raises:
            NotFoundError: there is no payment with its id.
            ConflictError: the stored version is not ``expected_version``.
        """
        self._payments.replace(
            checked(payment, Payment, field="payment").id, payment, expected_version=expected_version
        )

    def of_order(self, order_id: str) -> list[Payment]:
        """The payments of an order, oldest first (by start, then id)."""
        return sorted(self._payments.lookup("order", order_id), key=lambda p: (p.started_at, p.id))

    def add_proof(self, proof: PaymentProof) -> None:
        """Store a new proof of payment (Y4). Raises ``ConflictError`` if the id is already stored."""
        self._proofs.insert(checked(proof, PaymentProof, field="proof").id, proof)

    def get_proof(self, proof_id: str) -> PaymentProof:
        """Return the proof. Raises ``NotFoundError`` if there is none."""
        return self._proofs.require(proof_id, field="proof_id", shown=proof_id)

    def save_proof(self, proof: PaymentProof, *, expected_version: int) -> None:
        """Replace it.

        Raises:
            NotFoundError: there is no proof with its id.
            ConflictError: the stored version is not ``expected_version``.
        """
        self._proofs.replace(checked(proof, PaymentProof, field="proof").id, proof, expected_version=expected_version)

    def record_notification(self, provider: str, event_id: str, *, order_id: str, at: dt.datetime) -> bool:
        """Remember that a provider's event was processed (Y5): ``True`` the first time, ``False`` for a repeat.

        A repeat already committed, or recorded earlier in this unit of work, answers ``False``. Two units
        recording the same event concurrently may both see ``True``; the second to commit then fails with
        ``ConflictError`` and applies nothing, so an event is never applied twice.

        Raises:
            ValidationError: (Y5) an empty provider, event id or order id; (D2) a naive ``at``.
        """
        record = ProcessedNotification(provider=provider, event_id=event_id, order_id=order_id, at=at)
        if self._notifications.get(record.key) is not None:
            return False
        self._notifications.insert(record.key, record, field="event_id")
        return True
