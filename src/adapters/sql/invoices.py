"""E-invoices in SQL: the ``InvoiceRepository`` port (I1, O7), one issued and one requested per order and part.

Issued invoices are ``invoices`` (primary key: order and part). Requested ones are ``invoice_requests`` (the
same key), with their state and retry time in indexed columns, so that the retry step reads only the pending
ones due; a request is saved with its expected version, as every entity is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from subscription_core.errors import NotFoundError, TransientConflictError
from subscription_core.invoices import InvoiceState, IssuedInvoice, RequestedInvoice
from subscription_core_adapters.sql import schema
from subscription_core_adapters.sql.rows import Rows, check_instant, check_limit, of_type
from subscription_core_adapters.sql.serialization import from_document, to_document

__all__ = ["SqlInvoiceRepository"]

_T = schema.invoices
_R = schema.invoice_requests
_PENDING = InvoiceState.PENDING.value


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
        inserted = self._rows.insert_new_many(_T, [_row(i) for i in invoices], "part", "add the invoices")
        if len(inserted) != len(invoices):
            raise TransientConflictError(
                f"{len(invoices) - len(inserted)} of these invoices are already stored", rule="I1", field="part"
            )

    def of_order(self, order_id: str) -> list[IssuedInvoice]:
        """The invoices of an order, by part."""
        query = select(_T.c.document).where(_T.c.order_id == order_id).order_by(_T.c.part)
        return [from_document(doc, IssuedInvoice) for doc in self._rows.execute(query, "read invoices").scalars()]

    def request_many(self, requests: Sequence[RequestedInvoice]) -> None:
        """Store each request, pending, in one statement; ``ConflictError`` (O7) if one is already requested."""
        for request in requests:
            of_type(request, RequestedInvoice, "request")
        rows = [_request_row(r) for r in requests]
        inserted = self._rows.insert_new_many(_R, rows, "part", "request the invoices")
        if len(inserted) != len(requests):  # a concurrent fulfilment of the same order got there first
            raise TransientConflictError(
                f"{len(requests) - len(inserted)} of these invoices are already requested", rule="O7", field="part"
            )

    def requested_of(self, order_id: str) -> list[RequestedInvoice]:
        """The invoices an order asked for, by part."""
        query = select(_R.c.document).where(_R.c.order_id == order_id).order_by(_R.c.part)
        return self._requests(query, "read the requested invoices")

    def get_request(self, order_id: str, part: int) -> RequestedInvoice | None:
        """The invoice ``part`` of ``order_id`` asked for, or ``None`` (by primary key)."""
        query = select(_R.c.document).where(_R.c.order_id == order_id, _R.c.part == part)
        found = self._requests(query, "read the requested invoice")
        return found[0] if found else None

    def save_request(self, request: RequestedInvoice, *, expected_version: int) -> None:
        """Replace a request: ``ConflictError`` if its stored version moved on, ``NotFoundError`` if unknown."""
        of_type(request, RequestedInvoice, "request")
        order_id, part = request.key
        self._rows.writing()
        where = (_R.c.order_id == order_id, _R.c.part == part)
        statement = update(_R).where(*where, _R.c.version == expected_version).values(_request_row(request))
        if self._rows.execute(statement, "save the requested invoice").rowcount == 1:
            return
        found = self._rows.execute(select(_R.c.version).where(*where), "read the requested invoice")
        stored = found.scalar_one_or_none()
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

    def _requests(self, query: Any, action: str) -> list[RequestedInvoice]:  # noqa: ANN401 - a Select
        return [from_document(doc, RequestedInvoice) for doc in self._rows.execute(query, action).scalars()]
