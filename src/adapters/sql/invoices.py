"""Issued e-invoices in SQL: the ``InvoiceRepository`` port (I1), one per order and part (the primary key)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from adapters.sql import schema
from adapters.sql.rows import Rows, of_type
from adapters.sql.serialization import from_document, to_document
from subscription_core.errors import TransientConflictError
from subscription_core.invoices import IssuedInvoice

__all__ = ["SqlInvoiceRepository"]

_T = schema.invoices


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


class SqlInvoiceRepository:
    """Invoices of one unit of work, unique by ``(order_id, part)``."""

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
