"""The reference e-invoice issuer: the ``InvoiceIssuer`` port, issuing Vietnamese VAT e-invoices itself (I1, I2).

:class:`ReferenceInvoiceIssuer` checks a request against the e-invoice format first (no number is taken
for a request that would be refused), then asks its :class:`~.store.NumberedInvoices` store for the
series' next number and builds the XML and HTML for it while the number is held. A repeated request
returns the invoice already issued. The series follows the invoice's year in Hà Nội (``C26TAA`` issues
``C27TAA`` invoices from 1 January 2027), as the year is part of the symbol.

:meth:`ReferenceInvoiceIssuer.adjust` and :meth:`~ReferenceInvoiceIssuer.replace` issue adjusting and
replacement invoices (Y8, :mod:`.corrections` names the sources): each takes the next number of the
same series, as any invoice (a correction is a new invoice of the seller), names the invoice it corrects,
which stays as issued, and is idempotent by its key.

The invoice reaches the buyer's e-mail (I2) through the ``INVOICE_ISSUED`` notice the paying use case
queues in its outbox; the host serves the documents from :meth:`ReferenceInvoiceIssuer.document`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from subscription_core.calendar import local_date
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
from subscription_core_adapters.einvoice.corrections import adjustment_content, original_of, related_invoice
from subscription_core_adapters.einvoice.document import EInvoice, InvoiceContent
from subscription_core_adapters.einvoice.fields import checked_text
from subscription_core_adapters.einvoice.formats import (
    DEFAULT_FORMAT_VERSION,
    FormatVersion,
    InvoiceNature,
    RelatedInvoice,
)
from subscription_core_adapters.einvoice.rendering import to_html, to_xml
from subscription_core_adapters.einvoice.seller import Seller
from subscription_core_adapters.einvoice.series import InvoiceSeries
from subscription_core_adapters.einvoice.store import (
    CorrectionEntry,
    Documents,
    NumberedInvoices,
    StoredCorrection,
    StoredInvoice,
)

__all__ = ["ReferenceInvoiceIssuer"]

_log = logging.getLogger(__name__)
_ROLLOVER_ATTEMPTS: Final = 3


class _YearTurnedError(Exception):
    """The year changed between choosing the series and taking its number: issue again in the new year's."""


class ReferenceInvoiceIssuer:
    """Issues VAT e-invoices numbered without gaps: ``ReferenceInvoiceIssuer(seller, series, store, clock)``.

    ``payment_method`` is the invoices' ``HTTToan`` ("TM/CK": cash or transfer); ``unit`` every line's
    ``DVTinh``; ``format_version`` the XML format written (``"2.1.0"``, the default, or ``"2.0.0"`` for a
    provider still on Quyết định 1450/QĐ-TCT's). Thread-safe as far as its store is.

    Raises:
        ValidationError: a seller, series, store or clock of the wrong kind, a bad payment method or unit, or
            (I1) a format version the library does not write, naming the versions it does.
    """

    def __init__(
        self,
        seller: Seller,
        series: InvoiceSeries,
        store: NumberedInvoices,
        clock: Clock,
        *,
        payment_method: str = "TM/CK",
        unit: str = "Gói",
        format_version: FormatVersion | str = DEFAULT_FORMAT_VERSION,
    ) -> None:
        """Issue as ``seller`` in ``series`` numbered by ``store``, dated by ``clock``."""
        if not isinstance(seller, Seller):
            raise ValidationError("must be a Seller", rule="I1", field="seller")
        if not isinstance(series, InvoiceSeries):
            raise ValidationError("must be an InvoiceSeries", rule="I1", field="series", value=series)
        if not all(callable(getattr(store, name, None)) for name in ("issue_once", "get", "numbers")):
            raise ValidationError("must be a NumberedInvoices store", rule="I1", field="store")
        if not callable(getattr(clock, "now", None)):
            raise ValidationError("must be a Clock", rule="I1", field="clock")
        self.seller = seller
        self.series = series
        self._store = store
        self._clock = clock
        self._payment_method = checked_text(payment_method, "payment_method", limit="payment_method")
        self._unit = checked_text(unit, "unit", limit="unit")
        self.format_version = FormatVersion.of(format_version)

    def issue(self, request: InvoiceRequest) -> IssuedInvoice:
        """Issue the invoice ``request`` asks for (I1); idempotent per ``request.key``.

        Everything is checked before a number is taken: a refused request leaves no gap.

        Raises:
            ValidationError: (I1) not a request, no invoice details, a buyer without a name or address,
                amounts not in VND or beyond the format's 15 digits, text the format cannot carry, a
                series whose 99,999,999 numbers are used up; (I2) a buyer without a valid e-mail.
            ConflictError: (I1) the key was issued for another grand total, or the store kept losing races.
        """
        content = InvoiceContent.of(request, seller=self.seller, payment_method=self._payment_method, unit=self._unit)
        stored = self._store.get(request.key)
        for _ in range(_ROLLOVER_ATTEMPTS):
            if stored is not None:
                break
            series = self.series.in_year(local_date(self._clock.now()).year)
            try:
                stored = self._store.issue_once(request.key, series.code, self._builder(content, series))
            except _YearTurnedError:
                continue
            _log.info("e-invoice %s %08d issued for order %s part %d", stored.series, stored.number, *request.key)
        if stored is None:  # pragma: no cover - the year cannot turn three times during one call
            raise ConflictError("the year kept turning while the invoice was issued", rule="I1", field="issued_at")
        return _issued(stored, request)

    def _builder(self, content: InvoiceContent, series: InvoiceSeries, related: RelatedInvoice | None = None) -> _Build:
        return _Build(content=content, series=series, clock=self._clock, version=self.format_version, related=related)

    def adjust(self, adjustment: InvoiceAdjustment) -> IssuedCorrection:
        """Issue the adjusting invoice ``adjustment`` asks for (Y8): its signed differences, naming the original.

        Idempotent per ``adjustment.key``; everything is checked before a number is taken.

        Raises:
            NotFoundError: (Y8) the original is not an invoice of this issuer's store.
            InvalidTransitionError: (Y8) the original was replaced (adjust its replacement).
            ValidationError: (Y8) not an adjustment, a decrease below zero with the earlier adjustments; (I1,
                I2) content the format cannot carry.
            ConflictError: (Y8) the key was used for another correction.
        """
        if not isinstance(adjustment, InvoiceAdjustment):
            raise ValidationError("must be an InvoiceAdjustment", rule="Y8", field="adjustment")
        content = adjustment_content(adjustment, seller=self.seller, payment_method=self._payment_method)
        related = related_invoice(adjustment.original, InvoiceNature.ADJUSTMENT, adjustment.reason)
        return self._correct(adjustment, CorrectionKind.ADJUSTMENT, content, related)

    def replace(self, replacement: InvoiceReplacement) -> IssuedCorrection:
        """Issue the replacement invoice ``replacement`` asks for (Y8): the whole content, naming the original.

        Idempotent per ``replacement.key``; an invoice is replaced at most once.

        Raises:
            NotFoundError: (Y8) the original is not an invoice of this issuer's store.
            InvalidTransitionError: (Y8) the original was replaced already.
            ValidationError: (Y8) not a replacement; (I1, I2) content the format cannot carry.
            ConflictError: (Y8) the key was used for another correction.
        """
        if not isinstance(replacement, InvoiceReplacement):
            raise ValidationError("must be an InvoiceReplacement", rule="Y8", field="replacement")
        content = InvoiceContent.of(
            replacement.request, seller=self.seller, payment_method=self._payment_method, unit=self._unit
        )
        related = related_invoice(replacement.original, InvoiceNature.REPLACEMENT, replacement.reason)
        return self._correct(replacement, CorrectionKind.REPLACEMENT, content, related)

    def _correct(
        self,
        correction: InvoiceAdjustment | InvoiceReplacement,
        kind: CorrectionKind,
        content: InvoiceContent,
        related: RelatedInvoice,
    ) -> IssuedCorrection:
        original = correction.original
        original_series, original_number = original_of(original)
        entry = CorrectionEntry(
            key=correction.key,
            kind=kind,
            order_id=original.order_id,
            part=original.part,
            original_series=original_series.code,
            original_number=original_number,
        )
        stored = self._store.get_correction(correction.key)
        if stored is None:
            self._check_original(entry, original.grand_total)
        for _ in range(_ROLLOVER_ATTEMPTS):
            if stored is not None:
                break
            series = self.series.in_year(local_date(self._clock.now()).year)
            try:
                stored = self._store.correct_once(
                    entry, series.code, self._builder(content, series, related), _checker(correction)
                )
            except _YearTurnedError:
                continue
            _log.info("e-invoice %s %08d issued: %s of %s", stored.series, stored.number, kind.value, related.number)
        if stored is None:  # pragma: no cover - the year cannot turn three times during one call
            raise ConflictError("the year kept turning while the invoice was issued", rule="Y8", field="issued_at")
        return _corrected(stored, entry, Money.of(content.grand_total, content.currency))

    def _check_original(self, entry: CorrectionEntry, grand_total: Money) -> None:
        found = self._store.find(entry.original_series, entry.original_number)
        if (
            found is None
            or found.grand_total != grand_total
            or (found.order_id, found.part) != (entry.order_id, entry.part)
        ):
            raise NotFoundError(
                "no e-invoice with this series, number, order and total was issued here",
                rule="Y8",
                field="original",
                value=f"{entry.original_series} {entry.original_number:08d}",
            )
        if isinstance(found, StoredCorrection) and found.kind is CorrectionKind.ADJUSTMENT:
            raise ValidationError(
                "an adjusting invoice is not corrected itself: adjust the invoice it adjusts again",
                rule="Y8",
                field="original",
                value=f"{entry.original_series} {entry.original_number:08d}",
            )

    def corrections_of(self, invoice: IssuedInvoice | IssuedCorrection) -> tuple[IssuedCorrection, ...]:
        """What was issued against ``invoice``, by series and number (Y8); empty for one not issued here.

        Raises:
            ValidationError: (Y8) a series or number this adapter never writes.
        """
        series, number = original_of(invoice)
        return tuple(_issued_correction(stored) for stored in self._store.corrections_of(series.code, number))

    def correction_document(self, key: str) -> tuple[bytes, str]:
        """The XML and the HTML of the adjusting or replacement invoice issued for ``key`` (Y8).

        Raises:
            NotFoundError: (Y8) no correction was issued for that key.
        """
        stored = self._store.get_correction(key)
        if stored is None:
            raise NotFoundError("no corrective e-invoice was issued for this key", rule="Y8", field="key")
        return stored.xml, stored.html

    @property
    def store(self) -> NumberedInvoices:
        """The store that numbers and keeps its invoices (I1)."""
        return self._store

    def document(self, order_id: str, part: int = 0) -> tuple[bytes, str]:
        """The XML and the HTML of the invoice issued for ``order_id`` and ``part``, for a host to serve.

        Raises:
            NotFoundError: (I1) no invoice was issued for them.
            ValidationError: (I1) a malformed order id or part.
        """
        stored = self._store.get((order_id, part))
        if stored is None:
            raise NotFoundError("no e-invoice was issued for this order and part", rule="I1", field="order_id")
        return stored.xml, stored.html

    def numbers(self, series: InvoiceSeries | None = None) -> list[int]:
        """The numbers used in ``series`` (by default the configured one), ascending."""
        return self._store.numbers((series or self.series).code)


class _Build:
    """Builds the documents for a number, dated when the number is taken (so dates follow numbers)."""

    def __init__(
        self,
        *,
        content: InvoiceContent,
        series: InvoiceSeries,
        clock: Clock,
        version: FormatVersion,
        related: RelatedInvoice | None = None,
    ) -> None:
        self._content = content
        self._series = series
        self._clock = clock
        self._version = version
        self._related = related

    def __call__(self, number: int) -> Documents:
        at = self._clock.now()
        day = local_date(at)
        if day.year != self._series.year:
            raise _YearTurnedError
        invoice = EInvoice(
            series=self._series,
            number=number,
            issued_on=day,
            content=self._content,
            format_version=self._version,
            nature=self._related.nature if self._related is not None else InvoiceNature.ORIGINAL,
            related=self._related,
        )
        grand_total = Money.of(invoice.content.grand_total, invoice.content.currency)
        return Documents(issued_at=at, grand_total=grand_total, xml=to_xml(invoice), html=to_html(invoice))


def _issued(stored: StoredInvoice, request: InvoiceRequest) -> IssuedInvoice:
    if stored.grand_total != request.grand_total:
        raise ConflictError(
            f"invoice {stored.series} {stored.number:08d} was issued for this order and part with another total",
            rule="I1",
            field="grand_total",
            value=str(request.grand_total),
        )
    return IssuedInvoice(
        order_id=stored.order_id,
        part=stored.part,
        series=stored.series,
        number=f"{stored.number:08d}",
        issued_at=stored.issued_at,
        grand_total=stored.grand_total,
    )


def _checker(correction: InvoiceAdjustment | InvoiceReplacement) -> Callable[[CorrectionHistory], None]:
    def check(history: CorrectionHistory) -> None:
        check_correction(correction, history)

    return check


def _corrected(stored: StoredCorrection, entry: CorrectionEntry, grand_total: Money) -> IssuedCorrection:
    asked = (entry.kind, entry.original_series, entry.original_number, grand_total)
    if (stored.kind, stored.original_series, stored.original_number, stored.grand_total) != asked:
        raise ConflictError(
            f"key {entry.key!r} was used for another correction ({stored.series} {stored.number:08d})",
            rule="Y8",
            field="key",
            value=entry.key,
        )
    return _issued_correction(stored)


def _issued_correction(stored: StoredCorrection) -> IssuedCorrection:
    return IssuedCorrection(
        key=stored.key,
        kind=stored.kind,
        order_id=stored.order_id,
        part=stored.part,
        series=stored.series,
        number=f"{stored.number:08d}",
        issued_at=stored.issued_at,
        grand_total=stored.grand_total,
        original_series=stored.original_series,
        original_number=f"{stored.original_number:08d}",
    )
