"""Issuing the e-invoices fulfilled orders asked for, after the fulfilment committed (I1, I2, I3, O7, A2).

Fulfilling an order keeps its invoices as pending requests, in its own unit of work, and never calls the
issuer (:mod:`~subscription_core.services.fulfilment`). Then:

* the use case that fulfilled calls :func:`issue_invoices` with the order's id, once it has committed: each
  pending invoice is issued, best effort, and recorded in a unit of work of its own, with its
  invoice-issued notice to the invoice e-mail (I2, N2). This never raises: the money is applied whatever
  the issuer answers (O7);
* a failed attempt keeps the request pending with the error (rule, field and message only: values, which
  may be personal data, are left out) and a retry time, five minutes doubled per failure up to six hours;
* the scheduler or a worker runs :func:`issue_pending_invoices` to retry those due;
* staff list what is not issued yet with :func:`unissued_invoices` and try one again now with
  :func:`retry_invoice` (A2).

A number is taken only by the issuer, for a request that exists only once its order was fulfilled: an order
cancelled, lapsed or rolled back takes none (I3). The issuer answers a repeated request with the invoice
already issued, so two workers racing on one request issue it once; the slower one's record is a no-op.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Final

import attrs

from subscription_core.customers import Actor
from subscription_core.errors import NotFoundError, ValidationError, checked_id
from subscription_core.invoices import IssuedInvoice, RequestedInvoice
from subscription_core.notices import OrderNoticeKind, OutboxMessage, backoff
from subscription_core.orders import Order
from subscription_core.ports import UnitOfWork
from subscription_core.services.context import Services
from subscription_core.services.failures import failure_text
from subscription_core.services.fulfilment import Fulfilled
from subscription_core.services.idempotency import with_retries
from subscription_core.services.notifying import order_notice
from subscription_core.services.permissions import require_staff
from subscription_core.services.refund_invoicing import issue_due_adjustments

__all__ = [
    "AT_ONCE",
    "InvoicingRun",
    "issue_fulfilled",
    "issue_invoices",
    "issue_pending_invoices",
    "retry_invoice",
    "unissued_invoices",
]

_log = logging.getLogger(__name__)
_FIRST_RETRY: Final = dt.timedelta(minutes=5)
_MAX_RETRY: Final = dt.timedelta(hours=6)
_MAX_LIMIT: Final = 1000
_RECORD_BATCH: Final = 500  # outcomes recorded per unit of work: a bulk renewal's thousands of invoices
AT_ONCE: Final = 50
"""Invoices issued right after a fulfilment; the rest of a bulk renewal's wait for the retry step."""


@attrs.frozen(kw_only=True)
class InvoicingRun:
    """What one run of the retry step did: invoices issued, and attempts that failed (to be retried)."""

    issued: int
    failed: int


def issue_invoices(deps: Services, order_id: str | None, *, limit: int = AT_ONCE) -> tuple[RequestedInvoice, ...]:
    """Issue up to ``limit`` pending invoices of ``order_id``, each recorded in a unit of work (O7, I1, I2, I3).

    Call it after the unit of work that fulfilled the order committed; ``None`` (no order) does nothing.
    Returns the requests it tried, as they stand after the attempts. A bulk renewal's further invoices are
    left to :func:`issue_pending_invoices`, so that a provider's notification is answered without waiting
    for thousands of calls to the issuer.

    Raises:
        Nothing: a failure of the issuer or of the store is kept on the request (or left for later), logged,
            and retried by :func:`issue_pending_invoices`; the caller's money is applied whatever happens.
    """
    if order_id is None:
        return ()
    try:
        with deps.uow() as uow:
            pending = [r for r in uow.invoices.requested_of(order_id) if r.pending][: max(limit, 0)]
    except Exception:  # noqa: BLE001 - the money is applied; the retry step finds the requests later
        _log.exception("could not read the invoices to issue for order %s; the retry step will", order_id)
        return ()
    return tuple(_attempt_all(deps, pending))


def issue_fulfilled(deps: Services, fulfilled: Fulfilled, *, limit: int = AT_ONCE) -> tuple[RequestedInvoice, ...]:
    """Issue up to ``limit`` of the invoices ``fulfilled`` requested, as :func:`issue_invoices` does (O7, I1, I2).

    Call it once the unit of work that fulfilled committed. It starts from what the fulfilment holds (its
    requests and the order) instead of reading them back; each outcome is still recorded against the request
    as stored, so a request another worker recorded first is left as that worker left it.

    Raises:
        Nothing, as :func:`issue_invoices`.
    """
    order = fulfilled.order
    return tuple(_attempt_all(deps, fulfilled.invoices[: max(limit, 0)], known={order.id: order}))


def issue_pending_invoices(deps: Services, *, batch: int = 100) -> InvoicingRun:
    """Retry up to ``batch`` pending invoices whose retry time has come, earliest first (O7): the retry step.

    A host runs it periodically (beside ``run_scheduler``). Each attempt is recorded as
    :func:`issue_invoices` records it. The adjusting invoices refunds asked for (Y8) are retried in the
    same run, in what is left of the batch (one at least), and counted with the invoices.

    Raises:
        ValidationError: a batch size that is not a whole number from 1 to 1000.
    """
    size = _check_limit(batch, "batch")
    now = deps.now()
    with deps.uow() as uow:
        due = uow.invoices.due_requests(now, limit=size)
    after = _attempt_all(deps, due)
    issued = sum(1 for r in after if not r.pending)
    adjusted = issue_due_adjustments(deps, now, limit=max(size - len(due), 1))
    done = sum(1 for a in adjusted if not a.pending)
    return InvoicingRun(issued=issued + done, failed=len(after) - issued + len(adjusted) - done)


def unissued_invoices(deps: Services, actor: Actor, *, limit: int = 100) -> list[RequestedInvoice]:
    """The invoices fulfilled orders asked for that are not issued yet, the earliest requested first (O7, A2).

    Each carries its attempts, its last error (personal values left out) and when it is retried.

    Raises:
        PermissionDeniedError: (A2) not staff.
        ValidationError: a limit that is not a whole number from 1 to 1000.
    """
    require_staff(actor, "see the invoices not issued yet")
    size = _check_limit(limit, "limit")
    with deps.uow() as uow:
        return uow.invoices.pending_requests(limit=size)


def retry_invoice(deps: Services, actor: Actor, *, order_id: str, part: int = 0) -> RequestedInvoice:
    """Try now to issue the invoice ``part`` of ``order_id``, whatever its retry time (O7, A2); idempotent.

    Returns the request as it stands after the attempt: issued, or pending with the new error. An invoice
    already issued is returned as it is.

    Raises:
        PermissionDeniedError: (A2) not staff.
        NotFoundError: (O7) the order asked for no such invoice.
    """
    order_id = checked_id(order_id, field="order_id")
    require_staff(actor, "issue an invoice again")
    with deps.uow() as uow:
        found = uow.invoices.get_request(order_id, part)
    if found is None:
        raise NotFoundError("the order asked for no such invoice", rule="O7", field="part", value=(order_id, part))
    _log.info("invoice %s part %d retried by %s", order_id, part, actor.id)
    return _attempt(deps, found) if found.pending else found


def _check_limit(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= _MAX_LIMIT:
        raise ValidationError(f"must be a whole number from 1 to {_MAX_LIMIT}", field=field, value=value)
    return value


def _attempt(deps: Services, requested: RequestedInvoice) -> RequestedInvoice:
    [after] = _attempt_all(deps, [requested])
    return after


def _attempt_all(
    deps: Services, requests: Sequence[RequestedInvoice], *, known: Mapping[str, Order] | None = None
) -> list[RequestedInvoice]:
    """Ask the issuer for each request, recording the outcomes a batch per unit of work; never raises (O7).

    ``known``: orders the caller holds as fulfilled, by id, which the notices are written from unread.
    """
    after: list[RequestedInvoice] = []
    for start in range(0, len(requests), _RECORD_BATCH):
        outcomes = [(requested, _ask(deps, requested)) for requested in requests[start : start + _RECORD_BATCH]]
        after += _record(deps, outcomes, known or {})
    return after


def _ask(deps: Services, requested: RequestedInvoice) -> IssuedInvoice | str:
    """The invoice the issuer issued for ``requested``, or what kept it from issuing (for staff)."""
    try:
        return deps.invoices.issue(requested.request)
    except Exception as error:  # noqa: BLE001 - any failure of the issuer is kept on the request and retried
        _log.warning("invoice %s part %d not issued: %s", *requested.key, type(error).__name__)
        return failure_text(error)


def _record(
    deps: Services, outcomes: Sequence[tuple[RequestedInvoice, IssuedInvoice | str]], known: Mapping[str, Order]
) -> list[RequestedInvoice]:
    def work(uow: UnitOfWork, now: dt.datetime) -> list[RequestedInvoice]:
        recorded: list[RequestedInvoice] = []
        issued: list[IssuedInvoice] = []
        queued: list[OutboxMessage] = []  # the batch's notices, queued in one add_many (N2)
        orders: dict[str, Order] = dict(known)
        for requested, outcome in outcomes:
            current = uow.invoices.get_request(*requested.key)
            if current is None or not current.pending:
                recorded.append(current or requested)  # another worker recorded it first
                continue
            if isinstance(outcome, str):
                retry_at = now + backoff(current.attempts + 1, first=_FIRST_RETRY, cap=_MAX_RETRY)
                done = current.fail(at=now, error=outcome, retry_at=retry_at)
            else:
                done = current.issue(at=now)
                issued.append(outcome)
                if done.order_id not in orders:
                    orders[done.order_id] = uow.orders.get(done.order_id)
                _notify(uow, orders[done.order_id], done, outcome, now, queued)
            uow.invoices.save_request(done, expected_version=current.version)
            recorded.append(done)
        uow.invoices.add_many(issued)
        uow.outbox.add_many(queued)
        uow.commit()
        return recorded

    try:
        return with_retries(deps, work, name="issue_invoices")
    except Exception:  # noqa: BLE001 - the requests stay as they were; the retry step tries them again
        _log.exception("could not record the outcome of %d invoice attempt(s)", len(outcomes))
        return [requested for requested, _ in outcomes]


def _notify(
    uow: UnitOfWork,
    order: Order,
    requested: RequestedInvoice,
    invoice: IssuedInvoice,
    at: dt.datetime,
    into: list[OutboxMessage],
) -> None:
    """Queue the invoice-issued notice to the invoice e-mail (I2, N2) as the invoice is stored (I1)."""
    data = {"series": invoice.series, "number": invoice.number, "part": str(invoice.part)}
    email, part = requested.request.buyer.email, str(invoice.part)
    order_notice(uow, order, OrderNoticeKind.INVOICE_ISSUED, at, part=part, email=email, data=data, into=into)
    _log.info("invoice %s %s issued for order %s part %d", invoice.series, invoice.number, *requested.key)
