"""A fake provider refund API (the ``RefundGateway`` port, Y8), as a gateway's refund and query calls behave.

:class:`FakeRefundGateway` refunds payments it is told about, in process: it refuses (FAILED) a refund of an
unknown payment or beyond what is left of it, and deduplicates on the refund id, so that asking twice never
refunds twice. A test scripts what comes next with :meth:`~FakeRefundGateway.answer_next` (an UNKNOWN
answer plays a timeout: the refund is done, or not, but the caller does not know until it asks again with
:meth:`~FakeRefundGateway.query`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from subscription_core.errors import ValidationError
from subscription_core.ports import RefundAnswer, RefundOutcome, RefundRequest

__all__ = ["FakeRefundGateway"]


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount <= 0:
        raise ValidationError("must be a decimal amount > 0", rule="Y8", field="amount", value=text)
    return amount


class FakeRefundGateway:
    """A provider's refund API in process: ``FakeRefundGateway("vnpay", paid={"14226112": Decimal(...)})``.

    ``paid`` maps each payment reference the provider knows to the amount it took. Every request asked is
    kept in :attr:`requests`, oldest first; the refunds done in :attr:`done` by refund id. Thread-safe.

    Raises:
        ValidationError: an empty name.
    """

    def __init__(self, name: str, *, paid: Mapping[str, Decimal] | None = None) -> None:
        """Know the payments ``paid``; refund nothing yet."""
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("must be a non-empty text", rule="Y8", field="name", value=name)
        self.name = name
        self._lock = threading.Lock()
        self._paid: dict[str, Decimal] = dict(paid or {})
        self._scripted: list[RefundOutcome] = []
        self._answers: dict[str, RefundAnswer] = {}
        self.requests: list[RefundRequest] = []
        self.done: dict[str, Decimal] = {}

    def knows(self, payment_reference: str, amount: Decimal) -> None:
        """Learn that the provider took ``amount`` under ``payment_reference``."""
        with self._lock:
            self._paid[payment_reference] = amount

    def answer_next(self, *outcomes: RefundOutcome) -> None:
        """Answer the next new refund requests with ``outcomes``, in order (UNKNOWN: done, but unanswered)."""
        with self._lock:
            self._scripted.extend(outcomes)

    def refund(self, request: RefundRequest) -> RefundAnswer:
        """Refund once per ``request.refund_id``; a repeat answers as the first request was answered."""
        with self._lock:
            self.requests.append(request)
            earlier = self._answers.get(request.refund_id)
            if earlier is not None:
                return earlier
            answer = self._decide(request)
            scripted = self._scripted.pop(0) if self._scripted else None
            if scripted is RefundOutcome.FAILED:
                answer = RefundAnswer(outcome=RefundOutcome.FAILED, message="refused by the provider")
            if answer.outcome is RefundOutcome.SUCCEEDED:
                self.done[request.refund_id] = _amount(request.amount)
            self._answers[request.refund_id] = answer
            if scripted is RefundOutcome.UNKNOWN:
                return RefundAnswer(outcome=RefundOutcome.UNKNOWN, message="timed out")
            return answer

    def query(self, request: RefundRequest) -> RefundAnswer:
        """Answer what became of ``request.refund_id``; UNKNOWN if it was never asked."""
        with self._lock:
            self.requests.append(request)
            return self._answers.get(request.refund_id, RefundAnswer(outcome=RefundOutcome.UNKNOWN))

    def _decide(self, request: RefundRequest) -> RefundAnswer:
        paid = self._paid.get(request.payment_reference)
        if paid is None:
            return RefundAnswer(outcome=RefundOutcome.FAILED, message="no such payment")
        left = paid - sum(self.done.get(rid, Decimal(0)) for rid in self._refunds_of(request.payment_reference))
        if _amount(request.amount) > left:
            return RefundAnswer(outcome=RefundOutcome.FAILED, message="more than is left of the payment")
        return RefundAnswer(outcome=RefundOutcome.SUCCEEDED, reference=f"{self.name}-rf-{len(self.done) + 1}")

    def _refunds_of(self, payment_reference: str) -> set[str]:
        return {r.refund_id for r in self.requests if r.payment_reference == payment_reference}
