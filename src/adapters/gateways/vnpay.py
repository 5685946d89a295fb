"""VNPay, a real online payment gateway: the signed payment URL, the IPN and the return page (Y1, Y2, Y5).

The protocol is VNPay's PAY API, version 2.1.0 (https://sandbox.vnpayment.vn/apis/docs/thanh-toan-pay/pay.html).
The buyer is redirected to a payment URL carrying ``vnp_*`` parameters and their checksum; VNPay then calls
the merchant's IPN URL, server to server, with the result (that call alone pays an order here), and sends
the buyer back to the return URL with the same parameters (that page only shows them).

The checksum is computed as VNPay's published Python sample does (``vnpay.py`` of its demo): the ``vnp_``
parameters except ``vnp_SecureHash`` and ``vnp_SecureHashType``, sorted by name, each written
``name=quote_plus(value)``, joined by ``&``; the lower-case hex HMAC-SHA512 of that text (UTF-8) under the
terminal's hash secret. The same text is the payment URL's query. VNPay's PHP sample encodes ``~`` and
``*`` differently, its Java sample ``~`` and non-ASCII characters (as ``?``) and skips empty values: the
values this adapter sends contain none of these, so the three samples agree on every URL it makes.

``vnp_TxnRef`` names the order and the attempt (:func:`txn_ref_for`); VNPay allows only letters and digits
there, so other characters of an id are escaped reversibly. A notification's event id is the TxnRef with
VNPay's transaction number, response code and transaction status: a repeat of one callback is one event,
a failure and a later success of the same attempt are two (VNPay sends transaction number ``0`` when
there was no transaction, so the TxnRef keeps attempts apart).

:func:`answer_ipn` runs the core's ``handle_notification`` and answers VNPay in its own codes and check
order: checksum (97), order (01), amount (04), still pending (02), confirmed (00), anything else (99).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import parse_qsl, quote_plus, urlsplit

import attrs

from adapters.local import SystemClock
from subscription_core.calendar import ensure_aware
from subscription_core.errors import (
    InvalidTransitionError,
    NotFoundError,
    SubscriptionError,
    ValidationError,
    Validator,
)
from subscription_core.payments import MethodKind, PaymentMethod, ProviderNotification
from subscription_core.ports import Clock, PaymentRequest, PaymentStart
from subscription_core.services import NotificationStatus, Services, handle_notification

__all__ = [
    "NAME",
    "SANDBOX_URL",
    "IpnAnswer",
    "IpnCode",
    "ReturnOutcome",
    "VnpayConfig",
    "VnpayProvider",
    "VnpayReturn",
    "answer_ipn",
    "hash_data",
    "query_fields",
    "read_txn_ref",
    "txn_ref_for",
]

_log = logging.getLogger(__name__)

NAME: Final = "vnpay"
"""The provider's name: register it under this name in ``Services.providers`` and ``routes``."""
SANDBOX_URL: Final = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
"""VNPay's sandbox payment page; production hosts configure the URL VNPay gives them."""
HASH_FIELD: Final = "vnp_SecureHash"
_UNSIGNED: Final = frozenset({HASH_FIELD, "vnp_SecureHashType"})
_NAME_RE: Final = re.compile(r"vnp_[A-Za-z0-9_]+")
_TMN_CODE: Final = re.compile(r"[A-Za-z0-9]{8}")
_BANK_CODE: Final = re.compile(r"[A-Z0-9]{3,20}")
_ORDER_TYPE: Final = re.compile(r"[A-Za-z0-9_]{1,100}")
_DIGITS: Final = re.compile(r"[0-9]{1,20}")
_URL_TEXT: Final = re.compile(r"[!-)+-}]+")  # printable ASCII but space, '*' and '~'
_NOT_IN_ORDER_INFO: Final = re.compile(r"[^A-Za-z0-9 .,:_-]+")
_MAX_AMOUNT_DIGITS: Final = 12  # vnp_Amount is Numeric[1,12]
_MAX_TXN_REF: Final = 100  # vnp_TxnRef is Alphanumeric[1,100]
_MAX_ORDER_INFO: Final = 255
_SUCCESS: Final = "00"
_INTERNATIONAL_CARD: Final = "INTCARD"
_VIETNAM: Final = dt.timezone(dt.timedelta(hours=7), "GMT+7")
_TAKES: Final = frozenset({MethodKind.DOMESTIC_CARD, MethodKind.INTERNATIONAL_CARD})


def hash_data(params: Mapping[str, str]) -> str:
    """The text VNPay signs: the ``vnp_`` parameters but the hash fields, sorted, ``name=quote_plus(value)``, by ``&``.

    Raises:
        ValidationError: (Y5) a ``vnp_`` parameter name with characters other than letters, digits and ``_``.
    """
    pairs = []
    for name, value in sorted(params.items()):
        if not name.startswith("vnp_") or name in _UNSIGNED:
            continue
        if not _NAME_RE.fullmatch(name):
            raise ValidationError("is not a VNPay parameter name", rule="Y5", field="payload", value=name)
        pairs.append(f"{name}={quote_plus(value, errors='surrogatepass')}")
    return "&".join(pairs)


def query_fields(query: str) -> dict[str, str]:
    """The fields of a raw query string (``a=1&b=2``), for an IPN or return endpoint; blank values are kept.

    Raises:
        ValidationError: (Y5) a parameter given twice (which value VNPay signed would be a guess).
    """
    fields: dict[str, str] = {}
    for name, value in parse_qsl(query if isinstance(query, str) else "", keep_blank_values=True):
        if name in fields:
            raise ValidationError("a parameter is given twice", rule="Y5", field="payload", value=name)
        fields[name] = value
    return fields


# --- vnp_TxnRef: letters and digits only. "Z" escapes one UTF-8 byte as two upper-case hex digits, and "ZZ"
# (which no escaped id contains) separates the order's id from the attempt's.
_PLAIN: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY0123456789")
_HEX: Final = frozenset("0123456789ABCDEF")


def _escape(text: str) -> str:
    return "".join(c if c in _PLAIN else "".join(f"Z{b:02X}" for b in c.encode("utf-8")) for c in text)


def _unescape(text: str) -> str | None:
    data, i = bytearray(), 0
    while i < len(text):
        if text[i] in _PLAIN:
            data.append(ord(text[i]))
            i += 1
        elif text[i] == "Z" and len(text) >= i + 3 and set(text[i + 1 : i + 3]) <= _HEX:
            data.append(int(text[i + 1 : i + 3], 16))
            i += 3
        else:
            return None
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return decoded if decoded and _escape(decoded) == text else None  # one spelling per id


def txn_ref_for(order_id: str, payment_id: str) -> str:
    """The ``vnp_TxnRef`` of an attempt to pay an order: both ids, escaped to letters and digits.

    Raises:
        ValidationError: (Y1) an empty id, or ids too long for VNPay's 100 characters.
    """
    for field, value in (("order_id", order_id), ("payment_id", payment_id)):
        if not isinstance(value, str) or not value:
            raise ValidationError("must be a non-empty text", rule="Y1", field=field, value=value)
    ref = f"{_escape(order_id)}ZZ{_escape(payment_id)}"
    if len(ref) > _MAX_TXN_REF:
        raise ValidationError(f"the ids make a TxnRef over {_MAX_TXN_REF} characters", rule="Y1", field="order_id")
    return ref


def read_txn_ref(ref: str) -> tuple[str, str]:
    """The order's and the attempt's ids in a ``vnp_TxnRef`` made by :func:`txn_ref_for`.

    Raises:
        ValidationError: (Y5, field ``vnp_TxnRef``) a reference this adapter did not make.
    """
    order, _, attempt = ref.partition("ZZ") if isinstance(ref, str) else ("", "", "")
    order_id, payment_id = _unescape(order), _unescape(attempt)
    if order_id is None or payment_id is None:
        raise ValidationError("is not a reference this adapter made", rule="Y5", field="vnp_TxnRef", value=ref)
    return order_id, payment_id


def _secret(value: object) -> bytes:
    secret = value.encode("utf-8") if isinstance(value, str) else value
    if not isinstance(secret, bytes) or not secret:
        raise ValidationError("must be VNPay's hash secret, as bytes or text", rule="Y5", field="hash_secret")
    return secret


def _matches(pattern: re.Pattern[str], message: str) -> Validator:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValidationError(message, rule="Y1", field=attribute.name, value=value)

    return check


def _url(value: object, field: str, schemes: tuple[str, ...]) -> str:
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in schemes or not parts.hostname or parts.fragment:
        raise ValidationError(f"must be an absolute {' or '.join(schemes)} URL", rule="Y1", field=field, value=value)
    if not _URL_TEXT.fullmatch(str(value)):  # where VNPay's samples encode differently: percent-encode them
        raise ValidationError("must be ASCII without spaces, '~' or '*'", rule="Y1", field=field, value=value)
    return str(value)


def _url_of(*schemes: str) -> Validator:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        _url(value, attribute.name, schemes)

    return check


def _check_config(config: VnpayConfig) -> None:
    if urlsplit(config.payment_url).query:
        raise ValidationError("must have no query", rule="Y1", field="payment_url", value=config.payment_url)
    if config.locale not in {"vn", "en"}:
        raise ValidationError("must be 'vn' or 'en'", rule="Y1", field="locale", value=config.locale)
    zone = config.time_zone
    if not isinstance(zone, dt.tzinfo) or zone.utcoffset(dt.datetime(2026, 1, 1)) is None:  # noqa: DTZ001
        raise ValidationError("must be a time zone with an offset", rule="D2", field="time_zone", value=zone)
    try:
        ipaddress.ip_address(config.ip_address if isinstance(config.ip_address, str) else "")
    except ValueError:
        raise ValidationError("must be an IP address", rule="Y1", field="ip_address", value=config.ip_address) from None
    if not isinstance(config.expire_after, dt.timedelta) or config.expire_after <= dt.timedelta(0):
        raise ValidationError("must be a positive duration", rule="Y1", field="expire_after", value=config.expire_after)


@attrs.frozen(kw_only=True)
class VnpayConfig:
    """A VNPay terminal's settings: its code and hash secret, the pages, the locale and the time zone.

    ``hash_secret`` (bytes or text, kept as UTF-8 bytes) never shows in a ``repr`` or an error.
    ``return_url`` is where VNPay sends the buyer back (a request's own ``return_url`` wins);
    ``ip_address`` is sent as ``vnp_IpAddr`` because the ``PaymentRequest`` port carries no buyer address.
    Dates are written in ``time_zone`` (GMT+7, as VNPay requires); a payment page expires after
    ``expire_after``.

    Raises:
        ValidationError: (Y1) a terminal code that is not 8 letters or digits, an empty secret, a payment
            URL that is not https (or has a query), a return URL that is not http(s), a locale other than
            ``vn``/``en``, a bad order type, IP address or duration; (D2) a time zone without an offset.
    """

    tmn_code: str = attrs.field(validator=_matches(_TMN_CODE, "must be VNPay's 8-character terminal code"))
    hash_secret: bytes = attrs.field(converter=_secret, repr=lambda _: "<hidden>")
    return_url: str = attrs.field(validator=_url_of("https", "http"))
    payment_url: str = attrs.field(default=SANDBOX_URL, validator=_url_of("https"))
    locale: str = "vn"
    time_zone: dt.tzinfo = _VIETNAM
    order_type: str = attrs.field(default="other", validator=_matches(_ORDER_TYPE, "must be a VNPay order type"))
    ip_address: str = "127.0.0.1"
    expire_after: dt.timedelta = dt.timedelta(minutes=15)

    def __attrs_post_init__(self) -> None:
        """Check the settings that need more than a pattern."""
        _check_config(self)


def _order_info(description: str, order_id: str) -> str:
    """``vnp_OrderInfo``: VNPay wants Vietnamese without diacritics and no special characters."""
    folded = unicodedata.normalize("NFD", description.replace("đ", "d").replace("Đ", "D"))
    plain = _NOT_IN_ORDER_INFO.sub(" ", "".join(c for c in folded if not unicodedata.combining(c)))
    return " ".join(plain.split())[:_MAX_ORDER_INFO].strip() or f"Thanh toan don hang {order_id}"


def _amount_x100(request: PaymentRequest) -> str:
    """``vnp_Amount``: the amount in VND times 100, digits only (Y1)."""
    if request.currency.strip().upper() != "VND":
        raise ValidationError("VNPay takes VND only", rule="Y1", field="currency", value=request.currency)
    try:
        amount = Decimal(request.amount)
    except (InvalidOperation, TypeError):
        amount = Decimal("NaN")
    if not amount.is_finite() or amount <= 0 or amount != amount.to_integral_value():
        raise ValidationError("must be a whole number of VND above 0", rule="Y1", field="amount", value=request.amount)
    digits = str(int(amount) * 100)
    if len(digits) > _MAX_AMOUNT_DIGITS:
        raise ValidationError("is above what VNPay takes", rule="Y1", field="amount", value=request.amount)
    return digits


def _bank_code(method: PaymentMethod) -> str:
    """``vnp_BankCode``: the bank of a domestic card (``VNBANK`` lets the buyer choose), ``INTCARD`` otherwise."""
    if method.kind is MethodKind.INTERNATIONAL_CARD:
        return _INTERNATIONAL_CARD
    code = method.bank or ""
    if not _BANK_CODE.fullmatch(code):
        raise ValidationError("VNPay bank codes are 3-20 letters or digits", rule="Y1", field="bank", value=code)
    return code


class VnpayProvider:
    """The ``PaymentProvider`` port on VNPay: ``VnpayProvider(config, clock=...)``, registered as :data:`NAME`.

    It takes domestic cards (``vnp_BankCode`` = the method's bank) and international cards (``INTCARD``);
    other methods are refused. ``clock`` dates the payment URLs (the system clock by default). Stateless
    and thread-safe; the hash secret never shows in a ``repr`` or an error.
    """

    name: str = NAME
    methods: Final = _TAKES

    def __init__(self, config: VnpayConfig, *, clock: Clock | None = None) -> None:
        """Make the provider for ``config``'s terminal.

        Raises:
            ValidationError: ``config`` is not a :class:`VnpayConfig`.
        """
        if not isinstance(config, VnpayConfig):
            raise ValidationError("must be a VnpayConfig", rule="Y1", field="config", value=type(config).__name__)
        self._config = config
        self._clock: Clock = clock if clock is not None else SystemClock()

    def __repr__(self) -> str:
        """Name the terminal only, never the secret."""
        return f"VnpayProvider(tmn_code={self._config.tmn_code!r}, hash_secret=<hidden>)"

    def sign(self, params: Mapping[str, str]) -> str:
        """The ``vnp_SecureHash`` of ``params``: hex HMAC-SHA512 of :func:`hash_data` under the secret."""
        return hmac.new(self._config.hash_secret, hash_data(params).encode("utf-8"), hashlib.sha512).hexdigest()

    def start(self, request: PaymentRequest) -> PaymentStart:
        """The signed VNPay payment URL for ``request``; moves no money (Y2).

        ``provider_ref`` is the ``vnp_TxnRef`` (:func:`txn_ref_for` of the order and the payment).

        Raises:
            ValidationError: (Y1) not a ``PaymentRequest``; a method VNPay does not take here (e-wallet,
                transfer, cash) or a bank code VNPay cannot take; a currency other than VND; an amount that
                is not a whole number of VND; a bad return URL; ids too long for a TxnRef.
        """
        if not isinstance(request, PaymentRequest):
            raise ValidationError("must be a PaymentRequest", rule="Y1", field="request", value=request)
        if request.method.kind not in _TAKES:
            raise ValidationError(
                "vnpay does not take this method", rule="Y1", field="method", value=request.method.kind.value
            )
        config = self._config
        created = ensure_aware(self._clock.now(), field="clock").astimezone(config.time_zone)
        ref = txn_ref_for(request.order_id, request.payment_id)
        params = {
            "vnp_Version": "2.1.0",
            "vnp_Command": "pay",
            "vnp_TmnCode": config.tmn_code,
            "vnp_Amount": _amount_x100(request),
            "vnp_CurrCode": "VND",
            "vnp_BankCode": _bank_code(request.method),
            "vnp_TxnRef": ref,
            "vnp_OrderInfo": _order_info(request.description, request.order_id),
            "vnp_OrderType": config.order_type,
            "vnp_Locale": config.locale,
            "vnp_ReturnUrl": _url(request.return_url or config.return_url, "return_url", ("https", "http")),
            "vnp_IpAddr": config.ip_address,
            "vnp_CreateDate": created.strftime("%Y%m%d%H%M%S"),
            "vnp_ExpireDate": (created + config.expire_after).strftime("%Y%m%d%H%M%S"),
        }
        url = f"{config.payment_url}?{hash_data(params)}&{HASH_FIELD}={self.sign(params)}"
        return PaymentStart(redirect_url=url, provider_ref=ref)

    def parse_notification(self, payload: Mapping[str, str], *, received_at: dt.datetime) -> ProviderNotification:
        """Verify an IPN's (or return page's) checksum in constant time, then read it (Y5).

        Paid (``succeeded``) only when both ``vnp_ResponseCode`` and ``vnp_TransactionStatus`` are ``00``.
        The amount is ``vnp_Amount`` / 100 in VND. Parameters not named ``vnp_*`` are ignored, as VNPay's
        sample does: they are not signed.

        Raises:
            ValidationError: (Y5) a payload that is not text fields; no or a bad ``vnp_SecureHash`` (field
                ``signature``); a missing field; another terminal's code; a ``vnp_Amount`` that is not digits
                or not a multiple of 100; a TxnRef this adapter did not make (field ``vnp_TxnRef``); (D2) a
                naive ``received_at``. No error holds the secret.
        """
        when = ensure_aware(received_at, field="received_at")
        fields, signature = self._verified(payload)
        for name in ("vnp_TmnCode", "vnp_TxnRef", "vnp_Amount", "vnp_ResponseCode", "vnp_TransactionStatus"):
            if not fields.get(name):
                raise ValidationError("the notification lacks a field", rule="Y5", field=name)
        if fields["vnp_TmnCode"] != self._config.tmn_code:
            raise ValidationError("is another terminal", rule="Y5", field="vnp_TmnCode", value=fields["vnp_TmnCode"])
        ref = fields["vnp_TxnRef"]
        order_id, _attempt = read_txn_ref(ref)
        response, status = fields["vnp_ResponseCode"], fields["vnp_TransactionStatus"]
        number = fields.get("vnp_TransactionNo") or "0"
        return ProviderNotification(
            provider=self.name,
            event_id=f"{ref}:{number}:{response}:{status}",
            order_id=order_id,
            amount=_amount_sent(fields["vnp_Amount"]),
            currency="VND",
            succeeded=response == _SUCCESS and status == _SUCCESS,
            signature=signature,
            received_at=when,
            fields=tuple(sorted(fields.items())),
        )

    def _verified(self, payload: Mapping[str, str]) -> tuple[dict[str, str], str]:
        """The signed fields and the signature, once the signature is checked."""
        if not isinstance(payload, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in payload.items()
        ):
            raise ValidationError("must be a mapping of text fields", rule="Y5", field="payload")
        signature = payload.get(HASH_FIELD, "")
        if not signature:
            raise ValidationError("the vnpay notification is not signed", rule="Y5", field="signature")
        try:
            expected = self.sign(payload).encode("ascii")
        except ValidationError:  # a vnp_ name VNPay never signs: the checksum cannot be checked
            expected = b""
        if not expected or not hmac.compare_digest(signature.lower().encode("utf-8", "surrogatepass"), expected):
            raise ValidationError("invalid vnpay signature", rule="Y5", field="signature")
        signed = {k: v for k, v in payload.items() if k.startswith("vnp_") and k not in _UNSIGNED}
        return signed, signature

    def read_return(self, query: Mapping[str, str]) -> VnpayReturn:
        """What the return page shows for VNPay's redirect ``query``; changes nothing (only the IPN pays).

        Never raises: a query whose checksum does not verify, or that this adapter cannot read, is
        :attr:`ReturnOutcome.INVALID` and tells nothing else.
        """
        try:
            read = self.parse_notification(query, received_at=ensure_aware(self._clock.now(), field="clock"))
        except ValidationError:
            return VnpayReturn(outcome=ReturnOutcome.INVALID, message="Chữ ký không hợp lệ")
        fields = dict(read.fields)
        code = fields["vnp_ResponseCode"]
        return VnpayReturn(
            outcome=ReturnOutcome.SUCCEEDED if read.succeeded else ReturnOutcome.FAILED,
            order_id=read.order_id,
            amount=read.amount,
            response_code=code,
            message=RESPONSE_MESSAGES.get(code, RESPONSE_MESSAGES["99"]),
        )


def _amount_sent(text: str) -> Decimal:
    """VND from ``vnp_Amount`` (the amount times 100): digits, a multiple of 100 (Y5)."""
    if not _DIGITS.fullmatch(text) or int(text) % 100:
        raise ValidationError("must be digits, the VND amount times 100", rule="Y5", field="vnp_Amount", value=text)
    return Decimal(int(text) // 100)


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

    97 a missing or bad checksum; 01 an order this shop does not have (or no VNPay payment of it); 04 an
    amount (or currency) other than the order's; 02 a repeat, or an order no longer awaiting payment;
    00 a new success (the order is paid) or a new failure (received; the order still awaits payment);
    99 anything else, which VNPay retries. A repeat is always safe: the core applies an event once.
    Never raises: a host returns the answer's JSON with HTTP 200.
    """
    try:
        result = handle_notification(services, provider, query)
    except SubscriptionError as error:
        return _refusal(error, query)
    except Exception:  # noqa: BLE001 - VNPay must get an answer; 99 makes it call again later
        _log.exception("vnpay IPN failed unexpectedly")
        return IpnAnswer(code=IpnCode.OTHER_ERROR)
    new = result.status in {NotificationStatus.APPLIED, NotificationStatus.FAILED}
    code = IpnCode.CONFIRMED if new else IpnCode.ALREADY_CONFIRMED
    _log.info("vnpay IPN for order %s: %s, answered %s", result.order_id, result.status.value, code.value)
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
