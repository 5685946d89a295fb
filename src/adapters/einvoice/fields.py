"""The fields of the e-invoice format: the longest text each takes, and checks that a value fits it (I1, I2).

The limits and the checks are the core's (:mod:`subscription_core.contact_details`, from the XML format of
Quyết định 1450/QĐ-TCT): the checkout checks an order's details with the same functions when it is placed
(O7), so that what it accepted always fits the document built here. Names, addresses, e-mail addresses and
tax codes are personal data: an error names the field, the limit and the reason, and carries the value
only :func:`~subscription_core.errors.masked`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from subscription_core.contact_details import INVOICE_FIELD_LIMITS, InvoiceField, fitted_email, fitted_text
from subscription_core.errors import ValidationError
from subscription_core.tax_codes import TaxCode

__all__ = ["LIMITS", "checked_email", "checked_tax_code", "checked_text", "optional_text"]

LIMITS: Final = INVOICE_FIELD_LIMITS
"""The longest text each field of the format takes: the core's ``contact_details.INVOICE_FIELD_LIMITS``."""


def checked_text(value: object, field: str, *, limit: InvoiceField, rule: str = "I1") -> str:
    """``value`` trimmed, its inner whitespace collapsed, checked to fit the format's field ``limit``.

    Raises:
        ValidationError: (``rule``, ``field``) not text, blank, longer than :data:`LIMITS` allows, or
            holding a character the format cannot carry (a control character, a surrogate, U+FFFE...).
    """
    return fitted_text(value, field=field, limit=limit, rule=rule)


def optional_text(limit: InvoiceField, field: str) -> Callable[[object], str | None]:
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
    return fitted_email(value, field=field, rule="I1")


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
