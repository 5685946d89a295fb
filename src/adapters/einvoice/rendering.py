"""An e-invoice written out: the tax authority's XML (:func:`to_xml`) and an HTML page (:func:`to_html`).

The XML is ``HDon > DLHDon`` with the general information (``TTChung``), the content (``NDHDon``: seller
``NBan``, buyer ``NMua``, lines ``DSHHDVu > HHDVu``, totals ``TToan`` with the VAT per rate
``THTTLTSuat > LTSuat``), in UTF-8, in the invoice's format version (:mod:`.formats` names the sources):

- **2.0.0** (Quyết định 1450/QĐ-TCT): as below, without the 2.1.0 additions.
- **2.1.0** (the update for Decree 70/2025/NĐ-CP): ``TTChung`` adds ``HDCTTChinh`` after ``NLap`` (required;
  0: not a finance-lease invoice); ``NMua`` adds ``CCCDan`` (the buyer's citizen identity number, written
  for a buyer whose tax code is a 12-digit personal identification number) between ``SDThoai`` and
  ``DCTDTu``.

In both, a buyer without a tax code is named by full name in ``HVTNMHang`` (I4) beside ``Ten``, and an
invoice that replaces or adjusts another names it in ``TTChung > TTHDLQuan`` after ``MSTTCGP``. Elements
are written in the order of the format's tables. Amounts are plain decimals (``1200000``, never ``1.2E+6`` nor a float);
the date is ``YYYY-MM-DD``; a VAT rate is ``KCT``, ``KKKNT``, ``0%``, ``5%``, ``8%`` or ``10%``. The
signatures (``DSCKS``) are left out: signing with the seller's certificate is the provider's work.

The HTML page carries the same facts with Vietnamese labels, every text escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Final

from subscription_core.customers import Party
from subscription_core.errors import ValidationError
from subscription_core.money import CONTEXT
from subscription_core.tax_codes import TaxCodeKind
from subscription_core_adapters.einvoice.document import EInvoice, EInvoiceLine, EInvoiceVat
from subscription_core_adapters.einvoice.formats import FormatVersion, InvoiceNature, RelatedInvoice
from subscription_core_adapters.einvoice.seller import Seller

__all__ = ["INVOICE_TITLE", "plain", "to_html", "to_xml"]

INVOICE_TITLE: Final = "HÓA ĐƠN GIÁ TRỊ GIA TĂNG"
"""``THDon`` of a VAT invoice."""
GOODS_AND_SERVICES: Final = "1"
"""``TChat`` of a line that sells goods or services (2: promotion, 3: trade discount, 4: note)."""
NOT_FINANCE_LEASE: Final = "0"
"""``HDCTTChinh`` (2.1.0) of an invoice that is not for a finance lease (1: for a finance lease)."""


def plain(value: Decimal | int) -> str:
    """A number as the format writes it: no exponent, no trailing zeros after the point (``1200000``, ``12.5``)."""
    text = format(Decimal(value).normalize(CONTEXT), "f")
    return "0" if text in ("-0", "0") else text


def _add(parent: ET.Element, tag: str, text: object | None) -> None:
    """Append ``<tag>text</tag>``, unless there is no text (optional fields are left out, not left empty)."""
    if text is None or text == "":
        return
    ET.SubElement(parent, tag).text = plain(text) if isinstance(text, Decimal | int) else str(text)


def _general(root: ET.Element, invoice: EInvoice) -> None:
    general = ET.SubElement(root, "TTChung")
    _add(general, "PBan", invoice.format_version.value)
    _add(general, "THDon", INVOICE_TITLE)
    _add(general, "KHMSHDon", invoice.series.form)
    _add(general, "KHHDon", invoice.series.symbol)
    _add(general, "SHDon", invoice.number)
    _add(general, "NLap", invoice.issued_on.isoformat())
    if invoice.format_version is FormatVersion.V2_1_0:
        _add(general, "HDCTTChinh", NOT_FINANCE_LEASE)
    _add(general, "DVTTe", invoice.content.currency)
    _add(general, "TGia", 1)
    _add(general, "HTTToan", invoice.content.payment_method)
    _add(general, "MSTTCGP", invoice.content.seller.provider_tax_code.value)
    if invoice.related is not None:
        _related(general, invoice.related)


def _related(root: ET.Element, related: RelatedInvoice) -> None:
    element = ET.SubElement(root, "TTHDLQuan")
    _add(element, "TCHDon", related.nature.value)
    _add(element, "LHDCLQuan", related.kind.value)
    _add(element, "KHMSHDCLQuan", related.form)
    _add(element, "KHHDCLQuan", related.symbol)
    _add(element, "SHDCLQuan", related.number)
    _add(element, "NLHDCLQuan", related.issued_on.isoformat())
    _add(element, "GChu", related.note)


def _seller(root: ET.Element, seller: Seller) -> None:
    element = ET.SubElement(root, "NBan")
    _add(element, "Ten", seller.name)
    _add(element, "MST", seller.tax_code.value)
    _add(element, "DChi", seller.address)
    _add(element, "SDThoai", seller.phone)
    _add(element, "DCTDTu", seller.email)
    _add(element, "STKNHang", seller.bank_account)
    _add(element, "TNHang", seller.bank_name)


def _buyer(root: ET.Element, buyer: Party, version: FormatVersion) -> None:
    element = ET.SubElement(root, "NMua")
    code = buyer.tax_code
    _add(element, "Ten", buyer.unit_name)
    _add(element, "MST", code.value if code is not None else None)
    _add(element, "DChi", buyer.address)
    _add(element, "SDThoai", buyer.phone)
    if version is FormatVersion.V2_1_0 and code is not None and code.kind is TaxCodeKind.PERSONAL:
        _add(element, "CCCDan", code.value)  # since 2025-07-01 an individual's tax code is this number (U1)
    _add(element, "DCTDTu", buyer.email)
    _add(element, "HVTNMHang", buyer.unit_name if code is None else None)  # an individual's full name (I4)


def _item(root: ET.Element, line: EInvoiceLine) -> None:
    element = ET.SubElement(root, "HHDVu")
    _add(element, "TChat", GOODS_AND_SERVICES)
    _add(element, "STT", line.position)
    _add(element, "MHHDVu", line.code)
    _add(element, "THHDVu", line.description)
    _add(element, "DVTinh", line.unit)
    _add(element, "SLuong", line.quantity)
    _add(element, "DGia", line.unit_price)
    _add(element, "TLCKhau", line.discount_rate)
    _add(element, "STCKhau", line.discount)
    _add(element, "ThTien", line.amount)
    _add(element, "TSuat", line.rate_label)


def _vat(root: ET.Element, total: EInvoiceVat) -> None:
    element = ET.SubElement(root, "LTSuat")
    _add(element, "TSuat", total.rate_label)
    _add(element, "ThTien", total.taxable)
    _add(element, "TThue", total.vat)


def _totals(root: ET.Element, invoice: EInvoice) -> None:
    content = invoice.content
    element = ET.SubElement(root, "TToan")
    rates = ET.SubElement(element, "THTTLTSuat")
    for total in content.vat_totals:
        _vat(rates, total)
    _add(element, "TgTCThue", content.pretax_total)
    _add(element, "TgTThue", content.vat_total)
    _add(element, "TTCKTMai", content.discount_total)
    _add(element, "TgTTTBSo", content.grand_total)
    _add(element, "TgTTTBChu", content.words)


def to_xml(invoice: EInvoice) -> bytes:
    """The invoice as the tax authority's XML in its format version, UTF-8 with its declaration, indented.

    Raises:
        ValidationError: ``invoice`` is not an :class:`EInvoice`.
    """
    if not isinstance(invoice, EInvoice):
        raise ValidationError("must be an EInvoice", rule="I1", field="invoice")
    root = ET.Element("HDon")
    data = ET.SubElement(root, "DLHDon", Id=f"DLHDon-{invoice.series.code}-{invoice.number_text}")
    _general(data, invoice)
    body = ET.SubElement(data, "NDHDon")
    _seller(body, invoice.content.seller)
    _buyer(body, invoice.content.buyer, invoice.format_version)
    items = ET.SubElement(body, "DSHHDVu")
    for line in invoice.content.lines:
        _item(items, line)
    _totals(body, invoice)
    ET.indent(root)
    written: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return written


def money(value: Decimal | int) -> str:
    """An amount as Vietnamese invoices print it: dots between thousands, a comma before decimals (``1.200.000``).

    A negative amount (a decrease on an adjusting invoice, Y8) keeps its sign: ``-600.000``.
    """
    whole, _, fraction = plain(value).partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{grouped},{fraction}" if fraction else grouped


def _maybe(value: Decimal | int | None) -> str:
    return "" if value is None else money(value)


def _date(day: dt.date) -> str:
    return f"Ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def _row(cells: list[str], *, tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{cell}</{tag}>" for cell in cells) + "</tr>"


def _party_html(title: str, rows: list[tuple[str, str | None]]) -> str:
    shown = "".join(f"<p>{label}: <b>{html.escape(value)}</b></p>" for label, value in rows if value)
    return f'<section class="party"><h2>{title}</h2>{shown}</section>'


def _parties_html(invoice: EInvoice) -> str:
    seller, buyer = invoice.content.seller, invoice.content.buyer
    seller_rows = [
        ("Đơn vị bán hàng", seller.name),
        ("Mã số thuế", seller.tax_code.value),
        ("Địa chỉ", seller.address),
        ("Điện thoại", seller.phone),
        ("Email", seller.email),
        ("Số tài khoản", seller.bank_account),
        ("Ngân hàng", seller.bank_name),
    ]
    individual = buyer.tax_code is None  # named by full name (HVTNMHang, I4)
    buyer_rows = [
        ("Họ tên người mua hàng" if individual else "Tên đơn vị", buyer.unit_name),
        ("Mã số thuế", buyer.tax_code.value if buyer.tax_code is not None else None),
        ("Địa chỉ", buyer.address),
        ("Email", buyer.email),
        ("Hình thức thanh toán", invoice.content.payment_method),
    ]
    return _party_html("Người bán", seller_rows) + _party_html("Người mua", buyer_rows)


def _lines_html(invoice: EInvoice) -> str:
    head = ["STT", "Tên hàng hóa, dịch vụ", "Đơn vị tính", "Số lượng", "Đơn giá", "Tỷ lệ CK (%)", "Tiền chiết khấu"]
    head += ["Thành tiền chưa có thuế GTGT", "Thuế suất"]
    rows = [_row(head, tag="th")]
    for line in invoice.content.lines:
        cells = [str(line.position), html.escape(line.description), html.escape(line.unit or ""), _maybe(line.quantity)]
        cells += [_maybe(line.unit_price), money(line.discount_rate), money(line.discount), money(line.amount)]
        rows.append(_row([*cells, line.rate_label]))
    return '<table class="lines">' + "".join(rows) + "</table>"


def _totals_html(invoice: EInvoice) -> str:
    content = invoice.content
    rows = [_row(["Thuế suất", "Thành tiền chưa có thuế GTGT", "Tiền thuế GTGT"], tag="th")]
    rows += [_row([t.rate_label, money(t.taxable), money(t.vat)]) for t in content.vat_totals]
    sums = [
        ("Cộng tiền hàng", content.pretax_total),
        ("Tổng tiền chiết khấu", content.discount_total),
        ("Tiền thuế GTGT", content.vat_total),
        ("Tổng tiền thanh toán", content.grand_total),
    ]
    rows += [_row([label, "", money(amount)]) for label, amount in sums]
    words = f'<p class="words">Số tiền viết bằng chữ: <b>{html.escape(content.words)}</b></p>'
    return '<table class="totals">' + "".join(rows) + "</table>" + words


def _related_html(invoice: EInvoice) -> str:
    related = invoice.related
    if related is None:
        return ""
    verb = "Thay thế" if related.nature is InvoiceNature.REPLACEMENT else "Điều chỉnh"
    text = (
        f"{verb} cho hóa đơn mẫu số {related.form} ký hiệu {related.symbol} số {related.number}"
        f" {_date(related.issued_on).lower()}"
    )
    note = f" ({related.note})" if related.note else ""
    return f'<p class="related">{html.escape(text + note)}</p>'


def to_html(invoice: EInvoice) -> str:
    """The invoice as a readable HTML page in Vietnamese, every text escaped.

    Raises:
        ValidationError: ``invoice`` is not an :class:`EInvoice`.
    """
    if not isinstance(invoice, EInvoice):
        raise ValidationError("must be an EInvoice", rule="I1", field="invoice")
    title = f"{INVOICE_TITLE} {invoice.series.code} số {invoice.number_text}"
    header = (
        f"<header><h1>{INVOICE_TITLE}</h1><p>{_date(invoice.issued_on)}</p>"
        f"<p>Ký hiệu: <b>{html.escape(invoice.series.symbol)}</b> (mẫu số {html.escape(invoice.series.form)})</p>"
        f"<p>Số: <b>{invoice.number_text}</b></p></header>"
    )
    body = header + _related_html(invoice) + _parties_html(invoice) + _lines_html(invoice) + _totals_html(invoice)
    return (
        '<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>\n"
    )
