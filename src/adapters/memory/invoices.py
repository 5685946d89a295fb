"""E-invoices in memory: the ``InvoiceRepository`` port (I1, O7), one requested and one issued per order and part."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from subscription_core.errors import TransientConflictError
from subscription_core.invoices import IssuedInvoice, RequestedInvoice
from subscription_core_adapters.memory.tables import TableView, check_instant, check_limit, checked

__all__ = ["MemoryInvoiceRepository"]


class MemoryInvoiceRepository:
    """Invoices of one unit of work, requested and issued, each unique by ``(order_id, part)``."""

    def __init__(
        self,
        view: TableView[tuple[str, int], IssuedInvoice],
        requests: TableView[tuple[str, int], RequestedInvoice],
    ) -> None:
        """Work on ``view`` and ``requests``, the unit of work's windows on the issued and requested invoices."""
        self._view = view
        self._requests = requests

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

    def request_many(self, requests: Sequence[RequestedInvoice]) -> None:
        """Store each request, pending; ``ConflictError`` (O7) at the first already requested."""
        for request in requests:
            checked(request, RequestedInvoice, field="request", rule="O7")
            if self._requests.get(request.key) is not None:
                # A concurrent fulfilment of the same order got there first.
                raise TransientConflictError(
                    "this invoice is already requested", rule="O7", field="part", value=request.key
                )
            self._requests.insert(request.key, request, field="part", rule="O7")

    def requested_of(self, order_id: str) -> list[RequestedInvoice]:
        """The invoices an order asked for, by part."""
        return sorted(self._requests.lookup("order", order_id), key=lambda r: r.key)

    def get_request(self, order_id: str, part: int) -> RequestedInvoice | None:
        """The invoice ``part`` of ``order_id`` asked for, or ``None``."""
        return self._requests.get((order_id, part))

    def save_request(self, request: RequestedInvoice, *, expected_version: int) -> None:
        """Replace a request: ``ConflictError`` if its stored version moved on, ``NotFoundError`` if unknown."""
        checked(request, RequestedInvoice, field="request", rule="O7")
        self._requests.replace(request.key, request, expected_version=expected_version)

    def due_requests(self, at: dt.datetime, *, limit: int) -> list[RequestedInvoice]:
        """Up to ``limit`` pending requests due by ``at``, earliest first (the sorted index: only those read)."""
        when = check_instant(at)
        return self._requests.ordered_while(lambda place: place[0] <= when, limit=check_limit(limit))

    def pending_requests(self, *, limit: int) -> list[RequestedInvoice]:
        """Up to ``limit`` pending requests, the earliest requested first (a scan: staff look rarely)."""
        pending = self._requests.scan(lambda r: r.pending)
        pending.sort(key=lambda r: (r.request.requested_at, r.key))
        return pending[: check_limit(limit)]
