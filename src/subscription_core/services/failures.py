"""What a failed attempt of an e-invoice issuer keeps for staff (O7, Y8), shared by invoices and their corrections."""

from __future__ import annotations

from typing import Final

from subscription_core.errors import SubscriptionError

__all__ = ["failure_text"]

_MAX_ERROR: Final = 300


def failure_text(error: Exception) -> str:
    """What a failed attempt keeps of ``error`` for staff (O7): at most 300 characters, no personal value.

    The library's errors give their class, rule, field and message (their message never holds personal data;
    their value, which might, is left out); any other error gives its class only, since its text might carry
    an address or a secret.
    """
    if not isinstance(error, SubscriptionError):
        return type(error).__name__
    rule = f"[{error.rule}] " if error.rule else ""
    field = f"{error.field}: " if error.field else ""
    return f"{type(error).__name__}: {rule}{field}{error.message}"[:_MAX_ERROR]
