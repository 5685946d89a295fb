"""Adjusting and replacement e-invoices as documents: their content and the block naming the invoice corrected (Y8).

Sources (Decree 123/2020/NĐ-CP art. 19 (2), as amended by Decree 70/2025/NĐ-CP art. 1 (13), read in a
public transcription of the amended article; the format's ``TTHDLQuan`` as :mod:`.formats` cites it):

- A correcting invoice is a new invoice of the seller, numbered in its series like any other, and names
  the invoice it corrects: "Điều chỉnh (Thay thế) cho hóa đơn Mẫu số ... ký hiệu ... số ... ngày ...",
  in the XML ``TTChung > TTHDLQuan`` with ``TCHDon`` 2 (adjusts) or 1 (replaces) and the form
  (``KHMSHDCLQuan``), symbol (``KHHDCLQuan``), number (``SHDCLQuan``) and date (``NLHDCLQuan``) of the
  invoice corrected. The reason is written in ``GChu``.
- An adjusting invoice carries the difference only: "hóa đơn điều chỉnh tăng (ghi dấu dương), hóa đơn
  điều chỉnh giảm (ghi dấu âm) đúng với thực tế điều chỉnh". Its lines are goods-and-services lines
  (``TChat`` 1) naming what is adjusted, with the signed amount (``ThTien``) and rate (``TSuat``) and no
  quantity or unit price, as the M-Invoice guide for "điều chỉnh giảm thành tiền (không điều chỉnh số
  lượng, đơn giá)" writes them; the totals (``TgTCThue``, ``TgTThue``, ``TgTTTBSo``) are signed too, and
  the total in words reads a decrease with "Âm" (:func:`~.words.difference_in_words`). The tax
  authority's support answers that negative values are for adjusting invoices only.
- A replacement invoice carries the whole corrected content, as an original does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from subscription_core.calendar import local_date
from subscription_core.errors import ValidationError
from subscription_core.invoice_corrections import CorrectedInvoice, InvoiceAdjustment
from subscription_core.money import Money
from subscription_core_adapters.einvoice.document import (
    MAX_AMOUNT,
    EInvoiceLine,
    EInvoiceVat,
    InvoiceContent,
    checked_buyer,
)
from subscription_core_adapters.einvoice.fields import checked_text
from subscription_core_adapters.einvoice.formats import InvoiceNature, RelatedInvoice
from subscription_core_adapters.einvoice.seller import Seller
from subscription_core_adapters.einvoice.series import InvoiceSeries
from subscription_core_adapters.einvoice.words import difference_in_words

__all__ = ["adjustment_content", "original_of", "related_invoice"]

_NUMBER_DIGITS: Final = 8


def _signed(money: Money, field: str) -> Decimal:
    if money.currency.code != "VND":
        raise ValidationError("an e-invoice is issued in VND (whole đồng)", rule="I1", field=field, value=str(money))
    if abs(money.amount) > MAX_AMOUNT:
        raise ValidationError(
            f"must lie between -{MAX_AMOUNT:,} and {MAX_AMOUNT:,} đồng to fit the e-invoice format",
            rule="I1",
            field=field,
            value=str(money.amount),
        )
    return money.amount


def adjustment_content(adjustment: InvoiceAdjustment, *, seller: Seller, payment_method: str) -> InvoiceContent:
    """The content of the adjusting invoice ``adjustment`` asks for: its signed lines and totals (Y8).

    Raises:
        ValidationError: not an ``InvoiceAdjustment``; (I1) amounts not in VND or beyond the format's 15
            digits, text the format cannot carry, a buyer the format cannot name; (I2) a buyer without a
            valid e-mail.
    """
    if not isinstance(adjustment, InvoiceAdjustment):
        raise ValidationError("must be an InvoiceAdjustment", rule="Y8", field="adjustment")
    lines = tuple(
        EInvoiceLine(
            position=position,
            code=checked_text(line.code, f"lines[{position - 1}].code", limit="code"),
            description=checked_text(line.description, f"lines[{position - 1}].description", limit="description"),
            unit=None,
            quantity=None,
            unit_price=None,
            discount_rate=Decimal(0),
            discount=Decimal(0),
            amount=_signed(line.taxable, f"lines[{position - 1}].taxable"),
            vat_rate=line.vat_rate,
        )
        for position, line in enumerate(adjustment.lines, start=1)
    )
    vat_totals = tuple(
        EInvoiceVat(
            vat_rate=total.rate,
            taxable=_signed(total.taxable, f"vat_totals[{i}].taxable"),
            vat=_signed(total.vat, f"vat_totals[{i}].vat"),
        )
        for i, total in enumerate(adjustment.vat_totals)
    )
    grand_total = _signed(adjustment.grand_total, "grand_total")
    return InvoiceContent(
        order_id=adjustment.original.order_id,
        part=adjustment.original.part,
        seller=seller,
        buyer=checked_buyer(adjustment.buyer),
        currency="VND",
        payment_method=checked_text(payment_method, "payment_method", limit="payment_method"),
        lines=lines,
        vat_totals=vat_totals,
        pretax_total=_signed(adjustment.pretax_total, "pretax_total"),
        vat_total=_signed(adjustment.vat_total, "vat_total"),
        discount_total=Decimal(0),
        grand_total=grand_total,
        words=difference_in_words(grand_total),
    )


def original_of(invoice: CorrectedInvoice) -> tuple[InvoiceSeries, int]:
    """The series and the number of the invoice a correction names, read from its printed form (Y8).

    Raises:
        ValidationError: (Y8) a series code or number this adapter never writes.
    """
    series = InvoiceSeries.parse(invoice.series)
    text = invoice.number
    if not (text.isascii() and text.isdigit() and len(text) <= _NUMBER_DIGITS and int(text) > 0):
        raise ValidationError("must be an invoice number of 1 to 8 digits", rule="Y8", field="original.number")
    return series, int(text)


def related_invoice(invoice: CorrectedInvoice, nature: InvoiceNature, note: str) -> RelatedInvoice:
    """``TTHDLQuan`` naming ``invoice``: its form, symbol, number as printed and date in Hà Nội (Y8).

    Raises as :func:`original_of` and :class:`~.formats.RelatedInvoice` do.
    """
    series, number = original_of(invoice)
    return RelatedInvoice(
        nature=nature,
        form=series.form,
        symbol=series.symbol,
        number=f"{number:0{_NUMBER_DIGITS}d}",
        issued_on=local_date(invoice.issued_at),
        note=note,
    )
