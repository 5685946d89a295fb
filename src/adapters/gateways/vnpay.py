"""VNPay, a real online payment gateway: the signed payment URL, the IPN and the return page (Y1, Y2, Y5).

The protocol is VNPay's PAY API, version 2.1.0 (https://sandbox.vnpayment.vn/apis/docs/thanh-toan-pay/pay.html).
The buyer is redirected to a payment URL carrying ``vnp_*`` parameters and their checksum; VNPay then calls
the merchant's IPN URL, server to server, with the result (that call alone pays an order here), and sends
the buyer back to the return URL with the same parameters (that page only shows them).

This module holds the terminal's settings (:class:`VnpayConfig`) and the ``PaymentProvider``
(:class:`VnpayProvider`). The checksum, the field encodings and the TxnRef are in
:mod:`subscription_core_adapters.gateways.vnpay_protocol`; the IPN answer and the return page's reading in
:mod:`subscription_core_adapters.gateways.vnpay_callbacks`. Both are re-exported here.

A notification's event id is the TxnRef with VNPay's transaction number, response code and transaction
status: a repeat of one callback is one event, a failure and a later success of the same attempt are two
(VNPay sends transaction number ``0`` when there was no transaction, so the TxnRef keeps attempts apart).
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import attrs

from subscription_core.calendar import ensure_aware
from subscription_core.errors import ValidationError, Validator, masked
from subscription_core.payments import MethodKind, ProviderNotification
from subscription_core.ports import Clock, PaymentRequest, PaymentStart
from subscription_core_adapters.gateways.vnpay_callbacks import (
    RESPONSE_MESSAGES,
    IpnAnswer,
    IpnCode,
    ReturnOutcome,
    VnpayReturn,
    answer_ipn,
)
from subscription_core_adapters.gateways.vnpay_protocol import (
    HASH_FIELD,
    NAME,
    amount_sent,
    amount_x100,
    bank_code,
    check_signable,
    checksum,
    hash_data,
    order_info,
    query_fields,
    read_txn_ref,
    signed_fields,
    txn_ref_for,
)
from subscription_core_adapters.local import SystemClock

__all__ = [
    "HASH_FIELD",
    "NAME",
    "RESPONSE_MESSAGES",
    "SANDBOX_URL",
    "IpnAnswer",
    "IpnCode",
    "ReturnOutcome",
    "VnpayConfig",
    "VnpayProvider",
    "VnpayReturn",
    "answer_ipn",
    "check_signable",
    "hash_data",
    "query_fields",
    "read_txn_ref",
    "txn_ref_for",
]

SANDBOX_URL: Final = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
"""VNPay's sandbox payment page; production hosts configure the URL VNPay gives them."""
_TMN_CODE: Final = re.compile(r"[A-Za-z0-9]{8}")
_ORDER_TYPE: Final = re.compile(r"[A-Za-z0-9_]{1,100}")
_URL_TEXT: Final = re.compile(r"[!-)+-}]+")  # printable ASCII but space, '*' and '~'
# Where VNPay's samples encode a return URL differently (vnpay_protocol's docstring): .NET and Node leave
# '!', '(', ')' and Node "'" as they are, PHP, Java and Python percent-encode them.
_NOT_IN_RETURN_URL: Final = frozenset("!'()")
# vnp_ReturnUrl is Alphanumeric[10,255] in VNPay's parameter table ("Danh sách tham số",
# https://sandbox.vnpayment.vn/apis/docs/thanh-toan-pay/pay.html): a longer one is refused before signing.
_MAX_RETURN_URL: Final = 255
_SUCCESS: Final = "00"
_VIETNAM: Final = dt.timezone(dt.timedelta(hours=7), "GMT+7")
_TAKES: Final = frozenset({MethodKind.DOMESTIC_CARD, MethodKind.INTERNATIONAL_CARD})


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
    if field == "return_url" and isinstance(value, str) and len(value) > _MAX_RETURN_URL:
        raise ValidationError(
            f"has {len(value)} characters; VNPay takes at most {_MAX_RETURN_URL} (vnp_ReturnUrl)",
            rule="Y1",
            field=field,
            value=masked(value, "text"),
        )
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in schemes or not parts.hostname or parts.fragment:
        raise ValidationError(f"must be an absolute {' or '.join(schemes)} URL", rule="Y1", field=field, value=value)
    if not _URL_TEXT.fullmatch(str(value)):  # where VNPay's samples encode differently: percent-encode them
        raise ValidationError(
            "must be ASCII without spaces, '~' or '*' (VNPay's samples encode them differently; percent-encode them)",
            rule="Y1",
            field=field,
            value=value,
        )
    if field == "return_url" and (found := sorted(_NOT_IN_RETURN_URL.intersection(str(value)))):
        raise ValidationError(
            f"must not contain {' '.join(found)}: VNPay's .NET and Node samples sign them as they are, its PHP, "
            "Java and Python ones percent-encoded; percent-encode them (%21 %27 %28 %29)",
            rule="Y1",
            field=field,
            value=value,
        )
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
            URL that is not https (or has a query), a return URL that is not http(s) or is longer than 255
            characters (VNPay's limit of ``vnp_ReturnUrl``) or holds a space, ``~``, ``*``, ``!``, ``'``, ``(``
            or ``)`` (which VNPay's samples encode differently), a locale other than
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
        return checksum(self._config.hash_secret, params)

    def start(self, request: PaymentRequest) -> PaymentStart:
        """The signed VNPay payment URL for ``request``; moves no money (Y2).

        ``provider_ref`` is the ``vnp_TxnRef`` (:func:`txn_ref_for` of the order and the payment).
        ``vnp_CreateDate`` (and the expiry after it) is ``request.started_at`` when given, else the clock's now.

        Raises:
            ValidationError: (Y1) not a ``PaymentRequest``; a method VNPay does not take here (e-wallet,
                transfer, cash) or a bank code VNPay cannot take; a currency other than VND; an amount that
                is not a whole number of VND; a bad return URL (as :class:`VnpayConfig` says); ids too long
                for a TxnRef; a ``~`` in any field it signs (:func:`check_signable`); (D2) a naive
                ``started_at``.
        """
        if not isinstance(request, PaymentRequest):
            raise ValidationError("must be a PaymentRequest", rule="Y1", field="request", value=request)
        if request.method.kind not in _TAKES:
            raise ValidationError(
                "vnpay does not take this method", rule="Y1", field="method", value=request.method.kind.value
            )
        config = self._config
        # The payment's own start instant when the core gives it: VNPay's refund and querydr find the payment by
        # this vnp_CreateDate, which the library can then derive from what it stored (Payment.started_at).
        when = request.started_at if request.started_at is not None else self._clock.now()
        created = ensure_aware(when, field="started_at").astimezone(config.time_zone)
        ref = txn_ref_for(request.order_id, request.payment_id)
        params = {
            "vnp_Version": "2.1.0",
            "vnp_Command": "pay",
            "vnp_TmnCode": config.tmn_code,
            "vnp_Amount": amount_x100(request),
            "vnp_CurrCode": "VND",
            "vnp_BankCode": bank_code(request.method),
            "vnp_TxnRef": ref,
            "vnp_OrderInfo": order_info(request.description, request.order_id),
            "vnp_OrderType": config.order_type,
            "vnp_Locale": config.locale,
            "vnp_ReturnUrl": _url(request.return_url or config.return_url, "return_url", ("https", "http")),
            "vnp_IpAddr": config.ip_address,
            "vnp_CreateDate": created.strftime("%Y%m%d%H%M%S"),
            "vnp_ExpireDate": (created + config.expire_after).strftime("%Y%m%d%H%M%S"),
        }
        check_signable(params)
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
                or not a multiple of 100; (D2) a naive ``received_at``. No error holds the secret. A signed
                TxnRef this adapter did not make is read as an order id of its own, which names no order.
        """
        when = ensure_aware(received_at, field="received_at")
        fields, signature = self._verified(payload)
        for name in ("vnp_TmnCode", "vnp_TxnRef", "vnp_Amount", "vnp_ResponseCode", "vnp_TransactionStatus"):
            if not fields.get(name):
                raise ValidationError("the notification lacks a field", rule="Y5", field=name)
        if fields["vnp_TmnCode"] != self._config.tmn_code:
            raise ValidationError("is another terminal", rule="Y5", field="vnp_TmnCode", value=fields["vnp_TmnCode"])
        ref = fields["vnp_TxnRef"]
        try:
            order_id, _attempt = read_txn_ref(ref)
        except ValidationError:
            # Signed with this terminal's secret: real money for a reference we did not make. The core keeps
            # it as unapplied money for an unknown order rather than lose it (Y6).
            order_id = ref
        response, status = fields["vnp_ResponseCode"], fields["vnp_TransactionStatus"]
        number = fields.get("vnp_TransactionNo") or "0"
        return ProviderNotification(
            provider=self.name,
            event_id=f"{ref}:{number}:{response}:{status}",
            order_id=order_id,
            amount=amount_sent(fields["vnp_Amount"]),
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
        return signed_fields(payload), signature

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
