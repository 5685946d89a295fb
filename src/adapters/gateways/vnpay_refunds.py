"""VNPay's refunds behind the core's ``RefundGateway`` port (Y8), over :class:`VnpayApiClient`.

:class:`VnpayRefundGateway` turns a core :class:`~subscription_core.ports.RefundRequest` into VNPay's
``refund`` call (full when the amount is all that was paid, partial otherwise) and its ``querydr`` call,
and VNPay's outcomes into the core's: succeeded, failed (VNPay refused, signed), unknown (no trustworthy
answer). The transaction VNPay refunds is found by the ``vnp_TxnRef`` and ``vnp_TransactionNo`` in the
payment's reference (the notification's event id, :func:`read_event_id`) and by ``vnp_TransactionDate``,
the payment URL's ``vnp_CreateDate``: the core's ``request.started_at`` (``Payment.started_at``, which
:class:`VnpayProvider` signs as ``vnp_CreateDate``), in GMT+7 as ``yyyyMMddHHmmss``.

Idempotency per refund id. VNPay's ``vnp_RequestId`` must not repeat within a day (VNPay's "API querydr,
refund" page: "Mã này là duy nhất ... Không được trùng lặp trong ngày"), so the refund id cannot be sent as
the request id of every attempt: each call has its own request id, and the gateway keeps each refund id's
settled answer in process, answering a repeat with it without calling VNPay again. Across processes, VNPay
itself refuses a second refund while one of the payment is processing (code ``94``): that answer is
settled at once with ``querydr`` rather than left unknown.

What ``querydr`` can tell: VNPay reports a transaction's *latest* state only (``vnp_TransactionType`` 02
full refund or 03 partial, with status 00, 05 processing or 06 sent to the bank; 09 rejected), not which
refund request it came from. So a query settles a refund as succeeded only when that cannot be another
refund's: a *full* refund VNPay reports accepted (there is one per payment); a *partial* one when VNPay
reports a partial refund accepted and this gateway sent this refund, and no other of that payment, without
a settled answer (a timeout, a ``94``). A refund is failed when VNPay reports its kind rejected or has no
such transaction (then no refund of it was made either); unknown otherwise, including a payment still
shown unrefunded (VNPay may not have it yet: calling it failed could refund twice). A partial refund left
unknown that way (asked by another process, or beside another partial refund of the payment) is settled
by staff from VNPay's merchant portal (``settle_refund`` with an outcome).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from decimal import Decimal, InvalidOperation
from typing import Final

from subscription_core.errors import ValidationError
from subscription_core.money import Money
from subscription_core.ports import RefundAnswer, RefundOutcome, RefundRequest
from subscription_core_adapters.gateways.vnpay_api import VnpayApiClient, read_event_id
from subscription_core_adapters.gateways.vnpay_api_results import (
    Outcome,
    QueryResult,
    RefundKind,
    TransactionKind,
    TransactionStatus,
)
from subscription_core_adapters.gateways.vnpay_protocol import NAME

__all__ = ["VnpayRefundGateway"]

_DUPLICATE: Final = "94"
_REMEMBERED: Final = 10_000  # settled answers a gateway keeps in memory
_KIND_OF: Final = {RefundKind.FULL: TransactionKind.FULL_REFUND, RefundKind.PARTIAL: TransactionKind.PARTIAL_REFUND}
_NO_DATE: Final = "the payment's start instant is unknown: VNPay finds a payment only by its vnp_CreateDate"


class VnpayRefundGateway:
    """The ``RefundGateway`` port on VNPay's merchant API: ``VnpayRefundGateway(client)``, named ``"vnpay"``.

    Never raises for what VNPay or the network does (see the module's docstring); thread-safe.

    Raises:
        ValidationError: (Y8) ``client`` is not a :class:`VnpayApiClient`.
    """

    name: str = NAME

    def __init__(self, client: VnpayApiClient) -> None:
        """Refund through ``client``; nothing is called until a refund or a query."""
        if not isinstance(client, VnpayApiClient):
            raise ValidationError("must be a VnpayApiClient", rule="Y8", field="client", value=type(client).__name__)
        self._client = client
        self._lock = threading.Lock()
        # The settled answers remembered, the latest _REMEMBERED at most (a worker runs for months): an older
        # refund asked again is answered by a query, as from another process. The core never asks again for
        # a refund it has settled, so this only spares VNPay repeated calls.
        self._settled: OrderedDict[str, RefundAnswer] = OrderedDict()
        self._unsettled: dict[str, set[str]] = {}  # payment reference -> refund ids sent, not yet settled

    def __repr__(self) -> str:
        """Name the client (which hides its secret)."""
        return f"VnpayRefundGateway({self._client!r})"

    def refund(self, request: RefundRequest) -> RefundAnswer:
        """Ask VNPay to refund ``request.amount`` of the payment (full or partial); once per refund id.

        A request VNPay cannot take (not a VNPay payment's reference, no start instant, amounts that are not
        whole VND or above what was paid) is a FAILED answer, nothing sent. A ``94`` answer is settled by a
        query; a timeout or an unreadable answer is UNKNOWN.
        """
        earlier = self._earlier(request.refund_id)
        if earlier is not None:
            return earlier
        try:
            ref, number = read_event_id(request.payment_reference)
            paid, amount = _vnd(request.paid, request.currency), _vnd(request.amount, request.currency)
            if request.started_at is None:
                return RefundAnswer(outcome=RefundOutcome.FAILED, message=_NO_DATE)
            with self._lock:
                sent = self._unsettled.setdefault(request.payment_reference, set())
                asked_before = request.refund_id in sent
                sent.add(request.refund_id)
            result = self._client.refund(
                txn_ref=ref,
                transaction_no=number,
                transaction_date=request.started_at,
                amount=amount,
                paid=paid,
                created_by=request.requested_by,
                reason=request.reason,
            )
        except ValidationError as refused:
            failed = RefundAnswer(outcome=RefundOutcome.FAILED, message=refused.message)
            return self._keep(request, failed)
        if result.code == _DUPLICATE:  # a refund of this payment is processing at VNPay: this one, if asked before
            if not asked_before:  # VNPay did not take this request: what is processing was sent by someone else
                with self._lock:
                    self._unsettled.get(request.payment_reference, set()).discard(request.refund_id)
            return self._by_query(request, alone=asked_before and self._alone(request))
        if result.outcome is Outcome.SUCCEEDED:
            answer = RefundAnswer(
                outcome=RefundOutcome.SUCCEEDED, reference=result.transaction_no or None, message=result.message
            )
        elif result.outcome is Outcome.REFUSED:
            answer = RefundAnswer(outcome=RefundOutcome.FAILED, message=result.message)
        else:
            answer = RefundAnswer(outcome=RefundOutcome.UNKNOWN, message=result.message)
        return self._keep(request, answer)

    def query(self, request: RefundRequest) -> RefundAnswer:
        """What became of ``request.refund_id``, from its settled answer or VNPay's ``querydr``; UNKNOWN if unclear."""
        earlier = self._earlier(request.refund_id)
        if earlier is not None:
            return earlier
        return self._by_query(request, alone=self._alone(request))

    def _by_query(self, request: RefundRequest, *, alone: bool) -> RefundAnswer:
        """Settle the refund with ``querydr``; ``alone`` as :func:`_queried` takes it."""
        try:
            ref, number = read_event_id(request.payment_reference)
            kind = _kind(request)
            if request.started_at is None:
                return RefundAnswer(outcome=RefundOutcome.UNKNOWN, message=_NO_DATE)
            result = self._client.query(txn_ref=ref, transaction_date=request.started_at, transaction_no=number)
        except ValidationError as refused:
            return RefundAnswer(outcome=RefundOutcome.UNKNOWN, message=refused.message)
        return self._keep(request, _queried(result, kind, alone=alone))

    def _alone(self, request: RefundRequest) -> bool:
        """Whether this refund, and no other of its payment, was sent by this gateway without a settled answer."""
        with self._lock:
            return self._unsettled.get(request.payment_reference, set()) == {request.refund_id}

    def _earlier(self, refund_id: str) -> RefundAnswer | None:
        with self._lock:
            return self._settled.get(refund_id)

    def _keep(self, request: RefundRequest, answer: RefundAnswer) -> RefundAnswer:
        """Remember a settled answer for the refund (the first one wins); an unknown one is not kept."""
        if answer.outcome is RefundOutcome.UNKNOWN:
            return answer
        with self._lock:
            sent = self._unsettled.get(request.payment_reference)
            if sent is not None:
                sent.discard(request.refund_id)
                if not sent:
                    del self._unsettled[request.payment_reference]
            kept = self._settled.setdefault(request.refund_id, answer)
            self._settled.move_to_end(request.refund_id)
            while len(self._settled) > _REMEMBERED:
                self._settled.popitem(last=False)
            return kept


def _vnd(text: str, currency: str) -> Money:
    if currency != "VND":
        raise ValidationError("VNPay refunds VND only", rule="Y8", field="currency", value=currency)
    try:
        amount = Decimal(text)
    except (InvalidOperation, TypeError):
        raise ValidationError("must be a decimal amount", rule="Y8", field="amount", value=text) from None
    return Money.of(amount, "VND")


def _kind(request: RefundRequest) -> RefundKind:
    paid, amount = _vnd(request.paid, request.currency), _vnd(request.amount, request.currency)
    return RefundKind.FULL if amount == paid else RefundKind.PARTIAL


def _queried(result: QueryResult, kind: RefundKind, *, alone: bool) -> RefundAnswer:
    """The core's answer from a ``querydr`` result about a refund of ``kind`` (see the module's docstring).

    ``alone``: this gateway sent this refund, and no other of the payment, without a settled answer.
    """
    found = result.transaction
    if result.not_found:
        return RefundAnswer(outcome=RefundOutcome.FAILED, message=result.message)
    if found is None:
        return RefundAnswer(outcome=RefundOutcome.UNKNOWN, message=result.message)
    if found.kind is _KIND_OF[kind] and result.refunded and (kind is RefundKind.FULL or alone):
        number = found.transaction_no or None
        return RefundAnswer(outcome=RefundOutcome.SUCCEEDED, reference=number, message=result.message)
    if found.kind is _KIND_OF[kind] and found.status is TransactionStatus.REFUND_REJECTED:
        return RefundAnswer(outcome=RefundOutcome.FAILED, message=f"VNPay rejected the refund ({result.message})")
    if found.kind is _KIND_OF[kind] and result.refunded:
        message = f"VNPay shows a partial refund of the payment, maybe another one ({result.message})"
        return RefundAnswer(outcome=RefundOutcome.UNKNOWN, message=message)
    return RefundAnswer(outcome=RefundOutcome.UNKNOWN, message=f"VNPay shows no refund of it yet ({result.message})")
