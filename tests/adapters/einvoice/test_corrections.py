"""Adjusting and replacement invoices as documents (Y8): golden files, the XSDs, and what the XML says.

Sources: Decree 123/2020/NĐ-CP art. 19 (2) as amended by Decree 70/2025/NĐ-CP art. 1 (13) (a new invoice naming
the one corrected; "điều chỉnh tăng (ghi dấu dương), điều chỉnh giảm (ghi dấu âm)"); ``TTHDLQuan`` of the
format (``TCHDon`` 1 replaces, 2 adjusts). The golden documents were written once by the adapter and checked
by hand (signs, totals, the related block, the words); ``EINVOICE_WRITE_GOLDEN=1`` writes them again.
"""

from __future__ import annotations

import datetime as dt
import os
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subscription_core.errors import ConflictError, NotFoundError, ValidationError
from subscription_core.invoice_corrections import (
    AdjustmentLine,
    CorrectedInvoice,
    InvoiceAdjustment,
    InvoiceReplacement,
)
from subscription_core.money import Money
from subscription_core.tax import VatRate
from subscription_core_adapters.einvoice import FormatVersion, MemoryNumberedInvoices, ReferenceInvoiceIssuer
from subscription_core_adapters.einvoice.words import difference_in_words
from subscription_core_adapters.local import ManualClock

from .builders import SELLER, SERIES, T0, buyer, mixed_request, simple_request, tax_code
from .schemas import golden_path, problems

LATER = T0 + dt.timedelta(days=3)


def vnd(amount: int) -> Money:
    return Money.of(amount, "VND")


def issuer(version: FormatVersion = FormatVersion.V2_1_0) -> tuple[ReferenceInvoiceIssuer, ManualClock]:
    clock = ManualClock(T0)
    return ReferenceInvoiceIssuer(SELLER, SERIES, MemoryNumberedInvoices(), clock, format_version=version), clock


def change(original: CorrectedInvoice, key: str, *lines: AdjustmentLine) -> InvoiceAdjustment:
    return InvoiceAdjustment(
        key=key,
        original=original,
        buyer=buyer(),
        lines=lines,
        reason="Hoàn tiền đào tạo chưa sử dụng",
        requested_at=LATER,
    )


def training(taxable: int, vat: int) -> AdjustmentLine:
    """A change of the training line (10% VAT) of :func:`mixed_request`."""
    return AdjustmentLine(
        code="TRAIN",
        description="Đào tạo <trực tuyến> & hỗ trợ",
        vat_rate=VatRate.parse("10%"),
        taxable=vnd(taxable),
        vat=vnd(vat),
    )


def setup(taxable: int, vat: int) -> AdjustmentLine:
    """A change of the set-up line (8% VAT) of :func:`mixed_request`."""
    return AdjustmentLine(
        code="SETUP", description="Cài đặt", vat_rate=VatRate.parse("8%"), taxable=vnd(taxable), vat=vnd(vat)
    )


def documents(version: FormatVersion) -> dict[str, bytes]:
    """The original, then a decrease, an increase and (of another invoice) a replacement, three days later."""
    corrector, clock = issuer(version)
    original = corrector.issue(mixed_request("ord-1"))
    other = corrector.issue(simple_request("ord-2"))
    clock.set(LATER)
    corrector.adjust(change(original, "decrease", training(-900_000, -90_000)))
    corrector.adjust(change(original, "increase", setup(100_000, 8_000)))
    fixed = simple_request("ord-2", party=buyer(code=tax_code(78)))
    corrector.replace(InvoiceReplacement(key="replacement", original=other, request=fixed, reason="Sai mã số thuế"))
    return {
        "adjustment-decrease": corrector.correction_document("decrease")[0],
        "adjustment-increase": corrector.correction_document("increase")[0],
        "replacement": corrector.correction_document("replacement")[0],
    }


def parse(document: bytes) -> ET.Element:
    return ET.fromstring(document)  # noqa: S314 - our own output, parsed back


def texts(document: bytes, path: str) -> dict[str, str | None]:
    found = parse(document).find(path)
    assert found is not None, path
    return {child.tag: child.text for child in found}


@pytest.mark.parametrize("version", list(FormatVersion), ids=lambda v: v.value)
@pytest.mark.parametrize("case", ["adjustment-decrease", "adjustment-increase", "replacement"])
def test_y8_each_correction_is_its_golden_file_and_valid_against_the_xsd(case: str, version: FormatVersion) -> None:
    document = documents(version)[case]
    path = golden_path(case, version)
    if os.environ.get("EINVOICE_WRITE_GOLDEN") == "1":  # pragma: no cover - run by hand after a reviewed change
        path.write_bytes(document)
    assert document == path.read_bytes()
    assert problems(document, version) == []


def test_y8_a_decrease_is_written_negative_and_names_the_original() -> None:
    decrease = documents(FormatVersion.V2_1_0)["adjustment-decrease"]
    general = texts(decrease, "DLHDon/TTChung")
    assert (general["SHDon"], general["NLap"]) == ("3", "2026-11-26")  # a number of its own, in the same series
    assert texts(decrease, "DLHDon/TTChung/TTHDLQuan") == {
        "TCHDon": "2",  # adjusts
        "LHDCLQuan": "1",
        "KHMSHDCLQuan": "1",
        "KHHDCLQuan": "C26TAA",
        "SHDCLQuan": "00000001",
        "NLHDCLQuan": "2026-11-23",
        "GChu": "Hoàn tiền đào tạo chưa sử dụng",
    }
    assert texts(decrease, "DLHDon/NDHDon/DSHHDVu/HHDVu") == {
        "TChat": "1",
        "STT": "1",
        "MHHDVu": "TRAIN",
        "THHDVu": "Đào tạo <trực tuyến> & hỗ trợ",
        "TLCKhau": "0",
        "STCKhau": "0",
        "ThTien": "-900000",
        "TSuat": "10%",
    }
    totals = texts(decrease, "DLHDon/NDHDon/TToan")
    assert (totals["TgTCThue"], totals["TgTThue"], totals["TgTTTBSo"]) == ("-900000", "-90000", "-990000")
    assert totals["TgTTTBChu"] == "Âm chín trăm chín mươi nghìn đồng"


def test_y8_negative_amounts_are_refused_by_the_xsd_outside_an_adjustment() -> None:
    decrease = documents(FormatVersion.V2_1_0)["adjustment-decrease"]
    as_replacement = decrease.replace(b"<TCHDon>2</TCHDon>", b"<TCHDon>1</TCHDon>")
    assert problems(as_replacement, FormatVersion.V2_1_0)


def test_y8_a_replacement_is_whole_and_the_original_stays_as_issued() -> None:
    corrector, clock = issuer()
    original = corrector.issue(simple_request("ord-1"))
    before = corrector.document("ord-1")
    clock.set(LATER)
    fixed = simple_request("ord-1", party=buyer(code=tax_code(78)))
    replaced = corrector.replace(InvoiceReplacement(key="r", original=original, request=fixed, reason="Sai MST"))
    xml, html = corrector.correction_document("r")
    assert texts(xml, "DLHDon/TTChung/TTHDLQuan")["TCHDon"] == "1"
    assert texts(xml, "DLHDon/NDHDon/TToan")["TgTTTBSo"] == "6000000"
    assert texts(xml, "DLHDon/NDHDon/NMua")["MST"] == tax_code(78)
    assert "Thay thế cho hóa đơn mẫu số 1 ký hiệu C26TAA số 00000001 ngày 23 tháng 11 năm 2026" in html
    assert corrector.document("ord-1") == before  # never renumbered nor rewritten
    assert corrector.numbers() == [1, 2]
    assert (replaced.number, replaced.original_number) == ("00000002", "00000001")


def test_y8_a_refused_correction_takes_no_number() -> None:
    corrector, _ = issuer()
    original = corrector.issue(simple_request("ord-1"))  # 6,000,000, not subject to VAT
    kct = VatRate.parse("KCT")
    too_much = AdjustmentLine(code="STD", description="Gói", vat_rate=kct, taxable=vnd(-6_000_001), vat=vnd(0))
    with pytest.raises(ValidationError):
        corrector.adjust(change(original, "a", too_much))
    too_long = AdjustmentLine(code="S" * 60, description="Gói", vat_rate=kct, taxable=vnd(-1), vat=vnd(0))
    with pytest.raises(ValidationError) as caught:  # the format's MHHDVu takes 50 characters
        corrector.adjust(change(original, "b", too_long))
    assert caught.value.field == "lines[0].code"
    with pytest.raises(NotFoundError):
        corrector.correction_document("a")
    assert corrector.numbers() == [1]


def test_y8_a_key_is_one_correction() -> None:
    corrector, _ = issuer()
    original = corrector.issue(mixed_request("ord-1"))
    first = corrector.adjust(change(original, "k", training(-1_000, -100)))
    assert corrector.adjust(change(original, "k", training(-1_000, -100))) == first
    with pytest.raises(ConflictError):
        corrector.adjust(change(original, "k", training(-2_000, -200)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=-7_000_000, max_value=2_000_000).filter(bool), min_size=1, max_size=8))
def test_y8_the_invoice_and_its_adjustments_never_come_to_less_than_zero(changes: list[int]) -> None:
    corrector, _ = issuer()
    original = corrector.issue(simple_request("ord-1"))
    kct = VatRate.parse("KCT")
    net = original.grand_total
    for i, amount in enumerate(changes):
        line = AdjustmentLine(code="STD", description="Gói", vat_rate=kct, taxable=vnd(amount), vat=vnd(0))
        if net + vnd(amount) < vnd(0):
            with pytest.raises(ValidationError):
                corrector.adjust(change(original, f"k{i}", line))
        else:
            assert corrector.adjust(change(original, f"k{i}", line)).grand_total == vnd(amount)
            net += vnd(amount)
    stored = corrector.store.corrections_of("1C26TAA", 1)
    assert original.grand_total + sum((c.grand_total for c in stored), vnd(0)) == net >= vnd(0)
    assert corrector.numbers() == list(range(1, len(stored) + 2))  # gapless, refusals took no number


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (-990_000, "Âm chín trăm chín mươi nghìn đồng"),
        (-1, "Âm một đồng"),
        (Decimal(-1_005_000), "Âm một triệu không trăm linh năm nghìn đồng"),
        (108_000, "Một trăm linh tám nghìn đồng"),
        (0, "Không đồng"),
    ],
)
def test_y8_a_difference_reads_in_words_with_its_sign(amount: int | Decimal, words: str) -> None:
    assert difference_in_words(amount) == words


def test_y8_the_page_of_a_decrease_names_the_original_and_shows_the_sign() -> None:
    corrector, clock = issuer()
    original = corrector.issue(mixed_request("ord-1"))
    clock.set(LATER)
    corrector.adjust(change(original, "decrease", training(-900_000, -90_000)))
    _, page = corrector.correction_document("decrease")
    assert "Điều chỉnh cho hóa đơn mẫu số 1 ký hiệu C26TAA số 00000001 ngày 23 tháng 11 năm 2026" in page
    assert "<td>-900.000</td>" in page
    assert "Số tiền viết bằng chữ: <b>Âm chín trăm chín mươi nghìn đồng</b>" in page
    assert "Đào tạo &lt;trực tuyến&gt; &amp; hỗ trợ" in page
