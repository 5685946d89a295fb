"""The scheduler's checks with providers: payments left started past their deadline, refunds left unknown.

Payments (Y5, Y6, O4).

Before the scheduler lapses an order unpaid past its deadline, it asks the provider of each payment still
started on it, through the provider's optional :class:`~subscription_core.ports.PaymentStatusQuery`
(``Services.status_queries``), what became of it:

- PAID: the success is applied as its notification would have been (:func:`apply_notification`, with the
  notification's own event id, so that the notification arriving after all is already processed): the
  order is paid and fulfilled, not lapsed; a success the order can no longer take is kept as unapplied
  money (Y6).
- FAILED: the payment is marked failed, and the order lapses.
- UNKNOWN: the order is held back, not lapsed, and asked about again at the next run; for
  :data:`UNKNOWN_STATUS_GRACE` past its deadline at most. After that it lapses even so: a success confirmed
  later is still recorded, as unapplied money (Y6), never lost.

An order whose started payments go to providers without a query lapses as before.

Refunds (Y8): :func:`settle_unknown_refunds` asks the provider of every provider refund still requested
(its answer was unknown: a timeout, a ``94``) what became of it, through ``settle_refund`` as the
scheduler. Each is asked once per run, and again at the next run while the provider cannot tell; there is
no limit in time, since a refund's money is reserved until it settles: staff settle one the provider never
will (``settle_refund`` with an outcome), from the provider's own records.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Sequence
from typing import Final

import attrs

from subscription_core.customers import Actor
from subscription_core.errors import SubscriptionError
from subscription_core.limits import MAX_BATCH
from subscription_core.orders import Order
from subscription_core.payments import Payment, PaymentState
from subscription_core.ports import PaymentStatus, PaymentStatusAnswer, PaymentStatusRequest, UnitOfWork
from subscription_core.refunds import RefundMethod, RefundState
from subscription_core.services.context import Services
from subscription_core.services.idempotency import with_retries
from subscription_core.services.notifications import NotificationStatus, apply_notification
from subscription_core.services.refund_outcomes import settle_refund

__all__ = ["UNKNOWN_STATUS_GRACE", "PaymentCheck", "check_started_payments", "settle_unknown_refunds"]

_log = logging.getLogger(__name__)

UNKNOWN_STATUS_GRACE: Final = dt.timedelta(days=1)
"""How long past its deadline an order whose payment's status stays unknown is held back from lapsing."""


@attrs.frozen(kw_only=True)
class PaymentCheck:
    """What one check did: orders paid by a confirmed payment, payments failed, orders held back (unknown)."""

    applied: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    held: frozenset[str] = frozenset()


def _queried(deps: Services, uow: UnitOfWork, order: Order) -> list[Payment]:
    """The order's payments still started through a provider with a query, latest first."""
    started = [p for p in uow.payments.of_order(order.id) if p.state is PaymentState.STARTED]
    return [p for p in reversed(started) if deps.routes.get(p.method.kind) in deps.status_queries]


def check_started_payments(deps: Services, at: dt.datetime, size: int) -> PaymentCheck:
    """Ask the providers about the payments still started on orders unpaid past their deadline by ``at``.

    See the module's docstring. Reads ``size`` new orders per unit of work; never raises for what a
    provider answers (a use case it calls that fails is logged, and its order held back as unknown).
    """
    if not deps.status_queries:
        return PaymentCheck()
    seen: set[str] = set()
    applied: list[str] = []
    failed: list[str] = []
    held: set[str] = set()
    while True:
        limit = min(size + len(seen), MAX_BATCH)
        with deps.uow() as uow:
            orders = uow.orders.unpaid_past_deadline(at, limit=limit)
            todo = [(order, _queried(deps, uow, order)) for order in orders if order.id not in seen]
        for order, started in todo:
            seen.add(order.id)
            paid, unknown = _check_order(deps, order, started, failed)
            if paid:
                applied.append(order.id)
            elif unknown and order.pay_by is not None and at < order.pay_by + UNKNOWN_STATUS_GRACE:
                held.add(order.id)
        if len(orders) < limit or not todo:
            return PaymentCheck(applied=tuple(applied), failed=tuple(failed), held=frozenset(held))


def _check_order(deps: Services, order: Order, started: Sequence[Payment], failed: list[str]) -> tuple[bool, bool]:
    """Ask about each started payment of ``order``, latest first: (one was applied, one stays unknown)."""
    unknown = False
    for payment in started:
        name = deps.routes[payment.method.kind]
        answer = _ask(deps, name, order, payment)
        if answer.status is PaymentStatus.PAID and answer.notification is not None:
            try:
                result = apply_notification(deps, answer.notification)
            except SubscriptionError as error:
                _log.warning("payment %s: %s confirmed it, applying failed: %s", payment.id, name, error)
                unknown = True
                continue
            _log.info("payment %s of order %s confirmed by a %s query: %s", payment.id, order.id, name, result.status)
            if result.status in {NotificationStatus.APPLIED, NotificationStatus.ALREADY_PROCESSED}:
                return True, unknown
        elif answer.status is PaymentStatus.FAILED:
            why = f"{name} query: {answer.message or 'not paid'}"
            with_retries(deps, functools.partial(_fail, payment_id=payment.id, why=why), name="check_payments")
            failed.append(payment.id)
        else:
            _log.info("payment %s of order %s: %s cannot tell yet (%s)", payment.id, order.id, name, answer.message)
            unknown = True
    return False, unknown


def _ask(deps: Services, name: str, order: Order, payment: Payment) -> PaymentStatusAnswer:
    request = PaymentStatusRequest(
        payment_id=payment.id,
        order_id=order.id,
        amount=str(payment.amount.amount),
        currency=payment.amount.currency.code,
        method=payment.method,
        started_at=payment.started_at,
        start_ref=payment.start_ref,
    )
    return deps.status_queries[name].status(request)


def _fail(uow: UnitOfWork, now: dt.datetime, *, payment_id: str, why: str) -> None:
    payment = uow.payments.get(payment_id)
    if payment.state is PaymentState.STARTED:  # an IPN may have settled it meanwhile
        uow.payments.save(payment.fail(at=now, reason=why), expected_version=payment.version)
        uow.commit()


def settle_unknown_refunds(deps: Services, size: int) -> tuple[str, ...]:
    """Ask the providers about every provider refund still requested, ``size`` read at a time (Y8).

    Returns the ids of those that settled (succeeded or failed). A refund whose provider has no refund API
    registered, or whose settling fails, is logged and left for staff; never raises for one refund.
    """
    if not deps.refund_gateways:
        return ()
    settled: list[str] = []
    after: tuple[dt.datetime, str] | None = None
    while True:
        with deps.uow() as uow:
            page = uow.refunds.requested(after=after, limit=size)
        for refund in page:
            if refund.method is not RefundMethod.PROVIDER or refund.provider not in deps.refund_gateways:
                continue
            try:
                done = settle_refund(deps, Actor.scheduler(), refund_id=refund.id)
            except SubscriptionError as error:
                _log.warning("refund %s could not be settled: %s", refund.id, error)
                continue
            if done.state is not RefundState.REQUESTED:
                settled.append(done.id)
        if len(page) < size:
            return tuple(settled)
        after = (page[-1].requested_at, page[-1].id)
