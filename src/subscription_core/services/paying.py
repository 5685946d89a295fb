"""Paying orders: starting a payment and offline money (Y1-Y3, Y7, A2).

A payment is started by method through the provider registered for it (Y1): online methods answer with a
page to redirect to (Y2), offline ones with the transfer or cash instructions, which are queued as a
notice (Y3). A provider's notification is verified by its port, checked against the order (Y5), recorded
once (the payments repository's unique key is the backstop) and applied once: a repeat is answered
"already processed" and changes nothing. Staff record offline money as received (A2; activation within
one business day, Y3). Proofs of payment (Y4) are in :mod:`~subscription_core.services.proofs`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import attrs

from subscription_core import renewals
from subscription_core.calendar import ensure_aware
from subscription_core.customers import Actor
from subscription_core.errors import CurrencyMismatchError, ValidationError, checked_id, masked
from subscription_core.money import Money
from subscription_core.notices import OrderNoticeKind
from subscription_core.orders import Order
from subscription_core.payments import (
    Payment,
    PaymentMethod,
    PaymentState,
    dated_receipt,
)
from subscription_core.ports import PaymentRequest, UnitOfWork
from subscription_core.services.context import Services
from subscription_core.services.fulfilment import Settlement, fulfil
from subscription_core.services.idempotency import fingerprint, run_once
from subscription_core.services.invoicing import issue_invoices
from subscription_core.services.notifying import order_notice, save_outcome
from subscription_core.services.permissions import require_actor, require_order_access, require_reason, require_staff
from subscription_core.subscriptions import Subscription
from subscription_core.texts import web_address_problem

__all__ = [
    "PaymentStarted",
    "activate_now",
    "receive_offline",
    "record_offline_payment",
    "return_url_of",
    "start_payment",
    "start_payment_for",
]

_log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class PaymentStarted:
    """How the buyer goes on after starting a payment: a provider page (Y2) or instructions (Y3)."""

    payment_id: str
    order_id: str
    redirect_url: str | None = None
    instructions: tuple[tuple[str, str], ...] = ()
    provider_ref: str | None = None

    def dumps(self) -> str:
        """The text an idempotency record keeps, to answer a repeat with this same outcome."""
        return json.dumps(attrs.asdict(self), sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> PaymentStarted:
        """Read back :meth:`dumps`."""
        data = json.loads(text)
        data["instructions"] = tuple((str(k), str(v)) for k, v in data["instructions"])
        return cls(**data)


def start_payment_for(
    deps: Services, uow: UnitOfWork, order: Order, method: PaymentMethod, at: dt.datetime, return_url: str = ""
) -> PaymentStarted:
    """Start paying ``order`` by ``method`` through its provider (Y1-Y3); offline instructions are queued (N1).

    Raises:
        NotFoundError: (Y1) no provider takes the method. InvalidTransitionError: (Y5) the order is not
            awaiting payment. ValidationError: the provider does not take the method.
    """
    name, provider = deps.provider_for(method)
    payment = Payment.start(id=deps.ids.new_id("pay"), order=order, method=method, at=at)
    request = PaymentRequest(
        payment_id=payment.id,
        order_id=order.id,
        amount=str(order.grand_total.amount),
        currency=order.currency.code,
        method=method,
        description=f"Order {order.id}",
        return_url=return_url,
        started_at=payment.started_at,
        buyer=order.notify,
    )
    start = provider.start(request)
    # Stored once the provider answered, with its reference of the attempt: a provider's status query finds a
    # payment whose return never came by it. A provider that fails leaves nothing (the unit of work rolls back).
    uow.payments.add(payment.started_as(start.provider_ref))
    instructions = tuple(sorted((str(k), str(v)) for k, v in start.instructions.items()))
    if not method.is_online:
        data = {"payment_id": payment.id, "method": method.kind.value, **dict(instructions)}
        order_notice(uow, order, OrderNoticeKind.ORDER_PLACED, at, part=f"instructions:{payment.id}", data=data)
    _log.info("payment %s of order %s started with %s", payment.id, order.id, name)
    return PaymentStarted(
        payment_id=payment.id,
        order_id=order.id,
        redirect_url=start.redirect_url,
        instructions=instructions,
        provider_ref=start.provider_ref,
    )


def return_url_of(value: object) -> str:
    """The return URL a buyer gave for an online payment (Y2), checked before any provider signs it in.

    Empty means the provider's own; else an absolute http or https address of at most 2000 characters
    (see :func:`~subscription_core.texts.web_address_problem`). A provider may take fewer: its adapter refuses
    the rest (VNPay: 255).

    Raises:
        ValidationError: (Y2, ``return_url``) not text, or not such an address; the message says why.
    """
    if not isinstance(value, str):
        raise ValidationError("must be text", rule="Y2", field="return_url", value=value)
    if value and (problem := web_address_problem(value)):
        raise ValidationError(problem, rule="Y2", field="return_url", value=masked(value, "text"))
    return value


def start_payment(
    deps: Services,
    actor: Actor,
    *,
    order_id: str,
    method: PaymentMethod,
    idempotency_key: str,
    return_url: str = "",
) -> PaymentStarted:
    """Start paying an order by ``method`` (Y1): a redirect for online methods (Y2), instructions offline (Y3).

    Raises:
        PermissionDeniedError: (A1, A3) ``actor`` may not pay this order. NotFoundError: unknown order (the
            addressed resource), or (Y1, a ``reference``) no provider for the method.
        InvalidTransitionError: (Y5) not awaiting payment.
        ConflictError: the key was used for another request. ValidationError: a malformed order id, or (Y2)
            a ``return_url`` :func:`return_url_of` refuses.
    """
    order_id = checked_id(order_id, field="order_id")
    return_url = return_url_of(return_url)
    require_actor(actor)

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, PaymentStarted]:
        order = uow.orders.get(order_id)
        require_order_access(actor, order, uow)
        started = start_payment_for(deps, uow, order, method, now, return_url)
        return started.dumps(), started

    digest = fingerprint(order_id=order_id, method=method, return_url=return_url)
    return run_once(
        deps,
        actor,
        name="start_payment",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda _uow, text: PaymentStarted.loads(text),
    )


def _received_at(received_at: dt.datetime | None, order: Order, now: dt.datetime) -> dt.datetime:
    if received_at is None:
        return now
    return dated_receipt(ensure_aware(received_at, field="received_at"), order=order, now=now)


def record_offline_payment(
    deps: Services,
    actor: Actor,
    *,
    order_id: str,
    method: PaymentMethod,
    amount: Money,
    reason: str,
    idempotency_key: str,
    received_at: dt.datetime | None = None,
) -> Order:
    """Staff record money received by transfer or cash for an order (A2, Y3); the order is paid.

    What it bought awaits activation until the end of the next business day after ``received_at`` (default:
    now; a receipt earlier on the day the order was placed counts from the placing, Y7), when the scheduler
    activates it (Y3, D4). The reason lands in the subscription's history (S9).

    Raises:
        PermissionDeniedError: (A2) not staff. ValidationError: (Y3) an online method, an amount other than
            the order's total, no reason; (Y7) a ``received_at`` on a day before the order was placed, in the
            future, or naive. CurrencyMismatchError: (Y3)
            another currency. InvalidTransitionError: (O4) the order is not awaiting payment.
        NotFoundError: unknown order. ConflictError: the key was used for another request.
    """
    order_id = checked_id(order_id, field="order_id")
    require_staff(actor, "record money as received")
    note = require_reason(actor, reason, "")
    if not isinstance(method, PaymentMethod) or method.is_online:
        raise ValidationError("must be an offline method (transfer or cash)", rule="Y3", field="method", value=method)
    if not isinstance(amount, Money):
        raise ValidationError("must be Money", rule="Y3", field="amount", value=amount)

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Order]:
        order = uow.orders.get(order_id)
        if amount.currency != order.currency:
            raise CurrencyMismatchError(
                f"the order is in {order.currency.code}", rule="Y3", field="amount", value=str(amount)
            )
        when = _received_at(received_at, order, now)
        payment = receive_offline(deps, uow, order, method, amount, when, actor)
        settlement = Settlement(payment=payment, at=now, by=actor, immediate=False, reason=note)
        return order.id, fulfil(deps, uow, order, settlement)

    digest = fingerprint(order_id=order_id, method=method, amount=amount, reason=note, received_at=received_at)
    done = run_once(
        deps,
        actor,
        name="record_offline_payment",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, oid: uow.orders.get(oid),
    )
    issue_invoices(deps, done.id)  # O7: after the commit
    return done


def receive_offline(
    deps: Services,
    uow: UnitOfWork,
    order: Order,
    method: PaymentMethod,
    amount: Money,
    at: dt.datetime,
    by: Actor,
    reference: str | None = None,
) -> Payment:
    """Record ``amount`` received for ``order`` by ``method`` at ``at``, inside the caller's unit of work (Y3).

    The order's latest started payment of that method kind is marked received, or a new one is stored
    received; ``reference`` names where the money was seen (a statement line). Nothing is committed; the
    caller goes on to ``fulfil``.

    Raises:
        PermissionDeniedError: (A2) ``by`` is not staff. ValidationError: (Y3) another amount.
        InvalidTransitionError: (Y5) the order is not awaiting payment.
    """
    started = [
        p for p in uow.payments.of_order(order.id) if p.state is PaymentState.STARTED and p.method.kind is method.kind
    ]
    if started:
        received = started[-1].receive(amount=amount, at=at, by=by, reference=reference)
        uow.payments.save(received, expected_version=started[-1].version)
        return received
    payment = Payment.received_offline(
        id=deps.ids.new_id("pay"), order=order, method=method, amount=amount, at=at, by=by, reference=reference
    )
    uow.payments.add(payment)
    return payment


def activate_now(
    deps: Services, actor: Actor, *, subscription_id: str, reason: str, idempotency_key: str
) -> Subscription:
    """Staff activate money received offline before its deadline (Y3, A2); the scheduler does it at the latest.

    Raises:
        PermissionDeniedError: (A2) not staff. ValidationError: no reason. NotFoundError: unknown subscription.
        NotEligibleError: (Y3) no payment awaits activation. ConflictError: the key was used for another request.
    """
    subscription_id = checked_id(subscription_id, field="subscription_id")
    require_staff(actor, "activate a payment")
    note = require_reason(actor, reason, "")

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Subscription]:
        sub = uow.subscriptions.get(subscription_id)
        activated = save_outcome(uow, sub, renewals.activate(sub, now, actor=actor, reason=note))
        _log.info("subscription %s activated by %s", sub.id, actor.id)
        return sub.id, activated

    digest = fingerprint(subscription_id=subscription_id, reason=note)
    return run_once(
        deps,
        actor,
        name="activate_now",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, sid: uow.subscriptions.get(sid),
    )
