"""The XML of Quyết định 1450/QĐ-TCT (I1): parsed back, every field is the request's, VAT per rate included.

The property runs on invoices priced by the real pricing engine from random catalogs (every VAT kind,
promotions, quantities, cycles, prorated storage), so that the XML is checked against what the core asks.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscription_core import testing
from subscription_core.errors import ValidationError
from subscription_core.invoices import InvoiceRequest
from subscription_core.tax import VatKind
from subscription_core_adapters.einvoice import EInvoice, amount_in_words, to_xml
from subscription_core_adapters.einvoice.document import MAX_AMOUNT
from subscription_core_adapters.einvoice.line_names import invoice_line_name

from .builders import SELLER, SELLER_TAX_CODE, SERIES, buyer, mixed_request, request_from, simple_request

DAY = dt.date(2026, 11, 23)
NUMBER = re.compile(r"^\d{1,15}(\.\d{1,4})?$")
LABELS = {"KCT", "KKKNT", "0%", "5%", "8%", "10%"}


def parse(document: bytes) -> ET.Element:
    return ET.fromstring(document)  # noqa: S314 - our own output, parsed back


def build(request: InvoiceRequest, number: int = 1) -> EInvoice:
    return EInvoice.build(request, seller=SELLER, series=SERIES, number=number, issued_on=DAY)


def text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    assert found is not None, path
    return found.text or ""


def amount(element: ET.Element, path: str) -> Decimal:
    value = text(element, path)
    assert NUMBER.match(value), (path, value)
    return Decimal(value)


def label(rate: object) -> str:
    return str(rate)  # VatRate's own label: "KCT", "KKKNT", "10%"


def check_matches(request: InvoiceRequest, document: bytes) -> None:
    """Every amount of the XML is the request's: lines, VAT per rate, totals, words."""
    data = parse(document).find("DLHDon")
    assert data is not None
    items = data.findall("NDHDon/DSHHDVu/HHDVu")
    assert len(items) == len(request.lines)
    for position, (item, line) in enumerate(zip(items, request.lines, strict=True), start=1):
        assert text(item, "TChat") == "1"
        assert int(text(item, "STT")) == position
        assert text(item, "MHHDVu") == line.code
        assert text(item, "THHDVu") == invoice_line_name(line)
        assert int(text(item, "SLuong")) == line.quantity
        assert amount(item, "ThTien") == line.taxable.amount
        assert amount(item, "STCKhau") + amount(item, "ThTien") == line.base.amount
        # the unit price is exact, or rounded to the format's 4 decimals when a prorated amount does not divide
        assert abs(amount(item, "DGia") * line.quantity - line.base.amount) <= Decimal("0.00005") * line.quantity
        assert text(item, "TSuat") == label(line.vat_rate)
    rates = data.findall("NDHDon/TToan/THTTLTSuat/LTSuat")
    read = [(text(r, "TSuat"), amount(r, "ThTien"), amount(r, "TThue")) for r in rates]
    assert read == [(label(t.rate), t.taxable.amount, t.vat.amount) for t in request.vat_totals]
    totals = data.find("NDHDon/TToan")
    assert totals is not None
    assert amount(totals, "TgTCThue") == request.pretax_total.amount
    assert amount(totals, "TgTThue") == request.vat_total.amount
    assert amount(totals, "TgTTTBSo") == request.grand_total.amount
    assert amount(totals, "TTCKTMai") == sum(line.base.amount - line.taxable.amount for line in request.lines)
    assert text(totals, "TgTTTBChu") == amount_in_words(request.grand_total.amount)


def test_i1_the_general_information_follows_the_format() -> None:
    root = parse(to_xml(build(mixed_request(), number=42)))
    assert root.tag == "HDon"
    general = root.find("DLHDon/TTChung")
    assert general is not None
    assert [child.tag for child in general] == [
        "PBan", "THDon", "KHMSHDon", "KHHDon", "SHDon", "NLap", "HDCTTChinh", "DVTTe", "TGia", "HTTToan", "MSTTCGP",
    ]  # fmt: skip
    assert {child.tag: child.text for child in general} == {
        "PBan": "2.1.0",
        "HDCTTChinh": "0",
        "THDon": "HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
        "KHMSHDon": "1",
        "KHHDon": "C26TAA",
        "SHDon": "42",
        "NLap": "2026-11-23",
        "DVTTe": "VND",
        "TGia": "1",
        "HTTToan": "TM/CK",
        "MSTTCGP": SELLER_TAX_CODE,
    }
    assert [child.tag for child in root.find("DLHDon") or []] == ["TTChung", "NDHDon"]
    assert [child.tag for child in root.find("DLHDon/NDHDon") or []] == ["NBan", "NMua", "DSHHDVu", "TToan"]


def test_i1_the_seller_and_the_buyer_are_named_in_full() -> None:
    request = mixed_request()
    root = parse(to_xml(build(request)))
    seller = {child.tag: child.text for child in root.find("DLHDon/NDHDon/NBan") or []}
    assert seller == {
        "Ten": SELLER.name,
        "MST": SELLER_TAX_CODE,
        "DChi": SELLER.address,
        "SDThoai": SELLER.phone,
        "DCTDTu": SELLER.email,
        "STKNHang": SELLER.bank_account,
        "TNHang": SELLER.bank_name,
    }
    buyer_fields = {child.tag: child.text for child in root.find("DLHDon/NDHDon/NMua") or []}
    party = request.buyer
    assert party.tax_code is not None
    assert buyer_fields == {
        "Ten": party.unit_name,
        "MST": party.tax_code.value,
        "DChi": party.address,
        "DCTDTu": party.email,
    }


def test_i1_a_buyer_without_a_tax_code_has_no_mst_element() -> None:
    root = parse(to_xml(build(simple_request(party=buyer("Nguyễn Văn An", code=None)))))
    assert root.find("DLHDon/NDHDon/NMua/MST") is None
    assert text(root, "DLHDon/NDHDon/NMua/Ten") == "Nguyễn Văn An"


def test_i1_every_vat_kind_is_written_with_its_label_kct_and_kkknt_included() -> None:
    request = mixed_request()
    document = to_xml(build(request))
    check_matches(request, document)
    root = parse(document)
    assert [text(r, "TSuat") for r in root.iterfind("DLHDon/NDHDon/TToan/THTTLTSuat/LTSuat")] == [
        "KCT", "KKKNT", "0%", "5%", "8%", "10%",
    ]  # fmt: skip
    kinds = {line.vat_rate.kind for line in request.lines}
    assert kinds == {VatKind.NOT_SUBJECT, VatKind.NOT_DECLARED, VatKind.RATE}


def test_i1_the_line_items_follow_the_format() -> None:
    root = parse(to_xml(build(mixed_request())))
    item = root.find("DLHDon/NDHDon/DSHHDVu/HHDVu")
    assert item is not None
    assert [child.tag for child in item] == [
        "TChat", "STT", "MHHDVu", "THHDVu", "DVTinh", "SLuong", "DGia", "TLCKhau", "STCKhau", "ThTien", "TSuat",
    ]  # fmt: skip
    assert {child.tag: child.text for child in item} | {"THHDVu": ""} == {
        "TChat": "1",
        "STT": "1",
        "MHHDVu": "STD",
        "THHDVu": "",
        "DVTinh": "Gói",
        "SLuong": "1",
        "DGia": "6000000",
        "TLCKhau": "10",
        "STCKhau": "600000",
        "ThTien": "5400000",
        "TSuat": "KCT",
    }


def test_i1_the_document_is_utf8_with_its_declaration_and_text_escaped() -> None:
    document = to_xml(build(mixed_request()))
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "Hòa Bình".encode() in document
    assert b"&lt;tr\xe1\xbb\xb1c tuy\xe1\xba\xbfn&gt; &amp; h\xe1\xbb\x97 tr\xe1\xbb\xa3" in document
    assert b"E+" not in document


def test_i1_to_xml_takes_only_an_invoice() -> None:
    with pytest.raises(ValidationError):
        to_xml(mixed_request())  # type: ignore[arg-type]


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(testing.quote_inputs(), st.integers(1, 99_999_999))
def test_i1_any_priced_order_is_written_as_the_request_asks(inputs: testing.QuoteInputs, number: int) -> None:
    priced = inputs.quote()
    request = request_from(priced)
    if request.grand_total.amount > MAX_AMOUNT:  # pragma: no cover - the strategies price far below 10¹⁵
        return
    document = to_xml(build(request, number))
    check_matches(request, document)
    assert text(parse(document), "DLHDon/TTChung/SHDon") == str(number)
    for element in parse(document).iter():
        if element.tag in ("DGia", "ThTien", "STCKhau", "TLCKhau", "TThue", "TgTCThue", "TgTThue", "TgTTTBSo"):
            assert NUMBER.match(element.text or ""), (element.tag, element.text)
        if element.tag == "TSuat":
            assert element.text in LABELS
