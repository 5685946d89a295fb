"""Payment links: the signed tokens that staff and accountants hand to customers to pay an order (O5).

A :class:`PaymentLinkSigner` issues and verifies them with HMAC-SHA256 over the order id and the expiry;
the signing key comes from the host's secret store and never appears in a ``repr`` or an error.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import math
import re
from typing import Any, Final

import attrs

from subscription_core.calendar import ensure_aware
from subscription_core.errors import NotEligibleError, ValidationError

__all__ = ["PaymentLinkSigner"]

_LINK_CONTEXT: Final = b"subscription_core/payment-link/v1\x00"
_MIN_KEY_BYTES: Final = 32
_B64: Final = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    # The key never appears in an error: only its type and length are told.
    if not isinstance(value, bytes):
        raise ValidationError("the signing key must be bytes", rule="O5", field="key")
    if len(value) < _MIN_KEY_BYTES:
        raise ValidationError(f"the signing key must be at least {_MIN_KEY_BYTES} bytes", rule="O5", field="key")


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes | None:
    if not _B64.match(text):
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    # Only the canonical spelling is accepted, so no two tokens decode to the same bytes.
    return raw if _encode(raw) == text else None


def _tampered() -> ValidationError:
    return ValidationError("the payment link is malformed or was altered", rule="O5", field="token")


@attrs.frozen(eq=False, repr=False)
class PaymentLinkSigner:
    """Issues and verifies payment-link tokens (O5) with HMAC-SHA256 over the order id and the expiry.

    A token is ``base64url(payload) "." base64url(mac)`` with payload ``"<expiry unix seconds>:<order id>"``:
    it reveals the order id and the expiry and nothing else. The key (at least 32 random bytes from the
    host's secret store) is never shown by ``repr``, ``str`` or any error.
    """

    _key: bytes = attrs.field(alias="key", validator=_key)

    def __repr__(self) -> str:
        """Show the class only, never the key."""
        return "PaymentLinkSigner(key=<hidden>)"

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, _LINK_CONTEXT + payload, hashlib.sha256).digest()

    def issue(self, order_id: str, expires_at: dt.datetime) -> str:
        """Return a token that links to ``order_id`` until ``expires_at`` (to the second, rounded down).

        Raises:
            ValidationError: an empty or multi-line order id, or a naive instant.
        """
        if not isinstance(order_id, str) or not order_id.strip() or not order_id.isprintable():
            raise ValidationError("must be a non-empty printable text", rule="O5", field="order_id", value=order_id)
        expiry = math.floor(ensure_aware(expires_at, field="expires_at").timestamp())
        payload = f"{expiry}:{order_id}".encode()
        return f"{_encode(payload)}.{_encode(self._mac(payload))}"

    def verify(self, token: str, at: dt.datetime) -> str:
        """Return the order id of ``token`` if it was issued with this key and has not expired at ``at``.

        Raises:
            ValidationError: (O5) the token is malformed or was altered in any way (the MAC is compared in
                constant time); (D2) a naive instant.
            NotEligibleError: (O5) the link has expired.
        """
        when = ensure_aware(at)
        if not isinstance(token, str) or token.count(".") != 1:
            raise _tampered()
        encoded_payload, encoded_mac = token.split(".")
        payload, mac = _decode(encoded_payload), _decode(encoded_mac)
        if payload is None or mac is None or not hmac.compare_digest(mac, self._mac(payload)):
            raise _tampered()
        expiry, _, order_id = payload.decode().partition(":")
        expires_at = dt.datetime.fromtimestamp(int(expiry), dt.UTC)
        if when >= expires_at:
            raise NotEligibleError(
                f"the payment link expired at {expires_at.isoformat()}", rule="O5", field="token", value=order_id
            )
        return order_id
