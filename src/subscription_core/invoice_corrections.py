"""Corrections of issued e-invoices: an adjusting invoice or a replacement invoice (rule Y8).

An issued e-invoice is never deleted or renumbered. A mistake on it, or a change after it (a partial
refund), is corrected by a new invoice, numbered in the seller's series like any other, that names the
invoice it corrects (Decree 123/2020/NĐ-CP art. 19 (2), as amended by Decree 70/2025/NĐ-CP art. 1 (13)):

- an **adjusting invoice** (hóa đơn điều chỉnh, :class:`InvoiceAdjustment`) carries only the difference:
  "hóa đơn điều chỉnh tăng (ghi dấu dương), hóa đơn điều chỉnh giảm (ghi dấu âm) đúng với thực tế điều
  chỉnh" — an increase is written positive, a decrease negative. One invoice may be adjusted many times;
  the invoice and its adjustments never add up to less than nothing;
- a **replacement invoice** (hóa đơn thay thế, :class:`InvoiceReplacement`) carries the whole corrected
  content; the invoice it replaces stays issued, marked as replaced, and is replaced at most once. A
  replacement may itself be replaced or adjusted later; a replaced invoice is corrected no further (its
  replacement is).

An adjusting invoice is never itself adjusted or replaced: a further change adjusts the invoice again.
:func:`check_correction` holds these rules; issuers call it with what they already issued against the
invoice, atomically with taking the new number.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from subscription_core.customers import Party
from subscription_core.errors import (
    InvalidTransitionError,
    ValidationError,
    aware,
    non_empty_text,
    of_type,
    optional,
    whole_number,
)
from subscription_core.invoices import InvoiceRequest, IssuedInvoice
from subscription_core.money import Money
from subscription_core.quotes import VatTotal
from subscription_core.tax import VatRate

__all__ = [
    "AdjustmentLine",
    "CorrectedInvoice",
    "CorrectionHistory",
    "CorrectionKind",
    "InvoiceAdjustment",
    "InvoiceReplacement",
    "IssuedCorrection",
    "check_correction",
]

RULE = "Y8"
_REASON_LIMIT = 255  # GChu, where the reason is written


class CorrectionKind(enum.Enum):
    """What a correcting invoice does to the invoice it names: adjusts it (điều chỉnh) or replaces it (thay thế)."""

    ADJUSTMENT = "adjustment"
    REPLACEMENT = "replacement"


@attrs.frozen(kw_only=True)
class IssuedCorrection:
    """An adjusting or replacement invoice as issued (Y8): its own series and number, and the invoice it names.

    ``key`` is the idempotency key it was asked with; ``order_id`` and ``part`` the sale the corrected
    invoice was for. ``grand_total`` is signed for an adjustment (the difference: negative for a decrease)
    and the new whole total for a replacement. ``original_series`` and ``original_number`` name the invoice
    corrected (``1C26TAA``, ``00000012``), which stays issued under its own number.
    """

    key: str = attrs.field(validator=non_empty_text(rule=RULE))
    kind: CorrectionKind = attrs.field(validator=of_type(CorrectionKind))
    order_id: str = attrs.field(validator=non_empty_text(rule=RULE))
    part: int = attrs.field(validator=whole_number(0, rule=RULE))
    series: str = attrs.field(validator=non_empty_text(rule=RULE))
    number: str = attrs.field(validator=non_empty_text(rule=RULE))
    issued_at: dt.datetime = attrs.field(validator=aware())
    grand_total: Money = attrs.field(validator=of_type(Money))
    original_series: str = attrs.field(validator=non_empty_text(rule=RULE))
    original_number: str = attrs.field(validator=non_empty_text(rule=RULE))


CorrectedInvoice = IssuedInvoice | IssuedCorrection
"""What a correction names: an invoice issued for an order, or a replacement invoice (never an adjustment)."""


def _original(_instance: object, _attribute: object, value: CorrectedInvoice) -> None:
    if not isinstance(value, IssuedInvoice | IssuedCorrection):  # a caller may pass anything at run time
        raise ValidationError("must be an issued invoice", rule=RULE, field="original")
    if isinstance(value, IssuedCorrection) and value.kind is CorrectionKind.ADJUSTMENT:
        raise ValidationError(
            "an adjusting invoice is not corrected itself: adjust the invoice it adjusts again",
            rule=RULE,
            field="original",
            value=f"{value.series} {value.number}",
        )


def _reason(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must say why the invoice is corrected", rule=RULE, field="reason")
    text = " ".join(value.split())
    if len(text) > _REASON_LIMIT:
        raise ValidationError(f"must be at most {_REASON_LIMIT} characters (GChu)", rule=RULE, field="reason")
    return text


@attrs.frozen(kw_only=True)
class AdjustmentLine:
    """One line of an adjusting invoice: the change of a line's amount before VAT and of its VAT (Y8).

    Positive amounts increase, negative ones decrease ("ghi dấu âm"); ``taxable`` and ``vat`` never have
    opposite signs, and are not both zero. ``code`` and ``description`` name what is adjusted (the line of
    the invoice adjusted), ``vat_rate`` its rate.

    Raises:
        ValidationError: (Y8) an empty code or description, amounts of two currencies, of opposite signs,
            or both zero.
    """

    code: str = attrs.field(validator=non_empty_text(rule=RULE))
    description: str = attrs.field(validator=non_empty_text(rule=RULE))
    vat_rate: VatRate = attrs.field(validator=of_type(VatRate))
    taxable: Money = attrs.field(validator=of_type(Money))
    vat: Money = attrs.field(validator=of_type(Money))

    def __attrs_post_init__(self) -> None:
        """Check one currency, one direction, and a change."""
        if self.taxable.currency != self.vat.currency:
            raise ValidationError("must be in the taxable amount's currency", rule=RULE, field="vat")
        if not self.taxable and not self.vat:
            raise ValidationError("an adjusting line must change something", rule=RULE, field="taxable")
        if (self.taxable.amount > 0 and self.vat.amount < 0) or (self.taxable.amount < 0 and self.vat.amount > 0):
            raise ValidationError(
                "the VAT must change in the same direction as the amount", rule=RULE, field="vat", value=str(self.vat)
            )

    @property
    def total(self) -> Money:
        """The change of what the buyer pays: ``taxable + vat``."""
        return self.taxable + self.vat


@attrs.frozen(kw_only=True)
class InvoiceAdjustment:
    """A request for an adjusting invoice (hóa đơn điều chỉnh) of ``original`` (Y8), idempotent by ``key``.

    ``lines`` are the differences only; ``buyer`` the buyer named on the invoice (the original's);
    ``reason`` is written on it (``GChu``, at most 255 characters). The totals and the VAT per rate are the
    lines'; a decrease may take the invoice down to zero at most (checked here against the original alone,
    and by the issuer against its earlier adjustments).

    Raises:
        ValidationError: (Y8) an empty key or reason, no lines, lines in another currency than the original,
            a net change of zero, a decrease larger than the original, an adjusting invoice as the original.
    """

    key: str = attrs.field(validator=non_empty_text(rule=RULE))
    original: CorrectedInvoice = attrs.field(validator=_original)
    buyer: Party = attrs.field(validator=of_type(Party))
    lines: tuple[AdjustmentLine, ...] = attrs.field(validator=of_type(tuple))
    reason: str = attrs.field(converter=_reason)
    requested_at: dt.datetime = attrs.field(validator=aware())

    def __attrs_post_init__(self) -> None:
        """Check the lines: at least one, all adjustment lines in the original's currency, a net change."""
        if not self.lines or not all(isinstance(line, AdjustmentLine) for line in self.lines):
            raise ValidationError("needs at least one AdjustmentLine", rule=RULE, field="lines")
        currency = self.original.grand_total.currency
        if any(line.taxable.currency != currency for line in self.lines):
            raise ValidationError(f"must be in {currency.code}, as the original", rule=RULE, field="lines")
        if not self.grand_total:
            raise ValidationError("the lines change nothing in total", rule=RULE, field="lines")
        if self.original.grand_total + self.grand_total < Money.zero(currency):
            raise ValidationError(
                "would take the invoice below zero: decrease it by its total at most",
                rule=RULE,
                field="lines",
                value=str(self.grand_total),
            )

    @property
    def pretax_total(self) -> Money:
        """The change of the amount before VAT (signed)."""
        return sum((line.taxable for line in self.lines), Money.zero(self.original.grand_total.currency))

    @property
    def vat_total(self) -> Money:
        """The change of the VAT (signed)."""
        return sum((line.vat for line in self.lines), Money.zero(self.original.grand_total.currency))

    @property
    def grand_total(self) -> Money:
        """The change of what the buyer pays (signed): negative for a decrease (ghi dấu âm)."""
        return self.pretax_total + self.vat_total

    @property
    def increase(self) -> bool:
        """Whether it is an increase (điều chỉnh tăng) rather than a decrease (điều chỉnh giảm)."""
        return self.grand_total.amount > 0

    @property
    def vat_totals(self) -> tuple[VatTotal, ...]:
        """The change per VAT rate, in the rates' order."""
        groups: dict[VatRate, list[AdjustmentLine]] = {}
        for line in self.lines:
            groups.setdefault(line.vat_rate, []).append(line)
        zero = Money.zero(self.original.grand_total.currency)
        return tuple(
            VatTotal(rate, sum((g.taxable for g in groups[rate]), zero), sum((g.vat for g in groups[rate]), zero))
            for rate in sorted(groups, key=lambda r: r.sort_key)
        )


@attrs.frozen(kw_only=True)
class InvoiceReplacement:
    """A request for a replacement invoice (hóa đơn thay thế) of ``original`` (Y8), idempotent by ``key``.

    ``request`` is the whole corrected invoice, for the same order and part as the original; ``reason`` is
    written on it (``GChu``).

    Raises:
        ValidationError: (Y8) an empty key or reason, a request for another order or part or in another
            currency, an adjusting invoice as the original.
    """

    key: str = attrs.field(validator=non_empty_text(rule=RULE))
    original: CorrectedInvoice = attrs.field(validator=_original)
    request: InvoiceRequest = attrs.field(validator=of_type(InvoiceRequest))
    reason: str = attrs.field(converter=_reason)

    def __attrs_post_init__(self) -> None:
        """Check the request invoices the original's sale, in its currency."""
        if self.request.key != (self.original.order_id, self.original.part):
            raise ValidationError(
                "must invoice the same order and part as the invoice replaced",
                rule=RULE,
                field="request",
                value=self.request.key,
            )
        if self.request.grand_total.currency != self.original.grand_total.currency:
            raise ValidationError("must be in the original's currency", rule=RULE, field="request.grand_total")

    @property
    def requested_at(self) -> dt.datetime:
        """When the replacement was asked for: the request's instant."""
        return self.request.requested_at


@attrs.frozen(kw_only=True)
class CorrectionHistory:
    """What was already issued against one invoice: its total, its adjustments' net change, its replacement.

    ``replaced_by`` is the number of its replacement invoice, if any.
    """

    grand_total: Money = attrs.field(validator=of_type(Money))
    adjusted: Money = attrs.field(validator=of_type(Money))
    replaced_by: str | None = attrs.field(default=None, validator=optional(of_type(str)))

    @property
    def net(self) -> Money:
        """What the invoice comes to with its adjustments."""
        return self.grand_total + self.adjusted


def check_correction(correction: InvoiceAdjustment | InvoiceReplacement, history: CorrectionHistory) -> None:
    """Refuse ``correction`` if what was issued against its invoice (``history``) forbids it (Y8).

    Raises:
        InvalidTransitionError: (Y8) the invoice was replaced already (a replaced invoice is corrected through
            its replacement).
        ValidationError: (Y8) an adjustment that would take the invoice and its adjustments below zero.
    """
    original = correction.original
    if history.replaced_by is not None:
        raise InvalidTransitionError(
            f"invoice {original.series} {original.number} was replaced by number {history.replaced_by}:"
            " correct the replacement instead",
            rule=RULE,
            field="original",
            value=f"{original.series} {original.number}",
        )
    if isinstance(correction, InvoiceAdjustment) and history.net + correction.grand_total < Money.zero(
        history.net.currency
    ):
        raise ValidationError(
            f"would take the invoice below zero: it comes to {history.net} with its earlier adjustments",
            rule=RULE,
            field="lines",
            value=str(correction.grand_total),
        )
