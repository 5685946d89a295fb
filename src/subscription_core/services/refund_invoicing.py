"""The adjusting invoice a succeeded refund of invoiced money asks for: requested, issued, retried (Y8, O7).

As an order's invoices are (:mod:`~subscription_core.services.invoicing`), a refund's decrease is:

* requested in the unit of work that records the refund's success (:func:`request_adjustments`, called by
  :mod:`~subscription_core.services.refund_outcomes`): one
  :class:`~subscription_core.refund_invoices.RequestedAdjustment` per invoice of the order the refund
  takes money from. The invoice of a cancelled subscription's order is the one holding its lines;
  refunds of unapplied money ask for nothing (never invoiced);
* issued after that commits (:func:`issue_adjustments`), best effort, never raising: the refund has
  succeeded whatever the issuer answers. The decrease adjusts the invoice issued for the order's part, or
  its replacement if it was replaced (found with ``corrections_of``);
* retried by :func:`~subscription_core.services.invoicing.issue_pending_invoices`, the scheduler's retry
  step, while the issuer fails or the invoice itself is not issued yet.

``Services.invoices`` should be a :class:`~subscription_core.ports.CorrectingIssuer`. When the host wired an
issuer that cannot correct invoices, each attempt logs a warning and keeps the decrease pending with that
error (staff see it); the refund still succeeds.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Final

from subscription_core.invoice_corrections import CorrectedInvoice, CorrectionKind, InvoiceAdjustment, IssuedCorrection
from subscription_core.invoices import InvoiceRequest
from subscription_core.money import Money
from subscription_core.notices import backoff
from subscription_core.ports import InvoiceCorrector, UnitOfWork
from subscription_core.refund_invoices import RequestedAdjustment, refund_lines, remaining_per_rate
from subscription_core.refunds import Refund, RefundState
from subscription_core.services.context import Services
from subscription_core.services.failures import failure_text
from subscription_core.services.idempotency import with_retries

__all__ = ["corrector_of", "issue_adjustments", "issue_due_adjustments", "request_adjustments"]

_log = logging.getLogger(__name__)
_FIRST_RETRY: Final = dt.timedelta(minutes=5)
_MAX_RETRY: Final = dt.timedelta(hours=6)
_MAX_REPLACEMENTS: Final = 100  # a chain of replacements longer than this is not followed (a broken issuer)
NO_CORRECTOR: Final = "the invoice issuer cannot correct invoices: wire an InvoiceCorrector to issue this decrease"


def corrector_of(issuer: object) -> InvoiceCorrector | None:
    """``issuer`` as an :class:`~subscription_core.ports.InvoiceCorrector`, or ``None`` if it cannot correct."""
    if all(callable(getattr(issuer, name, None)) for name in ("adjust", "replace", "corrections_of")):
        return issuer  # type: ignore[return-value]  # it has the corrector's methods
    return None


def _invoiced_parts(refund: Refund, requests: Sequence[InvoiceRequest]) -> list[InvoiceRequest]:
    """The invoices the refund takes money from: those holding the subscription's lines, else all of them."""
    if refund.subscription_id is None:
        return list(requests)
    sub = refund.subscription_id
    holding = [r for r in requests if any(sub in (line.subscription_id, line.ref) for line in r.lines)]
    return holding or list(requests)


def request_adjustments(uow: UnitOfWork, refund: Refund, now: dt.datetime) -> list[RequestedAdjustment]:
    """Request, in ``uow``, the decreases of the invoices a succeeded ``refund`` takes money from (Y8).

    The refund is split over those invoices in proportion to what is left of each (largest remainder),
    then over each one's amounts per VAT rate (:func:`~subscription_core.refund_invoices.refund_lines`).
    Nothing is requested for a refund that is not succeeded, a refund of unapplied money (never invoiced),
    or an order that asked for no invoice. Returns the decreases requested; the caller commits.

    Raises:
        ConflictError: the refund's decreases were requested already (the unit of work must be rolled back).
    """
    if refund.state is not RefundState.SUCCEEDED or refund.payment_id is None or refund.order_id is None:
        return []
    requests = _invoiced_parts(refund, [r.request for r in uow.invoices.requested_of(refund.order_id)])
    if not requests:
        return []
    earlier = uow.invoices.adjustments_of(refund.order_id)
    remaining = [remaining_per_rate(request, earlier) for request in requests]
    zero = Money.zero(refund.amount.currency)
    left = [sum((t.taxable + t.vat for t in totals), zero) for totals in remaining]
    total_left = sum(left, zero)
    if not total_left:
        _log.info("refund %s: the invoices of order %s are decreased to zero already", refund.id, refund.order_id)
        return []
    if refund.amount > total_left:
        _log.warning("refund %s: %s of it was never invoiced: not adjusted", refund.id, refund.amount - total_left)
    shares = min(refund.amount, total_left).allocate([money.amount for money in left])
    made = []
    for request, totals, share in zip(requests, remaining, shares, strict=True):
        if not share:
            continue
        made.append(
            RequestedAdjustment(
                refund_id=refund.id,
                order_id=request.order_id,
                part=request.part,
                buyer=request.buyer,
                lines=refund_lines(share, totals, refund_id=refund.id),
                reason=f"Điều chỉnh giảm do hoàn tiền {refund.id}",
                requested_at=now,
                next_attempt_at=now,
            )
        )
    uow.invoices.request_adjustments(made)
    _log.info("refund %s asks for %d adjusting invoice(s) of order %s", refund.id, len(made), refund.order_id)
    return made


def issue_adjustments(deps: Services, refund: Refund) -> tuple[RequestedAdjustment, ...]:
    """Issue the pending decreases ``refund`` asked for, each recorded in a unit of work (Y8, O7).

    Call it after the refund's success committed. Returns the decreases as they stand after the attempts.

    Raises:
        Nothing: a failure is kept on the decrease, logged, and retried by the retry step.
    """
    if refund.order_id is None or refund.state is not RefundState.SUCCEEDED:
        return ()
    try:
        with deps.uow() as uow:
            pending = [a for a in uow.invoices.adjustments_of(refund.order_id) if a.refund_id == refund.id]
    except Exception:  # noqa: BLE001 - the refund succeeded; the retry step finds the decreases later
        _log.exception("could not read the adjusting invoices of refund %s; the retry step will", refund.id)
        return ()
    return tuple(_attempt(deps, a) if a.pending else a for a in pending)


def issue_due_adjustments(deps: Services, at: dt.datetime, *, limit: int) -> list[RequestedAdjustment]:
    """Try up to ``limit`` pending decreases whose retry time has come by ``at``, earliest first (O7).

    Raises:
        ValidationError: a bad limit (from the repository).
    """
    with deps.uow() as uow:
        due = uow.invoices.due_adjustments(at, limit=limit)
    return [_attempt(deps, adjustment) for adjustment in due]


def _latest(corrector: InvoiceCorrector, invoice: CorrectedInvoice) -> CorrectedInvoice:
    """``invoice``, or the replacement that replaced it (and so on): the invoice to correct now (Y8)."""
    current = invoice
    for _ in range(_MAX_REPLACEMENTS):
        replaced = [c for c in corrector.corrections_of(current) if c.kind is CorrectionKind.REPLACEMENT]
        if not replaced:
            break
        current = replaced[0]
    return current


def _ask(deps: Services, adjustment: RequestedAdjustment) -> IssuedCorrection | str:
    """The adjusting invoice the issuer issued, or what kept it from issuing (for staff, no personal data)."""
    corrector = corrector_of(deps.invoices)
    if corrector is None:
        _log.warning("refund %s: %s", adjustment.refund_id, NO_CORRECTOR)
        return NO_CORRECTOR
    try:
        with deps.uow() as uow:
            issued = [i for i in uow.invoices.of_order(adjustment.order_id) if i.part == adjustment.part]
        if not issued:
            return "the invoice to adjust is not issued yet"
        request = InvoiceAdjustment(
            key=adjustment.key,
            original=_latest(corrector, issued[0]),
            buyer=adjustment.buyer,
            lines=adjustment.lines,
            reason=adjustment.reason,
            requested_at=adjustment.requested_at,
        )
        return corrector.adjust(request)
    except Exception as error:  # noqa: BLE001 - any failure of the issuer is kept on the decrease and retried
        _log.warning("adjusting invoice of refund %s not issued: %s", adjustment.refund_id, type(error).__name__)
        return failure_text(error)


def _attempt(deps: Services, adjustment: RequestedAdjustment) -> RequestedAdjustment:
    outcome = _ask(deps, adjustment)

    def work(uow: UnitOfWork, now: dt.datetime) -> RequestedAdjustment:
        current = uow.invoices.get_adjustment(adjustment.refund_id, adjustment.part)
        if current is None or not current.pending:
            return current or adjustment  # another worker recorded it first
        if isinstance(outcome, str):
            retry_at = now + backoff(current.attempts + 1, first=_FIRST_RETRY, cap=_MAX_RETRY)
            done = current.fail(at=now, error=outcome, retry_at=retry_at)
        else:
            done = current.issue(at=now, number=f"{outcome.series} {outcome.number}")
            _log.info("adjusting invoice %s issued for refund %s", done.number, done.refund_id)
        uow.invoices.save_adjustment(done, expected_version=current.version)
        uow.commit()
        return done

    try:
        return with_retries(deps, work, name="issue_adjustments")
    except Exception:  # noqa: BLE001 - the decrease stays as it was; the retry step tries it again
        _log.exception("could not record the outcome of the adjusting invoice of refund %s", adjustment.refund_id)
        return adjustment
