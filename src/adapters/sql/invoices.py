"""E-invoices in SQL: the ``InvoiceRepository`` port (I1, O7), one issued and one requested per order and part.

Issued invoices are ``invoices`` (primary key: order and part). Requested ones are ``invoice_requests`` (the
same key), with their state and retry time in indexed columns, so that the retry step reads only the pending
ones due; a request is saved with its expected version, as every entity is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from sqlalchemy import bindparam, select, update

from subscription_core.errors import NotFoundError, TransientConflictError
from subscription_core.invoices import InvoiceState, IssuedInvoice, RequestedInvoice
from subscription_core.refund_invoices import RequestedAdjustment
from subscription_core_adapters.sql import schema
from subscription_core_adapters.sql.rows import Rows, check_instant, check_limit, of_type
from subscription_core_adapters.sql.serialization import from_document, to_document

__all__ = ["SqlInvoiceRepository"]

_T = schema.invoices
_R = schema.invoice_requests
_A = schema.invoice_adjustments
_PENDING = InvoiceState.PENDING.value
# Built once: the statements a payment notification runs (a statement object reused keeps its compiled form).
_OF_ORDER = select(_T.c.document).where(_T.c.order_id == bindparam("order_id")).order_by(_T.c.part)
_REQUESTED_OF = select(_R.c.document).where(_R.c.order_id == bindparam("order_id")).order_by(_R.c.part)
_REQUEST_KEY = (_R.c.order_id == bindparam("key_order_id"), _R.c.part == bindparam("key_part"))
_REQUEST = select(_R.c.document).where(*_REQUEST_KEY)
_REQUEST_VERSION = select(_R.c.version).where(*_REQUEST_KEY)
_SAVE_REQUEST = (
    update(_R)
    .where(*_REQUEST_KEY, _R.c.version == bindparam("expected_version"))
    .values({c.name: bindparam(f"new_{c.name}") for c in _R.c if c.name not in ("order_id", "part")})
)


def _row(invoice: IssuedInvoice) -> dict[str, Any]:
    return {
        "order_id": invoice.order_id,
        "part": invoice.part,
        "series": invoice.series,
        "number": invoice.number,
        "issued_at": invoice.issued_at,
        "grand_total": invoice.grand_total.amount,
        "currency": invoice.grand_total.currency.code,
        "document": to_document(invoice),
    }


def _request_row(request: RequestedInvoice) -> dict[str, Any]:
    return {
        "order_id": request.order_id,
        "part": request.request.part,
        "version": request.version,
        "state": request.state.value,
        "requested_at": request.request.requested_at,
        "next_attempt_at": request.next_attempt_at,
        "document": to_document(request),
    }


def _adjustment_row(adjustment: RequestedAdjustment) -> dict[str, Any]:
    return {
        "refund_id": adjustment.refund_id,
        "part": adjustment.part,
        "order_id": adjustment.order_id,
        "version": adjustment.version,
        "state": adjustment.state.value,
        "requested_at": adjustment.requested_at,
        "next_attempt_at": adjustment.next_attempt_at,
        "document": to_document(adjustment),
    }


class SqlInvoiceRepository:
    """Invoices of one unit of work, issued and requested, each unique by ``(order_id, part)``."""

    def __init__(self, rows: Rows) -> None:
        """Work on the unit of work's connection."""
        self._rows = rows

    def add(self, invoice: IssuedInvoice) -> None:
        """Store an issued invoice. Raises ``ConflictError`` (I1) if one is already stored for its key."""
        of_type(invoice, IssuedInvoice, "invoice")
        if not self._rows.insert_new(_T, _row(invoice), "add the invoice"):
            raise TransientConflictError("this invoice is already stored", rule="I1", field="part", value=invoice.key)

    def add_many(self, invoices: Sequence[IssuedInvoice]) -> None:
        """Store each invoice as :meth:`add` does, in one statement.

        Raises ``ConflictError`` (I1) if one is already stored or given twice; the unit of work must then be
        rolled back.
        """
        for invoice in invoices:
            of_type(invoice, IssuedInvoice, "invoice")
        inserted = self._rows.insert_new_count(_T, [_row(i) for i in invoices], "add the invoices")
        if inserted != len(invoices):
            raise TransientConflictError(
                f"{len(invoices) - inserted} of these invoices are already stored", rule="I1", field="part"
            )

    def of_order(self, order_id: str) -> list[IssuedInvoice]:
        """The invoices of an order, by part."""
        found = self._rows.execute(_OF_ORDER, "read invoices", {"order_id": order_id}).scalars()
        return [from_document(doc, IssuedInvoice) for doc in found]

    def request_many(self, requests: Sequence[RequestedInvoice]) -> None:
        """Store each request, pending, in one statement; ``ConflictError`` (O7) if one is already requested."""
        for request in requests:
            of_type(request, RequestedInvoice, "request")
        rows = [_request_row(r) for r in requests]
        inserted = self._rows.insert_new_count(_R, rows, "request the invoices")
        if inserted != len(requests):  # a concurrent fulfilment of the same order got there first
            raise TransientConflictError(
                f"{len(requests) - inserted} of these invoices are already requested", rule="O7", field="part"
            )

    def requested_of(self, order_id: str) -> list[RequestedInvoice]:
        """The invoices an order asked for, by part."""
        return self._requests(_REQUESTED_OF, "read the requested invoices", {"order_id": order_id})

    def get_request(self, order_id: str, part: int) -> RequestedInvoice | None:
        """The invoice ``part`` of ``order_id`` asked for, or ``None`` (by primary key)."""
        found = self._requests(_REQUEST, "read the requested invoice", {"key_order_id": order_id, "key_part": part})
        return found[0] if found else None

    def save_request(self, request: RequestedInvoice, *, expected_version: int) -> None:
        """Replace a request: ``ConflictError`` if its stored version moved on, ``NotFoundError`` if unknown."""
        of_type(request, RequestedInvoice, "request")
        order_id, part = request.key
        self._rows.writing()
        key = {"key_order_id": order_id, "key_part": part}
        row = _request_row(request)
        values = {f"new_{name}": value for name, value in row.items() if name not in ("order_id", "part")}
        values.update(key, expected_version=expected_version)
        if self._rows.execute(_SAVE_REQUEST, "save the requested invoice", values).rowcount == 1:
            return
        stored = self._rows.execute(_REQUEST_VERSION, "read the requested invoice", key).scalar_one_or_none()
        if stored is None:
            raise NotFoundError("no such requested invoice", rule="O7", field="part", value=request.key)
        raise TransientConflictError(
            f"the requested invoice was saved by someone else since it was read (stored version {stored})",
            field="expected_version",
            value=expected_version,
        )

    def due_requests(self, at: dt.datetime, *, limit: int) -> list[RequestedInvoice]:
        """Up to ``limit`` pending requests due by ``at``, earliest first (read on the state and retry-time index)."""
        query = (
            select(_R.c.document)
            .where(_R.c.state == _PENDING, _R.c.next_attempt_at <= check_instant(at))
            .order_by(_R.c.next_attempt_at, _R.c.order_id, _R.c.part)
            .limit(check_limit(limit))
        )
        return self._requests(query, "read the invoices due")

    def pending_requests(self, *, limit: int) -> list[RequestedInvoice]:
        """Up to ``limit`` pending requests, the earliest requested first."""
        query = (
            select(_R.c.document)
            .where(_R.c.state == _PENDING)
            .order_by(_R.c.requested_at, _R.c.order_id, _R.c.part)
            .limit(check_limit(limit))
        )
        return self._requests(query, "read the pending invoices")

    def _requests(
        self,
        query: Any,  # noqa: ANN401 - a Select
        action: str,
        parameters: Mapping[str, Any] = MappingProxyType({}),
    ) -> list[RequestedInvoice]:
        found = self._rows.execute(query, action, parameters).scalars()
        return [from_document(doc, RequestedInvoice) for doc in found]

    def request_adjustments(self, adjustments: Sequence[RequestedAdjustment]) -> None:
        """Store each decrease, pending, in one statement; ``ConflictError`` (Y8) if one is already requested."""
        for adjustment in adjustments:
            of_type(adjustment, RequestedAdjustment, "adjustment")
        rows = [_adjustment_row(a) for a in adjustments]
        inserted = self._rows.insert_new_count(_A, rows, "request the adjusting invoices")
        if inserted != len(adjustments):
            raise TransientConflictError(
                f"{len(adjustments) - inserted} of these adjusting invoices are already requested",
                rule="Y8",
                field="refund_id",
            )

    def adjustments_of(self, order_id: str) -> list[RequestedAdjustment]:
        """The decreases requested for ``order_id``'s invoices, oldest requested first (on the order index)."""
        query = (
            select(_A.c.document)
            .where(_A.c.order_id == order_id)
            .order_by(_A.c.requested_at, _A.c.refund_id, _A.c.part)
        )
        return self._adjustments(query, "read the adjusting invoices")

    def get_adjustment(self, refund_id: str, part: int) -> RequestedAdjustment | None:
        """The decrease of invoice ``part`` the refund ``refund_id`` asked for, or ``None`` (by primary key)."""
        query = select(_A.c.document).where(_A.c.refund_id == refund_id, _A.c.part == part)
        found = self._adjustments(query, "read the adjusting invoice")
        return found[0] if found else None

    def save_adjustment(self, adjustment: RequestedAdjustment, *, expected_version: int) -> None:
        """Replace a decrease: ``ConflictError`` if its stored version moved on, ``NotFoundError`` if unknown."""
        of_type(adjustment, RequestedAdjustment, "adjustment")
        self._rows.writing()
        where = (_A.c.refund_id == adjustment.refund_id, _A.c.part == adjustment.part)
        values = _adjustment_row(adjustment)
        statement = update(_A).where(*where, _A.c.version == expected_version).values(values)
        if self._rows.execute(statement, "save the adjusting invoice").rowcount == 1:
            return
        found = self._rows.execute(select(_A.c.version).where(*where), "read the adjusting invoice")
        stored = found.scalar_one_or_none()
        if stored is None:
            raise NotFoundError(
                "no such requested adjusting invoice", rule="Y8", field="refund_id", value=adjustment.key
            )
        raise TransientConflictError(
            f"the adjusting invoice was saved by someone else since it was read (stored version {stored})",
            field="expected_version",
            value=expected_version,
        )

    def due_adjustments(self, at: dt.datetime, *, limit: int) -> list[RequestedAdjustment]:
        """Up to ``limit`` pending decreases due by ``at``, earliest first (on the state and retry-time index)."""
        query = (
            select(_A.c.document)
            .where(_A.c.state == _PENDING, _A.c.next_attempt_at <= check_instant(at))
            .order_by(_A.c.next_attempt_at, _A.c.refund_id, _A.c.part)
            .limit(check_limit(limit))
        )
        return self._adjustments(query, "read the adjusting invoices due")

    def _adjustments(self, query: Any, action: str) -> list[RequestedAdjustment]:  # noqa: ANN401 - a Select
        return [from_document(doc, RequestedAdjustment) for doc in self._rows.execute(query, action).scalars()]
