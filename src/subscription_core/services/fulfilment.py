"""What happens when an order is paid: one step, in the payment's unit of work (O4, Y2, Y3, I1, O7, N2, P9, B5, K5).

:func:`fulfil` marks the order paid, grants what it bought to each subscription it names, requests its
e-invoices (kept pending, O7), queues every notice and consumes its promotion redemptions, then marks it
fulfilled. It runs inside the unit of work that recorded the payment, so either all of it is kept or none: a
bulk renewal extends every client or none (B5), and a failed step leaves no notice in the outbox (N2). It
never waits for the invoice issuer: the use case issues the order's invoices after its unit of work commits
(:func:`~subscription_core.services.invoicing.issue_invoices`), so a number is taken only by an invoice of
a fulfilled order (I3), and an issuer that fails never holds back the activation (O7).

What a paid order grants, by kind (O1):

* a new purchase opens a subscription, or converts the free trial it names (C4);
* a renewal (with or without a plan switch, and each line of a bulk renewal) extends the term (S2);
* paid online (or by a verified proof) these take effect at once (Y2); money recorded offline by staff
  awaits activation, at the latest at the end of the next business day (Y3, D4), which the scheduler
  applies;
* a storage top-up adds storage (S6) and a retention package opens the read-only archive (S5), at once
  however paid [decision: neither is an activation];
* a renewal on commitment becomes official (K5).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Final

import attrs

from subscription_core import commitments, lifecycle, renewals, retention
from subscription_core.catalog import Addon, AddonKind
from subscription_core.customers import Actor
from subscription_core.errors import NotFoundError, ValidationError
from subscription_core.grants import AddonGrant, PlanGrant
from subscription_core.invoices import RequestedInvoice, invoice_requests
from subscription_core.lifecycle import Outcome
from subscription_core.notices import OrderNoticeKind, OutboxMessage
from subscription_core.orders import Order, OrderKind, OrderLine
from subscription_core.payments import Payment
from subscription_core.ports import UnitOfWork
from subscription_core.quotes import LineKind
from subscription_core.services.context import Services
from subscription_core.services.notifying import order_notice, save_outcomes
from subscription_core.services.ordering import settle
from subscription_core.subscriptions import Entitlement, Opening, StorageBought, Subscription

__all__ = ["Fulfilled", "Settlement", "fulfil", "fulfil_order"]

_log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class Settlement:
    """How an order came to be paid: the payment, when, by whom, and whether the grant is immediate (Y2, Y3).

    ``immediate`` is true for a provider's confirmed success (Y2) and a proof verified by staff (Y4);
    false for money recorded as received offline, whose activation awaits the deadline of Y3.
    """

    payment: Payment
    at: dt.datetime
    by: Actor
    immediate: bool
    reason: str


@attrs.frozen(kw_only=True)
class Fulfilled:
    """What :func:`fulfil_order` did: the order, fulfilled, and the invoices it requested, pending (O7).

    Once the unit of work that fulfilled has committed, the caller hands it to
    :func:`~subscription_core.services.invoicing.issue_fulfilled`, which issues those invoices without
    reading back what it already holds.
    """

    order: Order
    invoices: tuple[RequestedInvoice, ...]


def fulfil(deps: Services, uow: UnitOfWork, order: Order, settlement: Settlement) -> Order:
    """Mark ``order`` paid and grant, request invoices, notify and settle everything it bought; return it fulfilled.

    As :func:`fulfil_order`, for a caller that issues the invoices by the order's id after committing:
    ``issue_invoices(deps, order.id)`` (O7).

    Raises:
        as :func:`fulfil_order`.
    """
    return fulfil_order(deps, uow, order, settlement).order


def fulfil_order(deps: Services, uow: UnitOfWork, order: Order, settlement: Settlement) -> Fulfilled:
    """Mark ``order`` paid and grant, request invoices, notify and settle everything it bought (O4, Y2, Y3, O7).

    Nothing is committed here: the caller's unit of work keeps all of it or none. After committing, the caller
    issues the invoices requested: ``issue_fulfilled(deps, fulfilled)`` (O7).

    Raises:
        InvalidTransitionError: (O4) the order is not awaiting payment; (S1) a subscription cannot take what
            was bought any more (then nothing is kept, the payment included).
        NotEligibleError: a rule of the kind refuses now (S5, S6, Y3).
        ConflictError: a subscription or the order changed since it was read.
    """
    at, by = settlement.at, settlement.by
    paid = order.mark_paid(at=at, payment_id=settlement.payment.id, by=by)
    _grant_all(deps, uow, paid, _targets(paid), settlement)
    invoices = _request_invoices(uow, paid, at)
    settle(uow, paid, at)
    queued: list[OutboxMessage] = []  # the order's own notices, queued in one add_many (N2)
    facts = {"payment_id": settlement.payment.id}
    order_notice(uow, paid, OrderNoticeKind.ORDER_PAID, at, data=facts, into=queued)
    if paid.kind is OrderKind.BULK_RENEWAL:
        clients = str(len({line.customer_id for line in paid.lines}))
        order_notice(uow, paid, OrderNoticeKind.BULK_RENEWED, at, data={"clients": clients}, into=queued)
    uow.outbox.add_many(queued)
    done = paid.fulfil(at=at, by=by)
    # One save, paid and fulfilled at once: nothing above reads the order back from the repository.
    uow.orders.save(done, expected_version=order.version)
    _log.info(
        "order %s paid by %s and fulfilled; %d invoice(s) to issue", order.id, settlement.payment.id, len(invoices)
    )
    return Fulfilled(order=done, invoices=tuple(invoices))


_BATCH: Final = 500
"""Subscriptions granted, and invoices requested, per round of statements: what a bulk renewal holds at once."""


def _grant_all(
    deps: Services, uow: UnitOfWork, order: Order, targets: dict[str, list[OrderLine]], how: Settlement
) -> None:
    """Open or extend every target with its lines, :data:`_BATCH` at a time: read, grant, save, queue (B5, N2).

    Everything stays in the caller's unit of work (all or nothing); a batch's subscriptions, outcomes, rows
    and notices are let go before the next is read, so a bulk renewal of 10,000 clients holds one batch of
    them in memory at a time, not all, and a few statements per batch still write them (not one per line).
    """
    pending = list(targets.items())
    for start in range(0, len(pending), _BATCH):
        batch = pending[start : start + _BATCH]
        held = uow.subscriptions.get_many([target for target, _ in batch])
        granted = [_grant(deps, order, target, lines, how, held.get(target)) for target, lines in batch]
        queued: list[OutboxMessage] = []
        save_outcomes(uow, granted, into=queued)
        uow.outbox.add_many(queued)


def _targets(order: Order) -> dict[str, list[OrderLine]]:
    """The order's lines by the subscription they go to; a new purchase's go to its plan line's ``ref``."""
    opened = next((line.ref for line in order.lines if line.kind is LineKind.PLAN and line.subscription_id is None), "")
    groups: dict[str, list[OrderLine]] = {}
    for line in order.lines:
        groups.setdefault(line.subscription_id or opened, []).append(line)
    return groups


def _grant(
    deps: Services,
    order: Order,
    target: str,
    lines: Sequence[OrderLine],
    how: Settlement,
    existing: Subscription | None,
) -> tuple[Subscription | None, Outcome]:
    """What opening or extending ``target`` (``existing``: as stored, or ``None``) with ``lines`` comes to."""
    if existing is None and order.kind is not OrderKind.NEW_PURCHASE:
        raise NotFoundError("no such subscription", field="subscription_id", value=target)
    reason = f"{how.reason}: order {order.id}, payment {how.payment.id}"
    if existing is None:
        return None, _open(deps, order, target, lines, how, reason)
    return existing, _apply(deps, existing, order.kind, lines, how, reason)


def _open(
    deps: Services, order: Order, target: str, lines: Sequence[OrderLine], how: Settlement, reason: str
) -> Outcome:
    grant, entitlement = _entitlement(deps, lines)
    # What the line froze, not the catalog: the product may have changed or gone since the order was placed (O6).
    opening = Opening(
        subscription_id=target,
        customer_id=lines[0].customer_id,
        product_code=entitlement.product_code,
        policy=grant.policy,
    )
    _log.info("order %s opens subscription %s", order.id, target)
    if how.immediate:
        return lifecycle.subscribe(opening, entitlement, how.at, actor=how.by, reason=reason)
    received = how.payment.received_at or how.at
    return lifecycle.subscribe_offline(
        opening, entitlement, received, calendar=deps.calendar, actor=how.by, reason=reason
    )


def _apply(
    deps: Services, sub: Subscription, kind: OrderKind, lines: Sequence[OrderLine], how: Settlement, reason: str
) -> Outcome:
    at, by = how.at, how.by
    if kind is OrderKind.STORAGE_TOP_UP:
        line = _addon_line(lines)
        return renewals.top_up_storage(sub, _addon(deps, line), line.quantity, at, actor=by, reason=reason)
    if kind is OrderKind.DATA_RETENTION:
        line = _addon_line(lines)
        return retention.buy_retention(sub, _addon(deps, line), line.quantity, at, actor=by, reason=reason)
    if kind is OrderKind.RENEWAL_ON_COMMITMENT:
        return commitments.verify_payment(sub, at, actor=by, reason=reason)
    _, entitlement = _entitlement(deps, lines)
    if how.immediate:
        return renewals.renew(sub, entitlement, at, actor=by, reason=reason)
    received = how.payment.received_at or at
    return renewals.receive_payment(sub, entitlement, received, calendar=deps.calendar, actor=by, reason=reason)


def _addon_line(lines: Sequence[OrderLine]) -> OrderLine:
    return next(line for line in lines if line.kind is LineKind.ADDON)


def _entitlement(deps: Services, lines: Sequence[OrderLine]) -> tuple[PlanGrant, Entitlement]:
    """The plan line's grant, and its entitlement with the storage add-on lines beside it as its term's storage.

    The term, quotas and storage per unit are those frozen on the lines (O6). S6's Enterprise-class check was
    made at placement; storage a renewal keeps goes with any plan (S11).
    """
    plan = next((line for line in lines if line.kind is LineKind.PLAN), None)
    if plan is None:
        raise ValidationError("the order has no plan line to grant", rule="O1", field="lines")
    grant = _plan_grant(deps, plan)
    return grant, grant.entitlement(plan.product, plan.code).with_storage(_storage_bought(deps, lines))


def _storage_bought(deps: Services, lines: Sequence[OrderLine]) -> tuple[StorageBought, ...]:
    """The storage the storage add-on lines beside a plan line buy for its term (S6, S11), per unit as frozen (O6)."""
    bought = []
    for line in lines:
        if line.kind is LineKind.ADDON:
            grant = _addon_grant(deps, line)
            if grant.kind is AddonKind.STORAGE:
                amount = grant.storage_per_unit * line.quantity
                bought.append(StorageBought(addon=line.code, units=line.quantity, amount=amount))
    return tuple(bought)


def _plan_grant(deps: Services, line: OrderLine) -> PlanGrant:
    """What a plan line grants: frozen on it when placed (O6), or for a line placed before that, read now."""
    if isinstance(line.grant, PlanGrant):
        return line.grant
    _log.warning(
        "a line of plan %s (ref %r) froze no grant, placed before O6: granting the catalog's", line.code, line.ref
    )
    return PlanGrant.of(deps.catalog.product_of_plan(line.code), line.code, line.option)


def _addon_grant(deps: Services, line: OrderLine) -> AddonGrant:
    """What an add-on line grants: frozen on it when placed (O6), or for a line placed before that, read now."""
    if isinstance(line.grant, AddonGrant):
        return line.grant
    _log.warning(
        "a line of add-on %s (ref %r) froze no grant, placed before O6: granting the catalog's", line.code, line.ref
    )
    return AddonGrant.of(deps.catalog.addon(line.code))


def _addon(deps: Services, line: OrderLine) -> Addon:
    """The add-on of ``line`` as it was priced, for the verbs that take one (S5, S6, O6)."""
    grant = _addon_grant(deps, line)
    return grant.addon(
        code=line.code, name=line.description or line.code, price=line.unit_price, vat_rate=line.vat_rate
    )


def _request_invoices(uow: UnitOfWork, order: Order, at: dt.datetime) -> list[RequestedInvoice]:
    """Keep each invoice of the just-paid order pending (I1, O7, I3); nothing is read first.

    The issuer is not called here: the order is fulfilled whatever it answers, and a number is taken only
    after this unit of work commits, for an order that is fulfilled. The use case that fulfilled issues the
    pending invoices once it committed (:func:`~subscription_core.services.invoicing.issue_fulfilled`), and
    the retry step retries those that failed.

    Only fulfilment requests invoices, and only for an order it moved from awaiting payment to paid, which
    no order leaves twice: so the order has none requested or issued yet, and the repository refuses a
    request made twice by a concurrent fulfilment (a conflict, which rolls this one back).
    """
    requested = [RequestedInvoice.of(r) for r in invoice_requests(order, at)]
    for start in range(0, len(requested), _BATCH):  # bounded: the rows of one batch are built at a time
        uow.invoices.request_many(requested[start : start + _BATCH])
    return requested
