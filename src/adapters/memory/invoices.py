"""Issued e-invoices in memory: the ``InvoiceRepository`` port (I1), one per order and part."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.memory.tables import TableView, checked
from subscription_core.invoices import IssuedInvoice

__all__ = ["MemoryInvoiceRepository"]


class MemoryInvoiceRepository:
    """Invoices of one unit of work, unique by ``(order_id, part)``."""

    def __init__(self, view: TableView[tuple[str, int], IssuedInvoice]) -> None:
        """Work on ``view``, the unit of work's window on the invoices table."""
        self._view = view

    def add(self, invoice: IssuedInvoice) -> None:
        """Store an issued invoice. Raises ``ConflictError`` (I1) if one is already stored for its key."""
        self._view.insert(checked(invoice, IssuedInvoice, field="invoice").key, invoice, field="part")

    def add_many(self, invoices: Sequence[IssuedInvoice]) -> None:
        """Store each invoice as :meth:`add` does, in order; ``ConflictError`` (I1) at the first already stored."""
        for invoice in invoices:
            self.add(invoice)

    def of_order(self, order_id: str) -> list[IssuedInvoice]:
        """The invoices of an order, by part."""
        return sorted(self._view.lookup("order", order_id), key=lambda i: i.part)
