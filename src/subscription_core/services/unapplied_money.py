"""Unapplied money: recording money no order could take, and what staff do with it (Y6, Y7, A2).

:func:`keep_unapplied` records money inside the caller's unit of work, once per ``(source, reference)``;
the notification and statement use cases call it for money they cannot apply, so that a provider is
answered, and a statement line reported, only once the money is recorded. Staff list what is held
(:func:`unapplied_money`), apply it to an order of the same customer (:func:`apply_unapplied_money`: a
payment is recorded and the order fulfilled at once, as a verified proof is), or close it as refunded
outside the library with the refund's reference (:func:`refund_unapplied_money`).
"""

from __future__ import annotations

import datetime as dt
import logging

from subscription_core.customers import Actor
from subscription_core.errors import ValidationError, checked_id
from subscription_core.money import Money
from subscription_core.orders import Order
from subscription_core.payments import Payment, PaymentMethod
from subscription_core.ports import UnitOfWork
from subscription_core.services.context import Services
from subscription_core.services.fulfilment import Settlement, fulfil
from subscription_core.services.idempotency import fingerprint, run_once
from subscription_core.services.invoicing import issue_invoices
from subscription_core.services.permissions import require_reason, require_staff
from subscription_core.subscriptions import State
from subscription_core.unapplied import UnappliedMoney, UnappliedReason, UnappliedState

__all__ = [
    "apply_unapplied_money",
    "keep_unapplied",
    "refund_unapplied_money",
    "refusal_reason",
    "unapplied_money",
]

_log = logging.getLogger(__name__)
_MAX_LIST = 1000


def keep_unapplied(
    deps: Services,
    uow: UnitOfWork,
    *,
    source: str,
    reference: str,
    amount: Money,
    received_at: dt.datetime,
    at: dt.datetime,
    reason: UnappliedReason,
    note: str = "",
    method: PaymentMethod | None = None,
    order: Order | None = None,
    order_id: str | None = None,
) -> tuple[UnappliedMoney, bool]:
    """Record ``amount`` received from ``source`` as unapplied, in the caller's unit of work (Y6).

    ``order`` is the order the money named, when there is one; ``order_id`` the id it named otherwise.

    Returns the record and ``True``; or, when ``(source, reference)`` was recorded before, that record and
    ``False``, storing nothing. Nothing is committed here.

    Raises:
        ValidationError: a bad field (an amount not above zero, a naive instant).
    """
    money = UnappliedMoney(
        id=deps.ids.new_id("una"),
        source=source,
        reference=reference,
        amount=amount,
        received_at=received_at,
        recorded_at=at,
        reason=reason,
        note=note,
        method=method,
        order_id=order.id if order is not None else order_id,
        customer_id=order.customer_id if order is not None else None,
    )
    if uow.unapplied.add(money):
        _log.warning(
            "money %s from %s (%s) recorded as unapplied: %s, order %s",
            money.id,
            source,
            reference,
            reason.value,
            money.order_id,
        )
        return money, True
    earlier = uow.unapplied.by_reference(source, reference)
    if earlier is None:  # pragma: no cover - add refused only because the reference is stored
        raise ValidationError("was refused by the store", rule="Y6", field="reference", value=reference)
    return earlier, False


def refusal_reason(uow: UnitOfWork, order: Order | None) -> UnappliedReason:
    """Why money for ``order`` is unapplied once its fulfilment was refused (Y6).

    PURGED when a subscription it renews is purged, else CANNOT_FULFIL; UNKNOWN_ORDER without an order.
    """
    if order is None:
        return UnappliedReason.UNKNOWN_ORDER
    targets = sorted({line.subscription_id for line in order.lines if line.subscription_id is not None})
    held = uow.subscriptions.get_many(targets) if targets else {}
    purged = any(sub.state is State.PURGED for sub in held.values())
    return UnappliedReason.PURGED if purged else UnappliedReason.CANNOT_FULFIL


def unapplied_money(
    deps: Services,
    actor: Actor,
    *,
    state: UnappliedState | None = UnappliedState.OPEN,
    customer_id: str | None = None,
    limit: int = 100,
) -> list[UnappliedMoney]:
    """Staff list unapplied money, oldest received first (Y6, A2): open by default, any state with ``None``.

    Raises:
        PermissionDeniedError: (A2) not staff. ValidationError: a bad state, customer id or limit (0 to 1000).
    """
    customer_id = None if customer_id is None else checked_id(customer_id, field="customer_id")
    require_staff(actor, "list unapplied money")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= _MAX_LIST:
        raise ValidationError(f"must be a whole number from 0 to {_MAX_LIST}", field="limit", value=limit)
    with deps.uow() as uow:
        return uow.unapplied.listing(state=state, customer_id=customer_id, limit=limit)


def apply_unapplied_money(
    deps: Services, actor: Actor, *, unapplied_id: str, order_id: str, reason: str, idempotency_key: str
) -> Order:
    """Staff apply unapplied money to an order of the same customer awaiting payment (Y6, A2).

    A payment for the order's grand total is recorded, naming the money, and the order is fulfilled at
    once, as for a verified proof (Y4); the money is marked applied. Money is applied whole, never in part.

    Raises:
        PermissionDeniedError: (A2) not staff. NotFoundError: unknown money or order. ValidationError: no
            reason; (Y6) an amount other than the order's total. NotEligibleError: (Y6) another customer's
            order. InvalidTransitionError: (Y6) the money is no longer open; (O4) the order is not awaiting
            payment; or what the order buys cannot be granted (then nothing is kept).
        ConflictError: the key was used for another request.
    """
    unapplied_id = checked_id(unapplied_id, field="unapplied_id")
    order_id = checked_id(order_id, field="order_id")
    require_staff(actor, "apply unapplied money")
    note = require_reason(actor, reason, "")

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Order]:
        money = uow.unapplied.get(unapplied_id)
        order = uow.orders.get(order_id)
        money.check_applicable(order)
        method = money.method or PaymentMethod.bank_transfer()
        payment = Payment.reapplied(
            id=deps.ids.new_id("pay"), order=order, method=method, unapplied_id=money.id, at=now, by=actor
        )
        uow.payments.add(payment)
        applied = money.apply_to(order, payment_id=payment.id, at=now, by=actor, reason=note)
        uow.unapplied.save(applied, expected_version=money.version)
        reason_text = f"unapplied money {money.id} applied: {note}"
        done = fulfil(
            deps, uow, order, Settlement(payment=payment, at=now, by=actor, immediate=True, reason=reason_text)
        )
        _log.info("unapplied money %s applied to order %s by %s", money.id, order.id, actor.id)
        return order.id, done

    digest = fingerprint(unapplied_id=unapplied_id, order_id=order_id, reason=note)
    done = run_once(
        deps,
        actor,
        name="apply_unapplied_money",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, oid: uow.orders.get(oid),
    )
    issue_invoices(deps, done.id)  # O7, I3: after the commit
    return done


def refund_unapplied_money(
    deps: Services, actor: Actor, *, unapplied_id: str, reference: str, reason: str, idempotency_key: str
) -> UnappliedMoney:
    """Staff close unapplied money as refunded outside the library, with the refund's ``reference`` (Y6, A2).

    Raises:
        PermissionDeniedError: (A2) not staff. NotFoundError: unknown money. ValidationError: no reference or
            no reason. InvalidTransitionError: (Y6) the money is no longer open.
        ConflictError: the key was used for another request.
    """
    unapplied_id = checked_id(unapplied_id, field="unapplied_id")
    require_staff(actor, "close unapplied money as refunded")
    note = require_reason(actor, reason, "")

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, UnappliedMoney]:
        money = uow.unapplied.get(unapplied_id)
        refunded = money.refund(reference=reference, at=now, by=actor, reason=note)
        uow.unapplied.save(refunded, expected_version=money.version)
        _log.info("unapplied money %s closed as refunded by %s", money.id, actor.id)
        return money.id, refunded

    digest = fingerprint(unapplied_id=unapplied_id, reference=reference, reason=note)
    return run_once(
        deps,
        actor,
        name="refund_unapplied_money",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, uid: uow.unapplied.get(uid),
    )
