"""An in-memory invoice issuer: the ``InvoiceIssuer`` and ``InvoiceCorrector`` ports, numbering as a provider does.

Invoices (I1) and their adjusting and replacement invoices (Y8) share one series, numbered without gaps.
"""

from __future__ import annotations

import threading

from subscription_core.errors import ConflictError, NotFoundError, ValidationError
from subscription_core.invoice_corrections import (
    CorrectionHistory,
    CorrectionKind,
    InvoiceAdjustment,
    InvoiceReplacement,
    IssuedCorrection,
    check_correction,
)
from subscription_core.invoices import InvoiceRequest, IssuedInvoice
from subscription_core.money import Money
from subscription_core.ports import Clock

__all__ = ["MemoryInvoiceIssuer"]


class MemoryInvoiceIssuer:
    """Issues invoices numbered 00000001, 00000002... in one series, without gaps: ``MemoryInvoiceIssuer()``.

    Idempotent per request key (order and part): asking again returns the invoice already issued. An
    invoice is dated by ``clock`` when given, else at the request's ``requested_at``. Each invoice is
    "e-mailed" to the buyer: :attr:`emailed` lists ``(number, address)`` pairs (I2). Adjusting and
    replacement invoices (Y8) take the next numbers of the same series, under the core's rules
    (:func:`~subscription_core.invoice_corrections.check_correction`). Thread-safe.

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
        self._corrections: dict[str, IssuedCorrection] = {}
        self._count = 0
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
                number=self._next_number(),
                issued_at=self._clock.now() if self._clock is not None else request.requested_at,
                grand_total=request.grand_total,
            )
            self._issued[request.key] = invoice
            self._emailed.append((invoice.number, request.buyer.email))
        return invoice

    def adjust(self, adjustment: InvoiceAdjustment) -> IssuedCorrection:
        """Issue an adjusting invoice (Y8); see :meth:`subscription_core.ports.InvoiceCorrector.adjust`."""
        if not isinstance(adjustment, InvoiceAdjustment):
            raise ValidationError("must be an InvoiceAdjustment", rule="Y8", field="adjustment")
        return self._correct(adjustment, CorrectionKind.ADJUSTMENT, adjustment.grand_total, adjustment.buyer.email)

    def replace(self, replacement: InvoiceReplacement) -> IssuedCorrection:
        """Issue a replacement invoice (Y8); see :meth:`subscription_core.ports.InvoiceCorrector.replace`."""
        if not isinstance(replacement, InvoiceReplacement):
            raise ValidationError("must be an InvoiceReplacement", rule="Y8", field="replacement")
        request = replacement.request
        return self._correct(replacement, CorrectionKind.REPLACEMENT, request.grand_total, request.buyer.email)

    def _correct(
        self, correction: InvoiceAdjustment | InvoiceReplacement, kind: CorrectionKind, total: Money, email: str
    ) -> IssuedCorrection:
        original = correction.original
        with self._lock:
            issued = self._corrections.get(correction.key)
            if issued is None:
                check_correction(correction, self._history(original))
                issued = IssuedCorrection(
                    key=correction.key,
                    kind=kind,
                    order_id=original.order_id,
                    part=original.part,
                    series=self.series,
                    number=self._next_number(),
                    issued_at=self._clock.now() if self._clock is not None else correction.requested_at,
                    grand_total=total,
                    original_series=original.series,
                    original_number=original.number,
                )
                self._corrections[correction.key] = issued
                self._emailed.append((issued.number, email))
        asked = (kind, original.series, original.number, total)
        if (issued.kind, issued.original_series, issued.original_number, issued.grand_total) != asked:
            raise ConflictError("the key was used for another correction", rule="Y8", field="key", value=correction.key)
        return issued

    def corrections_of(self, invoice: IssuedInvoice | IssuedCorrection) -> tuple[IssuedCorrection, ...]:
        """See :meth:`subscription_core.ports.InvoiceCorrector.corrections_of`."""
        with self._lock:
            return tuple(
                c
                for c in self._corrections.values()
                if (c.original_series, c.original_number) == (invoice.series, invoice.number)
            )

    def _history(self, original: IssuedInvoice | IssuedCorrection) -> CorrectionHistory:
        """What was issued against ``original``, which must be one of ours. Called under the lock."""
        ours: list[IssuedInvoice | IssuedCorrection] = [*self._issued.values(), *self._corrections.values()]
        if not any(
            (i.series, i.number, i.grand_total, i.order_id)
            == (original.series, original.number, original.grand_total, original.order_id)
            for i in ours
        ):
            raise NotFoundError(
                "no invoice with this series, number and total was issued here",
                rule="Y8",
                field="original",
                value=f"{original.series} {original.number}",
            )
        against = [
            c
            for c in self._corrections.values()
            if (c.original_series, c.original_number) == (original.series, original.number)
        ]
        zero = Money.zero(original.grand_total.currency)
        adjusted = sum((c.grand_total for c in against if c.kind is CorrectionKind.ADJUSTMENT), zero)
        replaced = [c.number for c in against if c.kind is CorrectionKind.REPLACEMENT]
        return CorrectionHistory(
            grand_total=original.grand_total, adjusted=adjusted, replaced_by=replaced[0] if replaced else None
        )

    def _next_number(self) -> str:
        """The series' next number (called under the lock)."""
        self._count += 1
        return f"{self._count:08d}"

    @property
    def corrections(self) -> tuple[IssuedCorrection, ...]:
        """Every adjusting and replacement invoice issued, by number (Y8)."""
        with self._lock:
            return tuple(self._corrections.values())

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
