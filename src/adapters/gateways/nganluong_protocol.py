"""NgânLượng's checkout API 3.1 on the wire: the fields, the password digest, the codes and the XML answers (Y1, Y5).

Every detail follows NgânLượng's published integration samples (``docs/adapters/nganluong.md`` cites each):
the class ``NL_CheckOutV3`` of its WooCommerce plugin POSTs ``function=SetExpressCheckout``, ``version=3.1``,
``merchant_id``, ``merchant_password`` = MD5 of the connection password (lower-case hex, PHP's ``md5``), the
order and the buyer to ``checkout.api.nganluong.post.php`` and reads an XML answer (``error_code``,
``token``, ``checkout_url``); ``GetTransactionDetail`` POSTs the token with the same credentials and answers
the transaction (``transaction_status``, ``order_code``, ``total_amount``, ``receiver_email``,
``transaction_id``, ...). The samples parse the answer after turning ``&`` into ``&amp;`` (NgânLượng writes
the checkout URL's ``&`` raw); :func:`read_answer` escapes only a ``&`` that starts no entity.

``order_code`` names the library's order and attempt (:func:`order_code_for`), in the letters-and-digits
form VNPay's TxnRef uses (one reversible escaping for both gateways).

Pure functions, no I/O: :mod:`subscription_core_adapters.gateways.nganluong` builds its provider on them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Final
from xml.etree import ElementTree as ET

from subscription_core.errors import ValidationError
from subscription_core.payments import MethodKind, PaymentMethod
from subscription_core.ports import PaymentRequest
from subscription_core_adapters.gateways.checks import whole_vnd_digits
from subscription_core_adapters.gateways.vnpay_protocol import read_txn_ref, txn_ref_for

__all__ = [
    "BANKS",
    "CANCELLED",
    "DETAIL_ANSWER_FIELDS",
    "ERROR_MESSAGES",
    "NAME",
    "NO_SUCH_TOKEN",
    "SANDBOX_API_URL",
    "UnreadableAnswerError",
    "amount_text",
    "described",
    "method_fields",
    "order_code_for",
    "password_digest",
    "read_amount",
    "read_answer",
    "read_order_code",
]

NAME: Final = "nganluong"
"""The provider's name: register it under this name in ``Services.providers`` and ``routes``."""
SANDBOX_API_URL: Final = "https://sandbox.nganluong.vn:8088/nl30/checkout.api.nganluong.post.php"
"""NgânLượng's sandbox checkout API (the samples' ``url_api``); production hosts configure the URL NgânLượng gives."""
VERSION: Final = "3.1"
CURRENCY: Final = "vnd"  # NL_CheckOutV3's cur_code; the adapter takes VND only
CANCELLED: Final = "115"
"""``GetTransactionDetail``'s ``error_code`` for a checkout the buyer cancelled (in :data:`ERROR_MESSAGES`)."""
NO_SUCH_TOKEN: Final = "29"  # noqa: S105 - NgânLượng's error code, not a secret
"""``GetTransactionDetail``'s ``error_code`` for a token NgânLượng does not know."""

ERROR_MESSAGES: Final[Mapping[str, str]] = {
    "00": "Thành công",
    "99": "Lỗi chưa xác minh",
    "06": "Mã merchant không tồn tại hoặc bị khóa",
    "02": "Địa chỉ IP truy cập bị từ chối",
    "03": "Mã checksum không chính xác, truy cập bị từ chối",
    "04": "Tên hàm API do merchant gọi tới không hợp lệ (không tồn tại)",
    "05": "Sai version của API",
    "07": "Sai mật khẩu của merchant",
    "08": "Địa chỉ email tài khoản nhận tiền không tồn tại",
    "09": "Tài khoản nhận tiền đang bị phong tỏa giao dịch",
    "10": "Mã đơn hàng không hợp lệ",
    "11": "Số tiền giao dịch lớn hơn hoặc nhỏ hơn quy định",
    "12": "Loại tiền tệ không hợp lệ",
    "29": "Token không tồn tại",
    "80": "Không thêm được đơn hàng",
    "81": "Đơn hàng chưa được thanh toán",
    "110": "Địa chỉ email tài khoản nhận tiền không phải email chính",
    "111": "Tài khoản nhận tiền đang bị khóa",
    "113": "Tài khoản nhận tiền chưa cấu hình là người bán nội dung số",
    "114": "Giao dịch đang thực hiện, chưa kết thúc",
    "115": "Giao dịch bị hủy",
    "118": "tax_amount không hợp lệ",
    "119": "discount_amount không hợp lệ",
    "120": "fee_shipping không hợp lệ",
    "121": "return_url không hợp lệ",
    "122": "cancel_url không hợp lệ",
    "123": "items không hợp lệ",
    "124": "transaction_info không hợp lệ",
    "125": "quantity không hợp lệ",
    "126": "order_description không hợp lệ",
    "127": "affiliate_code không hợp lệ",
    "128": "time_limit không hợp lệ",
    "129": "buyer_fullname không hợp lệ",
    "130": "buyer_email không hợp lệ",
    "131": "buyer_mobile không hợp lệ",
    "132": "buyer_address không hợp lệ",
    "133": "total_item không hợp lệ",
    "134": "payment_method, bank_code không hợp lệ",
    "135": "Lỗi kết nối tới hệ thống ngân hàng",
    "140": "Đơn hàng không hỗ trợ thanh toán trả góp",
}
"""NgânLượng's ``error_code`` table, as ``NL_CheckOutV3::GetErrorMessage`` gives it (Vietnamese, as published)."""

BANKS: Final = frozenset(
    {
        "ACB", "AGB", "BAB", "BIDV", "DAB", "EXB", "GPB", "HDB", "ICB", "MB", "MSB", "NAB",
        "NVB", "OJB", "PGB", "SCB", "SGB", "SHB", "TCB", "TPB", "VAB", "VCB", "VIB", "VPB",
    }
)  # fmt: skip
"""The banks ``NL_CheckOutV3::GetStringBankCode`` names for ``ATM_ONLINE`` (VietinBank is ``ICB``, Agribank ``AGB``)."""

DETAIL_ANSWER_FIELDS: Final = (
    "error_code",
    "token",
    "description",
    "transaction_status",
    "receiver_email",
    "order_code",
    "total_amount",
    "payment_method",
    "bank_code",
    "payment_type",
    "order_description",
    "tax_amount",
    "discount_amount",
    "fee_shipping",
    "return_url",
    "cancel_url",
    "buyer_fullname",
    "buyer_email",
    "buyer_mobile",
    "buyer_address",
    "affiliate_code",
    "transaction_id",
)
"""The fields of a ``GetTransactionDetail`` answer, as the samples read them; the adapter keeps these only."""

_WALLETS: Final = frozenset({"NGANLUONG", "NL"})
_MAX_ANSWER: Final = 64 * 1024
_LONE_AMPERSAND: Final = re.compile(r"&(?!(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});)")
_AMOUNT: Final = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,4})?")
_MAX_AMOUNT_DIGITS: Final = 15


class UnreadableAnswerError(Exception):
    """NgânLượng's answer cannot be read (not XML, too large, a declaration); internal, turned into a library error."""


def described(code: str) -> str:
    """``error <code> (<NgânLượng's message>)``, or ``error <code> (not in NgânLượng's table)``; never raises."""
    return f"error {code} ({ERROR_MESSAGES.get(code, 'not in NgânLượng table')})"


def password_digest(password: str) -> str:
    """``merchant_password`` as the samples send it: PHP ``MD5($password)``, lower-case hex of the UTF-8 bytes."""
    return hashlib.md5(password.encode("utf-8"), usedforsecurity=False).hexdigest()


def order_code_for(order_id: str, payment_id: str) -> str:
    """The ``order_code`` of an attempt to pay an order: both ids, escaped to letters and digits.

    Raises:
        ValidationError: (Y1) an empty id, or ids longer than 100 characters once escaped.
    """
    try:
        return txn_ref_for(order_id, payment_id)
    except ValidationError as refused:
        if refused.field == "order_id" and not refused.has_value:  # VNPay's wording of the length limit
            raise ValidationError(
                "the ids make an order_code over 100 characters", rule="Y1", field="order_id"
            ) from None
        raise


def read_order_code(code: str) -> tuple[str, str] | None:
    """The order's and the attempt's ids in an ``order_code`` made by :func:`order_code_for`, or ``None``."""
    try:
        return read_txn_ref(code)
    except ValidationError:
        return None


def amount_text(request: PaymentRequest) -> str:
    """``total_amount``: the whole VND amount, digits only (Y1).

    Raises:
        ValidationError: (Y1) a currency other than VND; an amount that is not a whole number of VND above 0
            or has more than 15 digits.
    """
    return whole_vnd_digits(request, provider="NgânLượng", max_digits=_MAX_AMOUNT_DIGITS)


def read_amount(text: str) -> Decimal:
    """VND from an answer's ``total_amount`` (``150000``, or ``150000.00`` as some answers write it) (Y5).

    Raises:
        ValidationError: (Y5, field ``total_amount``) anything but a non-negative decimal number.
    """
    if not _AMOUNT.fullmatch(text):
        raise ValidationError("must be a decimal amount of VND", rule="Y5", field="total_amount", value=text[:40])
    amount = Decimal(text)
    return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount


def method_fields(method: PaymentMethod, banks: frozenset[str]) -> dict[str, str]:
    """``payment_method`` and ``bank_code`` for a method (Y1): ``ATM_ONLINE`` + a bank, ``VISA``, or ``NL``.

    An international card is ``VISA`` with no bank code (the library's method carries no card brand;
    NgânLượng's page takes Visa, MasterCard and JCB); the NgânLượng wallet is ``NL``.

    Raises:
        ValidationError: (Y1) a bank not in ``banks``; a wallet other than NgânLượng's; another method kind.
    """
    if method.kind is MethodKind.DOMESTIC_CARD:
        if method.bank not in banks:
            raise ValidationError(
                "is not a bank NgânLượng takes for ATM_ONLINE", rule="Y1", field="bank", value=method.bank
            )
        return {"payment_method": "ATM_ONLINE", "bank_code": str(method.bank)}
    if method.kind is MethodKind.INTERNATIONAL_CARD:
        return {"payment_method": "VISA", "bank_code": ""}
    if method.kind is MethodKind.E_WALLET and method.wallet in _WALLETS:
        return {"payment_method": "NL", "bank_code": ""}
    shown = method.wallet if method.kind is MethodKind.E_WALLET else method.kind.value
    raise ValidationError("nganluong does not take this method", rule="Y1", field="method", value=shown)


def read_answer(raw: bytes, names: tuple[str, ...]) -> dict[str, str]:
    """The text of each child element named in ``names`` of NgânLượng's XML answer (missing ones left out).

    Raises:
        UnreadableAnswerError: larger than any answer NgânLượng sends, a DTD or entity declaration (refused
            before parsing, so no entity is ever expanded), not UTF-8, not XML.
    """
    if len(raw) > _MAX_ANSWER:
        raise UnreadableAnswerError("the answer is larger than any NgânLượng sends")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableAnswerError("the answer is not UTF-8") from None
    if "<!" in text:
        raise UnreadableAnswerError("the answer holds a declaration, which NgânLượng's answers never do")
    try:
        root = ET.fromstring(_LONE_AMPERSAND.sub("&amp;", text))  # noqa: S314 - no DTD, size-bounded
    except ET.ParseError:
        raise UnreadableAnswerError("the answer is not XML") from None
    fields: dict[str, str] = {}
    for child in root:
        if child.tag in names and child.tag not in fields and len(child) == 0:
            fields[child.tag] = (child.text or "").strip()
    return fields
