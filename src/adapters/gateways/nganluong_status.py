"""NgânLượng's ``GetTransactionDetail`` behind the ``PaymentStatusQuery`` port (Y5, Y6): a lost return is applied.

NgânLượng 3.1 calls the merchant back only through the buyer's browser (the return URL): a buyer who pays
and closes the page before coming back leaves a payment NgânLượng took and the library never heard of. The
scheduler asks about such a payment before lapsing its order (``services.payment_checks``), and this query
answers from NgânLượng's ``GetTransactionDetail`` of the token the payment's start kept
(``Payment.start_ref``, the ``provider_ref`` :meth:`NganLuongProvider.start` returns), read exactly as the
return would have been read (:meth:`NganLuongProvider.parse_notification`), so the notification has the same
event id and the return arriving after all is recognised as already processed.

- Paid (status ``00``): PAID, with that notification (another amount is kept unapplied by the core, Y6).
- Not paid (``02``, or cancelled, ``115``), or a token NgânLượng does not know (``29``): FAILED.
- Held or unfinished (``01``, ``81``, ``114``), no answer, an unreadable answer, a refusal of the merchant's
  settings, or no token kept for the attempt: UNKNOWN. The scheduler holds the order back and asks again,
  for a day at most; a success confirmed later is still recorded, as unapplied money (Y6).
"""

from __future__ import annotations

from subscription_core.calendar import ensure_aware
from subscription_core.errors import RetryLaterError, SubscriptionError, ValidationError
from subscription_core.ports import Clock, PaymentStatus, PaymentStatusAnswer, PaymentStatusRequest
from subscription_core_adapters.gateways.nganluong import NganLuongProvider
from subscription_core_adapters.gateways.nganluong_protocol import CANCELLED, NAME, NO_SUCH_TOKEN, order_code_for
from subscription_core_adapters.local import SystemClock

__all__ = ["NganLuongPaymentStatusQuery"]


class NganLuongPaymentStatusQuery:
    """The ``PaymentStatusQuery`` port on NgânLượng: ``NganLuongPaymentStatusQuery(provider, clock=...)``.

    ``provider`` is the :class:`NganLuongProvider` the payments were started with (its merchant, password
    and API); ``clock`` dates the notifications it makes. Changes nothing at NgânLượng; never raises for what
    NgânLượng or the network does; thread-safe.

    Raises:
        ValidationError: (Y5) ``provider`` is not a :class:`NganLuongProvider`.
    """

    name: str = NAME

    def __init__(self, provider: NganLuongProvider, *, clock: Clock | None = None) -> None:
        """Ask NgânLượng through ``provider``'s settings."""
        if not isinstance(provider, NganLuongProvider):
            raise ValidationError(
                "must be a NganLuongProvider", rule="Y5", field="provider", value=type(provider).__name__
            )
        self._provider = provider
        self._clock: Clock = clock if clock is not None else SystemClock()

    def __repr__(self) -> str:
        """Name the provider it asks through (which shows no password)."""
        return f"NganLuongPaymentStatusQuery({self._provider!r})"

    def status(self, request: PaymentStatusRequest) -> PaymentStatusAnswer:
        """What NgânLượng says of the attempt ``request`` names by its token (see the module's docstring)."""
        if not request.start_ref:
            return PaymentStatusAnswer(status=PaymentStatus.UNKNOWN, message="no NgânLượng token kept for it")
        query = {"token": request.start_ref, "order_code": order_code_for(request.order_id, request.payment_id)}
        try:
            now = ensure_aware(self._clock.now(), field="clock")
            notification = self._provider.parse_notification(query, received_at=now)
        except SubscriptionError as error:
            return PaymentStatusAnswer(status=_status_of_refusal(error), message=error.message)
        if notification.succeeded:
            return PaymentStatusAnswer(status=PaymentStatus.PAID, notification=notification)
        return PaymentStatusAnswer(status=PaymentStatus.FAILED, message="NgânLượng reports it not paid")


def _status_of_refusal(error: SubscriptionError) -> PaymentStatus:
    """FAILED for a checkout NgânLượng says was cancelled (115) or never existed (29); else UNKNOWN."""
    if isinstance(error, RetryLaterError) and error.provider_code == CANCELLED:
        return PaymentStatus.FAILED  # cancelled, reported without its amount: not paid all the same
    if isinstance(error, ValidationError) and (error.field, error.value) == ("token", NO_SUCH_TOKEN):
        return PaymentStatus.FAILED  # NgânLượng never took a payment by this token
    return PaymentStatus.UNKNOWN
