"""What every payment gateway checks alike before a request leaves: whole VND amounts, and where it may go.

VNPay and NgânLượng both take a whole number of VND above 0, written as digits (VNPay times 100), up to a
number of digits each sets; both are reached over https, and over plain http only at a loopback address (a
stand-in of the provider on this machine, never over a network).
"""

from __future__ import annotations

import ipaddress
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from subscription_core.errors import ValidationError
from subscription_core.ports import PaymentRequest

__all__ = ["is_loopback", "whole_vnd_digits"]


def is_loopback(url: object) -> bool:
    """Whether ``url`` is text whose host is a loopback address; never raises."""
    if not isinstance(url, str):
        return False
    try:
        host = urlsplit(url).hostname
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def whole_vnd_digits(request: PaymentRequest, *, provider: str, max_digits: int, scale: int = 1) -> str:
    """The request's amount in VND times ``scale``, as digits, for ``provider`` (Y1).

    Raises:
        ValidationError: (Y1) a currency other than VND; an amount that is not a whole number of VND above 0,
            or that takes more than ``max_digits`` digits once scaled.
    """
    currency = request.currency
    if not isinstance(currency, str) or currency.strip().upper() != "VND":
        raise ValidationError(f"{provider} takes VND only", rule="Y1", field="currency", value=currency)
    try:
        amount = Decimal(request.amount)
    except (InvalidOperation, TypeError, ValueError):
        amount = Decimal("NaN")
    if not amount.is_finite() or amount <= 0 or amount != amount.to_integral_value():
        raise ValidationError("must be a whole number of VND above 0", rule="Y1", field="amount", value=request.amount)
    # The size first, from the exponent: int() of an amount such as 1E+100000000 would take minutes.
    digits = str(int(amount) * scale) if amount.adjusted() < max_digits else ""
    if not digits or len(digits) > max_digits:
        raise ValidationError(f"is above what {provider} takes", rule="Y1", field="amount", value=request.amount)
    return digits
