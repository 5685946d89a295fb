"""Reconciling a bank statement: money received by transfer, matched to orders and recorded once (Y3, A2, O4, S9).

Staff import a statement (A2). Each line is judged by :func:`~subscription_core.statements.assess` and,
when it names exactly one order awaiting payment for exactly its total, recorded as received the way
:func:`~subscription_core.services.paying.record_offline_payment` records it: a bank-transfer payment
received at the line's booking instant, then :func:`~subscription_core.services.fulfilment.fulfil` with the
grant awaiting activation until the end of the next business day (Y3, D4), and the statement and line
named in the subscription's history (S9). Everything else is reported for staff, never guessed.

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

from subscription_core.customers import Actor
from subscription_core.errors import SubscriptionError, ValidationError, required_text
from subscription_core.payments import PaymentMethod
from subscription_core.ports import IdempotencyRecord, UnitOfWork
from subscription_core.services.context import Services
from subscription_core.services.fulfilment import Settlement, fulfil
from subscription_core.services.idempotency import fingerprint, with_retries
from subscription_core.services.invoicing import issue_invoices
from subscription_core.services.paying import receive_offline
from subscription_core.services.permissions import require_staff
from subscription_core.statements import (
    LineOutcome,
    LineResult,
    Match,
    ReconciliationReport,
    StatementLine,
    assess,
)

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
        # The record is read after the order: under READ COMMITTED, an order seen paid by this very line
        # implies its record (committed with it) is seen too, so a concurrent import is never NOT_AWAITING.
        found = uow.idempotency.get(SCOPE, line.line_id)
        if found is not None:
            return _seen_before(line, found)
        if isinstance(verdict, LineResult):
            return verdict  # nothing written: the unit of work rolls back empty
        return _record(deps, uow, actor, verdict, statement_id, now)

    try:
        result = _twice(deps, work)
    except SubscriptionError as error:
        # One line's refusal (a rule of fulfilment, a race lost too often) must not stop the statement.
        rule = f"[{error.rule}] " if error.rule else ""
        named = f" ({', '.join(line.references)})" if line.references else ""
        note = f"matched{named}, but recording it was refused: {rule}{type(error).__name__}: {error.message}"
        result = LineResult(line=line, outcome=LineOutcome.REFUSED, note=note)
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
    if line.booked_at > now:
        raise ValidationError(
            "money cannot be received in the future", rule="Y3", field="booked_at", value=line.booked_at.isoformat()
        )
    reason = f"bank statement {statement_id}, line {line.line_id}"
    payment = receive_offline(deps, uow, order, _TRANSFER, line.amount, line.booked_at, actor)
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
