"""VNPay's two callbacks: the IPN, which pays an order, and the return page, which only shows (Y2, Y5).

:func:`answer_ipn` runs the core's ``handle_notification`` and answers VNPay in its own codes: checksum
(97), recorded (00: applied, or kept as unapplied money, Y6), a repeat (02), anything else (99).
The return page's reading is a :class:`VnpayReturn`, made by ``VnpayProvider.read_return``.
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

import attrs

from subscription_core.errors import InvalidTransitionError, NotFoundError, SubscriptionError, ValidationError
from subscription_core.services import NotificationStatus, Services, handle_notification
from subscription_core_adapters.gateways.vnpay_protocol import NAME

__all__ = [
    "RESPONSE_MESSAGES",
    "IpnAnswer",
    "IpnCode",
    "ReturnOutcome",
    "VnpayReturn",
    "answer_ipn",
]

# The gateway's one logger, whichever of its modules writes: hosts configure
# "subscription_core_adapters.gateways.vnpay".
_log = logging.getLogger("subscription_core_adapters.gateways.vnpay")

RESPONSE_MESSAGES: Final[Mapping[str, str]] = {
    "00": "Giao dịch thành công",
    "07": "Trừ tiền thành công; giao dịch bị nghi ngờ (liên quan tới lừa đảo, giao dịch bất thường)",
    "09": "Thẻ/Tài khoản chưa đăng ký dịch vụ InternetBanking tại ngân hàng",
    "10": "Xác thực thông tin thẻ/tài khoản không đúng quá 3 lần",
    "11": "Đã hết hạn chờ thanh toán",
    "12": "Thẻ/Tài khoản bị khóa",
    "13": "Nhập sai mật khẩu xác thực giao dịch (OTP)",
    "24": "Khách hàng hủy giao dịch",
    "51": "Tài khoản không đủ số dư",
    "65": "Tài khoản đã vượt quá hạn mức giao dịch trong ngày",
    "75": "Ngân hàng thanh toán đang bảo trì",
    "79": "Nhập sai mật khẩu thanh toán quá số lần quy định",
    "99": "Lỗi khác",
}
"""VNPay's ``vnp_ResponseCode`` table, for the return page."""


class ReturnOutcome(enum.Enum):
    """What the return page tells the buyer."""

    SUCCEEDED = "succeeded"  # VNPay reports the payment done; the order is paid when its IPN is handled
    FAILED = "failed"  # declined, cancelled or not completed: the buyer may try again
    INVALID = "invalid"  # the checksum does not verify: show nothing from the query


@attrs.frozen(kw_only=True)
class VnpayReturn:
    """The return page's reading of VNPay's redirect: nothing in it has changed any order."""

    outcome: ReturnOutcome
    order_id: str | None = None
    amount: Decimal | None = None
    response_code: str = ""
    message: str = ""


class IpnCode(enum.Enum):
    """VNPay's IPN answer codes (``RspCode``). VNPay calls again, up to 10 times, unless answered 00 or 02."""

    CONFIRMED = "00"
    ORDER_NOT_FOUND = "01"
    ALREADY_CONFIRMED = "02"
    INVALID_AMOUNT = "04"
    INVALID_SIGNATURE = "97"
    OTHER_ERROR = "99"


_MESSAGES: Final = {
    IpnCode.CONFIRMED: "Confirm Success",
    IpnCode.ORDER_NOT_FOUND: "Order not found",
    IpnCode.ALREADY_CONFIRMED: "Order already confirmed",
    IpnCode.INVALID_AMOUNT: "Invalid amount",
    IpnCode.INVALID_SIGNATURE: "Invalid signature",
    IpnCode.OTHER_ERROR: "Unknown error",
}


@attrs.frozen(kw_only=True)
class IpnAnswer:
    """The answer to one IPN call: :attr:`rsp_code` and :attr:`message`, sent as JSON (:meth:`as_json`)."""

    code: IpnCode
    order_id: str | None = None

    @property
    def rsp_code(self) -> str:
        """VNPay's ``RspCode``."""
        return self.code.value

    @property
    def message(self) -> str:
        """VNPay's ``Message``."""
        return _MESSAGES[self.code]

    def as_json(self) -> str:
        """The response body VNPay reads: ``{"RspCode": "00", "Message": "Confirm Success"}``."""
        return json.dumps({"RspCode": self.rsp_code, "Message": self.message})


def answer_ipn(services: Services, query: Mapping[str, str], *, provider: str = NAME) -> IpnAnswer:
    """Handle VNPay's IPN ``query`` through the core (Y2, Y5) and answer in VNPay's codes and check order.

    97 a missing or bad checksum; 00 a new success, once the money is recorded: applied (the order is
    paid) or, when the order cannot take it (cancelled, lapsed, already paid, another amount, an unknown
    order, a purged subscription), kept as unapplied money for staff (Y6); 00 a new failure too
    (received; the order still awaits payment); 02 a repeat; 01 a failure for an unknown order; 99
    anything else, nothing recorded, which VNPay retries. VNPay stops calling once answered 00 or 02, so
    neither is sent before the money is safely recorded. A repeat is always safe: the core records an
    event once. Never raises: a host returns the answer's JSON with HTTP 200.
    """
    try:
        result = handle_notification(services, provider, query)
    except SubscriptionError as error:
        return _refusal(error, query)
    except Exception:  # noqa: BLE001 - VNPay must get an answer; 99 makes it call again later
        _log.exception("vnpay IPN failed unexpectedly")
        return IpnAnswer(code=IpnCode.OTHER_ERROR)
    new = result.status in {NotificationStatus.APPLIED, NotificationStatus.UNAPPLIED, NotificationStatus.FAILED}
    code = IpnCode.CONFIRMED if new else IpnCode.ALREADY_CONFIRMED
    level = logging.WARNING if result.status is NotificationStatus.UNAPPLIED else logging.INFO
    _log.log(level, "vnpay IPN for order %s: %s, answered %s", result.order_id, result.status.value, code.value)
    return IpnAnswer(code=code, order_id=result.order_id)


def _refusal(error: SubscriptionError, query: Mapping[str, str]) -> IpnAnswer:
    """The code of a refused IPN, in VNPay's check order (the core checks in the same order)."""
    code = IpnCode.OTHER_ERROR
    if isinstance(error, ValidationError):
        by_field = {
            "signature": IpnCode.INVALID_SIGNATURE,
            "vnp_TxnRef": IpnCode.ORDER_NOT_FOUND,
            "amount": IpnCode.INVALID_AMOUNT,
            "currency": IpnCode.INVALID_AMOUNT,
        }
        code = by_field.get(error.field, IpnCode.OTHER_ERROR)
    elif isinstance(error, NotFoundError) and error.field != "provider":
        code = IpnCode.ORDER_NOT_FOUND
    elif isinstance(error, InvalidTransitionError):
        code = IpnCode.ALREADY_CONFIRMED
        ref = query.get("vnp_TxnRef") if isinstance(query, Mapping) else None
        _log.warning("vnpay reports a payment (TxnRef %s) for an order not awaiting payment: %s", ref, error)
    level = logging.INFO if code is IpnCode.ALREADY_CONFIRMED else logging.WARNING
    _log.log(level, "vnpay IPN refused with %s: %s", code.value, error)
    return IpnAnswer(code=code)
