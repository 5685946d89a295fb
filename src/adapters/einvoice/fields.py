"""The fields of the e-invoice format: the longest text each takes, and checks that a value fits it (I1, I2).

The limits are those of the XML format of Quyết định 1450/QĐ-TCT. Names, addresses, e-mail addresses and
tax codes are personal data: an error names the field and the reason, never echoes a name or an address,
and carries an e-mail address or a tax code only :func:`~subscription_core.errors.masked`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from subscription_core.contact_details import email_address
from subscription_core.errors import ValidationError
from subscription_core.tax_codes import TaxCode

__all__ = ["LIMITS", "checked_email", "checked_tax_code", "checked_text", "optional_text"]

LIMITS: Final = {
    "name": 400,
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
"""The longest text each field of the format takes: names (``Ten``), addresses (``DChi``), e-mail
(``DCTDTu``), phone (``SDThoai``), bank account and bank (``STKNHang``, ``TNHang``), item name and code
(``THHDVu``, ``MHHDVu``), unit (``DVTinh``) and payment method (``HTTToan``)."""

_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def checked_text(value: object, field: str, *, limit: str, rule: str = "I1") -> str:
    """``value`` trimmed, its inner whitespace collapsed, checked to fit the format's field ``limit``.

    Raises:
        ValidationError: (``rule``, ``field``) not text, blank, longer than :data:`LIMITS` allows, or
            holding a control character XML cannot carry.
    """
    if not isinstance(value, str):
        raise ValidationError("must be text", rule=rule, field=field)
    text = " ".join(value.split())
    if not text:
        raise ValidationError("must not be empty", rule=rule, field=field)
    if len(text) > LIMITS[limit]:
        raise ValidationError(
            f"has {len(text)} characters; the e-invoice format takes at most {LIMITS[limit]}", rule=rule, field=field
        )
    if _NOT_XML.search(text):
        raise ValidationError("holds a control character that an XML document cannot carry", rule=rule, field=field)
    return text


def optional_text(limit: str, field: str) -> Callable[[object], str | None]:
    """An attrs converter: ``None`` or blank text stays ``None``; other text is checked as :func:`checked_text`."""

    def convert(value: object) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return checked_text(value, field, limit=limit)

    return convert


def checked_email(value: object, field: str) -> str:
    """A valid e-mail address (I2) that fits the format, in the form ``Contact`` keeps it.

    Raises:
        ValidationError: (I2) a malformed address, with the reason and the address masked, or (I1) one
            longer than the format's 50 characters.
    """
    return checked_text(email_address(value, field=field, rule="I2"), field, limit="email")


def checked_tax_code(value: object, field: str) -> TaxCode:
    """A valid tax code (U1), parsed from text if need be.

    Raises:
        ValidationError: (U1) anything else, with the reason and the code masked.
    """
    if isinstance(value, TaxCode):
        return value
    try:
        return TaxCode(value=value)
    except ValidationError as exc:
        raise ValidationError(
            f"is not a valid tax code ({exc.message})", rule="U1", field=field, value=exc.value
        ) from None
