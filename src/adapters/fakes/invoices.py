"""An in-memory invoice issuer: the ``InvoiceIssuer`` port, numbering invoices as an e-invoice provider does (I1)."""

from __future__ import annotations

import threading

from subscription_core.errors import ConflictError, ValidationError
from subscription_core.invoices import InvoiceRequest, IssuedInvoice
from subscription_core.ports import Clock

__all__ = ["MemoryInvoiceIssuer"]


class MemoryInvoiceIssuer:
    """Issues invoices numbered 00000001, 00000002... in one series, without gaps: ``MemoryInvoiceIssuer()``.

    Idempotent per request key (order and part): asking again returns the invoice already issued. An
    invoice is dated by ``clock`` when given, else at the request's ``requested_at``. Each invoice is
    "e-mailed" to the buyer: :attr:`emailed` lists ``(number, address)`` pairs (I2). Thread-safe.

    Raises:
        ValidationError: an empty series.
    """

    def __init__(self, *, series: str = "1C26TAA", clock: Clock | None = None) -> None:
        """Issue in ``series`` (the invoice symbol), dating invoices by ``clock`` if given."""
        if not isinstance(series, str) or not series.strip():
            raise ValidationError("must be a non-empty text", rule="I1", field="series", value=series)
        self.series = series
        self._clock = clock
        self._issued: dict[tuple[str, int], IssuedInvoice] = {}
        self._emailed: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def issue(self, request: InvoiceRequest) -> IssuedInvoice:
        """Issue the invoice and send it to the buyer's e-mail (I1, I2); idempotent per ``request.key``.

        Raises:
            ValidationError: not an ``InvoiceRequest``.
            ConflictError: (I1) the key was issued for another grand total.
        """
        if not isinstance(request, InvoiceRequest):
            raise ValidationError("must be an InvoiceRequest", rule="I1", field="request", value=request)
        with self._lock:
            issued = self._issued.get(request.key)
            if issued is not None:
                if issued.grand_total != request.grand_total:
                    raise ConflictError(
                        f"invoice {issued.number} was issued for this order and part with another total",
                        rule="I1",
                        field="grand_total",
                        value=str(request.grand_total),
                    )
                return issued
            invoice = IssuedInvoice(
                order_id=request.order_id,
                part=request.part,
                series=self.series,
                number=f"{len(self._issued) + 1:08d}",
                issued_at=self._clock.now() if self._clock is not None else request.requested_at,
                grand_total=request.grand_total,
            )
            self._issued[request.key] = invoice
            self._emailed.append((invoice.number, request.buyer.email))
        return invoice

    @property
    def issued(self) -> tuple[IssuedInvoice, ...]:
        """Every invoice issued, by number."""
        with self._lock:
            return tuple(self._issued.values())

    @property
    def emailed(self) -> tuple[tuple[str, str], ...]:
        """``(invoice number, buyer e-mail)`` for each invoice issued, by number (I2)."""
        with self._lock:
            return tuple(self._emailed)
