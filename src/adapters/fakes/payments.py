"""A fake payment provider that behaves as a gateway does: signed redirects, transfer instructions, signed callbacks.

:class:`FakePaymentProvider` implements the ``PaymentProvider`` port without a network. Its notifications
are what a real gateway would POST: text fields plus ``signature``, the hex HMAC-SHA256 under the
provider's key of the other fields as sorted ``name=value`` pairs joined by ``&``. :meth:`~FakePaymentProvider.notify`
builds one for tests and demos; :meth:`~FakePaymentProvider.parse_notification` verifies it in constant
time before reading any field (Y5). The key never appears in a ``repr`` or an error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Final
from urllib.parse import urlencode

from subscription_core.calendar import ensure_aware
from subscription_core.errors import ValidationError
from subscription_core.orders import Order
from subscription_core.payments import MethodKind, ProviderNotification
from subscription_core.ports import PaymentRequest, PaymentStart

__all__ = ["FakePaymentProvider"]

_MIN_KEY_BYTES: Final = 32
_SUCCEEDED: Final = "succeeded"
_FAILED: Final = "failed"
_REQUIRED: Final = ("provider", "event_id", "order_id", "amount", "currency", "status")


def _text(value: object, field: str, rule: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty text", rule=rule, field=field, value=value)
    return value


def _amount(text: str, rule: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise ValidationError("must be a decimal amount >= 0", rule=rule, field="amount", value=text)
    return amount


class FakePaymentProvider:
    """A payment gateway in process: ``FakePaymentProvider("vnpay", key)``, with a key of at least 32 bytes.

    ``methods`` are the method kinds it takes (all by default); ``bank``, ``account`` and ``account_name``
    are the vendor's account printed in transfer instructions (Y3). The requests it was asked to start are
    kept in :attr:`started`, oldest first. Thread-safe.

    Raises:
        ValidationError: an empty name, a key that is not bytes or is shorter than 32 bytes (the key is
            never shown), or an empty account field.
    """

    def __init__(
        self,
        name: str,
        key: bytes,
        *,
        methods: Iterable[MethodKind] = tuple(MethodKind),
        bank: str = "VCB",
        account: str = "0011004000000",
        account_name: str = "CONG TY CO PHAN PHAN MEM",
    ) -> None:
        """Make the provider ``name`` signing with ``key``."""
        if not isinstance(key, bytes) or len(key) < _MIN_KEY_BYTES:
            raise ValidationError(f"the signing key must be at least {_MIN_KEY_BYTES} bytes", rule="Y5", field="key")
        self.name = _text(name, "name", "Y1")
        self._key = key
        self._methods = frozenset(methods)
        self._account = {
            "bank": _text(bank, "bank", "Y3"),
            "account": _text(account, "account", "Y3"),
            "account_name": _text(account_name, "account_name", "Y3"),
        }
        self._started: list[PaymentRequest] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        """Show the name only, never the key."""
        return f"FakePaymentProvider(name={self.name!r}, key=<hidden>)"

    @property
    def methods(self) -> frozenset[MethodKind]:
        """The method kinds it takes (Y1): those it was made with."""
        return self._methods

    @property
    def started(self) -> tuple[PaymentRequest, ...]:
        """The payment requests started so far, oldest first."""
        with self._lock:
            return tuple(self._started)

    def _signature(self, fields: Mapping[str, str]) -> str:
        message = "&".join(f"{name}={value}" for name, value in sorted(fields.items()))
        return hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def start(self, request: PaymentRequest) -> PaymentStart:
        """Start a payment; moves no money (Y2, Y3).

        An online method gets a signed redirect URL to the provider's checkout page; an offline one (bank
        transfer, cash) gets instructions: the bank, account and holder, the amount and currency, the
        transfer content (the order id) and a QR payload.

        Raises:
            ValidationError: (Y1) not a ``PaymentRequest``, or a method this provider does not take; a
                malformed amount.
        """
        if not isinstance(request, PaymentRequest):
            raise ValidationError("must be a PaymentRequest", rule="Y1", field="request", value=request)
        kind = request.method.kind
        if kind not in self._methods:
            raise ValidationError(f"{self.name} does not take this method", rule="Y1", field="method", value=kind.value)
        amount = format(_amount(request.amount, "Y1"), "f")
        with self._lock:
            self._started.append(request)
        if request.method.is_online:
            return self._redirect(request, amount)
        content = request.order_id
        qr = "|".join((self._account["bank"], self._account["account"], amount, request.currency, content))
        instructions = {**self._account, "amount": amount, "currency": request.currency, "transfer_content": content}
        return PaymentStart(instructions={**instructions, "qr": qr}, provider_ref=f"{self.name}-{request.payment_id}")

    def _redirect(self, request: PaymentRequest, amount: str) -> PaymentStart:
        query = {
            "payment_id": request.payment_id,
            "order_id": request.order_id,
            "amount": amount,
            "currency": request.currency,
            "method": request.method.kind.value,
            "return_url": request.return_url,
        }
        query["signature"] = self._signature(query)
        return PaymentStart(
            redirect_url=f"https://{self.name}.pay.example/checkout?{urlencode(query)}",
            provider_ref=f"{self.name}-{request.payment_id}",
        )

    def notify(
        self, order: Order, *, event_id: str, succeeded: bool = True, amount: Decimal | None = None
    ) -> dict[str, str]:
        """Return the signed notification the provider would POST about ``order`` (Y2, Y5).

        ``amount`` defaults to the order's grand total; give another to play a provider reporting a
        different sum (still validly signed).
        """
        paid = order.grand_total.amount if amount is None else amount
        fields = {
            "provider": self.name,
            "event_id": _text(event_id, "event_id", "Y5"),
            "order_id": order.id,
            "amount": format(paid, "f"),
            "currency": order.grand_total.currency.code,
            "status": _SUCCEEDED if succeeded else _FAILED,
        }
        return {**fields, "signature": self._signature(fields)}

    def parse_notification(self, payload: Mapping[str, str], *, received_at: dt.datetime) -> ProviderNotification:
        """Verify a notification's signature in constant time, then read it (Y5).

        Raises:
            ValidationError: (Y5) a payload that is not text fields, a missing or bad signature, a missing
                field, another provider's name, a malformed amount or status; (D2) a naive ``received_at``.
                No error holds the key.
        """
        when = ensure_aware(received_at, field="received_at")
        fields = self._verified(payload)
        missing = [name for name in _REQUIRED if not fields.get(name, "").strip()]
        if missing:
            raise ValidationError("the notification lacks a field", rule="Y5", field=missing[0])
        if fields["provider"] != self.name:
            raise ValidationError(f"is not {self.name}", rule="Y5", field="provider", value=fields["provider"])
        status = fields["status"]
        if status not in (_SUCCEEDED, _FAILED):
            raise ValidationError("must be 'succeeded' or 'failed'", rule="Y5", field="status", value=status)
        return ProviderNotification(
            provider=self.name,
            event_id=fields["event_id"],
            order_id=fields["order_id"],
            amount=_amount(fields["amount"], "Y5"),
            currency=fields["currency"],
            succeeded=status == _SUCCEEDED,
            signature=payload["signature"],
            received_at=when,
            fields=tuple(sorted(fields.items())),
        )

    def _verified(self, payload: Mapping[str, str]) -> dict[str, str]:
        """The payload's fields but the signature, once the signature is checked."""
        if not isinstance(payload, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in payload.items()
        ):
            raise ValidationError("must be a mapping of text fields", rule="Y5", field="payload")
        signature = payload.get("signature", "")
        if not signature:
            raise ValidationError(f"the {self.name} notification is not signed", rule="Y5", field="signature")
        fields = {k: v for k, v in payload.items() if k != "signature"}
        expected = self._signature(fields).encode("ascii")
        if not hmac.compare_digest(signature.encode("utf-8"), expected):
            raise ValidationError(f"invalid {self.name} signature", rule="Y5", field="signature")
        return fields
