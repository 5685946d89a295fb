"""Refunds: staff give money back, through the provider that took it or by a bank transfer they record (Y8, A2).

:func:`refund_unapplied` asks the provider that took unapplied money to refund it (all that remains, or
part); :func:`record_bank_refund` records a transfer staff made; both are idempotent by key, and both lower
the money's remaining amount at once, so that refunds never exceed what was received. A refund is
recorded as requested and committed *before* the provider is asked, so that no refund is ever made
unrecorded; the provider's answer is recorded after. An unknown answer (a timeout) leaves the refund
requested until :func:`settle_refund` asks again, or staff record the outcome. A debit line of a bank
statement carrying a bank refund's reference confirms it (:func:`confirm_bank_refunds`).
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
    TransientConflictError,
    ValidationError,
    checked_id,
    required_text,
)
from subscription_core.money import Money
from subscription_core.ports import RefundAnswer, RefundOutcome, RefundRequest, UnitOfWork
from subscription_core.refunds import Refund, RefundDebit, RefundKind, RefundMethod, RefundState
from subscription_core.services.context import Services
from subscription_core.services.idempotency import fingerprint, run_once, scope_of, with_retries
from subscription_core.services.permissions import require_reason, require_staff
from subscription_core.unapplied import STATEMENT_SOURCE, UnappliedMoney

__all__ = [
    "ask_provider",
    "check_not_raced",
    "confirm_bank_refunds",
    "record_bank_refund",
    "refund_request",
    "refund_unapplied",
    "refunds_of",
    "settle_refund",
    "transfer_reference",
]

_log = logging.getLogger(__name__)
_TOKEN = re.compile(r"[0-9A-Za-z._/-]+")


def check_not_raced(uow: UnitOfWork, actor: Actor, *, name: str, key: str) -> None:
    """Refuse to go on if a request with the same key committed since this unit of work read its key.

    Call it after reading what the request changes: under READ COMMITTED, a state read after a concurrent
    request's commit comes with its key, which is then seen here; the use case runs again and answers that
    request's outcome instead of refusing the state it left.

    Raises:
        TransientConflictError: the same key was committed meanwhile.
    """
    if uow.idempotency.get(scope_of(name, actor), key) is not None:
        raise TransientConflictError("a request with this key was just answered", field="idempotency_key", value=key)


def _amount(money: UnappliedMoney, amount: object) -> Money:
    if amount is None:
        return money.remaining
    if not isinstance(amount, Money):
        raise ValidationError("must be Money, or None for all that remains", rule="Y8", field="amount", value=amount)
    return amount


def _reserve(
    deps: Services,
    uow: UnitOfWork,
    actor: Actor,
    money: UnappliedMoney,
    amount: Money,
    *,
    method: RefundMethod,
    reason: str,
    now: dt.datetime,
    **references: str,
) -> Refund:
    """Lower the money's remaining amount by a new refund of ``amount`` and store both (Y8)."""
    made = Refund.request(
        id=deps.ids.new_id("rfd"),
        kind=RefundKind.UNAPPLIED,
        amount=amount,
        refundable=money.remaining,
        method=method,
        at=now,
        by=actor,
        reason=reason,
        customer_id=money.customer_id,
        order_id=money.order_id,
        unapplied_id=money.id,
        **references,
    )
    uow.unapplied.save(money.reserve_refund(amount), expected_version=money.version)
    uow.refunds.add(made)
    return made


def refund_unapplied(
    deps: Services, actor: Actor, *, unapplied_id: str, reason: str, idempotency_key: str, amount: Money | None = None
) -> Refund:
    """Staff refund unapplied money through the provider that took it: ``amount``, or all that remains (Y8, A2).

    The refund is recorded as requested and committed, then the provider is asked (once per refund, however
    often the key is repeated); its answer is recorded. Returns the refund as it stands: succeeded, failed
    (its amount is refundable again), or still requested when the provider's answer is unknown.

    Raises:
        PermissionDeniedError: (A2) not staff. NotFoundError: unknown money. ValidationError: no reason;
            (Y8) an amount not above zero or above what remains. NotEligibleError: (Y8) money a bank
            statement showed, or a provider with no refund API: record a bank refund instead.
            InvalidTransitionError: (Y6) the money was applied or refunded. ConflictError: the key was
            used for another request.
    """
    unapplied_id = checked_id(unapplied_id, field="unapplied_id")
    require_staff(actor, "refund unapplied money")
    note = require_reason(actor, reason, "")

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Refund]:
        money = uow.unapplied.get(unapplied_id)
        check_not_raced(uow, actor, name="refund_unapplied", key=idempotency_key)
        if money.source == STATEMENT_SOURCE:
            raise NotEligibleError(
                "money a bank statement showed is refunded by a bank transfer staff record",
                rule="Y8",
                field="unapplied_id",
                value=money.id,
            )
        deps.refund_gateway(money.source)
        made = _reserve(
            deps,
            uow,
            actor,
            money,
            _amount(money, amount),
            method=RefundMethod.PROVIDER,
            reason=note,
            now=now,
            provider=money.source,
            payment_reference=money.reference,
        )
        _log.info("refund %s of unapplied money %s requested by %s", made.id, money.id, actor.id)
        return made.id, made

    digest = fingerprint(unapplied_id=unapplied_id, amount=None if amount is None else str(amount), reason=note)
    made = run_once(
        deps,
        actor,
        name="refund_unapplied",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, rid: uow.refunds.get(rid),
    )
    return ask_provider(deps, made)


def record_bank_refund(
    deps: Services,
    actor: Actor,
    *,
    unapplied_id: str,
    reference: str,
    reason: str,
    idempotency_key: str,
    amount: Money | None = None,
) -> Refund:
    """Staff record a bank transfer refunding unapplied money: ``amount``, or all that remains (Y8, A2).

    ``reference`` is the reference staff wrote in the transfer's content: a statement's debit line carrying
    it confirms the refund (:func:`confirm_bank_refunds`). The refund stays requested until then.

    Raises:
        PermissionDeniedError: (A2) not staff. NotFoundError: unknown money. ValidationError: no reason or
            reference; (Y8) an amount not above zero or above what remains. InvalidTransitionError: (Y6)
            the money was applied or refunded. ConflictError: the key was used for another request.
    """
    unapplied_id = checked_id(unapplied_id, field="unapplied_id")
    require_staff(actor, "record a bank refund")
    ref = transfer_reference(reference)
    note = require_reason(actor, reason, "")

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Refund]:
        money = uow.unapplied.get(unapplied_id)
        check_not_raced(uow, actor, name="record_bank_refund", key=idempotency_key)
        method = RefundMethod.BANK_TRANSFER
        made = _reserve(
            deps, uow, actor, money, _amount(money, amount), method=method, reason=note, now=now, reference=ref
        )
        _log.info("bank refund %s of unapplied money %s recorded by %s", made.id, money.id, actor.id)
        return made.id, made

    digest = fingerprint(unapplied_id=unapplied_id, amount=None if amount is None else str(amount), reference=ref)
    return run_once(
        deps,
        actor,
        name="record_bank_refund",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, rid: uow.refunds.get(rid),
    )


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
    else:
        payment = uow.payments.get(refund.payment_id or "")
        paid, paid_at, merchant = payment.amount, payment.settled_at or payment.started_at, payment.id
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
    )


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

    return with_retries(deps, lambda uow, now: _settle(uow, refund_id, change, by, now), name="record_refund_answer")


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
            confirmed.append(found)
    return confirmed


def refunds_of(
    deps: Services, actor: Actor, *, order_id: str | None = None, customer_id: str | None = None
) -> list[Refund]:
    """Staff list the refunds of an order or of a customer, oldest requested first (Y8, A2).

    Raises:
        PermissionDeniedError: (A2) not staff. ValidationError: neither or both of the ids given.
    """
    require_staff(actor, "list refunds")
    if (order_id is None) == (customer_id is None):
        raise ValidationError("give an order_id or a customer_id", rule="Y8", field="order_id", value=order_id)
    with deps.uow() as uow:
        if order_id is not None:
            return uow.refunds.of_order(checked_id(order_id, field="order_id"))
        return uow.refunds.of_customer(checked_id(customer_id, field="customer_id"))
