"""VNPay's merchant web API client: refund a paid transaction, query a transaction's result (Y5, Y6, Y8).

:class:`VnpayApiClient` sends ``refund`` (full or partial) and ``querydr`` requests, signed as VNPay
documents them (:mod:`subscription_core_adapters.gateways.vnpay_api_wire` names the sources), by a JSON POST
with the standard library's HTTP client. It never raises for what VNPay or the network does: each call
returns a result whose outcome is succeeded, refused (VNPay's signed code says it did not and will not do
it) or unknown (a timeout, a connection error, an HTTP error, an answer that cannot be read, or one whose
checksum is missing or wrong). An unknown refund may have happened: settle it with :meth:`query` before
trying again. Only bad inputs raise, before anything is sent.

The hash secret never shows in a ``repr``, an error or a log line; logs carry the TxnRef and request id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import ipaddress
import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import attrs

from subscription_core.calendar import VIETNAM_TZ, ensure_aware
from subscription_core.errors import ValidationError
from subscription_core.money import Money
from subscription_core.ports import Clock, IdGenerator
from subscription_core_adapters.gateways.checks import is_loopback
from subscription_core_adapters.gateways.vnpay import VnpayConfig
from subscription_core_adapters.gateways.vnpay_api_results import (
    QUERY_CODES,
    REFUND_CODES,
    Outcome,
    QueryResult,
    RefundKind,
    RefundResult,
    described,
)
from subscription_core_adapters.gateways.vnpay_api_wire import (
    QUERY_REQUEST_FIELDS,
    QUERY_RESPONSE_FIELDS,
    REFUND_REQUEST_FIELDS,
    REFUND_RESPONSE_FIELDS,
    UnreadableResponseError,
    pipe_checksum,
    query_answer,
    refund_answer,
    response_fields,
)
from subscription_core_adapters.gateways.vnpay_protocol import order_info
from subscription_core_adapters.local import RandomIds, SystemClock

__all__ = ["SANDBOX_API_URL", "VnpayApiClient", "VnpayApiConfig", "read_event_id"]

SANDBOX_API_URL: Final = "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"
"""VNPay's sandbox merchant API; production hosts configure the URL VNPay gives them."""
_log = logging.getLogger("subscription_core_adapters.gateways.vnpay")
_VERSION: Final = "2.1.0"
_TMN_CODE: Final = re.compile(r"[A-Za-z0-9]{8}")
_TXN_REF: Final = re.compile(r"[A-Za-z0-9]{1,100}")  # vnp_TxnRef: Alphanumeric[1,100]
_TRANSACTION_NO: Final = re.compile(r"[0-9]{1,15}")
_CREATED_BY: Final = re.compile(r"[A-Za-z0-9._:@-]{1,250}")  # an actor's id: no '|', which joins the checksum
_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9]{1,32}")  # vnp_RequestId: Alphanumeric[1,32]
_MAX_AMOUNT_DIGITS: Final = 12
_MAX_ANSWER: Final = 64 * 1024  # VNPay's answers are a few hundred bytes; a larger one is not VNPay's
_MAX_TIMEOUT: Final = dt.timedelta(minutes=2)
_EVENT_ID_PARTS: Final = 4  # TxnRef, TransactionNo, ResponseCode, TransactionStatus
_STAMP: Final = "%Y%m%d%H%M%S"  # yyyyMMddHHmmss, GMT+7 (Asia/Ho_Chi_Minh)


def _secret(value: object) -> bytes:
    secret = value.encode("utf-8") if isinstance(value, str) else value
    if not isinstance(secret, bytes) or not secret:
        raise ValidationError("must be VNPay's hash secret, as bytes or text", rule="Y5", field="hash_secret")
    return secret


def _check_url(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    parts = urlsplit(value) if isinstance(value, str) else None
    host = parts.hostname if parts is not None else None
    # https always; plain http only to this machine (a test double of VNPay), never over a network.
    if (
        parts is None
        or not host
        or parts.scheme not in {"https", "http"}
        or (parts.scheme == "http" and not is_loopback(value))
    ):
        message = "must be an https URL (http only on a loopback address)"
        raise ValidationError(message, rule="Y1", field="api_url", value=value)


def _check_config(config: VnpayApiConfig) -> None:
    if not isinstance(config.tmn_code, str) or not _TMN_CODE.fullmatch(config.tmn_code):
        raise ValidationError("must be VNPay's 8-character terminal code", rule="Y1", field="tmn_code")
    timeout = config.timeout
    if not isinstance(timeout, dt.timedelta) or not dt.timedelta(0) < timeout <= _MAX_TIMEOUT:
        message = "must be a duration above 0, at most 2 minutes"
        raise ValidationError(message, rule="Y1", field="timeout", value=timeout)
    try:
        ipaddress.ip_address(config.ip_address if isinstance(config.ip_address, str) else "")
    except ValueError:
        raise ValidationError("must be an IP address", rule="Y1", field="ip_address", value=config.ip_address) from None


@attrs.frozen(kw_only=True)
class VnpayApiConfig:
    """Where and as whom to call VNPay's merchant API.

    ``tmn_code`` and ``hash_secret`` are the terminal's (the payment URL's); ``hash_secret`` never shows in a
    ``repr`` or an error. ``api_url`` is VNPay's ``merchant_webapi/api/transaction`` URL; ``timeout`` bounds
    connecting and each read; ``ip_address`` is sent as ``vnp_IpAddr``, the address of the server calling.

    Raises:
        ValidationError: (Y1) a terminal code that is not 8 letters or digits, an empty secret (Y5), a URL
            that is not https (http only on a loopback address), a timeout not in (0, 2 minutes], a bad IP.
    """

    tmn_code: str
    hash_secret: bytes = attrs.field(converter=_secret, repr=lambda _: "<hidden>")
    api_url: str = attrs.field(default=SANDBOX_API_URL, validator=_check_url)
    timeout: dt.timedelta = dt.timedelta(seconds=15)
    ip_address: str = "127.0.0.1"

    def __attrs_post_init__(self) -> None:
        """Check the settings that need more than a pattern."""
        _check_config(self)

    @classmethod
    def of_terminal(
        cls, terminal: VnpayConfig, *, api_url: str = SANDBOX_API_URL, timeout: dt.timedelta | None = None
    ) -> VnpayApiConfig:
        """The API settings of the terminal that takes the payments: its code, secret and IP address.

        Raises:
            ValidationError: as the class says; ``terminal`` not a ``VnpayConfig`` (Y1).
        """
        if not isinstance(terminal, VnpayConfig):
            raise ValidationError("must be a VnpayConfig", rule="Y1", field="terminal", value=type(terminal).__name__)
        return cls(
            tmn_code=terminal.tmn_code,
            hash_secret=terminal.hash_secret,
            api_url=api_url,
            timeout=dt.timedelta(seconds=15) if timeout is None else timeout,
            ip_address=terminal.ip_address,
        )


def read_event_id(event_id: str) -> tuple[str, str]:
    """The ``vnp_TxnRef`` and ``vnp_TransactionNo`` in a VNPay notification's event id (a paid payment's reference).

    The event id is ``<TxnRef>:<TransactionNo>:<ResponseCode>:<TransactionStatus>`` (``VnpayProvider``).

    Raises:
        ValidationError: (Y8, field ``event_id``) not such an id, or one without a transaction number.
    """
    parts = event_id.split(":") if isinstance(event_id, str) else []
    ref, number = (parts[0], parts[1]) if len(parts) == _EVENT_ID_PARTS else ("", "")
    if not _TXN_REF.fullmatch(ref) or not _TRANSACTION_NO.fullmatch(number) or number == "0":
        raise ValidationError("is not a VNPay event id with a transaction number", rule="Y8", field="event_id")
    return ref, number


def _matching(pattern: re.Pattern[str], value: object, *, field: str, rule: str, message: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValidationError(message, rule=rule, field=field, value=value)
    return value


def _stamp(instant: dt.datetime, *, field: str) -> str:
    return ensure_aware(instant, field=field).astimezone(VIETNAM_TZ).strftime(_STAMP)


def _x100(amount: object, *, field: str) -> str:
    if not isinstance(amount, Money) or amount.currency.code != "VND":
        raise ValidationError("must be money in VND", rule="Y8", field=field, value=amount)
    if amount.amount <= 0 or amount.amount != amount.amount.to_integral_value():
        raise ValidationError("must be a whole number of VND above 0", rule="Y8", field=field, value=str(amount))
    digits = str(int(amount.amount) * 100)
    if len(digits) > _MAX_AMOUNT_DIGITS:
        raise ValidationError("is above what VNPay takes", rule="Y8", field=field, value=str(amount))
    return digits


def _refund_kind(amount: Money, paid: Money) -> RefundKind:
    _x100(paid, field="paid")
    if amount > paid:
        raise ValidationError(f"is more than the {paid} paid", rule="Y8", field="amount", value=str(amount))
    return RefundKind.FULL if amount == paid else RefundKind.PARTIAL


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST is not followed: the answer is then an HTTP error, and the outcome unknown."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:  # noqa: ANN401 - urllib's own signature
        """Refuse every redirect."""
        return


class VnpayApiClient:
    """Refunds and queries on VNPay's merchant API: ``VnpayApiClient(config, clock=..., request_ids=...)``.

    ``clock`` dates the requests (``vnp_CreateDate``, GMT+7; the system clock by default); ``request_ids``
    gives each request its ``vnp_RequestId`` (random ids by default): its letters and digits when they fit
    VNPay's 32, else 32 hex digits of their SHA-256. Thread-safe; the secret never shows in a ``repr``.
    """

    def __init__(
        self, config: VnpayApiConfig, *, clock: Clock | None = None, request_ids: IdGenerator | None = None
    ) -> None:
        """Make the client for ``config``; nothing is connected until a call.

        Raises:
            ValidationError: (Y1) ``config`` is not a :class:`VnpayApiConfig`.
        """
        if not isinstance(config, VnpayApiConfig):
            raise ValidationError("must be a VnpayApiConfig", rule="Y1", field="config", value=type(config).__name__)
        self._config = config
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._ids: IdGenerator = request_ids if request_ids is not None else RandomIds()
        self._opener = urllib.request.build_opener(_NoRedirect())

    def __repr__(self) -> str:
        """Name the URL and the terminal, never the secret."""
        config = self._config
        return f"VnpayApiClient(api_url={config.api_url!r}, tmn_code={config.tmn_code!r}, hash_secret=<hidden>)"

    def refund(
        self,
        *,
        txn_ref: str,
        transaction_no: str,
        transaction_date: dt.datetime,
        amount: Money,
        paid: Money,
        created_by: str,
        reason: str = "",
    ) -> RefundResult:
        """Ask VNPay to give back ``amount`` of the payment ``txn_ref`` (Y8): full if it is all ``paid``, else partial.

        ``transaction_no`` is VNPay's ``vnp_TransactionNo`` of the payment (in its notification's event id:
        :func:`read_event_id`) and ``transaction_date`` the ``vnp_CreateDate`` of its payment URL (which no
        notification carries: keep it when the payment starts); ``created_by`` the staff member's id;
        ``reason`` goes, folded to plain ASCII, into ``vnp_OrderInfo``. A refund VNPay answers ``94``
        (requested before) or ``99``, or does not answer in a trustworthy way, is unknown: query it.

        Raises:
            ValidationError: (Y8) a TxnRef that is not 1-100 letters or digits, a transaction number that is
                not digits, a naive date (D2), amounts not in whole VND above 0 or ``amount`` above
                ``paid``, a ``created_by`` that is not 1-250 letters, digits or ``._:@-``.
        """
        ref = _matching(_TXN_REF, txn_ref, field="txn_ref", rule="Y8", message="must be 1-100 letters or digits")
        number = _matching(_TRANSACTION_NO, transaction_no, field="transaction_no", rule="Y8", message="must be digits")
        by = _matching(_CREATED_BY, created_by, field="created_by", rule="Y8", message="must be an actor's id")
        amount_text = _x100(amount, field="amount")
        kind = _refund_kind(amount, paid)
        params = self._params(
            "refund",
            vnp_TransactionType=kind.value,
            vnp_TxnRef=ref,
            vnp_Amount=amount_text,
            vnp_OrderInfo=_refund_info(reason, ref),
            vnp_TransactionNo=number,
            vnp_TransactionDate=_stamp(transaction_date, field="transaction_date"),
            vnp_CreateBy=by,
        )
        request_id = params["vnp_RequestId"]
        result = RefundResult(outcome=Outcome.UNKNOWN, request_id=request_id, txn_ref=ref, kind=kind, amount=amount)
        try:
            fields = self._call(params, REFUND_REQUEST_FIELDS, REFUND_RESPONSE_FIELDS)
            outcome, code = refund_answer(fields, txn_ref=ref, tmn_code=self._config.tmn_code, amount_x100=amount_text)
        except UnreadableResponseError as error:
            result = attrs.evolve(result, message=str(error))
        else:
            result = attrs.evolve(
                result,
                outcome=outcome,
                code=code,
                message=described(code, REFUND_CODES),
                response_id=fields.get("vnp_ResponseId", ""),
                transaction_no=fields.get("vnp_TransactionNo", "") if outcome is Outcome.SUCCEEDED else "",
            )
        _logged("refund", result.outcome, request_id, ref, result.message)
        return result

    def query(self, *, txn_ref: str, transaction_date: dt.datetime, transaction_no: str = "") -> QueryResult:
        """Ask VNPay the result of the transaction ``txn_ref`` (``querydr``): paid, failed, refunded (Y6).

        ``transaction_date`` is the ``vnp_CreateDate`` of the payment URL; ``transaction_no``, if known, is
        sent too (VNPay's checksum does not cover it). A query changes nothing at VNPay; repeat it at will
        (VNPay answers ``94`` to repeats within its time limit: unknown, ask again later).

        Raises:
            ValidationError: (Y1) a TxnRef that is not 1-100 letters or digits, a transaction number that is
                not digits; (D2) a naive date.
        """
        ref = _matching(_TXN_REF, txn_ref, field="txn_ref", rule="Y1", message="must be 1-100 letters or digits")
        if transaction_no != "":
            _matching(_TRANSACTION_NO, transaction_no, field="transaction_no", rule="Y1", message="must be digits")
        params = self._params(
            "querydr",
            vnp_TxnRef=ref,
            vnp_OrderInfo=f"Truy van giao dich {ref}",
            vnp_TransactionDate=_stamp(transaction_date, field="transaction_date"),
        ) | ({"vnp_TransactionNo": transaction_no} if transaction_no else {})
        request_id = params["vnp_RequestId"]
        result = QueryResult(outcome=Outcome.UNKNOWN, request_id=request_id, txn_ref=ref)
        try:
            fields = self._call(params, QUERY_REQUEST_FIELDS, QUERY_RESPONSE_FIELDS)
            outcome, code, found = query_answer(fields, txn_ref=ref, tmn_code=self._config.tmn_code)
        except UnreadableResponseError as error:
            result = attrs.evolve(result, message=str(error))
        else:
            result = attrs.evolve(
                result,
                outcome=outcome,
                code=code,
                message=described(code, QUERY_CODES),
                response_id=fields.get("vnp_ResponseId", ""),
                transaction=found,
            )
        _logged("querydr", result.outcome, request_id, ref, result.message)
        return result

    def _params(self, command: str, **fields: str) -> dict[str, str]:
        """A request's fields: ``fields`` and those every request has, with a new request id and date."""
        made = self._ids.new_id("vnp")
        plain = re.sub(r"[^A-Za-z0-9]", "", made)
        request_id = plain if _REQUEST_ID.fullmatch(plain) else hashlib.sha256(made.encode("utf-8")).hexdigest()[:32]
        return {
            "vnp_RequestId": request_id,
            "vnp_Version": _VERSION,
            "vnp_Command": command,
            "vnp_TmnCode": self._config.tmn_code,
            "vnp_CreateDate": _stamp(self._clock.now(), field="clock"),
            "vnp_IpAddr": self._config.ip_address,
        } | fields

    def _call(self, params: dict[str, str], order: Sequence[str], answer_order: Sequence[str]) -> dict[str, str]:
        """POST the signed ``params``; VNPay's verified answer, or :class:`UnreadableResponseError` saying why not."""
        secret = self._config.hash_secret
        body = json.dumps(params | {"vnp_SecureHash": pipe_checksum(secret, params, order)}).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - the URL is checked https (or loopback http) in the config
            self._config.api_url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        seconds = self._config.timeout.total_seconds()
        try:
            with self._opener.open(request, timeout=seconds) as answer:
                raw = answer.read(_MAX_ANSWER + 1)
        except urllib.error.HTTPError as error:
            error.close()
            raise UnreadableResponseError(f"VNPay answered HTTP {error.code}") from None
        except urllib.error.URLError as error:
            raise UnreadableResponseError(_failure(error.reason, seconds)) from None
        except (OSError, http.client.HTTPException) as error:
            raise UnreadableResponseError(_failure(error, seconds)) from None
        if len(raw) > _MAX_ANSWER:
            raise UnreadableResponseError("the answer is larger than any VNPay sends")
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            raise UnreadableResponseError("the answer is not JSON") from None
        return response_fields(payload, secret, answer_order)


def _failure(reason: object, seconds: float) -> str:
    if isinstance(reason, TimeoutError):
        return f"no answer within {seconds:g} s"
    return f"the connection failed ({type(reason).__name__})"


def _refund_info(reason: object, ref: str) -> str:
    """``vnp_OrderInfo`` of a refund: ``Hoan tien <TxnRef>`` and the reason, in VNPay's plain ASCII, at most 255."""
    if not isinstance(reason, str):
        raise ValidationError("must be a text", rule="Y8", field="reason", value=type(reason).__name__)
    return order_info(f"Hoan tien {ref}: {reason}" if reason.strip() else f"Hoan tien {ref}", ref)


def _logged(command: str, outcome: Outcome, request_id: str, txn_ref: str, message: str) -> None:
    level = logging.WARNING if outcome is Outcome.UNKNOWN else logging.INFO
    _log.log(level, "vnpay %s %s for TxnRef %s: %s (%s)", command, request_id, txn_ref, outcome.value, message)
