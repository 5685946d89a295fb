"""Reconciling a bank statement: money received by transfer, matched to orders and recorded once (Y3, A2, O4, S9).

Staff import a statement (A2). Each line is judged by :func:`~subscription_core.statements.assess` and,
when it names exactly one order awaiting payment for exactly its total, recorded as received the way
:func:`~subscription_core.services.paying.record_offline_payment` records it: a bank-transfer payment
received at the line's booking instant, then :func:`~subscription_core.services.fulfilment.fulfil` with the
grant awaiting activation until the end of the next business day (Y3, D4), and the statement and line
named in the subscription's history (S9). Everything else is reported for staff, never guessed.

A credit no order can take (no or an unknown reference, several orders, a partial or over payment,
another currency, an order no longer awaiting payment, a booking on a day before the order was placed,
or a fulfilment refused) is recorded as unapplied money in the same unit of work, keyed by the line id,
so every credit a statement shows ends applied or unapplied (Y6, Y7). The one exception is a line for an
order already paid by a bank transfer of the same amount: most likely that very transfer, recorded by
hand or under another line id; it is reported for staff, not recorded twice.

Each line runs in its own unit of work, so one bad line never undoes the others. A recorded line leaves
an idempotency record keyed by its ``line_id`` alone, in a scope shared by all staff: the same bank
transaction imported again, in the same file or in an overlapping one, by anyone, is answered
ALREADY_RECORDED and changes nothing [decision: the transaction is the vendor's, not the importer's].
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from typing import Final

import attrs

from subscription_core.calendar import local_date
from subscription_core.customers import Actor
from subscription_core.errors import ConflictError, NotFoundError, SubscriptionError, ValidationError, required_text
from subscription_core.orders import Order
from subscription_core.payments import MethodKind, PaymentMethod, PaymentState, dated_receipt
from subscription_core.ports import IdempotencyRecord, UnitOfWork
from subscription_core.services.context import Services
from subscription_core.services.fulfilment import Settlement, fulfil
from subscription_core.services.idempotency import fingerprint, with_retries
from subscription_core.services.invoicing import issue_invoices
from subscription_core.services.paying import receive_offline
from subscription_core.services.permissions import require_staff
from subscription_core.services.unapplied_money import keep_unapplied, refusal_reason
from subscription_core.statements import (
    LineOutcome,
    LineResult,
    Match,
    ReconciliationReport,
    StatementLine,
    assess,
)
from subscription_core.unapplied import STATEMENT_SOURCE, UnappliedMoney, UnappliedReason, reason_for

__all__ = ["SCOPE", "reconcile_statement"]

_log = logging.getLogger(__name__)

SCOPE: Final = "reconcile_statement"
"""The idempotency scope of recorded statement lines: one for all staff, keyed by line id."""
_TRANSFER: Final = PaymentMethod.bank_transfer()


def reconcile_statement(
    deps: Services, actor: Actor, lines: Sequence[StatementLine], *, statement_id: str
) -> ReconciliationReport:
    """Match a bank statement's lines to orders and record the exact matches as received (Y3, A2).

    Every line gets a result, in order: RECORDED (the order is paid; what it bought awaits activation
    until the end of the next business day after the line's booking, Y3), ALREADY_RECORDED (an earlier
    import recorded this ``line_id``), or an outcome that needs staff (see
    :class:`~subscription_core.statements.LineOutcome`). Two lines paying one order: the first is
    recorded, the second is NOT_AWAITING. Partial and over payments are never recorded. Reconciling the
    same lines again changes nothing. ``statement_id`` names the import in the history and the logs only.

    Raises:
        PermissionDeniedError: (A2) ``actor`` is not staff; nothing is read or changed.
        ValidationError: ``lines`` is not a sequence of :class:`StatementLine`, or ``statement_id`` is empty.
    """
    require_staff(actor, "reconcile a bank statement")
    name = required_text(statement_id, field="statement_id", rule="Y3")
    given: object = lines  # callers without type checking may pass anything
    if isinstance(given, str | bytes) or not isinstance(given, Sequence):
        raise ValidationError(
            "must be a sequence of StatementLine", rule="Y3", field="lines", value=type(given).__name__
        )
    for index, line in enumerate(given):
        if not isinstance(line, StatementLine):
            raise ValidationError(
                "must be a StatementLine", rule="Y3", field=f"lines[{index}]", value=type(line).__name__
            )
    results = tuple(_reconcile_line(deps, actor, line, name) for line in lines)
    report = ReconciliationReport(statement_id=name, results=results)
    counts = {outcome.value: n for outcome, n in report.counts.items() if n}
    _log.info("statement %s reconciled by %s: %s", name, actor.id, counts)
    return report


def _reconcile_line(deps: Services, actor: Actor, line: StatementLine, statement_id: str) -> LineResult:
    def work(uow: UnitOfWork, now: dt.datetime) -> LineResult:
        verdict = assess(line, uow.orders.by_transfer_reference)
        # The records are read after the order: under READ COMMITTED, an order seen paid by this very line
        # implies its record (committed with it) is seen too, so a concurrent import is never NOT_AWAITING.
        found = uow.idempotency.get(SCOPE, line.line_id)
        if found is not None:
            return _seen_before(line, found)
        kept = uow.unapplied.by_reference(STATEMENT_SOURCE, line.line_id)
        if kept is not None:
            return _kept_before(line, kept)
        if isinstance(verdict, LineResult):
            return _unmatched(deps, uow, verdict, now)
        return _record(deps, uow, actor, verdict, statement_id, now)

    try:
        result = _twice(deps, work)
    except SubscriptionError as error:
        # One line's refusal (a rule of fulfilment, a race lost too often) must not stop the statement.
        rule = f"[{error.rule}] " if error.rule else ""
        named = f" ({', '.join(line.references)})" if line.references else ""
        note = f"matched{named}, but recording it was refused: {rule}{type(error).__name__}: {error.message}"
        result = LineResult(line=line, outcome=LineOutcome.REFUSED, note=note)
        # A line dated in the future is a broken statement, not money received yet; a race lost too often is
        # left for the next import. Any other refusal is a rule of fulfilment: the money is kept (Y6).
        if error.rule != "Y7" and not isinstance(error, ConflictError):
            result = with_retries(deps, _refused(deps, result, note), name=SCOPE)
    _log.info("statement %s line %s: %s (order %s)", statement_id, line.line_id, result.outcome.value, result.order_id)
    issue_invoices(deps, result.order_id if result.outcome is LineOutcome.RECORDED else None)  # O7: after the commit
    return result


def _twice(deps: Services, work: Callable[[UnitOfWork, dt.datetime], LineResult]) -> LineResult:
    """Run ``work``; if it is refused, once more in a fresh unit of work before the refusal stands.

    Under READ COMMITTED an attempt may read the order before a concurrent import of the same line
    committed and its subscription after: fulfilment then refuses (S1) where a fresh attempt finds the line
    recorded. A refusal that holds is raised again.
    """
    try:
        return with_retries(deps, work, name=SCOPE)
    except SubscriptionError:
        return with_retries(deps, work, name=SCOPE)


def _line_digest(line: StatementLine) -> str:
    # What the same bank transaction keeps on every import: its amount and booking day. A line id found
    # again with another amount or day is a different transaction (an id column that is not unique).
    return fingerprint(amount=line.amount, booked_on=line.booked_on)


def _seen_before(line: StatementLine, record: IdempotencyRecord) -> LineResult:
    try:
        earlier = json.loads(record.outcome)
        order_id, payment_id = str(earlier["order_id"]), str(earlier["payment_id"])
        statement = str(earlier["statement_id"])
    except (ValueError, KeyError, TypeError):
        order_id = payment_id = statement = "?"
    if record.fingerprint != _line_digest(line):
        note = (
            f"line id {line.line_id} was recorded before (statement {statement}, order {order_id}) for another "
            "amount or day: check the statement's transaction id column"
        )
        return LineResult(line=line, outcome=LineOutcome.ID_CONFLICT, note=note, order_id=order_id)
    note = f"recorded before by statement {statement}: order {order_id}, payment {payment_id}"
    return LineResult(
        line=line, outcome=LineOutcome.ALREADY_RECORDED, note=note, order_id=order_id, payment_id=payment_id
    )


def _record(
    deps: Services, uow: UnitOfWork, actor: Actor, match: Match, statement_id: str, now: dt.datetime
) -> LineResult:
    line, order = match.line, match.order
    try:
        received = dated_receipt(line.booked_at, order=order, now=now)
    except ValidationError as error:
        if local_date(line.booked_at) > local_date(now):
            raise  # from the future: refused, nothing recorded
        note = f"booked {line.booked_on.isoformat()}, before order {order.id} was placed: {error.message}"
        early = _needs_staff_on(line, LineOutcome.BEFORE_ORDER, note, order)
        return _keep(deps, uow, early, now, UnappliedReason.RECEIVED_BEFORE_ORDER, order)
    reason = f"bank statement {statement_id}, line {line.line_id}"
    seen = _line_reference(line)
    payment = receive_offline(deps, uow, order, _TRANSFER, line.amount, received, actor, reference=seen)
    fulfil(deps, uow, order, Settlement(payment=payment, at=now, by=actor, immediate=False, reason=reason))
    outcome = json.dumps({"order_id": order.id, "payment_id": payment.id, "statement_id": statement_id})
    record = IdempotencyRecord(key=line.line_id, fingerprint=_line_digest(line), outcome=outcome, created_at=now)
    uow.idempotency.put(SCOPE, record)
    uow.commit()
    note = f"order {order.id} ({match.reference}) paid: {line.amount} received on {line.booked_on.isoformat()}"
    return LineResult(
        line=line,
        outcome=LineOutcome.RECORDED,
        note=note,
        order_id=order.id,
        payment_id=payment.id,
        expected=order.grand_total,
    )


_REASONS: Final = {
    LineOutcome.NO_REFERENCE: UnappliedReason.UNKNOWN_ORDER,
    LineOutcome.UNKNOWN_REFERENCE: UnappliedReason.UNKNOWN_ORDER,
    LineOutcome.AMBIGUOUS: UnappliedReason.UNKNOWN_ORDER,
    LineOutcome.PARTIAL: UnappliedReason.AMOUNT_DIFFERS,
    LineOutcome.OVERPAID: UnappliedReason.AMOUNT_DIFFERS,
    LineOutcome.CURRENCY: UnappliedReason.AMOUNT_DIFFERS,
}


def _needs_staff_on(line: StatementLine, outcome: LineOutcome, note: str, order: Order) -> LineResult:
    return LineResult(line=line, outcome=outcome, note=note, order_id=order.id, expected=order.grand_total)


def _order_of(uow: UnitOfWork, result: LineResult) -> Order | None:
    if result.order_id is None:
        return None
    try:
        return uow.orders.get(result.order_id)
    except NotFoundError:  # pragma: no cover - the order was found by its reference a moment ago
        return None


def _line_reference(line: StatementLine) -> str:
    return f"statement line {line.line_id}"


def _paid_by_this_transfer(uow: UnitOfWork, order: Order, line: StatementLine) -> bool:
    """Whether ``order`` was paid by hand by a bank transfer of exactly the line's amount: most likely this one.

    A payment recorded from another statement line names that line: this line is then another transfer.
    """
    return any(
        p.state is PaymentState.SUCCEEDED
        and p.method.kind is MethodKind.BANK_TRANSFER
        and p.amount == line.amount
        and p.provider_ref in {None, _line_reference(line)}
        for p in uow.payments.of_order(order.id)
    )


def _unmatched(deps: Services, uow: UnitOfWork, verdict: LineResult, now: dt.datetime) -> LineResult:
    """A line no order takes: its credit is kept as unapplied money (Y6), unless it already paid its order."""
    order = _order_of(uow, verdict)
    if verdict.outcome is LineOutcome.NOT_AWAITING and order is not None:
        if _paid_by_this_transfer(uow, order, verdict.line):
            note = f"{verdict.note}: most likely by this very transfer, recorded by hand; nothing recorded again"
            return attrs.evolve(verdict, note=note)  # nothing written: staff check it is that transfer
        return _keep(deps, uow, verdict, now, reason_for(order), order)
    return _keep(deps, uow, verdict, now, _REASONS.get(verdict.outcome, UnappliedReason.UNKNOWN_ORDER), order)


def _keep(
    deps: Services,
    uow: UnitOfWork,
    result: LineResult,
    now: dt.datetime,
    reason: UnappliedReason,
    order: Order | None,
) -> LineResult:
    line = result.line
    money, _ = keep_unapplied(
        deps,
        uow,
        source=STATEMENT_SOURCE,
        reference=line.line_id,
        amount=line.amount,
        received_at=line.booked_at,
        at=now,
        reason=reason,
        note=result.note,
        method=_TRANSFER,
        order=order,
        order_id=result.order_id,
    )
    uow.commit()
    note = f"{result.note}; kept as unapplied money {money.id} ({reason.value})"
    return attrs.evolve(result, note=note, unapplied_id=money.id)


def _kept_before(line: StatementLine, kept: UnappliedMoney) -> LineResult:
    note = f"recorded before as unapplied money {kept.id} ({kept.reason.value}, now {kept.state.value})"
    return LineResult(
        line=line, outcome=LineOutcome.ALREADY_RECORDED, note=note, order_id=kept.order_id, unapplied_id=kept.id
    )


def _refused(deps: Services, result: LineResult, note: str) -> Callable[[UnitOfWork, dt.datetime], LineResult]:
    """The unit of work that keeps a matched line whose recording was refused as unapplied money (Y6)."""

    def work(uow: UnitOfWork, now: dt.datetime) -> LineResult:
        recorded = uow.idempotency.get(SCOPE, result.line.line_id)
        if recorded is not None:  # a concurrent import recorded it meanwhile
            return _seen_before(result.line, recorded)
        kept = uow.unapplied.by_reference(STATEMENT_SOURCE, result.line.line_id)
        if kept is not None:
            return _kept_before(result.line, kept)
        found = assess(result.line, uow.orders.by_transfer_reference)
        order = found.order if isinstance(found, Match) else _order_of(uow, found)
        reason = refusal_reason(uow, order) if order is not None else UnappliedReason.CANNOT_FULFIL
        refused = attrs.evolve(result, order_id=order.id if order is not None else None)
        return _keep(deps, uow, attrs.evolve(refused, note=note), now, reason, order)

    return work
