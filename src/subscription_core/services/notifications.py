"""Provider notifications: verified, checked, recorded once, applied once, or kept as unapplied money (Y2, Y5, Y6).

A provider's notification is verified by its port, checked against the order (Y5) and recorded once (the
payments repository's unique key on the provider's event is the backstop). A success the order can take
pays and fulfils it at once (Y2). Money the order cannot take (cancelled, lapsed, already paid, another
amount, an unknown order, a purged subscription) is recorded as unapplied money with the reason, in the
same unit of work as the event (Y6): the provider is answered only once the money is recorded, applied or
unapplied. A repeat is answered "already processed" and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable, Mapping

import attrs

from subscription_core.customers import Actor
from subscription_core.errors import (
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    SubscriptionError,
    ValidationError,
)
from subscription_core.money import Money
from subscription_core.orders import Order
from subscription_core.payments import Payment, PaymentState, ProviderNotification, check_notification
from subscription_core.ports import UnitOfWork
from subscription_core.services.context import Services
from subscription_core.services.fulfilment import Fulfilled, Settlement, fulfil_order
from subscription_core.services.idempotency import with_retries
from subscription_core.services.invoicing import issue_fulfilled
from subscription_core.services.unapplied_money import keep_unapplied, refusal_reason
from subscription_core.unapplied import UnappliedReason, reason_for

__all__ = ["NotificationResult", "NotificationStatus", "apply_notification", "handle_notification"]

_log = logging.getLogger(__name__)


class NotificationStatus(enum.Enum):
    """What a provider's notification did (Y5, Y6)."""

    APPLIED = "applied"  # the order was paid and fulfilled
    UNAPPLIED = "unapplied"  # money the order could not take: recorded as unapplied money for staff (Y6)
    FAILED = "failed"  # the attempt failed; the order still awaits payment
    ALREADY_PROCESSED = "already_processed"  # a repeat: nothing changed
    STALE = "stale"  # a failure for an order no longer awaiting payment: recorded, nothing changed


@attrs.frozen(kw_only=True)
class NotificationResult:
    """The answer to a provider's notification: what it did, to which order, payment or unapplied money."""

    status: NotificationStatus
    order_id: str
    payment_id: str | None = None
    unapplied_id: str | None = None


def _verified_by_port(_notification: ProviderNotification) -> bool:
    # The provider's port verified the signature (in constant time) when it parsed the payload.
    return True


def handle_notification(deps: Services, provider: str, payload: Mapping[str, str]) -> NotificationResult:
    """Handle a payment provider's notification (Y2, Y5, Y6): verify, check, record once, apply once.

    The system acts, named after the provider. A success pays the order and fulfils it at once (Y2). A
    success the order cannot take (cancelled, lapsed, already paid, another amount or currency, an order
    this shop does not know, or what it buys can no longer be granted) is recorded as unapplied money with
    the reason, UNAPPLIED (Y6): whatever the result, the money is recorded before this returns. A failure
    fails the attempt. A repeat (the same provider event) is answered ALREADY_PROCESSED and changes
    nothing; a failure arriving after the order was paid is STALE [decision].

    Raises:
        NotFoundError: (Y5) unknown provider; a failure for an unknown order. ValidationError: (Y5) bad
            signature or payload. ConflictError: the race was lost too often (ask the provider to retry).
            Nothing is recorded when it raises.
    """
    port = deps.provider(provider)
    notification = port.parse_notification(payload, received_at=deps.now())
    if notification.provider != provider:
        raise ValidationError("names another provider", rule="Y5", field="provider", value=notification.provider)
    return apply_notification(deps, notification)


def apply_notification(deps: Services, notification: ProviderNotification) -> NotificationResult:
    """Apply a notification its provider's adapter verified (Y2, Y5, Y6), as :func:`handle_notification` does.

    The scheduler calls it with what a provider's payment query answered for a notification that never
    came; its event id is the one the notification would carry, so the two are recorded once.

    Raises:
        as :func:`handle_notification`, once the payload is read.
    """

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[NotificationResult, Fulfilled | None]:
        return _apply_notification(deps, uow, notification, now)

    try:
        result, fulfilled = with_retries(deps, work, name="handle_notification")
    except ConflictError:
        raise
    except SubscriptionError as refusal:
        if not notification.succeeded:
            raise
        # Fulfilment refused (S1, S5, S6, ...): nothing of it was kept; the money is kept instead (Y6).
        return with_retries(deps, _refused_money(deps, notification, refusal), name="handle_notification")
    if fulfilled is not None:
        issue_fulfilled(deps, fulfilled)  # O7, I3: after the commit, never holding back the answer
    return result


def _apply_notification(
    deps: Services, uow: UnitOfWork, notification: ProviderNotification, now: dt.datetime
) -> tuple[NotificationResult, Fulfilled | None]:
    """Record the notification and apply it; with the fulfilment made, when it paid its order (Y2, Y5, Y6)."""
    provider, event = notification.key
    order = _order_or_none(uow, notification.order_id)
    if not uow.payments.record_notification(provider, event, order_id=notification.order_id, at=now):
        _log.info("notification %s/%s for order %s already processed", provider, event, notification.order_id)
        return NotificationResult(status=NotificationStatus.ALREADY_PROCESSED, order_id=notification.order_id), None
    if not notification.succeeded:
        if order is None:  # a failure for no order of ours: nothing to record (the rollback drops the event)
            raise NotFoundError("no such order", rule="Y5", field="order_id", value=notification.order_id)
        return _failed(deps, uow, notification, order, now), None
    payment = _latest_payment(deps, uow, order, provider) if order is not None else None
    why = _why_unapplied(notification, order, payment)
    if why is not None or order is None or payment is None:
        return _keep(deps, uow, notification, order, payment, now, why or UnappliedReason.UNKNOWN_ORDER), None
    check_notification(notification, order, signature_valid=_verified_by_port)
    paid = _succeed(deps, uow, order, payment, notification, now)
    settlement = Settlement(payment=paid, at=now, by=Actor.system(provider), immediate=True, reason="paid online")
    fulfilled = fulfil_order(deps, uow, order, settlement)
    uow.commit()
    return NotificationResult(status=NotificationStatus.APPLIED, order_id=order.id, payment_id=paid.id), fulfilled


def _order_or_none(uow: UnitOfWork, order_id: str) -> Order | None:
    try:
        return uow.orders.get(order_id)
    except NotFoundError:
        return None


def _failed(
    deps: Services, uow: UnitOfWork, notification: ProviderNotification, order: Order, now: dt.datetime
) -> NotificationResult:
    """A provider's failure: the started attempt fails; after the order stopped awaiting payment, STALE."""
    try:
        check_notification(notification, order, signature_valid=_verified_by_port)
    except InvalidTransitionError:
        uow.commit()
        return NotificationResult(status=NotificationStatus.STALE, order_id=order.id)
    provider, event = notification.key
    payment = _latest_payment(deps, uow, order, provider)
    if payment is not None and payment.state is PaymentState.STARTED:
        uow.payments.save(payment.fail(at=now, reason=f"{provider} event {event}"), expected_version=payment.version)
    uow.commit()
    return NotificationResult(status=NotificationStatus.FAILED, order_id=order.id)


def _why_unapplied(
    notification: ProviderNotification, order: Order | None, payment: Payment | None
) -> UnappliedReason | None:
    """Why a confirmed success cannot pay its order, or ``None`` when it can (Y5, Y6)."""
    if order is None:
        return UnappliedReason.UNKNOWN_ORDER
    total = order.grand_total
    if notification.currency.strip().upper() != total.currency.code or notification.amount != total.amount:
        return UnappliedReason.AMOUNT_DIFFERS
    if not order.awaiting_payment:
        return reason_for(order)
    return UnappliedReason.NO_PAYMENT_STARTED if payment is None else None


def _received_money(notification: ProviderNotification, order: Order | None) -> Money:
    """The amount the provider confirmed, in its currency (the order's when it names another we cannot read)."""
    try:
        return Money.of(notification.amount, notification.currency)
    except SubscriptionError:
        if order is None:
            raise
        return Money.of(notification.amount, order.currency)


def _keep(
    deps: Services,
    uow: UnitOfWork,
    notification: ProviderNotification,
    order: Order | None,
    payment: Payment | None,
    now: dt.datetime,
    why: UnappliedReason,
    note: str = "",
) -> NotificationResult:
    provider, event = notification.key
    money, _ = keep_unapplied(
        deps,
        uow,
        source=provider,
        reference=event,
        amount=_received_money(notification, order),
        received_at=notification.received_at,
        at=now,
        reason=why,
        note=note or f"{provider} event {event} for order {notification.order_id}: {why.value}",
        method=payment.method if payment is not None else None,
        order=order,
        order_id=notification.order_id,
    )
    uow.commit()
    return NotificationResult(
        status=NotificationStatus.UNAPPLIED, order_id=notification.order_id, unapplied_id=money.id
    )


def _refused_money(
    deps: Services, notification: ProviderNotification, refusal: SubscriptionError
) -> Callable[[UnitOfWork, dt.datetime], NotificationResult]:
    """The unit of work that keeps a success whose fulfilment was refused as unapplied money (Y6)."""
    rule = f"[{refusal.rule}] " if refusal.rule else ""
    note = f"fulfilment refused: {rule}{type(refusal).__name__}: {refusal.message}"

    def work(uow: UnitOfWork, now: dt.datetime) -> NotificationResult:
        provider, event = notification.key
        order = _order_or_none(uow, notification.order_id)
        if not uow.payments.record_notification(provider, event, order_id=notification.order_id, at=now):
            return NotificationResult(status=NotificationStatus.ALREADY_PROCESSED, order_id=notification.order_id)
        payment = _latest_payment(deps, uow, order, provider) if order is not None else None
        why = refusal_reason(uow, order)
        return _keep(deps, uow, notification, order, payment, now, why, note)

    return work


def _latest_payment(deps: Services, uow: UnitOfWork, order: Order, provider: str) -> Payment | None:
    """The order's latest payment through ``provider``, started ones first."""
    mine = [p for p in uow.payments.of_order(order.id) if deps.routes.get(p.method.kind) == provider]
    started = [p for p in mine if p.state is PaymentState.STARTED]
    return (started or mine)[-1] if mine else None


def _succeed(
    deps: Services,
    uow: UnitOfWork,
    order: Order,
    payment: Payment,
    notification: ProviderNotification,
    at: dt.datetime,
) -> Payment:
    """The payment the provider confirmed (Y2); if its attempt was marked failed by a reordered notice, a new one."""
    if payment.state is PaymentState.STARTED:
        paid = payment.succeed(at=at, provider_ref=notification.event_id)
        uow.payments.save(paid, expected_version=payment.version)
        return paid
    # The same attempt at the provider: dated by its start, which a provider finds it by (VNPay's refunds, Y8).
    fresh = Payment.start(id=deps.ids.new_id("pay"), order=order, method=payment.method, at=payment.started_at)
    paid = fresh.succeed(at=at, provider_ref=notification.event_id)
    uow.payments.add(paid)
    return paid
