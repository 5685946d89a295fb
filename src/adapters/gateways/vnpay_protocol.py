"""VNPay's PAY API 2.1.0 on the wire: the checksum, the ``vnp_*`` field encodings and the TxnRef (Y1, Y5).

The checksum is computed as VNPay's published Python sample does (``vnpay.py`` of its demo): the ``vnp_``
parameters except ``vnp_SecureHash`` and ``vnp_SecureHashType``, sorted by name, each written
``name=quote_plus(value)``, joined by ``&``; the lower-case hex HMAC-SHA512 of that text (UTF-8) under the
terminal's hash secret. The same text is the payment URL's query.

VNPay's samples in other languages encode some characters differently, so a checksum over them depends on
which sample VNPay's server follows. PHP's ``urlencode`` (``vnpay_php``) escapes everything but letters,
digits and ``-_.``; Java's ``URLEncoder.encode`` (``vnpay_jsp``) leaves ``*`` too, and writes non-ASCII as
``?``; .NET's ``WebUtility.UrlEncode`` (``VnPayLibrary.cs``) leaves ``!*()``; Node's
``encodeURIComponent`` (the ``vnpay_nodejs`` demo's ``sortObject``) leaves ``!'()*~``; Python's
``quote_plus`` leaves ``~``. So ``~`` (which Python and Node leave, PHP, Java and .NET escape) is refused in
every field this adapter signs (:func:`check_signable`), and a return URL refuses ``!'()*~`` besides
spaces (``vnpay._url``): the values it sends then read the same in every sample.

``vnp_TxnRef`` names the order and the attempt (:func:`txn_ref_for`); VNPay allows only letters and digits
there, so other characters of an id are escaped reversibly.

Pure functions, no state: :mod:`subscription_core_adapters.gateways.vnpay` builds its provider on them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Final
from urllib.parse import parse_qsl, quote_plus

from subscription_core.errors import ValidationError, masked
from subscription_core.payments import MethodKind, PaymentMethod
from subscription_core.ports import PaymentRequest
from subscription_core_adapters.gateways.checks import whole_vnd_digits

__all__ = [
    "HASH_FIELD",
    "NAME",
    "amount_sent",
    "amount_x100",
    "bank_code",
    "check_signable",
    "checksum",
    "hash_data",
    "order_info",
    "query_fields",
    "read_txn_ref",
    "signed_fields",
    "txn_ref_for",
]

NAME: Final = "vnpay"
"""The provider's name: register it under this name in ``Services.providers`` and ``routes``."""
HASH_FIELD: Final = "vnp_SecureHash"
"""The parameter that carries the checksum."""
_UNSIGNED: Final = frozenset({HASH_FIELD, "vnp_SecureHashType"})
_NAME_RE: Final = re.compile(r"vnp_[A-Za-z0-9_]+")
_BANK_CODE: Final = re.compile(r"[A-Z0-9]{3,20}")
_DIGITS: Final = re.compile(r"[0-9]{1,20}")
_NOT_IN_ORDER_INFO: Final = re.compile(r"[^A-Za-z0-9 .,:_-]+")
_MAX_AMOUNT_DIGITS: Final = 12  # vnp_Amount is Numeric[1,12]
_MAX_TXN_REF: Final = 100  # vnp_TxnRef is Alphanumeric[1,100]
_MAX_ORDER_INFO: Final = 255
_INTERNATIONAL_CARD: Final = "INTCARD"


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


def check_signable(params: Mapping[str, str]) -> None:
    """Refuse a ``~`` in a field the checksum covers: VNPay's samples disagree on how to encode it (Y1).

    PHP's ``urlencode``, Java's ``URLEncoder`` and .NET's ``WebUtility.UrlEncode`` write ``%7E``; Python's
    ``quote_plus`` and Node's ``encodeURIComponent`` keep ``~``. Names that are not signed are not looked at.

    Raises:
        ValidationError: (Y1, naming the ``vnp_`` field) a signed value holding ``~``; the value is masked.
    """
    for name, value in sorted(signed_fields(params).items()):
        if "~" in value:
            raise ValidationError(
                "must not contain '~': VNPay's PHP, Java and .NET samples sign it as %7E, its Python and Node "
                "ones as '~', so the checksum would depend on which one VNPay runs",
                rule="Y1",
                field=name,
                value=masked(value, "text"),
            )


def signed_fields(params: Mapping[str, str]) -> dict[str, str]:
    """The parameters a checksum covers: the ``vnp_`` ones but ``vnp_SecureHash`` and ``vnp_SecureHashType``.

    Never raises; names are checked by :func:`hash_data`.
    """
    return {k: v for k, v in params.items() if k.startswith("vnp_") and k not in _UNSIGNED}


def checksum(secret: bytes, params: Mapping[str, str]) -> str:
    """The ``vnp_SecureHash`` of ``params``: lower-case hex HMAC-SHA512 of :func:`hash_data` under ``secret``.

    Raises:
        ValidationError: (Y5) as :func:`hash_data`. No error holds the secret.
    """
    return hmac.new(secret, hash_data(params).encode("utf-8"), hashlib.sha512).hexdigest()


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


def order_info(description: str, order_id: str) -> str:
    """``vnp_OrderInfo``: VNPay wants Vietnamese without diacritics and no special characters.

    Never raises: an empty result becomes ``Thanh toan don hang <order_id>``.
    """
    folded = unicodedata.normalize("NFD", description.replace("đ", "d").replace("Đ", "D"))
    plain = _NOT_IN_ORDER_INFO.sub(" ", "".join(c for c in folded if not unicodedata.combining(c)))
    return " ".join(plain.split())[:_MAX_ORDER_INFO].strip() or f"Thanh toan don hang {order_id}"


def amount_x100(request: PaymentRequest) -> str:
    """``vnp_Amount``: the amount in VND times 100, digits only (Y1).

    Raises:
        ValidationError: (Y1) a currency other than VND; an amount that is not a whole number of VND above 0,
            or has more digits (times 100) than VNPay's 12.
    """
    return whole_vnd_digits(request, provider="VNPay", max_digits=_MAX_AMOUNT_DIGITS, scale=100)


def bank_code(method: PaymentMethod) -> str:
    """``vnp_BankCode``: the bank of a domestic card (``VNBANK`` lets the buyer choose), ``INTCARD`` otherwise.

    Raises:
        ValidationError: (Y1) a domestic card whose bank is not 3-20 upper-case letters or digits.
    """
    if method.kind is MethodKind.INTERNATIONAL_CARD:
        return _INTERNATIONAL_CARD
    code = method.bank or ""
    if not _BANK_CODE.fullmatch(code):
        raise ValidationError("VNPay bank codes are 3-20 letters or digits", rule="Y1", field="bank", value=code)
    return code


def amount_sent(text: str) -> Decimal:
    """VND from ``vnp_Amount`` (the amount times 100): digits, a multiple of 100 (Y5).

    Raises:
        ValidationError: (Y5, field ``vnp_Amount``) anything else.
    """
    if not _DIGITS.fullmatch(text) or int(text) % 100:
        raise ValidationError("must be digits, the VND amount times 100", rule="Y5", field="vnp_Amount", value=text)
    return Decimal(int(text) // 100)
