"""What a company sees of its subscriptions (S7, S8): resources, seats, notes, payment method, invoices, history.

Read-only: the subscriptions are shown as they are at the clock's instant (time-driven changes the
scheduler has not applied yet are taken into account, nothing is saved). Quota use is measured by the
host and passed in; the core never guesses it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Final

import attrs

from subscription_core.customers import Actor
from subscription_core.errors import PermissionDeniedError, ValidationError, checked_id
from subscription_core.invoices import InvoiceShare
from subscription_core.lifecycle import advance
from subscription_core.money import Money
from subscription_core.order_kinds import OrderKind
from subscription_core.orders import Order, OrderLine, OrderState
from subscription_core.payments import PaymentMethod
from subscription_core.ports import UnitOfWork
from subscription_core.resources import QuotaLine, ResourceView, resource_view
from subscription_core.services.context import Services
from subscription_core.services.permissions import require_actor, require_viewer
from subscription_core.subscriptions import ActorKind, HistoryEntry, Note, State, Subscription
from subscription_core.transfers import transfer_reference

__all__ = [
    "SEAT_QUOTAS",
    "OrderSummary",
    "SubscriptionDetail",
    "customer_orders",
    "order_detail",
    "subscription_details",
]

SEAT_QUOTAS: Final = frozenset({"seats", "users", "employees"})
"""The quota codes shown as seats (S8) [decision: the catalogs name them so]."""
_PAID: Final = (OrderState.PAID, OrderState.FULFILLED)


@attrs.frozen(kw_only=True)
class SubscriptionDetail:
    """One subscription as its company sees it (S7, S8), at ``as_of``.

    ``resources`` has each quota granted and used and the expiry (S7); ``seats`` the quotas that count
    people; ``notes`` the notes written on it (S8, oldest first, see
    :func:`~subscription_core.services.add_subscription_note`); ``staff_changes`` the changes staff made,
    with their reasons (S9); ``payment_method`` the method of the
    latest paid order for it; ``invoices`` every e-invoice of its orders, each with the company's own lines
    only (an invoice a bulk renewal shares with other clients, B2, shows none of theirs); ``history`` every
    change (S9).
    """

    id: str
    customer_id: str
    product_code: str
    plan_code: str
    state: State
    as_of: dt.datetime
    resources: ResourceView
    seats: tuple[QuotaLine, ...]
    notes: tuple[Note, ...]
    staff_changes: tuple[HistoryEntry, ...]
    payment_method: PaymentMethod | None
    invoices: tuple[InvoiceShare, ...]
    history: tuple[HistoryEntry, ...]


def _usage(usage: object) -> Mapping[str, Mapping[str, int]]:
    if usage is None:
        return {}
    if not isinstance(usage, Mapping) or not all(isinstance(v, Mapping) for v in usage.values()):
        raise ValidationError("must map subscription ids to quota uses", rule="S7", field="usage", value=usage)
    return usage


def subscription_details(
    deps: Services, actor: Actor, customer_id: str, *, usage: Mapping[str, Mapping[str, int]] | None = None
) -> tuple[SubscriptionDetail, ...]:
    """Every subscription of a company with its detail (S7, S8), ordered by id.

    ``usage`` maps a subscription id to the use of each quota the host measured (S7).

    Raises:
        PermissionDeniedError: (A1) ``actor`` is not a user of the company, staff, or its accountant.
        NotFoundError: unknown customer. ValidationError: (S7) a malformed or negative use.
    """
    customer_id = checked_id(customer_id, field="customer_id")
    used = _usage(usage)
    with deps.uow() as uow:
        now = deps.now()
        customer = uow.customers.get(customer_id)
        require_viewer(actor, customer)
        orders = uow.orders.of_customer(customer.id)
        details = []
        for stored in uow.subscriptions.of_customer(customer.id):
            sub = advance(stored, now).subscription
            mine = [o for o in orders if any(_targets(line, sub.id) for line in o.lines)]
            view = resource_view(sub, used.get(sub.id, {}), at=now)
            details.append(
                SubscriptionDetail(
                    id=sub.id,
                    customer_id=sub.customer_id,
                    product_code=sub.product_code,
                    plan_code=sub.plan_code,
                    state=sub.state,
                    as_of=now,
                    resources=view,
                    seats=tuple(q for q in view.quotas if q.code in SEAT_QUOTAS),
                    notes=sub.notes,
                    staff_changes=tuple(e for e in sub.history if e.actor.kind is ActorKind.STAFF),
                    payment_method=_payment_method(uow, mine),
                    invoices=_invoices(uow, mine, sub),
                    history=sub.history,
                )
            )
    return tuple(details)


def _targets(line: OrderLine, subscription_id: str) -> bool:
    # A new purchase's lines name no subscription; its plan line's ref is the one it opened (see baskets).
    return (line.subscription_id or line.ref) == subscription_id


def _payment_method(uow: UnitOfWork, orders: Sequence[Order]) -> PaymentMethod | None:
    paid = [o for o in orders if o.state in _PAID and o.payment_id is not None]
    if not paid:
        return None
    latest = max(paid, key=lambda o: o.paid_at or o.created_at)
    return uow.payments.get(str(latest.payment_id)).method


def _invoices(uow: UnitOfWork, orders: Sequence[Order], sub: Subscription) -> tuple[InvoiceShare, ...]:
    found: list[InvoiceShare] = []
    for order in orders:
        parts = {
            part: lines
            for part, (_info, lines) in enumerate(order.invoices())  # numbered as invoice_requests numbers them
            if any(_targets(line, sub.id) for line in lines)
        }
        found += [
            InvoiceShare.of(invoice, parts[invoice.part], sub.customer_id)
            for invoice in uow.invoices.of_order(order.id)
            if invoice.part in parts
        ]
    return tuple(sorted(found, key=lambda i: (i.issued_at, i.order_id, i.part)))


def _shares(uow: UnitOfWork, order: Order, customer_id: str | None) -> tuple[InvoiceShare, ...]:
    parts = dict(enumerate(lines for _info, lines in order.invoices()))
    return tuple(
        InvoiceShare.whole(invoice, parts[invoice.part])
        if customer_id is None
        else InvoiceShare.of(invoice, parts[invoice.part], customer_id)
        for invoice in uow.invoices.of_order(order.id)
        if invoice.part in parts
        and (customer_id is None or any(line.customer_id == customer_id for line in parts[invoice.part]))
    )


@attrs.frozen(kw_only=True)
class OrderSummary:
    """One order as a company sees it (O1, O4, Y3, I1), newest first in :func:`customer_orders`.

    ``lines`` are the company's own lines only: a bulk renewal (B2) also holds other clients' lines, which
    a client never sees; ``total`` is what its own lines come to (taxable + VAT), and equals the order's
    grand total when every line is its own. ``transfer_reference`` is the content to type on a bank
    transfer while the order awaits payment (Y3), else ``None``. ``invoices`` are the e-invoices of this
    order that hold the company's lines (I1), each showing those lines only (B2).
    """

    id: str
    kind: OrderKind
    state: OrderState
    created_at: dt.datetime
    pay_by: dt.datetime | None
    lines: tuple[OrderLine, ...]
    total: Money
    shared: bool  # other companies' lines are on the same order (a bulk renewal)
    transfer_reference: str | None
    invoices: tuple[InvoiceShare, ...]


def customer_orders(deps: Services, actor: Actor, customer_id: str) -> tuple[OrderSummary, ...]:
    """A company's orders with its own lines, state, payment deadline and invoices, newest first (O1-O5, I1).

    Raises:
        PermissionDeniedError: (A1) ``actor`` is not a user of the company, staff, or its accountant.
        NotFoundError: unknown customer.
    """
    customer_id = checked_id(customer_id, field="customer_id")
    with deps.uow() as uow:
        customer = uow.customers.get(customer_id)
        require_viewer(actor, customer)
        return tuple(_summary(uow, order, customer.id) for order in uow.orders.of_customer(customer.id))


def order_detail(deps: Services, actor: Actor, order_id: str) -> OrderSummary:
    """One order as ``actor`` may see it (O1-O5, I1, B2), as :func:`customer_orders` shows it.

    An order of one company is seen by its users, staff and its accountant (A1). A bulk renewal (B2) is
    seen whole by staff and the service accountant who placed it (A3); a user of one of its clients sees
    only that client's lines and its share of the invoices, never the other clients' lines.

    Raises:
        PermissionDeniedError: (A1, A3) ``actor`` may not see the order.
        NotFoundError: unknown order. ValidationError: a malformed ``order_id``.
    """
    order_id = checked_id(order_id, field="order_id")
    with deps.uow() as uow:
        order = uow.orders.get(order_id)
        if order.customer_id is not None:
            customer = uow.customers.get(order.customer_id)
            require_viewer(actor, customer)
            return _summary(uow, order, customer.id)
        require_actor(actor)
        if actor.is_staff or (actor.is_accountant and actor.id == order.placed_by.id):
            return _summary(uow, order, None)
        clients = {line.customer_id for line in order.lines}
        if actor.is_customer_user and actor.customer_id in clients:
            return _summary(uow, order, str(actor.customer_id))
        raise PermissionDeniedError(
            "may see a bulk renewal: staff, the service accountant who placed it, or its clients' users (own lines)",
            rule="A3",
            field="actor",
            value=actor.id,
        )


def _summary(uow: UnitOfWork, order: Order, customer_id: str | None) -> OrderSummary:
    # customer_id None: the whole order, as staff or the accountant who placed a bulk renewal see it.
    own = tuple(line for line in order.lines if customer_id is None or line.customer_id == customer_id)
    return OrderSummary(
        id=order.id,
        kind=order.kind,
        state=order.state,
        created_at=order.created_at,
        pay_by=order.pay_by,
        lines=own,
        total=sum((line.total for line in own), Money.zero(order.currency)),
        shared=len(own) != len(order.lines),
        transfer_reference=transfer_reference(order.id) if order.awaiting_payment else None,
        invoices=_shares(uow, order, customer_id),
    )
