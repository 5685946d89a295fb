"""E-mail addresses, phone numbers and the e-invoice's field limits: what the core accepts for a contact (O2, I2, O7).

:func:`is_email_address` is the project's one e-mail check: parties and contacts apply it through
:func:`email_address`, and the SMTP adapter before it sends. Both are personal data, so a refused address
or number is :func:`~subscription_core.errors.masked` in the error, whose message still says what is wrong.

:data:`INVOICE_FIELD_LIMITS`, :func:`fitted_text` and :func:`fitted_email` are the one set of limits of the
e-invoice's fields (the lengths of the XML format of Quyết định 1450/QĐ-TCT, and the characters an XML
document can carry): an order's subscriber and invoice details are checked against them when it is placed
(O7), and the e-invoice adapter builds its documents with the same functions, so that details the checkout
accepted are never refused when the invoice is issued.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

from subscription_core.errors import PersonalKind, ValidationError, masked
from subscription_core.texts import text_problem

__all__ = [
    "INVOICE_FIELD_LIMITS",
    "InvoiceField",
    "character_problem",
    "email_address",
    "fitted_email",
    "fitted_text",
    "is_email_address",
    "phone_number",
]

_LOCAL: Final = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN: Final = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_MAX_LOCAL: Final = 64  # RFC 5321
_MAX_DOMAIN: Final = 253  # RFC 1035
_PHONE_DIGITS: Final = range(8, 16)
_PHONE_SEPARATORS: Final = re.compile(r"[\s.()\-]")


def _email_problem(text: str) -> str | None:
    """What is wrong with ``text`` as an e-mail address, or ``None``; ASCII follows from the patterns."""
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or "@" in local:
        return "must have one '@' between a name and a domain"
    if any(c.isspace() for c in text):  # also a final line break, which '$' in the patterns would let through
        return "must not contain spaces"
    if len(local) > _MAX_LOCAL or not _LOCAL.match(local):
        return "the part before '@' has a character or dot that e-mail does not allow"
    if len(domain) > _MAX_DOMAIN or not _DOMAIN.match(domain):
        return "the domain must be dot-separated names ending in a top-level domain of letters"
    return None


def is_email_address(text: object) -> bool:
    """Whether ``text`` is, as it stands, a plain ASCII mailbox ``name@domain.tld`` that SMTP takes as is (I2).

    A dot-atom of at most 64 characters before the one ``@``; after it, at most 253 characters of
    dot-separated host names ending in a top-level domain of letters. No display name, no whitespace
    anywhere (surrounding whitespace included: :func:`email_address` strips it first). Never raises.
    """
    return isinstance(text, str) and _email_problem(text) is None


def email_address(value: object, *, field: str = "email", rule: str = "I2") -> str:
    """Return ``value`` stripped of surrounding whitespace, with its domain in lower case (O2, I2).

    The stripped text must satisfy :func:`is_email_address`.

    Raises:
        ValidationError: (``rule``, ``field``) not text, or not an e-mail address, with the reason; the
            value is masked (``k***@h***.vn``).
    """
    if not isinstance(value, str):
        raise ValidationError("must be text", rule=rule, field=field, value=masked(value, "email"))
    text = value.strip()
    if problem := _email_problem(text):
        raise ValidationError(problem, rule=rule, field=field, value=masked(value, "email"))
    local, _at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def phone_number(value: object, *, field: str = "phone", rule: str = "O2") -> str | None:
    """Return a phone number without its separators (spaces . - ( )), or ``None`` for ``None`` or blank text.

    The check is minimal: an optional leading ``+`` and 8 to 15 digits.

    Raises:
        ValidationError: (``rule``, ``field``) not text, another character, or too few or too many digits;
            the value is masked (``09******78``).
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("must be text", rule=rule, field=field, value=masked(value, "phone"))
    text = _PHONE_SEPARATORS.sub("", value)
    if not text:
        return None
    digits = text.removeprefix("+")
    if not (digits.isascii() and digits.isdigit()):
        raise ValidationError(
            "may hold only digits, a leading '+' and spaces . - ( )",
            rule=rule,
            field=field,
            value=masked(value, "phone"),
        )
    if len(digits) not in _PHONE_DIGITS:
        raise ValidationError(
            f"has {len(digits)} digits; a phone number has 8 to 15",
            rule=rule,
            field=field,
            value=masked(value, "phone"),
        )
    return text


InvoiceField = Literal[
    "name",
    "full_name",
    "address",
    "email",
    "phone",
    "bank_account",
    "bank_name",
    "description",
    "code",
    "unit",
    "payment_method",
]
"""A text field of the e-invoice, by what it holds."""

INVOICE_FIELD_LIMITS: Final[Mapping[InvoiceField, int]] = MappingProxyType(
    {
        "name": 400,
        "full_name": 100,
        "address": 400,
        "email": 50,
        "phone": 20,
        "bank_account": 30,
        "bank_name": 400,
        "description": 500,
        "code": 50,
        "unit": 50,
        "payment_method": 50,
    }
)
"""The longest text each field of the e-invoice takes, in characters (QĐ 1450/QĐ-TCT, XML format 2.0.0, and its
2.1.0 update, which keeps these lengths): names (``Ten``), an individual buyer's full name (``HVTNMHang``, I4),
addresses (``DChi``), e-mail (``DCTDTu``), phone (``SDThoai``), bank account and bank (``STKNHang``,
``TNHang``), item name and code (``THHDVu``, ``MHHDVu``), unit (``DVTinh``) and payment method (``HTTToan``)."""

_PERSONAL: Final[Mapping[InvoiceField, PersonalKind]] = MappingProxyType(
    {"email": "email", "phone": "phone", "bank_account": "account"}
)


def character_problem(text: str) -> str | None:
    """What character of ``text`` an e-invoice cannot carry, or ``None`` (O7, I1).

    The library's one text check, :func:`subscription_core.texts.text_problem`, for a one-line text:
    control characters (C0, DEL and C1; whitespace is collapsed to spaces before this is asked), lone
    surrogates, Unicode's non-characters such as U+FFFE, bidirectional overrides, and a text of invisible
    characters only. Never raises for text.
    """
    return text_problem(text)


def fitted_text(value: object, *, field: str, limit: InvoiceField, rule: str = "O7") -> str:
    """``value`` trimmed, its inner whitespace collapsed, checked to fit the e-invoice's field ``limit`` (O7, I1).

    Raises:
        ValidationError: (``rule``, ``field``) not text, blank, longer than :data:`INVOICE_FIELD_LIMITS` allows
            (the message names the limit), or holding a character :func:`character_problem` refuses; the value
            is :func:`~subscription_core.errors.masked`.
    """
    kind = _PERSONAL.get(limit, "text")
    if not isinstance(value, str):
        raise ValidationError("must be text", rule=rule, field=field, value=masked(value, kind))
    text = " ".join(value.split())
    if not text:
        raise ValidationError("must not be empty", rule=rule, field=field, value=masked(value, kind))
    most = INVOICE_FIELD_LIMITS[limit]
    if len(text) > most:
        raise ValidationError(
            f"has {len(text)} characters; the e-invoice takes at most {most}",
            rule=rule,
            field=field,
            value=masked(text, kind),
        )
    if problem := character_problem(text):
        raise ValidationError(problem, rule=rule, field=field, value=masked(text, kind))
    return text


def fitted_email(value: object, *, field: str, rule: str = "O7") -> str:
    """A valid e-mail address (I2) that fits the e-invoice's 50 characters, as :func:`email_address` gives it (O7).

    Raises:
        ValidationError: (I2) a malformed address, with the reason, or (``rule``) one longer than the
            e-invoice takes; the address is masked either way.
    """
    return fitted_text(email_address(value, field=field, rule="I2"), field=field, limit="email", rule=rule)
