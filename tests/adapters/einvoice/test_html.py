"""The readable HTML rendering (I1): Vietnamese labels, the same facts as the XML, every text escaped."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest

from subscription_core.errors import ValidationError
from subscription_core_adapters.einvoice import EInvoice, to_html
from subscription_core_adapters.einvoice.line_names import invoice_line_name
from subscription_core_adapters.einvoice.rendering import money

from .builders import SELLER, SELLER_TAX_CODE, SERIES, buyer, mixed_request, simple_request


class Text(HTMLParser):
    """The visible text of a page, and its tags."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def page(party_name: str = "Công ty TNHH Thương mại Hòa Bình") -> tuple[str, Text]:
    invoice = EInvoice.build(
        mixed_request(party=buyer(party_name)), seller=SELLER, series=SERIES, number=7, issued_on=dt.date(2026, 11, 23)
    )
    rendered = to_html(invoice)
    parsed = Text()
    parsed.feed(rendered)
    return rendered, parsed


def test_i1_the_page_names_the_invoice_parties_and_totals_in_vietnamese() -> None:
    rendered, parsed = page()
    shown = " ".join(parsed.parts)
    for label in (
        "HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
        "Ngày 23 tháng 11 năm 2026",
        "Ký hiệu: C26TAA",
        "Số: 00000007",
        "Đơn vị bán hàng: Công ty Cổ phần Phần mềm Sao Mai",
        f"Mã số thuế: {SELLER_TAX_CODE}",
        "Tên đơn vị: Công ty TNHH Thương mại Hòa Bình",
        "Hình thức thanh toán: TM/CK",
        "Cộng tiền hàng",
        "Tiền thuế GTGT",
        "Tổng tiền thanh toán",
        "Số tiền viết bằng chữ: Mười triệu ba trăm linh chín nghìn bốn trăm chín mươi chín đồng",
    ):
        assert label in " ".join(shown.split()), label
    assert "10.309.499" in shown
    assert rendered.startswith("<!DOCTYPE html>")
    assert '<html lang="vi">' in rendered


def test_i1_every_line_and_rate_is_on_the_page() -> None:
    _, parsed = page()
    shown = parsed.parts
    for line in mixed_request().lines:
        assert invoice_line_name(line) in shown, line.description
    assert "Đào tạo <trực tuyến> & hỗ trợ" in shown
    for rate in ("KCT", "KKKNT", "0%", "5%", "8%", "10%"):
        assert rate in shown
    assert "333.333" in shown  # the setup fee's unit price


def test_i1_text_is_escaped() -> None:
    rendered, parsed = page("Công ty <script>alert(1)</script> & Con")
    assert "<script>" not in rendered
    assert "script" not in parsed.tags
    assert "&lt;script&gt;" in rendered
    assert any("Công ty <script>alert(1)</script> & Con" in part for part in parsed.parts)


@pytest.mark.parametrize(("value", "shown"), [(0, "0"), (1_200_000, "1.200.000"), (333_333, "333.333")])
def test_i1_amounts_are_printed_the_vietnamese_way(value: int, shown: str) -> None:
    assert money(value) == shown


def test_i1_to_html_takes_only_an_invoice() -> None:
    with pytest.raises(ValidationError):
        to_html(simple_request())  # type: ignore[arg-type]
