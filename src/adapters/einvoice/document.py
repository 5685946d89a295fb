"""The e-invoice as a value: its content built from an ``InvoiceRequest``, then its series, number and date (I1, I2).

The fields follow the Vietnamese e-invoice rules (Decree 123/2020/ND-CP, Circular 78/2021/TT-BTC) and the
General Department of Taxation's XML format (Quyết định 1450/QĐ-TCT); :mod:`.rendering` writes them out.
:class:`InvoiceContent` is what an invoice says, checked before any number is taken so that a refused
request never leaves a gap; :class:`EInvoice` adds the series (:class:`~.series.InvoiceSeries`), the
number and the date. The seller is a :class:`~.seller.Seller`.

Amounts are whole đồng (I1), at most 15 digits (the format's numbers have 19 digits, 4 of them decimals).
Names, e-mail addresses and tax codes never appear in a repr or an error: the errors name the field.

A buyer without a tax code is an individual, named by full name (``HVTNMHang``, at most 100 characters, I4);
line names are Vietnamese (:func:`~.line_names.invoice_line_name`, I4). An :class:`EInvoice` carries its
format version (:class:`~.formats.FormatVersion`, 2.1.0 unless configured) and, when it replaces or adjusts
another invoice, the :class:`~.formats.RelatedInvoice` it must name.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Final

import attrs

from subscription_core import limits
from subscription_core.customers import Party
from subscription_core.errors import ValidationError, of_type
from subscription_core.invoices import InvoiceRequest
from subscription_core.money import CONTEXT, Money
from subscription_core.order_lines import OrderLine
from subscription_core.tax import VatKind, VatRate
from subscription_core_adapters.einvoice.fields import checked_email, checked_tax_code, checked_text
from subscription_core_adapters.einvoice.formats import (
    DEFAULT_FORMAT_VERSION,
    FormatVersion,
    InvoiceNature,
    RelatedInvoice,
)
from subscription_core_adapters.einvoice.line_names import invoice_line_name
from subscription_core_adapters.einvoice.seller import Seller
from subscription_core_adapters.einvoice.series import MAX_NUMBER, InvoiceSeries
from subscription_core_adapters.einvoice.words import amount_in_words

# Seller, InvoiceSeries and the formats' types are re-exported: the document names them.
__all__ = [
    "FORMAT_VERSION",
    "MAX_AMOUNT",
    "EInvoice",
    "EInvoiceLine",
    "EInvoiceVat",
    "FormatVersion",
    "InvoiceContent",
    "InvoiceNature",
    "InvoiceSeries",
    "RelatedInvoice",
    "Seller",
    "checked_buyer",
    "rate_label",
]

FORMAT_VERSION: Final = DEFAULT_FORMAT_VERSION
"""``PBan`` written unless another is configured: :data:`~.formats.DEFAULT_FORMAT_VERSION` (2.1.0)."""
MAX_AMOUNT: Final = limits.MAX_AMOUNT
"""The largest amount in đồng: the format's numbers have 19 digits, 4 of them decimals.

The library's own limit on every amount (:data:`subscription_core.limits.MAX_AMOUNT`), so that nothing the
library accepts is too large for an invoice.
"""

_QUANTUM: Final = Decimal("0.0001")


@attrs.frozen(kw_only=True)
class EInvoiceLine:
    """One ``HHDVu``: a good or service (``TChat`` 1), its amounts in đồng as the invoice prints them.

    ``unit_price`` is the line's pre-discount amount per unit (the catalog price times the cycles bought;
    four decimals at most when a prorated amount does not divide evenly). ``discount`` is every promotion
    on the line, its share of the invoice's included; ``discount_rate`` its percentage of the line's
    amount before discount; ``amount`` the amount after discount and before VAT (``ThTien``).
    """

    position: int
    code: str
    description: str
    unit: str | None
    quantity: int | None
    unit_price: Decimal | None
    discount_rate: Decimal
    discount: Decimal
    amount: Decimal
    vat_rate: VatRate

    @property
    def rate_label(self) -> str:
        """``TSuat``: "KCT", "KKKNT", "0%", "5%", "8%" or "10%"."""
        return rate_label(self.vat_rate)


@attrs.frozen(kw_only=True)
class EInvoiceVat:
    """One ``LTSuat``: the amount before VAT and the VAT of one rate."""

    vat_rate: VatRate
    taxable: Decimal
    vat: Decimal

    @property
    def rate_label(self) -> str:
        """``TSuat`` of this rate."""
        return rate_label(self.vat_rate)


def rate_label(rate: VatRate) -> str:
    """The ``TSuat`` text of a rate: the no-VAT kinds by name, a percentage without decimals ("10%")."""
    if rate.kind is not VatKind.RATE:
        return str(rate.kind.value)
    return f"{int(rate.percent)}%" if rate.percent == rate.percent.to_integral_value() else f"{rate.percent}%"


def _amount(money: Money, field: str) -> Decimal:
    if money.currency.code != "VND":
        raise ValidationError("an e-invoice is issued in VND (whole đồng)", rule="I1", field=field, value=str(money))
    value = money.amount
    if value < 0 or value > MAX_AMOUNT:
        raise ValidationError(
            f"must lie between 0 and {MAX_AMOUNT:,} đồng to fit the e-invoice format",
            rule="I1",
            field=field,
            value=str(value),
        )
    return value


def _line(position: int, line: OrderLine, unit: str) -> EInvoiceLine:
    field = f"lines[{position - 1}]"
    base = _amount(line.base, f"{field}.base")
    amount = _amount(line.taxable, f"{field}.taxable")
    discount = base - amount
    _amount(line.unit_price, f"{field}.unit_price")
    if line.quantity > MAX_AMOUNT:
        raise ValidationError("is too large for the e-invoice format", rule="I1", field=f"{field}.quantity")
    with localcontext(CONTEXT):  # the library's context, whatever the host's is (P7)
        unit_price = (base / line.quantity).quantize(_QUANTUM, rounding=ROUND_HALF_UP)
        rate = (discount * 100 / base).quantize(_QUANTUM, rounding=ROUND_HALF_UP) if base else Decimal(0)
    return EInvoiceLine(
        position=position,
        code=checked_text(line.code, f"{field}.code", limit="code"),
        description=checked_text(invoice_line_name(line), f"{field}.description", limit="description"),
        unit=unit,
        quantity=line.quantity,
        unit_price=unit_price.normalize(CONTEXT) if unit_price else Decimal(0),
        discount_rate=rate.normalize(CONTEXT) if rate else Decimal(0),
        discount=discount,
        amount=amount,
        vat_rate=line.vat_rate,
    )


def checked_buyer(buyer: object) -> Party:
    """``buyer`` if it is a ``Party`` whose details fit the format. Raises as :meth:`InvoiceContent.of` does."""
    if not isinstance(buyer, Party):
        raise ValidationError(
            "the order carries no invoice details (buyer's name, address, e-mail)", rule="I1", field="buyer"
        )
    checked_text(buyer.unit_name, "buyer.name", limit="name")
    checked_text(buyer.address, "buyer.address", limit="address")
    checked_email(buyer.email, "buyer.email")
    if buyer.tax_code is not None:
        checked_tax_code(buyer.tax_code, "buyer.tax_code")
    else:  # an individual, named by full name (HVTNMHang, I4)
        checked_text(buyer.unit_name, "buyer.name", limit="full_name", rule="I4")
    if buyer.phone is not None:
        checked_text(buyer.phone, "buyer.phone", limit="phone")
    return buyer


def _vat_totals(request: InvoiceRequest, lines: tuple[EInvoiceLine, ...]) -> tuple[EInvoiceVat, ...]:
    totals = tuple(
        EInvoiceVat(
            vat_rate=t.rate,
            taxable=_amount(t.taxable, f"vat_totals[{i}].taxable"),
            vat=_amount(t.vat, f"vat_totals[{i}].vat"),
        )
        for i, t in enumerate(request.vat_totals)
    )
    by_rate: dict[VatRate, Decimal] = {}
    for line in lines:
        by_rate[line.vat_rate] = by_rate.get(line.vat_rate, Decimal(0)) + line.amount
    if {t.vat_rate: t.taxable for t in totals} != by_rate or len(totals) != len(by_rate):
        raise ValidationError(
            "the VAT totals per rate must be the lines' amounts per rate", rule="I1", field="vat_totals"
        )
    return totals


@attrs.frozen(kw_only=True)
class InvoiceContent:
    """What an invoice says, before it has a number: its parties, lines, VAT per rate, totals and words (I1, I2).

    Build it with :meth:`of`, which checks everything a number must never be taken for. The repr leaves
    out the seller and the buyer.
    """

    order_id: str
    part: int
    seller: Seller = attrs.field(repr=False)
    buyer: Party = attrs.field(repr=False)
    currency: str
    payment_method: str
    lines: tuple[EInvoiceLine, ...]
    vat_totals: tuple[EInvoiceVat, ...]
    pretax_total: Decimal
    vat_total: Decimal
    discount_total: Decimal
    grand_total: Decimal
    words: str

    @classmethod
    def of(
        cls, request: InvoiceRequest, *, seller: Seller, payment_method: str = "TM/CK", unit: str = "Gói"
    ) -> InvoiceContent:
        """The content of the invoice ``request`` asks for, from ``seller``.

        ``payment_method`` is ``HTTToan`` ("TM/CK": cash or transfer); ``unit`` is every line's unit
        (``DVTinh``).

        Raises:
            ValidationError: not a request or a seller; (I1) no invoice details, a buyer without a name or
                address, an amount not in VND or beyond the format's 15 digits, VAT totals that are not
                the lines' per rate, text the format cannot carry; (I2) a buyer without a valid e-mail;
                (I4) a buyer without a tax code whose full name is longer than ``HVTNMHang``'s 100 characters.
        """
        if not isinstance(request, InvoiceRequest):
            raise ValidationError("must be an InvoiceRequest", rule="I1", field="request")
        if not isinstance(seller, Seller):
            raise ValidationError("must be a Seller", rule="I1", field="seller")
        buyer = checked_buyer(request.buyer)
        method = checked_text(payment_method, "payment_method", limit="payment_method")
        unit_text = checked_text(unit, "unit", limit="unit")
        lines = tuple(_line(i, line, unit_text) for i, line in enumerate(request.lines, start=1))
        grand_total = _amount(request.grand_total, "grand_total")
        return cls(
            order_id=request.order_id,
            part=request.part,
            seller=seller,
            buyer=buyer,
            currency="VND",
            payment_method=method,
            lines=lines,
            vat_totals=_vat_totals(request, lines),
            pretax_total=_amount(request.pretax_total, "pretax_total"),
            vat_total=_amount(request.vat_total, "vat_total"),
            discount_total=sum((line.discount for line in lines), Decimal(0)),
            grand_total=grand_total,
            words=amount_in_words(grand_total),
        )


def _number(_instance: object, _attribute: object, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_NUMBER:
        raise ValidationError(
            f"must be a whole number from 1 to {MAX_NUMBER:,} (8 digits)", rule="I1", field="number", value=value
        )


def _format_version(value: object) -> FormatVersion:
    return FormatVersion.of(value)


_NAMED: Final = {
    InvoiceNature.REPLACEMENT: "a replacement must name the invoice it replaces",
    InvoiceNature.ADJUSTMENT: "an adjustment must name the invoice it adjusts",
}


def _related(instance: EInvoice, _attribute: object, value: RelatedInvoice | None) -> None:
    if value is not None and not isinstance(value, RelatedInvoice):
        raise ValidationError("must be a RelatedInvoice or None", rule="I1", field="related")
    if not isinstance(instance.nature, InvoiceNature):
        raise ValidationError("must be an InvoiceNature", rule="I1", field="nature", value=str(instance.nature))
    if instance.nature is InvoiceNature.ORIGINAL:
        if value is not None:
            raise ValidationError(
                "an original invoice names no related invoice; set nature to REPLACEMENT or ADJUSTMENT",
                rule="I1",
                field="related",
            )
        return
    if value is None:
        raise ValidationError(
            f"{_NAMED[instance.nature]} (TTHDLQuan, required by format {instance.format_version.value})",
            rule="I1",
            field="related",
        )
    if value.nature is not instance.nature:
        raise ValidationError(
            "must have the invoice's own nature (TCHDon)", rule="I1", field="related.nature", value=value.nature.name
        )


@attrs.frozen(kw_only=True)
class EInvoice:
    """An e-invoice: its series, its number (``SHDon``) and date (``NLap``), and its content (I1).

    ``format_version`` is the XML format it is written in (a :class:`~.formats.FormatVersion` or its text;
    2.1.0 by default). ``nature`` says whether it is an original or replaces or adjusts another invoice; one
    that replaces or adjusts must name that invoice in ``related`` (``TTHDLQuan``), dated no later than itself,
    and an original names none.

    Raises:
        ValidationError: (I1) a number outside 1-99,999,999, a date in another year than the series', an
            unknown format version, a replacement or adjustment without its related invoice (or one dated
            after it, or of another nature), or an original with one.
    """

    series: InvoiceSeries = attrs.field(validator=of_type(InvoiceSeries))
    number: int = attrs.field(validator=_number)
    issued_on: dt.date = attrs.field(validator=of_type(dt.date))
    content: InvoiceContent = attrs.field(validator=of_type(InvoiceContent))
    format_version: FormatVersion = attrs.field(default=DEFAULT_FORMAT_VERSION, converter=_format_version)
    nature: InvoiceNature = InvoiceNature.ORIGINAL
    related: RelatedInvoice | None = attrs.field(default=None, validator=_related)

    def __attrs_post_init__(self) -> None:
        """Check that the invoice's year is its series' year (TT78 art. 4), and its related invoice is older."""
        if isinstance(self.issued_on, dt.datetime) or self.issued_on.year != self.series.year:
            raise ValidationError(
                f"series {self.series.code} is for {self.series.year}; an invoice dated {self.issued_on} needs its"
                " year's series",
                rule="I1",
                field="issued_on",
                value=str(self.issued_on),
            )
        if self.related is not None and self.related.issued_on > self.issued_on:
            raise ValidationError(
                "the invoice replaced or adjusted must be dated no later than this one",
                rule="I1",
                field="related.issued_on",
                value=str(self.related.issued_on),
            )

    @classmethod
    def build(
        cls,
        request: InvoiceRequest,
        *,
        seller: Seller,
        series: InvoiceSeries,
        number: int,
        issued_on: dt.date,
        payment_method: str = "TM/CK",
        unit: str = "Gói",
        format_version: FormatVersion | str = DEFAULT_FORMAT_VERSION,
        related: RelatedInvoice | None = None,
    ) -> EInvoice:
        """The invoice ``request`` asks for, numbered ``number`` in ``series`` and dated ``issued_on``.

        With ``related``, the invoice replaces or adjusts that invoice (its nature is the related one's).

        Raises as :meth:`InvoiceContent.of` and the class do.
        """
        content = InvoiceContent.of(request, seller=seller, payment_method=payment_method, unit=unit)
        nature = related.nature if isinstance(related, RelatedInvoice) else InvoiceNature.ORIGINAL
        return cls(
            series=series,
            number=number,
            issued_on=issued_on,
            content=content,
            format_version=FormatVersion.of(format_version),
            nature=nature,
            related=related,
        )

    @property
    def number_text(self) -> str:
        """The number as printed, 8 digits: ``00000001``."""
        return f"{self.number:08d}"
