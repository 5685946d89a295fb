"""VNPay's merchant web API on the wire: ``querydr`` and ``refund``, their checksums and their answers (Y5, Y8).

The API is one URL (``.../merchant_webapi/api/transaction``) taking a JSON POST whose ``vnp_Command`` is
``querydr`` (the result of a payment) or ``refund`` (full, ``vnp_TransactionType`` ``02``, or partial,
``03``). Sources, read for this module:

- VNPay's page "API querydr, refund"
  (https://sandbox.vnpayment.vn/apis/docs/truy-van-hoan-tien/querydr&refund.html): the URL, POST with
  ``Content-Type: application/json``, the parameters and their types (``vnp_RequestId`` Alphanumeric[1,32],
  unique in the day; ``vnp_TmnCode`` Alphanumeric[8]; ``vnp_TxnRef`` Alphanumeric[1,100], the one sent with
  the payment).
- VNPay's demo code, as public integrations copy it, which builds the request checksums in the same field
  order: the Node demo's ``routes/order.js`` (``router.post('/querydr')`` and ``router.post('/refund')``)
  and the Java (JSP) demo's refund and query servlets: ``data = vnp_RequestId + "|" + vnp_Version + ...``,
  then the hex HMAC-SHA512 of the UTF-8 text under the terminal's hash secret.
- The response checksums' field order, as the ``vnpay`` npm library verifies them
  (lehuygiang28/vnpay, ``src/services/query.service.ts``) and as independent integrations in Java, C# and
  Python do: ``vnp_ResponseId|vnp_Command|vnp_ResponseCode|vnp_Message|vnp_TmnCode|vnp_TxnRef|vnp_Amount|
  vnp_BankCode|vnp_PayDate|vnp_TransactionNo|vnp_TransactionType|vnp_TransactionStatus|vnp_OrderInfo``,
  querydr adding ``|vnp_PromotionCode|vnp_PromotionAmount``. A missing or ``null`` field counts as empty.
- The response codes and the transaction statuses: VNPay's page above, as the same library restates them
  (``src/constants/response-map.constant.ts``); refund codes 16 and 93 as a public summary restates VNPay's
  "Techspec Post method 2.1.0"
  (https://sandbox.vnpayment.vn/apis/files/VNPAY%20Payment%20Gateway_Techspec%20Post%20method%202.1.0-VN.pdf).

The fields are joined by ``|``, so every value this adapter signs is refused if it could hold a ``|``
(letters, digits and a few marks only). Pure functions and values, no I/O:
:mod:`subscription_core_adapters.gateways.vnpay_api` sends the requests.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final

from subscription_core.money import Money
from subscription_core_adapters.gateways.vnpay_api_results import (
    Outcome,
    QueriedTransaction,
    TransactionKind,
    TransactionStatus,
)

__all__ = [
    "QUERY_REQUEST_FIELDS",
    "QUERY_RESPONSE_FIELDS",
    "REFUND_REQUEST_FIELDS",
    "REFUND_RESPONSE_FIELDS",
    "UnreadableResponseError",
    "pipe_checksum",
    "query_answer",
    "refund_answer",
    "response_fields",
]

QUERY_REQUEST_FIELDS: Final = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
"""The fields of a ``querydr`` request's checksum, in VNPay's order."""
REFUND_REQUEST_FIELDS: Final = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
"""The fields of a ``refund`` request's checksum, in VNPay's order."""
REFUND_RESPONSE_FIELDS: Final = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
)
"""The fields of a ``refund`` answer's checksum, in VNPay's order."""
QUERY_RESPONSE_FIELDS: Final = (*REFUND_RESPONSE_FIELDS, "vnp_PromotionCode", "vnp_PromotionAmount")
"""The fields of a ``querydr`` answer's checksum, in VNPay's order."""

_HASH: Final = "vnp_SecureHash"
_HEX_512: Final = re.compile(r"[0-9a-fA-F]{128}")
_CODE: Final = re.compile(r"[0-9]{2}")
_DIGITS: Final = re.compile(r"[0-9]{1,20}")


def pipe_checksum(secret: bytes, fields: Mapping[str, str], order: Sequence[str]) -> str:
    """The lower-case hex HMAC-SHA512, under ``secret``, of ``fields``' values in ``order`` joined by ``|``.

    A field missing from ``fields`` counts as empty, as VNPay's samples write it. Never raises for text
    values; no error holds the secret.
    """
    text = "|".join(fields.get(name, "") for name in order)
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha512).hexdigest()


class UnreadableResponseError(Exception):
    """Internal: VNPay's answer cannot be read or trusted; the outcome is unknown. Never reaches a caller."""


def response_fields(payload: object, secret: bytes, order: Sequence[str]) -> dict[str, str]:
    """The signed fields (``order``) of VNPay's JSON answer ``payload``, once its ``vnp_SecureHash`` verifies (Y5).

    Values VNPay may write as JSON numbers (``vnp_Amount``) are read as their digits; ``null`` or a missing
    field as empty. Fields the checksum does not cover are dropped: nothing unsigned is read.
    The checksum is compared in constant time, in either case of hex.

    Raises:
        UnreadableResponseError: not a JSON object of texts and whole numbers, or no, a malformed or a
            wrong checksum. Its message names what was wrong, never the secret or the expected hash.
    """
    if not isinstance(payload, dict):
        raise UnreadableResponseError("the answer is not a JSON object")
    fields: dict[str, str] = {}
    for name in (*order, _HASH):  # other fields are not signed: never read
        value = payload.get(name)
        if value is None:
            fields[name] = ""
        elif isinstance(value, str):
            fields[name] = value
        elif isinstance(value, int) and not isinstance(value, bool):
            fields[name] = str(value)
        else:
            raise UnreadableResponseError(f"the answer's {name} is neither text nor a whole number")
    signature = fields.get(_HASH, "")
    if not signature:
        raise UnreadableResponseError("the answer carries no vnp_SecureHash")
    expected = pipe_checksum(secret, fields, order)
    if not _HEX_512.fullmatch(signature) or not hmac.compare_digest(signature.lower(), expected):
        raise UnreadableResponseError("the answer's vnp_SecureHash does not verify")
    return fields


def response_code(fields: Mapping[str, str]) -> str:
    """``vnp_ResponseCode``: two digits.

    Raises:
        UnreadableResponseError: anything else.
    """
    code = fields.get("vnp_ResponseCode", "")
    if not _CODE.fullmatch(code):
        raise UnreadableResponseError("the answer's vnp_ResponseCode is not two digits")
    return code


def amount_of(fields: Mapping[str, str]) -> Money:
    """``vnp_Amount`` (VND times 100) as money.

    Raises:
        UnreadableResponseError: not digits, or not a multiple of 100.
    """
    text = fields.get("vnp_Amount", "")
    if not _DIGITS.fullmatch(text) or int(text) % 100:
        raise UnreadableResponseError("the answer's vnp_Amount is not VND times 100")
    return Money.of(Decimal(int(text) // 100), "VND")


def queried_transaction(fields: Mapping[str, str]) -> QueriedTransaction:
    """The transaction of a signed ``querydr`` answer whose code is ``00``.

    Raises:
        UnreadableResponseError: a kind or status not in VNPay's tables, or an amount that is not VND × 100.
    """
    try:
        kind = TransactionKind(fields.get("vnp_TransactionType", ""))
        status = TransactionStatus(fields.get("vnp_TransactionStatus", ""))
    except ValueError:
        raise UnreadableResponseError("the answer's transaction type or status is not in VNPay's tables") from None
    return QueriedTransaction(
        kind=kind,
        status=status,
        amount=amount_of(fields),
        transaction_no=fields.get("vnp_TransactionNo", ""),
        bank_code=fields.get("vnp_BankCode", ""),
        pay_date=fields.get("vnp_PayDate", ""),
    )


# VNPay did not and will not do it: another request (after fixing what the code names) is safe. 94 and 99
# (and codes not in the tables) leave the refund's fate open: query it.
_REFUND_REFUSED: Final = frozenset({"02", "03", "08", "16", "91", "93", "95", "97"})
_QUERY_REFUSED: Final = frozenset({"02", "03", "91", "97"})


def _check_echo(fields: Mapping[str, str], command: str, txn_ref: str, tmn_code: str, *, settled: bool) -> None:
    """A signed answer about another command, terminal or TxnRef is not about this request: not trusted.

    VNPay may leave the echoed fields empty in a refusal; a success (``settled``) must carry them all.
    """
    for name, expected in (("vnp_Command", command), ("vnp_TmnCode", tmn_code), ("vnp_TxnRef", txn_ref)):
        value = fields.get(name, "")
        if value != expected and (settled or value):
            raise UnreadableResponseError(f"the answer's {name} is not this request's")


def refund_answer(fields: Mapping[str, str], *, txn_ref: str, tmn_code: str, amount_x100: str) -> tuple[Outcome, str]:
    """The outcome and code of a verified ``refund`` answer to the request for ``amount_x100`` of ``txn_ref``.

    ``00`` succeeded, a code of :data:`_REFUND_REFUSED` refused, any other (``94``, ``99``) unknown.

    Raises:
        UnreadableResponseError: no two-digit code; an answer about another command, terminal or TxnRef; a
            success for another amount.
    """
    code = response_code(fields)
    _check_echo(fields, "refund", txn_ref, tmn_code, settled=code == "00")
    if code == "00" and (fields.get("vnp_Amount") or amount_x100) != amount_x100:
        raise UnreadableResponseError("the answer's vnp_Amount is not the amount asked")
    if code == "00":
        return Outcome.SUCCEEDED, code
    return (Outcome.REFUSED if code in _REFUND_REFUSED else Outcome.UNKNOWN), code


def query_answer(
    fields: Mapping[str, str], *, txn_ref: str, tmn_code: str
) -> tuple[Outcome, str, QueriedTransaction | None]:
    """The outcome, code and transaction of a verified ``querydr`` answer about ``txn_ref``.

    ``00`` succeeded (with the transaction), ``91`` (not found) and the codes of a bad request refused,
    any other (``94``, ``08``, ``99``) unknown.

    Raises:
        UnreadableResponseError: no two-digit code; an answer about another command, terminal or TxnRef; a
            ``00`` whose transaction cannot be read.
    """
    code = response_code(fields)
    _check_echo(fields, "querydr", txn_ref, tmn_code, settled=code == "00")
    if code == "00":
        return Outcome.SUCCEEDED, code, queried_transaction(fields)
    return (Outcome.REFUSED if code in _QUERY_REFUSED else Outcome.UNKNOWN), code, None
