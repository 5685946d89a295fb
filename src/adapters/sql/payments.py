"""Payments, proofs of payment and processed notifications in SQL: the ``PaymentRepository`` port (Y1-Y5).

A processed provider notification is a row keyed by ``(provider, event_id)``; recording one is an
``INSERT ... ON CONFLICT DO NOTHING``, so however many calls race, exactly one sees ``True`` (Y5). On
PostgreSQL a racing insert waits for the first one's transaction: if that one commits, the others see
``False``; if it rolls back, one of them takes its place.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, select

from subscription_core.errors import ConflictError, NotFoundError, ValidationError
from subscription_core.payments import Payment, PaymentProof
from subscription_core_adapters.sql import schema
from subscription_core_adapters.sql.rows import Rows, check_instant, of_type
from subscription_core_adapters.sql.serialization import from_document, to_document

__all__ = ["SqlPaymentRepository"]

_P = schema.payments
_F = schema.payment_proofs
_N = schema.provider_notifications
_OF_ORDER = select(_P.c.document).where(_P.c.order_id == bindparam("order_id")).order_by(_P.c.started_at, _P.c.id)


def _payment_row(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "version": payment.version,
        "order_id": payment.order_id,
        "state": payment.state.value,
        "started_at": payment.started_at,
        "amount": payment.amount.amount,
        "currency": payment.amount.currency.code,
        "document": to_document(payment),
    }


def _proof_row(proof: PaymentProof) -> dict[str, Any]:
    return {
        "id": proof.id,
        "version": proof.version,
        "order_id": proof.order_id,
        "state": proof.state.value,
        "submitted_at": proof.submitted_at,
        "document": to_document(proof),
    }


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty text", rule="Y5", field=field, value=value)
    return value


class SqlPaymentRepository:
    """Payments, proofs and processed notifications of one unit of work."""

    def __init__(self, rows: Rows) -> None:
        """Work on the unit of work's connection."""
        self._rows = rows

    def add(self, payment: Payment) -> None:
        """Store a new payment. Raises ``ConflictError`` if the id is already stored."""
        of_type(payment, Payment, "payment")
        if not self._rows.insert_new(_P, _payment_row(payment), "add the payment"):
            raise ConflictError("this payment is already stored", field="id", value=payment.id)

    def get(self, payment_id: str) -> Payment:
        """Return the payment. Raises ``NotFoundError`` if there is none."""
        query = select(_P.c.document).where(_P.c.id == payment_id)
        document = self._rows.execute(query, "read the payment").scalar_one_or_none()
        if document is None:
            raise NotFoundError("no such payment", field="payment_id", value=payment_id)
        return from_document(document, Payment)

    def save(self, payment: Payment, *, expected_version: int) -> None:
        """Replace it.

        Raises:
            NotFoundError: there is no payment with its id.
            ConflictError: the stored version is not ``expected_version``.
        """
        of_type(payment, Payment, "payment")
        row = _payment_row(payment)
        self._rows.replace(_P, row, expected_version=expected_version, noun="payment")

    def of_order(self, order_id: str) -> list[Payment]:
        """The payments of an order, oldest first (by start, then id)."""
        found = self._rows.execute(_OF_ORDER, "read payments", {"order_id": order_id}).scalars()
        return [from_document(doc, Payment) for doc in found]

    def add_proof(self, proof: PaymentProof) -> None:
        """Store a new proof of payment (Y4). Raises ``ConflictError`` if the id is already stored."""
        of_type(proof, PaymentProof, "proof")
        if not self._rows.insert_new(_F, _proof_row(proof), "add the proof of payment"):
            raise ConflictError("this payment proof is already stored", field="id", value=proof.id)

    def get_proof(self, proof_id: str) -> PaymentProof:
        """Return the proof. Raises ``NotFoundError`` if there is none."""
        query = select(_F.c.document).where(_F.c.id == proof_id)
        document = self._rows.execute(query, "read the proof of payment").scalar_one_or_none()
        if document is None:
            raise NotFoundError("no such payment proof", field="proof_id", value=proof_id)
        return from_document(document, PaymentProof)

    def save_proof(self, proof: PaymentProof, *, expected_version: int) -> None:
        """Replace it.

        Raises:
            NotFoundError: there is no proof with its id.
            ConflictError: the stored version is not ``expected_version``.
        """
        of_type(proof, PaymentProof, "proof")
        row = _proof_row(proof)
        self._rows.replace(_F, row, expected_version=expected_version, noun="payment proof")

    def record_notification(self, provider: str, event_id: str, *, order_id: str, at: dt.datetime) -> bool:
        """Remember that a provider's event was processed (Y5): ``True`` the first time, ``False`` for a repeat.

        However the calls race, one sees ``True``: the unique key on ``(provider, event_id)`` decides.

        Raises:
            ValidationError: (Y5) an empty provider, event id or order id; (D2) a naive ``at``.
        """
        row = {
            "provider": _text(provider, "provider"),
            "event_id": _text(event_id, "event_id"),
            "order_id": _text(order_id, "order_id"),
            "processed_at": check_instant(at),
        }
        return self._rows.insert_new(_N, row, "record the provider notification")
