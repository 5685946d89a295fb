"""E-mail addresses and phone numbers: the shapes the core accepts for a contact (O2, I2).

:func:`is_email_address` is the project's one e-mail check: parties and contacts apply it through
:func:`email_address`, and the SMTP adapter before it sends. Both are personal data, so a refused address
or number is :func:`~subscription_core.errors.masked` in the error, whose message still says what is wrong.
"""

from __future__ import annotations

import re
from typing import Final

from subscription_core.errors import ValidationError, masked

__all__ = ["email_address", "is_email_address", "phone_number"]

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
