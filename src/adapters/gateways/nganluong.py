"""NgânLượng (nganluong.vn) checkout 3.1 behind the ``PaymentProvider`` port (Y1, Y2, Y5, Y6).

:meth:`NganLuongProvider.start` calls ``SetExpressCheckout`` server to server and sends the buyer to the
``checkout_url`` NgânLượng answers (``provider_ref`` is its token). NgânLượng then sends the buyer back to
the return URL with ``token`` and ``error_code``; the adapter added ``order_code`` to that URL itself.
Nothing in that query is trusted: :meth:`NganLuongProvider.parse_notification` always asks
``GetTransactionDetail`` for the token, server to server, and reads the order, the amount and the
status from NgânLượng's answer (Y5). The return query's own fields must agree with it or the return is
refused. The core then records the event once and applies it, or keeps money an order cannot take as
unapplied (Y6).

A notification's event id is ``<token>:<transaction_id>:<transaction_status>``: the same return read
twenty times is one event, a failure and a later success of the same token two. A payment NgânLượng
holds or has not finished, and a check that times out, raise :class:`RetryLaterError`: nothing is
recorded and the attempt is not failed.

This module re-exports the settings (:mod:`~subscription_core_adapters.gateways.nganluong_config`) and the
return page's helper (:mod:`~subscription_core_adapters.gateways.nganluong_callbacks` imports this one).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from subscription_core.calendar import ensure_aware
from subscription_core.errors import RetryLaterError, SubscriptionError, ValidationError
from subscription_core.payments import MethodKind, ProviderNotification
from subscription_core.ports import PaymentRequest, PaymentStart
from subscription_core_adapters.gateways.nganluong_api import call
from subscription_core_adapters.gateways.nganluong_config import NganLuongBuyer, NganLuongConfig, check_url
from subscription_core_adapters.gateways.nganluong_protocol import (
    CANCELLED,
    CURRENCY,
    DETAIL_ANSWER_FIELDS,
    ERROR_MESSAGES,
    NAME,
    NO_SUCH_TOKEN,
    SANDBOX_API_URL,
    VERSION,
    amount_text,
    described,
    method_fields,
    order_code_for,
    password_digest,
)
from subscription_core_adapters.gateways.nganluong_reading import RETURN_FIELDS, notification_of

__all__ = [
    "NAME",
    "RETURN_FIELDS",
    "SANDBOX_API_URL",
    "NganLuongBuyer",
    "NganLuongConfig",
    "NganLuongProvider",
]

_log = logging.getLogger("subscription_core_adapters.gateways.nganluong")
_TAKES: Final = frozenset({MethodKind.DOMESTIC_CARD, MethodKind.INTERNATIONAL_CARD, MethodKind.E_WALLET})
_TOKEN: Final = re.compile(r"[A-Za-z0-9_.-]{1,100}")
_MAX_DESCRIPTION: Final = 255
_START_ANSWER: Final = ("error_code", "token", "description", "time_limit", "checkout_url")
# What a SetExpressCheckout error code says is wrong, for the error's field; codes not named are NgânLượng's
# own trouble (99, 80, 135) or unknown, which a later try may get past.
_REFUSED_FIELD: Final = {
    "02": "api_url",
    "03": "merchant_password",
    "04": "api_url",
    "05": "api_url",
    "06": "merchant_id",
    "07": "merchant_password",
    "08": "receiver_email",
    "09": "receiver_email",
    "110": "receiver_email",
    "111": "receiver_email",
    "113": "receiver_email",
    "10": "order_code",
    "11": "amount",
    "12": "currency",
    "118": "amount",
    "119": "amount",
    "120": "amount",
    "121": "return_url",
    "122": "cancel_url",
    "123": "total_item",
    "125": "total_item",
    "133": "total_item",
    "124": "description",
    "126": "description",
    "127": "description",
    "128": "time_limit",
    "129": "buyer_fullname",
    "130": "buyer_email",
    "131": "buyer_mobile",
    "132": "buyer_address",
    "134": "method",
    "140": "method",
}

BuyerOf = Callable[[PaymentRequest], NganLuongBuyer]
"""Finds the buyer of a payment (the order's customer contact), for ``SetExpressCheckout``'s buyer fields."""


def _with_order_code(url: str, order_code: str) -> str:
    """``url`` with ``order_code`` added to its query, so that the return names the attempt it came back from."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in RETURN_FIELDS]
    return urlunsplit(parts._replace(query=urlencode([*query, ("order_code", order_code)])))


class NganLuongProvider:
    """The ``PaymentProvider`` port on NgânLượng: ``NganLuongProvider(config, buyer=...)``, registered as :data:`NAME`.

    It takes domestic cards (``ATM_ONLINE`` with the method's bank, one of ``config.banks``), international
    cards (``VISA``: Visa, MasterCard, JCB on NgânLượng's page) and the NgânLượng wallet
    (``PaymentMethod.e_wallet("NGANLUONG")``, ``NL``); other methods are refused. NgânLượng requires the
    buyer's name, e-mail and mobile: they are the request's ``buyer`` (the order's contact, which the core
    sends), unless ``buyer`` is given, a function that finds them for a request (for a host whose records say
    more than the order's contact). Stateless and thread-safe; the password never shows.
    """

    name: str = NAME
    methods: Final = _TAKES

    def __init__(self, config: NganLuongConfig, *, buyer: BuyerOf | None = None) -> None:
        """Make the provider for ``config``'s merchant; nothing is called until :meth:`start`.

        Raises:
            ValidationError: (Y1) ``config`` is not a :class:`NganLuongConfig`, or ``buyer`` not callable.
        """
        if not isinstance(config, NganLuongConfig):
            raise ValidationError("must be a NganLuongConfig", rule="Y1", field="config", value=type(config).__name__)
        if buyer is not None and not callable(buyer):
            raise ValidationError("must be a function of a PaymentRequest", rule="Y1", field="buyer")
        self._config = config
        self._buyer = buyer

    def __repr__(self) -> str:
        """Name the merchant and the API only, never the password."""
        config = self._config
        return f"NganLuongProvider(merchant_id={config.merchant_id!r}, api_url={config.api_url!r}, password=<hidden>)"

    def start(self, request: PaymentRequest) -> PaymentStart:
        """Ask NgânLượng for a checkout page for ``request`` (``SetExpressCheckout``); moves no money (Y2).

        ``redirect_url`` is NgânLượng's ``checkout_url``, ``provider_ref`` its token. One call, bounded by
        ``config.timeout``, made inside the caller's database transaction.

        Raises:
            ValidationError: (Y1) not a ``PaymentRequest``; a method NgânLượng does not take here; a currency
                other than VND or an amount that is not whole VND; ids too long for an ``order_code``; a bad
                return URL; NgânLượng refusing the request (the message names its error code, the field
                what it refused: ``merchant_password`` for 07, ``receiver_email`` for 08, ...); a checkout URL
                that is not https; no buyer (neither a ``buyer`` function nor the request's), or a buyer
                contact without a phone (NgânLượng requires the mobile).
            RetryLaterError: (Y5) no answer in time, a connection failure, an unreadable answer, or
                NgânLượng's own trouble (99, 80, 135): nothing was started.
        """
        if not isinstance(request, PaymentRequest):
            raise ValidationError("must be a PaymentRequest", rule="Y1", field="request", value=type(request).__name__)
        if request.method.kind not in _TAKES:
            raise ValidationError(
                "nganluong does not take this method", rule="Y1", field="method", value=request.method.kind.value
            )
        fields = self._checkout_fields(request)
        answer = call(self._config.api_url, fields, _START_ANSWER, timeout=self._timeout)
        code = answer.get("error_code", "")
        if code != "00":
            raise self._refusal("SetExpressCheckout", code)
        token, url = answer.get("token", ""), answer.get("checkout_url", "")
        if not _TOKEN.fullmatch(token):
            raise RetryLaterError("SetExpressCheckout answered without a token; nothing was started")
        redirect = check_url(url, "checkout_url", http_on_loopback=True)
        _log.info("nganluong checkout %s started for order %s", token, request.order_id)
        return PaymentStart(redirect_url=redirect, provider_ref=token)

    def parse_notification(self, payload: Mapping[str, str], *, received_at: dt.datetime) -> ProviderNotification:
        """Confirm NgânLượng's return query with ``GetTransactionDetail`` and read NgânLượng's answer (Y5).

        The query must carry ``token`` and the ``order_code`` this adapter added to the return URL (and may
        carry NgânLượng's ``error_code``). The order, amount, currency (VND) and status are NgânLượng's:
        the amount it reports is passed on as it is, so another amount is kept as unapplied money by the core
        (Y6). Status ``00`` is a success, ``02`` (or error 115, cancelled) a failure.

        Raises:
            ValidationError: (D2) a naive ``received_at``; (Y5) a payload that is not short text fields, no
                or a malformed ``token`` (field ``token``), a token NgânLượng does not know (29, field
                ``token``), an ``order_code`` or ``receiver_email`` other than NgânLượng's, an ``error_code``
                not in NgânLượng's table or claiming a success NgânLượng denies (field ``error_code``);
                (Y1) NgânLượng refusing the merchant's credentials (the field names the setting).
            RetryLaterError: (Y5) a payment NgânLượng holds or has not finished (status 01, error 81 or
                114), no answer in time, an answer that cannot be read: nothing is recorded.
        """
        when = ensure_aware(received_at, field="received_at")
        query = _return_query(payload)
        fields = {
            "merchant_id": self._config.merchant_id,
            "merchant_password": password_digest(self._config.merchant_password),
            "version": VERSION,
            "function": "GetTransactionDetail",
            "token": query["token"],
        }
        answer = call(self._config.api_url, fields, DETAIL_ANSWER_FIELDS, timeout=self._timeout)
        code = answer.get("error_code", "")
        if code == NO_SUCH_TOKEN:
            raise ValidationError(
                f"NgânLượng knows no such token ({described(code)})", rule="Y5", field="token", value=code
            )
        if code not in {"00", CANCELLED}:
            raise self._refusal("GetTransactionDetail", code)
        return notification_of(query, answer, receiver=self._config.receiver_email, received_at=when)

    def _buyer_of(self, request: PaymentRequest) -> NganLuongBuyer:
        """The buyer ``SetExpressCheckout`` names: the host's function's, else the request's contact."""
        if self._buyer is not None:
            buyer = self._buyer(request)
            if not isinstance(buyer, NganLuongBuyer):
                raise ValidationError("the buyer function must give a NganLuongBuyer", rule="Y1", field="buyer")
            return buyer
        contact = request.buyer
        if contact is None:
            raise ValidationError("NgânLượng requires the buyer: the request names none", rule="Y1", field="buyer")
        if not contact.phone:
            raise ValidationError(
                "NgânLượng requires the buyer's mobile: the order's contact has no phone",
                rule="Y1",
                field="buyer_mobile",
            )
        return NganLuongBuyer(fullname=contact.name, email=contact.email, mobile=contact.phone)

    @property
    def _timeout(self) -> float:
        return self._config.timeout.total_seconds()

    def _checkout_fields(self, request: PaymentRequest) -> dict[str, str]:
        """``SetExpressCheckout``'s fields, in the order of NgânLượng's samples."""
        config = self._config
        code = order_code_for(request.order_id, request.payment_id)
        payment = method_fields(request.method, config.banks)
        total = amount_text(request)
        back = check_url(request.return_url or config.return_url, "return_url", http_on_loopback=True)
        buyer = self._buyer_of(request)
        description = request.description if isinstance(request.description, str) else ""
        return {
            "cur_code": CURRENCY,
            "function": "SetExpressCheckout",
            "version": VERSION,
            "merchant_id": config.merchant_id,
            "receiver_email": config.receiver_email,
            "merchant_password": password_digest(config.merchant_password),
            "order_code": code,
            "total_amount": total,
            "payment_method": payment["payment_method"],
            "bank_code": payment["bank_code"],
            "payment_type": "1",  # paid at once: a held payment (2) would leave the order waiting for days
            "order_description": description[:_MAX_DESCRIPTION],
            "tax_amount": "0",
            "fee_shipping": "0",
            "discount_amount": "0",
            "return_url": _with_order_code(back, code),
            "cancel_url": _with_order_code(config.cancel_url or back, code),
            "buyer_fullname": buyer.fullname,
            "buyer_email": buyer.email,
            "buyer_mobile": buyer.mobile,
            "buyer_address": buyer.address,
            "total_item": "0",
        }

    @staticmethod
    def _refusal(function: str, code: str) -> SubscriptionError:
        """The library's error for NgânLượng's ``error_code``: a refused field, or retry later."""
        field = _REFUSED_FIELD.get(code)
        if field is None:
            known = "" if code in ERROR_MESSAGES else ", a code NgânLượng's table does not name"
            return RetryLaterError(f"{function}: NgânLượng answered {described(code)}{known}", provider_code=code)
        return ValidationError(f"{function}: NgânLượng refused it with {described(code)}", rule="Y1", field=field)


def _return_query(payload: Mapping[str, str]) -> dict[str, str]:
    """The return query's fields this adapter reads, once each is short text (Y5)."""
    if not isinstance(payload, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in payload.items()
    ):
        raise ValidationError("must be a mapping of text fields", rule="Y5", field="payload")
    token = payload.get("token", "")
    if not _TOKEN.fullmatch(token):
        raise ValidationError("the return carries no NgânLượng token", rule="Y5", field="token")
    query = {name: payload[name] for name in RETURN_FIELDS if name in payload}
    for name, value in query.items():
        if len(value) > _MAX_DESCRIPTION:
            raise ValidationError("is longer than NgânLượng sends", rule="Y5", field=name)
    if not query.get("order_code"):
        raise ValidationError("the return carries no order_code (the return URL's)", rule="Y5", field="order_code")
    code = query.get("error_code")
    if code is not None and code not in ERROR_MESSAGES:
        raise ValidationError("is not a NgânLượng error code", rule="Y5", field="error_code", value=code[:8])
    return query
