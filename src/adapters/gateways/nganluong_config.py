"""A NgânLượng merchant's settings and the buyer details its checkout asks for (Y1).

:class:`NganLuongConfig` holds what NgânLượng's samples configure (``merchant_id``, the connection password,
``receiver_email``, the API URL) and the library's pages and timeout. :class:`NganLuongBuyer` is the buyer
``SetExpressCheckout`` names (``buyer_fullname``, ``buyer_email``, ``buyer_mobile``, ``buyer_address``):
the core's ``PaymentRequest`` carries none, so the host gives a function that finds them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Final
from urllib.parse import urlsplit

import attrs

from subscription_core.errors import ValidationError, checked_text, masked
from subscription_core_adapters.gateways.checks import is_loopback
from subscription_core_adapters.gateways.nganluong_protocol import BANKS, SANDBOX_API_URL

__all__ = ["NganLuongBuyer", "NganLuongConfig"]

_MERCHANT_ID: Final = re.compile(r"[A-Za-z0-9]{1,32}")
_EMAIL: Final = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,63}")
_BANK: Final = re.compile(r"[A-Z0-9]{2,20}")
_MAX_TIMEOUT: Final = dt.timedelta(minutes=1)
_MAX_URL: Final = 1000


def _password(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError(
            "must be the merchant's connection password, as text", rule="Y1", field="merchant_password"
        )
    return value


def _check_merchant_id(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _MERCHANT_ID.fullmatch(value):
        raise ValidationError(
            "must be NgânLượng's merchant id (1-32 letters or digits)", rule="Y1", field="merchant_id"
        )


def _check_email(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _EMAIL.fullmatch(value):
        raise ValidationError(
            "must be an e-mail address", rule="Y1", field=attribute.name, value=masked(value, "email")
        )


def check_url(value: object, field: str, *, http_on_loopback: bool = False) -> str:
    """``value`` if it is an absolute https URL without fragment (http too on a loopback host when allowed).

    Raises:
        ValidationError: (Y1, naming ``field``) anything else, or a URL over 1000 characters.
    """
    try:
        parts = urlsplit(value) if isinstance(value, str) and len(value) <= _MAX_URL else None
    except ValueError:
        parts = None
    schemes = {"https", "http"} if http_on_loopback and is_loopback(value) else {"https"}
    if parts is None or parts.scheme not in schemes or not parts.hostname or parts.fragment or " " in str(value):
        message = (
            "must be an https URL (http only on a loopback address)" if http_on_loopback else "must be an https URL"
        )
        raise ValidationError(message, rule="Y1", field=field, value=masked(value, "text"))
    return str(value)


def _page(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if attribute.name == "cancel_url" and value == "":
        return
    check_url(value, attribute.name, http_on_loopback=True)


def _api(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_url(value, attribute.name, http_on_loopback=True)


def _check_config(config: NganLuongConfig) -> None:
    timeout = config.timeout
    if not isinstance(timeout, dt.timedelta) or not dt.timedelta(0) < timeout <= _MAX_TIMEOUT:
        raise ValidationError("must be a duration above 0, at most 1 minute", rule="Y1", field="timeout", value=timeout)
    banks = config.banks
    if (
        not isinstance(banks, frozenset)
        or not banks
        or not all(isinstance(b, str) and _BANK.fullmatch(b) for b in banks)
    ):
        raise ValidationError("must be a set of upper-case bank codes", rule="Y1", field="banks")


@attrs.frozen(kw_only=True)
class NganLuongConfig:
    """A NgânLượng merchant's settings.

    ``merchant_id`` and ``merchant_password`` are the connection NgânLượng gives a merchant site (only the
    password's MD5 is ever sent; the password never shows in a ``repr`` or an error); ``receiver_email``
    is the NgânLượng account that receives the money (personal data: masked in errors). ``api_url`` is the
    checkout API (the sandbox by default; https, or http to a loopback stand-in). ``return_url`` is where
    NgânLượng sends the buyer back (a request's own wins) and ``cancel_url`` where a cancelled buyer goes
    (the return URL when empty). ``timeout`` bounds each call: :meth:`NganLuongProvider.start` runs inside
    the caller's database transaction, so keep it short (10 s by default, at most 1 minute). ``banks`` are
    the bank codes taken for ``ATM_ONLINE`` (NgânLượng's published list by default).

    Raises:
        ValidationError: (Y1) a merchant id that is not 1-32 letters or digits, an empty password, a
            receiver that is not an e-mail address, a URL that is not https (http only on a loopback host),
            a timeout not in (0, 1 minute], bank codes that are not upper-case letters and digits.
    """

    merchant_id: str = attrs.field(validator=_check_merchant_id)
    merchant_password: str = attrs.field(converter=_password, repr=lambda _: "<hidden>")
    receiver_email: str = attrs.field(validator=_check_email, repr=lambda v: repr(masked(v, "email")))
    return_url: str = attrs.field(validator=_page)
    cancel_url: str = attrs.field(default="", validator=_page)
    api_url: str = attrs.field(default=SANDBOX_API_URL, validator=_api)
    timeout: dt.timedelta = dt.timedelta(seconds=10)
    banks: frozenset[str] = BANKS

    def __attrs_post_init__(self) -> None:
        """Check the settings that need more than a pattern."""
        _check_config(self)


def _required(field: str, most: int) -> Any:  # noqa: ANN401 - an attrs validator
    def check(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError("is required by NgânLượng's checkout", rule="Y1", field=field)
        checked_text(value, field=field, rule="Y1", most=most, shown=None)

    return check


@attrs.frozen(kw_only=True)
class NganLuongBuyer:
    """The buyer ``SetExpressCheckout`` names: full name, e-mail and mobile (required by NgânLượng), address.

    Personal data: a ``repr`` shows none of it, and no error carries it.

    Raises:
        ValidationError: (Y1) a missing name, e-mail or mobile; a text the library refuses (a control
            character, over 255 characters); an e-mail without one ``@``.
    """

    fullname: str = attrs.field(validator=_required("buyer_fullname", 255), repr=False)
    email: str = attrs.field(validator=_required("buyer_email", 255), repr=False)
    mobile: str = attrs.field(validator=_required("buyer_mobile", 32), repr=False)
    address: str = attrs.field(default="", repr=False)

    def __attrs_post_init__(self) -> None:
        """Check the e-mail's shape and the address's text."""
        if self.email.count("@") != 1:
            raise ValidationError("must be an e-mail address", rule="Y1", field="buyer_email")
        checked_text(self.address, field="buyer_address", rule="Y1", most=255, shown=None)
