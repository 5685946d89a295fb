"""What becomes of a refund: the provider's answer, staff's word, or a bank statement's debit line (Y8, A2).

A provider refund is asked of the provider after it is recorded (:func:`ask_provider`); its answer is
recorded on the refund and on the money it refunds. An unknown answer leaves the refund requested until
:func:`settle_refund` asks again (or staff record what they know). A bank refund is confirmed by a debit line
of a bank statement that carries its reference, one word (:func:`transfer_reference`), for its exact amount
(:func:`confirm_bank_refunds`). A settlement is saved on a version, so a refund is settled once however
many settle it at the same time.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence

from subscription_core.customers import Actor, ActorKind
from subscription_core.errors import (
    NotEligibleError,
    PermissionDeniedError,
    ValidationError,
    checked_id,
    required_text,
)
from subscription_core.payments import Payment
from subscription_core.ports import RefundAnswer, RefundOutcome, RefundRequest, UnitOfWork
from subscription_core.refunds import Refund, RefundDebit, RefundMethod, RefundState
from subscription_core.services.context import Services
from subscription_core.services.idempotency import with_retries
from subscription_core.services.permissions import require_staff
from subscription_core.services.refund_invoicing import issue_adjustments, request_adjustments
from subscription_core.unapplied import UnappliedMoney

__all__ = ["ask_provider", "confirm_bank_refunds", "refund_request", "settle_refund", "transfer_reference"]

_log = logging.getLogger(__name__)
_TOKEN = re.compile(r"[0-9A-Za-z._/-]+")


def transfer_reference(reference: object) -> str:
    """Return a bank refund's ``reference``: one word of letters, digits and ``. _ / -`` (Y8).

    A statement's debit line confirms the refund when this word appears in its description.

    Raises:
        ValidationError: (Y8) not such a word.
    """
    ref = checked_id(reference, field="reference", rule="Y8")
    if _TOKEN.fullmatch(ref) is None:
        raise ValidationError(
            "must be one word of letters, digits and . _ / - (it is matched in the statement)",
            rule="Y8",
            field="reference",
            value=ref,
        )
    return ref


def refund_request(uow: UnitOfWork, refund: Refund) -> RefundRequest:
    """What the provider needs to refund (or tell the outcome of) ``refund``, a provider refund (Y8).

    Raises:
        NotEligibleError: (Y8) a bank-transfer refund. NotFoundError: its money or payment is gone.
    """
    if refund.provider is None or refund.payment_reference is None:
        raise NotEligibleError("a bank-transfer refund is not asked of a provider", rule="Y8", field="refund_id")
    if refund.unapplied_id is not None:
        money = uow.unapplied.get(refund.unapplied_id)
        paid, paid_at, merchant = money.amount, money.received_at, None
        started = _attempt_of(uow, money)
        started_at = started.started_at if started is not None else None
    else:
        payment = uow.payments.get(refund.payment_id or "")
        paid, paid_at, merchant = payment.amount, payment.settled_at or payment.started_at, payment.id
        started_at = payment.started_at
    return RefundRequest(
        refund_id=refund.id,
        payment_reference=refund.payment_reference,
        merchant_reference=merchant,
        paid_at=paid_at,
        paid=str(paid.amount),
        amount=str(refund.amount.amount),
        currency=refund.amount.currency.code,
        requested_by=refund.requested_by.id,
        reason=refund.reason,
        started_at=started_at,
    )


def _attempt_of(uow: UnitOfWork, money: UnappliedMoney) -> Payment | None:
    """The payment attempt unapplied ``money`` most likely came through, or ``None`` when there is none.

    The order's latest payment of the money's method started before the money arrived, as the notification
    chose it; its ``started_at`` dates the provider's transaction (VNPay's ``vnp_CreateDate``).
    """
    if money.order_id is None or money.method is None:
        return None
    attempts = [
        p
        for p in uow.payments.of_order(money.order_id)
        if p.method == money.method and p.started_at <= money.received_at and p.unapplied_id is None
    ]
    return attempts[-1] if attempts else None


def ask_provider(deps: Services, refund: Refund, *, query: bool = False) -> Refund:
    """Ask the provider to make a requested provider ``refund`` (or, with ``query``, what became of it).

    Returns the refund with the answer recorded; a settled or bank-transfer refund as it is, unasked.

    Raises:
        NotEligibleError: (Y8) the provider's refund API is no longer registered.
    """
    if refund.state is not RefundState.REQUESTED or refund.method is not RefundMethod.PROVIDER:
        return refund
    gateway = deps.refund_gateway(refund.provider or "")
    with deps.uow() as uow:
        request = refund_request(uow, refund)
    answer = gateway.query(request) if query else gateway.refund(request)
    _log.info("refund %s: the provider answered %s", refund.id, answer.outcome.value)
    return _record(deps, refund.id, answer, refund.requested_by)


def _record(deps: Services, refund_id: str, answer: RefundAnswer, by: Actor) -> Refund:
    """Record ``answer`` on the refund, and on the money it refunds; a settled refund is left as it is."""

    def change(refund: Refund, now: dt.datetime) -> Refund | None:
        if answer.outcome is RefundOutcome.UNKNOWN:
            return None
        if answer.outcome is RefundOutcome.SUCCEEDED:
            return refund.succeed(at=now, reference=answer.reference)
        return refund.fail(at=now, failure=answer.message or "refused", reference=answer.reference)

    done = with_retries(deps, lambda uow, now: _settle(uow, refund_id, change, by, now), name="record_refund_answer")
    issue_adjustments(deps, done)
    return done


def _settle(
    uow: UnitOfWork, refund_id: str, change: Callable[[Refund, dt.datetime], Refund | None], by: Actor, now: dt.datetime
) -> Refund:
    """Apply ``change`` to a requested refund and settle the money it refunds, in ``uow``; commits.

    The money is read before the refund, so that the refund read is never older than the money (a
    concurrent settlement commits both): a refund already settled is returned as it is, unchanged. The
    refund is saved first, so that a racing settlement waits for this one and then loses on its version.
    """
    first = uow.refunds.get(refund_id)
    money = None if first.unapplied_id is None else uow.unapplied.get(first.unapplied_id)
    refund = uow.refunds.get(refund_id)
    settled = change(refund, now) if refund.state is RefundState.REQUESTED else None
    if settled is None:
        return refund
    uow.refunds.save(settled, expected_version=refund.version)
    if money is not None:
        succeeded = settled.state is RefundState.SUCCEEDED
        kept = money.settle_refund(settled.amount, succeeded=succeeded, refund_id=settled.id, at=now, by=by)
        uow.unapplied.save(kept, expected_version=money.version)
    request_adjustments(uow, settled, now)  # a refund of invoiced money decreases its invoice (Y8)
    uow.commit()
    return settled


def settle_refund(
    deps: Services,
    actor: Actor,
    *,
    refund_id: str,
    outcome: RefundOutcome | None = None,
    reference: str | None = None,
    failure: str = "",
) -> Refund:
    """Settle a requested refund: ask its provider what became of it, or record ``outcome`` staff give (Y8).

    Without ``outcome`` the provider is asked (a provider refund only; the scheduler may do this); with it,
    staff record what they know (a transfer came back: FAILED with the ``failure``). A refund already
    settled is returned as it is. A failed refund of unapplied money gives its amount back to the money.

    Raises:
        PermissionDeniedError: (A2) neither staff nor the scheduler; the scheduler giving an outcome.
        NotFoundError: unknown refund. NotEligibleError: (Y8) asking a provider about a bank refund.
        ValidationError: a failure without its reason.
    """
    refund_id = checked_id(refund_id, field="refund_id")
    if not (actor.is_staff or (outcome is None and actor.kind is ActorKind.SCHEDULER)):
        raise PermissionDeniedError("only vendor staff may settle a refund", rule="A2", field="actor", value=actor.id)
    with deps.uow() as uow:
        refund = uow.refunds.get(refund_id)
    if outcome is None:
        if refund.method is not RefundMethod.PROVIDER:
            raise NotEligibleError("a bank refund is settled by staff or a statement", rule="Y8", field="outcome")
        return ask_provider(deps, refund, query=True)
    if not isinstance(outcome, RefundOutcome) or outcome is RefundOutcome.UNKNOWN:
        raise ValidationError("must be SUCCEEDED or FAILED", rule="Y8", field="outcome", value=outcome)
    why = required_text(failure, field="failure", rule="Y8") if outcome is RefundOutcome.FAILED else ""
    return _record(deps, refund_id, RefundAnswer(outcome=outcome, reference=reference, message=why), actor)


def confirm_bank_refunds(deps: Services, actor: Actor, debits: Sequence[RefundDebit]) -> list[Refund]:
    """Confirm the bank refunds that a statement's debit lines show (Y8, A2); returns those confirmed.

    A debit confirms the one requested bank refund whose reference is a word of its description and whose
    amount it equals; any other debit is left alone. Importing a statement again confirms nothing twice.

    Raises:
        PermissionDeniedError: (A2) not staff. ValidationError: not a sequence of :class:`RefundDebit`.
    """
    require_staff(actor, "confirm bank refunds")
    given: object = debits  # callers without type checking may pass anything
    if isinstance(given, str | bytes) or not isinstance(given, Sequence):
        raise ValidationError("must be a sequence of RefundDebit", rule="Y8", field="debits")
    if not all(isinstance(d, RefundDebit) for d in given):
        raise ValidationError("must be a sequence of RefundDebit", rule="Y8", field="debits")
    confirmed: list[Refund] = []
    for debit in debits:

        def work(uow: UnitOfWork, now: dt.datetime, debit: RefundDebit = debit) -> Refund | None:
            matches = {
                refund.id
                for token in sorted(set(_TOKEN.findall(debit.description)))
                for refund in uow.refunds.by_reference(token)
                if refund.method is RefundMethod.BANK_TRANSFER
                and refund.state is RefundState.REQUESTED
                and refund.amount == debit.amount
            }
            if len(matches) != 1:
                return None

            def confirm(refund: Refund, at: dt.datetime, line: str = debit.line_id) -> Refund:
                return refund.succeed(at=at, statement_line=line)

            done = _settle(uow, matches.pop(), confirm, actor, now)
            return done if done.statement_line == debit.line_id else None

        found = with_retries(deps, work, name="confirm_bank_refunds")
        _log.info("debit %s: %s", debit.line_id, "confirms refund " + found.id if found else "matches no refund")
        if found is not None:
            issue_adjustments(deps, found)
            confirmed.append(found)
    return confirmed
