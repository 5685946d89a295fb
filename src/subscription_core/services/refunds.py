"""Refunds: staff give money back, through the provider that took it or by a bank transfer they record (Y8, A2).

:func:`refund_unapplied` asks the provider that took unapplied money to refund it (all that remains, or
part); :func:`record_bank_refund` records a transfer staff made; both are idempotent by key, and both lower
the money's remaining amount at once, so that refunds never exceed what was received. A refund is
recorded as requested and committed *before* the provider is asked, so that no refund is ever made
unrecorded; the provider's answer is recorded after. An unknown answer (a timeout) leaves the refund
requested until ``settle_refund`` asks again, or staff record the outcome; a debit line of a bank statement
carrying a bank refund's reference confirms it (both in :mod:`subscription_core.services.refund_outcomes`).
"""

from __future__ import annotations

import datetime as dt
import logging

from subscription_core.customers import Actor
from subscription_core.errors import NotEligibleError, TransientConflictError, ValidationError, checked_id
from subscription_core.money import Money
from subscription_core.ports import UnitOfWork
from subscription_core.refunds import Refund, RefundKind, RefundMethod
from subscription_core.services.context import Services
from subscription_core.services.idempotency import fingerprint, run_once, scope_of
from subscription_core.services.permissions import require_reason, require_staff
from subscription_core.services.refund_outcomes import ask_provider, transfer_reference
from subscription_core.unapplied import STATEMENT_SOURCE, UnappliedMoney

__all__ = ["check_not_raced", "record_bank_refund", "refund_unapplied", "refunds_of"]

_log = logging.getLogger(__name__)


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

    shown = None if amount is None else str(amount)
    digest = fingerprint(unapplied_id=unapplied_id, amount=shown, reference=ref, reason=note)
    return run_once(
        deps,
        actor,
        name="record_bank_refund",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, rid: uow.refunds.get(rid),
    )


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
