"""The host's periodic job: time-driven transitions, lapsed orders, payment reminders and the outbox relay.

Rules S3-S5, Y3, Y5, Y6, Y8, K2, K4, O4, O8, N2. :func:`run_scheduler` takes one instant from the clock and, in
batches, advances every subscription with something due by then (expiry warnings and expiry, purge, end
of retention, activation of money received offline at its deadline, commitment warnings and cut-off),
saving each with its expected version and queueing its notices in the same unit of work; then it asks the
providers with a payment query about the payments still started on orders past their deadline, applying
a success whose notification was lost (Y5, Y6; :mod:`subscription_core.services.payment_checks`); then it
lapses the orders left unpaid past their deadline, but those whose payment's status is still unknown
(held back for a bounded time), and releases their promotion redemptions (P9); then it reminds
the orders still unpaid whose payment reminder has come (O8), each reminder once; then it settles the
provider refunds left unknown by asking their providers again (Y8). Running it twice at the
same instant changes nothing the second time. The outbox relay, :func:`relay_outbox`, lives in
:mod:`subscription_core.services.relay` (importable from here too).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Final

import attrs

from subscription_core.customers import Actor
from subscription_core.errors import ValidationError
from subscription_core.lifecycle import Notice, Outcome
from subscription_core.limits import MAX_BATCH
from subscription_core.notices import OrderNoticeKind, OutboxMessage
from subscription_core.orders import Order, OrderKind, OrderState
from subscription_core.ports import UnitOfWork
from subscription_core.scheduling import run_due
from subscription_core.services.context import Services
from subscription_core.services.idempotency import with_retries
from subscription_core.services.invoicing import issue_pending_invoices
from subscription_core.services.notifying import order_notice, save_outcomes
from subscription_core.services.ordering import settle
from subscription_core.services.payment_checks import check_started_payments, settle_unknown_refunds
from subscription_core.services.relay import Delivery, relay_outbox
from subscription_core.subscriptions import State, Subscription

__all__ = ["Delivery", "SchedulerRun", "relay_outbox", "run_scheduler"]

_log = logging.getLogger(__name__)
_CUT_OFF_REASON: Final = "cut off: unpaid at the last due date"


@attrs.frozen(kw_only=True)
class SchedulerRun:
    """What one run did at ``at``: subscriptions advanced, orders lapsed, closed at cut-off, reminded, invoiced.

    ``reminded`` are the orders reminded of their payment deadline (O8); ``invoices_issued`` counts the
    pending invoices the run issued (O7); ``held_back`` are the subscriptions it could not advance and set
    aside, to be tried again later (:mod:`subscription_core.held_back`). ``confirmed`` are the orders past
    their deadline paid by a payment their provider's query confirmed (Y5, Y6); ``awaiting_status`` those
    not lapsed because their payment's status is still unknown (asked again at the next run);
    ``refunds_settled`` the provider refunds left unknown that the run settled by asking again (Y8).
    """

    at: dt.datetime
    advanced: tuple[str, ...]
    lapsed: tuple[str, ...]
    cancelled: tuple[str, ...]
    reminded: tuple[str, ...] = ()
    invoices_issued: int = 0
    held_back: tuple[str, ...] = ()
    confirmed: tuple[str, ...] = ()
    awaiting_status: tuple[str, ...] = ()
    refunds_settled: tuple[str, ...] = ()


def _check_batch(batch: object) -> int:
    # Bounded: a batch is a SQL LIMIT, and PostgreSQL refuses one beyond 64 bits with a driver error.
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= MAX_BATCH:
        raise ValidationError(f"must be a whole number >= 1 and <= {MAX_BATCH:,}", field="batch", value=batch)
    return batch


_INVOICE_BATCH: Final = 100
"""Pending invoices retried per run: each is a call to the issuer, so fewer than subscriptions advanced."""


def run_scheduler(deps: Services, *, batch: int = 500) -> SchedulerRun:
    """Apply everything due by now, ``batch`` subscriptions or orders per unit of work (S3-S5, Y3, K4, O4, O8, P9).

    Raises:
        ValidationError: a batch size below 1.
        ConflictError: a batch kept losing races with other writers (what was committed before stays).
    """
    size = _check_batch(batch)
    at = deps.now()
    advanced: list[str] = []
    cancelled: list[str] = []
    held: list[str] = []
    while True:
        # advance() leaves nothing due by ``at`` (a subscription it cannot advance is held back until later),
        # so each batch finds new subscriptions until none is left.
        ids, closed, set_aside = with_retries(
            deps, lambda uow, _now: _advance_batch(uow, at, size), name="run_scheduler"
        )
        advanced += [i for i in ids if i not in set_aside]
        cancelled += closed
        held += set_aside
        if len(ids) < size:
            break
    # Before lapsing: a payment whose notification was lost is asked about, and applied if paid (Y5, Y6).
    check = check_started_payments(deps, at, size)
    lapsed = _lapse(deps, at, size, check.held)
    # After the lapses: an order past its deadline lapses and is not reminded (O4, O8).
    reminded = _drain(deps, lambda uow: _remind_batch(uow, at, size), size)
    # Provider refunds whose answer was unknown (a timeout, a 94) are settled by asking again (Y8).
    refunds_settled = settle_unknown_refunds(deps, size)
    # Invoices that could not be issued right after their fulfilment are retried here (O7).
    invoicing = issue_pending_invoices(deps, batch=min(size, _INVOICE_BATCH))
    _log.info(
        "scheduler at %s: %d advanced, %d held back, %d lapsed, %d reminded, %d invoices issued, %d still pending",
        at.isoformat(),
        len(advanced),
        len(held),
        len(lapsed),
        len(reminded),
        invoicing.issued,
        invoicing.failed,
    )
    return SchedulerRun(
        at=at,
        advanced=tuple(advanced),
        lapsed=tuple(lapsed),
        cancelled=tuple(cancelled),
        reminded=tuple(reminded),
        invoices_issued=invoicing.issued,
        held_back=tuple(held),
        confirmed=check.applied,
        awaiting_status=tuple(sorted(check.held)),
        refunds_settled=refunds_settled,
    )


def _drain(deps: Services, batch: Callable[[UnitOfWork], list[str]], size: int) -> list[str]:
    """Run ``batch`` in units of work until one handles fewer than ``size``; every id handled."""
    done: list[str] = []
    while True:
        ids = with_retries(deps, lambda uow, _now: batch(uow), name="run_scheduler")
        done += ids
        if len(ids) < size:
            return done


def _advance_batch(uow: UnitOfWork, at: dt.datetime, size: int) -> tuple[list[str], list[str], list[str]]:
    due = uow.subscriptions.due(at, limit=size)
    run = run_due(due, at)
    for held in run.subscriptions:
        if held.held_back is not None:
            _log.warning(
                "subscription %s held back (attempt %d, again at %s): %s",
                held.id,
                held.held_back.attempts,
                held.held_back.retry_at.isoformat(),
                held.held_back.error,
            )
    before = {sub.id: sub for sub in due}
    closed: list[str] = []
    notices_of: dict[str, list[Notice]] = {}
    for notice in run.notices:  # grouped once: a scan per subscription would cost batch x notices
        notices_of.setdefault(notice.subscription_id, []).append(notice)
    queued: list[OutboxMessage] = []  # the batch's saves in one executemany, its notices in one add_many (N2)
    outcomes = [
        (before[after.id], Outcome(subscription=after, notices=tuple(notices_of.get(after.id, ()))))
        for after in run.subscriptions
    ]
    save_outcomes(uow, outcomes, into=queued)
    for after in run.subscriptions:
        if after.state is State.CUT_OFF and before[after.id].state is not State.CUT_OFF:
            closed += _close_commitment_orders(uow, after, at)
    uow.outbox.add_many(queued)
    uow.commit()
    return [sub.id for sub in run.subscriptions], closed, list(run.held_back)


def _close_commitment_orders(uow: UnitOfWork, sub: Subscription, at: dt.datetime) -> list[str]:
    """Cancel the unpaid commitment orders of a subscription just cut off (K4); their redemptions are released."""
    closed = []
    for order in uow.orders.of_customer(sub.customer_id):
        mine = any(line.subscription_id == sub.id for line in order.lines)
        if order.kind is OrderKind.RENEWAL_ON_COMMITMENT and order.awaiting_payment and mine:
            _close(uow, order, order.cancel(at=at, by=Actor.scheduler(), reason=_CUT_OFF_REASON), at)
            closed.append(order.id)
    return closed


def _close(uow: UnitOfWork, before: Order, after: Order, at: dt.datetime) -> None:
    uow.orders.save(after, expected_version=before.version)
    settle(uow, after, at)
    kind = OrderNoticeKind.ORDER_LAPSED if after.state is OrderState.LAPSED else OrderNoticeKind.ORDER_CANCELLED
    order_notice(uow, after, kind, at)


def _lapse(deps: Services, at: dt.datetime, size: int, held: frozenset[str]) -> list[str]:
    """Lapse the orders unpaid past their deadline but those ``held``, ``size`` per unit of work (O4, P9)."""
    done: list[str] = []
    limit = min(size + len(held), MAX_BATCH)
    while True:
        ids, seen = with_retries(deps, lambda uow, _now: _lapse_batch(uow, at, limit, held), name="run_scheduler")
        done += ids
        if seen < limit or not ids:
            return done


def _lapse_batch(uow: UnitOfWork, at: dt.datetime, limit: int, held: frozenset[str]) -> tuple[list[str], int]:
    """Lapse up to ``limit`` orders past their deadline but those ``held``: (lapsed, orders read)."""
    orders = uow.orders.unpaid_past_deadline(at, limit=limit)
    lapsing = [order for order in orders if order.id not in held]
    for order in lapsing:
        _close(uow, order, order.lapse(at=at, by=Actor.scheduler()), at)
    uow.commit()
    return [order.id for order in lapsing], len(orders)


def _remind_batch(uow: UnitOfWork, at: dt.datetime, size: int) -> list[str]:
    """Send the payment reminder due of up to ``size`` placed orders (O8), each recorded on its order.

    The notice id names the lead time (``<order>:payment_reminder:<n>d:<channel>``), so a reminder is queued
    once however often the batch is retried (N2).
    """
    orders = uow.orders.reminders_due(at, limit=size)
    queued: list[OutboxMessage] = []
    for order in orders:
        days = order.reminder_due(at)
        if days is None:  # pragma: no cover - the repository lists only orders with a reminder due
            continue
        reminded = order.remind(at=at)
        uow.orders.save(reminded, expected_version=order.version)
        facts = {"days_left": str(days), "pay_by": (order.pay_by or at).isoformat(), "kind": order.kind.value}
        order_notice(uow, reminded, OrderNoticeKind.PAYMENT_REMINDER, at, data=facts, part=f"{days}d", into=queued)
    uow.outbox.add_many(queued)
    uow.commit()
    return [order.id for order in orders]
