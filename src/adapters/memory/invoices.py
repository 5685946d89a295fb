"""E-invoices in memory: the ``InvoiceRepository`` port (I1, O7), one requested and one issued per order and part."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from subscription_core.errors import TransientConflictError
from subscription_core.invoices import IssuedInvoice, RequestedInvoice
from subscription_core.refund_invoices import RequestedAdjustment
from subscription_core_adapters.memory.tables import TableView, check_instant, check_limit, checked

__all__ = ["MemoryInvoiceRepository"]


class MemoryInvoiceRepository:
    """Invoices of one unit of work, requested and issued, each unique by ``(order_id, part)``."""

    def __init__(
        self,
        view: TableView[tuple[str, int], IssuedInvoice],
        requests: TableView[tuple[str, int], RequestedInvoice],
        adjustments: TableView[tuple[str, int], RequestedAdjustment],
    ) -> None:
        """Work on the unit of work's windows on the issued and requested invoices and requested decreases."""
        self._view = view
        self._requests = requests
        self._adjustments = adjustments

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

    def request_adjustments(self, adjustments: Sequence[RequestedAdjustment]) -> None:
        """Store each decrease, pending; ``ConflictError`` (Y8) at the first already requested."""
        for adjustment in adjustments:
            checked(adjustment, RequestedAdjustment, field="adjustment", rule="Y8")
            key = (adjustment.refund_id, adjustment.part)
            if self._adjustments.get(key) is not None:
                raise TransientConflictError(
                    "this adjusting invoice is already requested", rule="Y8", field="refund_id", value=key
                )
            self._adjustments.insert(key, adjustment, field="refund_id", rule="Y8")

    def adjustments_of(self, order_id: str) -> list[RequestedAdjustment]:
        """The decreases requested for ``order_id``'s invoices, oldest requested first."""
        found = self._adjustments.lookup("order", order_id)
        return sorted(found, key=lambda a: (a.requested_at, a.refund_id, a.part))

    def get_adjustment(self, refund_id: str, part: int) -> RequestedAdjustment | None:
        """The decrease of invoice ``part`` the refund ``refund_id`` asked for, or ``None``."""
        return self._adjustments.get((refund_id, part))

    def save_adjustment(self, adjustment: RequestedAdjustment, *, expected_version: int) -> None:
        """Replace a decrease: ``ConflictError`` if its stored version moved on, ``NotFoundError`` if unknown."""
        checked(adjustment, RequestedAdjustment, field="adjustment", rule="Y8")
        key = (adjustment.refund_id, adjustment.part)
        self._adjustments.replace(key, adjustment, expected_version=expected_version)

    def due_adjustments(self, at: dt.datetime, *, limit: int) -> list[RequestedAdjustment]:
        """Up to ``limit`` pending decreases due by ``at``, earliest first (the sorted index: only those read)."""
        when = check_instant(at)
        return self._adjustments.ordered_while(lambda place: place[0] <= when, limit=check_limit(limit))
