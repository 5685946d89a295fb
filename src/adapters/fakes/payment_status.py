"""A fake provider payment query (the ``PaymentStatusQuery`` port, Y5, Y6), as a gateway's query behaves.

:class:`FakePaymentStatusQuery` answers what a test told it about each payment: paid (with the event id
the provider's notification carries, so that a late notification is recognised), failed, or, by default,
unknown (a provider that cannot tell yet). Every request is kept in :attr:`~FakePaymentStatusQuery.asked`.
"""

from __future__ import annotations

import threading
from decimal import Decimal

from subscription_core.errors import ValidationError
from subscription_core.payments import ProviderNotification
from subscription_core.ports import Clock, PaymentStatus, PaymentStatusAnswer, PaymentStatusRequest

__all__ = ["FakePaymentStatusQuery"]


class FakePaymentStatusQuery:
    """A provider's payment query in process: ``FakePaymentStatusQuery("demo", clock=clock)``; thread-safe.

    Raises:
        ValidationError: an empty name.
    """

    def __init__(self, name: str, *, clock: Clock) -> None:
        """Know nothing yet: every payment is UNKNOWN until :meth:`paid` or :meth:`failed`."""
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("must be a non-empty text", rule="Y5", field="name", value=name)
        self.name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._states: dict[str, tuple[PaymentStatus, str]] = {}
        self.asked: list[PaymentStatusRequest] = []

    def paid(self, payment_id: str, *, event_id: str) -> None:
        """Answer that the provider took ``payment_id``, under its notification's ``event_id``."""
        with self._lock:
            self._states[payment_id] = (PaymentStatus.PAID, event_id)

    def failed(self, payment_id: str) -> None:
        """Answer that ``payment_id`` failed at the provider."""
        with self._lock:
            self._states[payment_id] = (PaymentStatus.FAILED, "")

    def status(self, request: PaymentStatusRequest) -> PaymentStatusAnswer:
        """What the test said of ``request.payment_id``; UNKNOWN if nothing."""
        with self._lock:
            self.asked.append(request)
            status, event_id = self._states.get(request.payment_id, (PaymentStatus.UNKNOWN, ""))
        if status is not PaymentStatus.PAID:
            message = "declined by the buyer's bank" if status is PaymentStatus.FAILED else "no answer yet"
            return PaymentStatusAnswer(status=status, message=message)
        notification = ProviderNotification(
            provider=self.name,
            event_id=event_id,
            order_id=request.order_id,
            amount=Decimal(request.amount),
            currency=request.currency,
            succeeded=True,
            signature="",
            received_at=self._clock.now(),
        )
        return PaymentStatusAnswer(status=PaymentStatus.PAID, notification=notification, message="paid")
