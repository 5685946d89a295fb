"""The reference host's two HTML pages: VNPay's return page and the VietQR transfer page.

Every value written into a page is HTML-escaped; the QR code is the SVG that
``subscription_core_adapters.banking.qr_svg`` draws from a payload whose CRC it checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from subscription_core_adapters.gateways import ReturnOutcome, VnpayReturn

__all__ = ["return_page", "transfer_page"]

_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>
{body}
</body></html>
"""


def _grouped(amount: str) -> str:
    """Whole đồng grouped by dots, as Vietnamese banking apps show them: ``12.000.000``."""
    return f"{int(amount):,}".replace(",", ".") if amount.isdigit() else amount


def return_page(shown: VnpayReturn) -> str:
    """What the buyer reads back from VNPay: never a payment (only the IPN pays), only what VNPay says."""
    if shown.outcome is ReturnOutcome.INVALID:
        text = "Chữ ký không hợp lệ: không thể đọc kết quả thanh toán."
    elif shown.outcome is ReturnOutcome.SUCCEEDED:
        text = f"Đơn hàng {shown.order_id}: thanh toán thành công, đang xác nhận."
    else:
        text = f"Đơn hàng {shown.order_id}: {shown.message} (mã {shown.response_code})."
    return _PAGE.format(title="Kết quả thanh toán VNPay", body=f"<p>{escape(text)}</p>")


def transfer_page(order_id: str, instructions: Mapping[str, str], svg: str) -> str:
    """The bank-transfer instructions of an order, with the VietQR code any Vietnamese banking app reads (Y3)."""
    rows = (
        ("Ngân hàng", f"{instructions['bank']} ({instructions['bank_name']})"),
        ("Số tài khoản", instructions["account"]),
        ("Chủ tài khoản", instructions["account_name"]),
        ("Số tiền", f"{_grouped(instructions['amount'])} {instructions['currency']}"),
        ("Nội dung chuyển khoản", instructions["transfer_content"]),
    )
    table = "\n".join(f"<tr><th>{escape(name)}</th><td>{escape(value)}</td></tr>" for name, value in rows)
    svg_element = svg[svg.index("<svg") :]  # inline: without the XML declaration
    body = (
        f"<p>Đơn hàng {escape(order_id)}: quét mã VietQR bằng ứng dụng ngân hàng, hoặc chuyển khoản"
        " với đúng số tiền và nội dung dưới đây.</p>\n"
        f'<figure class="vietqr">{svg_element}</figure>\n<table>\n{table}\n</table>'
    )
    return _PAGE.format(title="Chuyển khoản ngân hàng", body=body)
