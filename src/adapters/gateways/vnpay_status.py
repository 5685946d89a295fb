"""VNPay's ``querydr`` behind the core's ``PaymentStatusQuery`` port (Y5, Y6): a lost IPN is still applied.

:class:`VnpayPaymentStatusQuery` asks VNPay, through :class:`VnpayApiClient`, what became of a payment the
library started: by the TxnRef it made (:func:`txn_ref_for` of the order and the payment) and the
payment's start instant, which :class:`VnpayProvider` signed as the payment URL's ``vnp_CreateDate``.

- A payment VNPay reports paid (type ``01``, status ``00``) is PAID, with the notification its IPN would
  have been: the same event id (``<TxnRef>:<TransactionNo>:00:00``), order and amount, so that the IPN
  arriving after all is recognised as processed.
- Failed (``02``) or reversed (``04``, VNPay gives the money back) is FAILED; so is a transaction not
  completed (``01``) or one VNPay does not know (``91``) once the payment page has expired
  (``expire_after`` after the start, as :class:`VnpayConfig` sets it); before that it is UNKNOWN.
- Anything else is UNKNOWN: no trustworthy answer, suspected fraud (``07``), or a payment VNPay already
  shows refunded (staff look at it in VNPay's portal).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from subscription_core.calendar import ensure_aware
from subscription_core.errors import ValidationError
from subscription_core.payments import ProviderNotification
from subscription_core.ports import Clock, PaymentStatus, PaymentStatusAnswer, PaymentStatusRequest
from subscription_core_adapters.gateways.vnpay_api import VnpayApiClient
from subscription_core_adapters.gateways.vnpay_api_results import (
    Outcome,
    QueryResult,
    TransactionKind,
    TransactionStatus,
)
from subscription_core_adapters.gateways.vnpay_protocol import NAME, txn_ref_for
from subscription_core_adapters.local import SystemClock

__all__ = ["VnpayPaymentStatusQuery"]

_FAILED: Final = frozenset({TransactionStatus.FAILED, TransactionStatus.REVERSED})


class VnpayPaymentStatusQuery:
    """The ``PaymentStatusQuery`` port on VNPay's ``querydr``: ``VnpayPaymentStatusQuery(client, clock=...)``.

    ``expire_after`` is the payment page's life (the terminal's ``VnpayConfig.expire_after``); ``clock``
    dates the notifications it makes and tells whether a page may still be paid. Never raises for what
    VNPay or the network does; thread-safe.

    Raises:
        ValidationError: (Y5) ``client`` is not a :class:`VnpayApiClient`, or ``expire_after`` not positive.
    """

    name: str = NAME

    def __init__(
        self,
        client: VnpayApiClient,
        *,
        expire_after: dt.timedelta = dt.timedelta(minutes=15),
        clock: Clock | None = None,
    ) -> None:
        """Ask through ``client``; nothing is called until :meth:`status`."""
        if not isinstance(client, VnpayApiClient):
            raise ValidationError("must be a VnpayApiClient", rule="Y5", field="client", value=type(client).__name__)
        if not isinstance(expire_after, dt.timedelta) or expire_after <= dt.timedelta(0):
            raise ValidationError("must be a positive duration", rule="Y5", field="expire_after", value=expire_after)
        self._client = client
        self._expire_after = expire_after
        self._clock: Clock = clock if clock is not None else SystemClock()

    def __repr__(self) -> str:
        """Name the client (which hides its secret)."""
        return f"VnpayPaymentStatusQuery({self._client!r})"

    def status(self, request: PaymentStatusRequest) -> PaymentStatusAnswer:
        """What VNPay says of the payment ``request.payment_id`` (see the module's docstring)."""
        try:
            ref = txn_ref_for(request.order_id, request.payment_id)
            result = self._client.query(txn_ref=ref, transaction_date=request.started_at)
        except ValidationError as refused:
            return PaymentStatusAnswer(status=PaymentStatus.UNKNOWN, message=refused.message)
        now = ensure_aware(self._clock.now(), field="clock")
        expired = now >= request.started_at + self._expire_after
        found = result.transaction
        if result.outcome is Outcome.SUCCEEDED and found is not None and result.paid:
            return self._paid(request, result, now)
        if found is not None and found.kind is TransactionKind.PAYMENT and found.status in _FAILED:
            return PaymentStatusAnswer(status=PaymentStatus.FAILED, message=result.message)
        not_completed = found is not None and found.status is TransactionStatus.NOT_COMPLETED
        if expired and (result.not_found or not_completed):
            return PaymentStatusAnswer(status=PaymentStatus.FAILED, message=f"never paid ({result.message})")
        return PaymentStatusAnswer(status=PaymentStatus.UNKNOWN, message=result.message)

    @staticmethod
    def _paid(request: PaymentStatusRequest, result: QueryResult, now: dt.datetime) -> PaymentStatusAnswer:
        found = result.transaction
        if found is None:  # pragma: no cover - _paid is called with a transaction
            return PaymentStatusAnswer(status=PaymentStatus.UNKNOWN, message=result.message)
        number = found.transaction_no or "0"
        notification = ProviderNotification(
            provider=NAME,
            event_id=f"{result.txn_ref}:{number}:00:00",  # as VnpayProvider names the IPN of this success
            order_id=request.order_id,
            amount=found.amount.amount,
            currency=found.amount.currency.code,
            succeeded=True,
            signature="",  # VNPay's signed querydr answer was verified by the client
            received_at=now,
            fields=(
                ("vnp_TxnRef", result.txn_ref),
                ("vnp_TransactionNo", number),
                ("vnp_ResponseId", result.response_id),
                ("vnp_PayDate", found.pay_date),
            ),
        )
        return PaymentStatusAnswer(status=PaymentStatus.PAID, notification=notification, message=result.message)
