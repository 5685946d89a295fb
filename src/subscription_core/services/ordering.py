"""Quoting, placing and cancelling orders (O1-O4, C5, P3, P4, P9, A1-A3).

Prices always come from the catalog through :func:`subscription_core.pricing.quote`; a caller may only
say which total it was shown (``Checkout.expected_total``), and an order whose catalog total differs is
refused (C5). Every promotion code the buyer asked for must apply, or placing is refused with the reason
(a promotion outranked by a better one is the only refusal that lets the order through, P5); its
redemption is reserved with the order, atomically against the limits (P9). The order is placed only once
the buyer confirmed it (O3), and the order-placed notice is queued in the same unit of work (N2).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence

import attrs

from subscription_core.calendar import local_date
from subscription_core.customers import Actor, Customer, InvoiceInfo, Party
from subscription_core.errors import (
    CurrencyMismatchError,
    NotEligibleError,
    ValidationError,
    checked_id,
    referenced,
)
from subscription_core.money import Money
from subscription_core.notices import OrderNoticeKind
from subscription_core.orders import Order, OrderKind
from subscription_core.payment_deadlines import PayLimit, payment_deadline
from subscription_core.ports import UnitOfWork
from subscription_core.pricing import quote
from subscription_core.promotions import Promotion, PurchaseKind, RedemptionCounts, RefusalReason, code_key
from subscription_core.quotes import Quote, Selection
from subscription_core.redemptions import reserve_redemptions, settle_redemptions
from subscription_core.services.baskets import Basket, basket_for
from subscription_core.services.commands import Checkout, OrderRequest
from subscription_core.services.context import Services
from subscription_core.services.idempotency import fingerprint, run_once
from subscription_core.services.notifying import order_notice
from subscription_core.services.permissions import require_actor, require_order_access, require_reason

__all__ = [
    "Priced",
    "billing_of",
    "cancel_order",
    "check_expected_total",
    "place_draft",
    "place_order",
    "price",
    "quote_order",
    "settle",
]

_log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class Priced:
    """A quote and the promotions it was priced with, by code folded to lower case (P9 needs their limits)."""

    quote: Quote
    book: Mapping[str, Promotion]


def price(
    deps: Services,
    uow: UnitOfWork,
    selections: Sequence[Selection],
    *,
    purchase: PurchaseKind,
    codes: Sequence[str],
    holder: str | None,
    at: dt.datetime,
    current_plan: str | None = None,
) -> Priced:
    """Price ``selections`` from the catalog as of the local date of ``at`` with the codes asked for (P1-P8).

    ``holder`` is whose per-customer limits count (P4); ``None`` for a visitor, who has redeemed nothing
    yet. Redemptions already reserved or consumed count against the limits (P9).

    Raises:
        NotFoundError, ValidationError: as :func:`subscription_core.pricing.quote`.
    """
    book = {code_key(p.code): p for p in uow.promotions.all()}
    # Codes are matched ignoring case; the promotion's own spelling is what orders and redemptions keep.
    asked = [book[code_key(c)].code if code_key(c) in book else c for c in codes]
    counts = uow.promotions.counts([c for c in asked if code_key(c) in book], holder or "")
    if holder is None:  # a visitor counts as a new customer: only the totals limit it (P4, P9)
        counts = RedemptionCounts(total=counts.total)
    result = quote(
        deps.catalog,
        selections,
        as_of=local_date(at),
        promotions=book.values(),
        codes=asked,
        purchase=purchase,
        current_plan=current_plan,
        redemptions=counts,
    )
    return Priced(quote=result, book=book)


def _check_refusals(result: Quote) -> None:
    for refusal in result.refused:
        if refusal.reason is RefusalReason.OUTRANKED:
            continue
        limits = (RefusalReason.LIMIT_REACHED, RefusalReason.CUSTOMER_LIMIT_REACHED)
        detail = f" ({refusal.detail})" if refusal.detail else ""
        raise NotEligibleError(
            f"promotion {refusal.code} cannot be applied: {refusal.reason.value}{detail}",
            rule="P9" if refusal.reason in limits else "P4",
            field="codes",
            value=refusal.code,
        )


def check_expected_total(result: Quote, expected: Money | None) -> None:
    """Check the total the buyer was shown equals the catalog's (C5); ``None`` checks nothing.

    Raises:
        CurrencyMismatchError: (C5) another currency. ValidationError: (C5) another amount.
    """
    if expected is None:
        return
    if expected.currency != result.currency:
        raise CurrencyMismatchError(
            f"the catalog prices in {result.currency.code}", rule="C5", field="expected_total", value=str(expected)
        )
    if expected != result.grand_total:
        raise ValidationError(
            f"prices come from the catalog, whose total is {result.grand_total}",
            rule="C5",
            field="expected_total",
            value=str(expected),
        )


def billing_of(customer: Customer, checkout: Checkout) -> tuple[Party, InvoiceInfo]:
    """The subscriber and invoice details of an order (O2): typed in, copied, or the customer's own."""
    subscriber = checkout.subscriber or customer.subscriber
    if checkout.invoice_same_as_subscriber or (checkout.invoice is None and customer.invoice.same_as_subscriber):
        return subscriber, InvoiceInfo.same_as(subscriber)
    if checkout.invoice is not None:
        return subscriber, InvoiceInfo.of(checkout.invoice)
    return subscriber, customer.invoice


def quote_order(deps: Services, actor: Actor, request: OrderRequest) -> Quote:
    """Price ``request`` as it would be ordered now, with its promotions applied or refused (P1-P9).

    Reads only; the quote's ``refused`` tells the buyer why a code does not apply.

    Raises:
        PermissionDeniedError: (A1-A3) ``actor`` may not order this. NotFoundError: (a ``reference``) unknown
            ids or codes.
        NotEligibleError, InvalidTransitionError, ValidationError: the request breaks a rule of its kind.
    """
    require_actor(actor)
    with deps.uow() as uow:
        now = deps.now()
        with referenced():  # every id and code the request holds is a reference inside it
            basket = basket_for(deps, uow, actor, request, now, mint=lambda: "new")
            return _price_basket(deps, uow, basket, now).quote


def _price_basket(deps: Services, uow: UnitOfWork, basket: Basket, at: dt.datetime) -> Priced:
    return price(
        deps,
        uow,
        basket.selections,
        purchase=basket.purchase,
        codes=basket.codes,
        holder=basket.customer.id,
        at=at,
        current_plan=basket.current_plan,
    )


def place_order(
    deps: Services, actor: Actor, request: OrderRequest, checkout: Checkout, *, idempotency_key: str, reason: str = ""
) -> Order:
    """Place an ordinary order (O1-O4): a new purchase, a renewal, a storage top-up or a retention package.

    The order is priced from the catalog, its promotions' redemptions reserved (P9), and it awaits payment
    until its deadline. Idempotent per ``idempotency_key``. Staff must give a ``reason`` (A2).

    Raises:
        NotEligibleError: (O3) not confirmed; (P4, P9) a promotion asked for does not apply; the kind's rules
            (S5 retention while active, S6, C4, Y3...). ValidationError: (C5) ``expected_total`` differs from
            the catalog's; bad input. CurrencyMismatchError: (C5) ``expected_total`` in another currency.
        PermissionDeniedError: (A1-A3). NotFoundError: (``reference``) unknown customer, subscription, plan,
            add-on.
        ConflictError: the key was used for another request.
    """
    require_actor(actor)
    if not isinstance(checkout, Checkout):
        raise ValidationError("must be a Checkout", rule="O2", field="checkout", value=type(checkout).__name__)
    note = require_reason(actor, reason, "placed")
    digest = fingerprint(request=request, checkout=checkout, reason=note)

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Order]:
        with referenced():  # every id and code the request holds is a reference inside it
            basket = basket_for(deps, uow, actor, request, now, mint=lambda: deps.ids.new_id("sub"))
            priced = _price_basket(deps, uow, basket, now)
        check_expected_total(priced.quote, checkout.expected_total)
        subscriber, invoice = billing_of(basket.customer, checkout)
        draft = Order.from_quote(
            priced.quote,
            id=deps.ids.new_id("ord"),
            kind=basket.kind,
            customer_id=basket.customer.id,
            subscriber=subscriber,
            invoice=invoice,
            placed_by=actor,
            idempotency_key=idempotency_key,
            at=now,
            subscription_id=basket.subscription_id,
            notify=checkout.notify,
        )
        placed = place_draft(deps, uow, draft, priced, confirmed=checkout.confirmed, at=now, pay_until=basket.pay_until)
        return placed.id, placed

    return run_once(deps, actor, name="place_order", key=idempotency_key, digest=digest, work=work, replay=_order_of)


def _order_of(uow: UnitOfWork, order_id: str) -> Order:
    return uow.orders.get(order_id)


def place_draft(
    deps: Services,
    uow: UnitOfWork,
    draft: Order,
    priced: Priced,
    *,
    confirmed: bool,
    at: dt.datetime,
    pay_until: PayLimit | None = None,
    deadline: dt.datetime | None = None,
) -> Order:
    """Place ``draft`` (O3, O4), store it, reserve its redemptions (P9) and queue its notice (N1, N2).

    The payment deadline is ``deadline`` if given, else the end of the local day ``pay_within_days`` after
    ``at``, or the limit ``pay_until`` (when what the order buys can no longer be granted) if that is sooner
    (O8). The order is reminded ``payment_reminder_days`` before its deadline (O8).

    Raises:
        NotEligibleError: (O3) not confirmed; (P4, P9) a promotion asked for was refused or has no
            redemptions left; (O8) ``pay_until`` is past or too near to pay. ValidationError: (O4) a
            deadline not after ``at``.
    """
    _check_refusals(priced.quote)
    if deadline is None:
        deadline = payment_deadline(at, pay_within_days=deps.pay_within_days, limit=pay_until)
    # A commitment is reminded by its due-date warnings (K2), not by payment reminders as well.
    reminders = () if draft.kind is OrderKind.RENEWAL_ON_COMMITMENT else deps.payment_reminder_days
    placed = draft.place(at=at, pay_by=deadline, confirmed=confirmed, reminders=reminders)
    uow.orders.add(placed)
    for redemption in reserve_redemptions(placed):
        promotion = priced.book[code_key(redemption.code)]
        limits = {"limit": promotion.redemption_limit, "per_customer_limit": promotion.per_customer_limit}
        if not uow.promotions.reserve(redemption, **limits):
            raise NotEligibleError(
                f"promotion {redemption.code} has no redemptions left", rule="P9", field="codes", value=redemption.code
            )
    data = {"pay_by": deadline.isoformat(), "kind": placed.kind.value}
    order_notice(uow, placed, OrderNoticeKind.ORDER_PLACED, at, data=data)
    _log.info("order %s placed (%s) by %s", placed.id, placed.kind.value, placed.placed_by.id)
    return placed


def settle(uow: UnitOfWork, order: Order, at: dt.datetime) -> int:
    """Consume the order's reserved redemptions if it is paid, release them if cancelled or lapsed (P9).

    Returns how many changed. An order that applied no promotion holds none, and nothing is read for it.
    """
    if not order.promotion_codes:  # redemptions are reserved at placing for the codes applied, and only then
        return 0
    before = {r.code: r for r in uow.promotions.redemptions_of(order.id)}
    changed = 0
    for redemption in settle_redemptions(order, before.values(), at):
        if redemption != before[redemption.code]:
            uow.promotions.save_redemption(redemption)
            changed += 1
    return changed


def cancel_order(deps: Services, actor: Actor, order_id: str, *, reason: str, idempotency_key: str) -> Order:
    """Cancel an order awaiting payment, with a reason (O4); its redemptions are released (P9).

    A renewal on commitment is not cancelled: the commitment stands until paid or cut off (K4) [decision].

    Raises:
        PermissionDeniedError: (A1-A3) ``actor`` may not act on the order. NotFoundError: unknown order.
        InvalidTransitionError: (O4) the order is not awaiting payment. ValidationError: no reason.
        NotEligibleError: (K1) a renewal on commitment. ConflictError: the key was used for another request.
    """
    order_id = checked_id(order_id, field="order_id")
    require_actor(actor)
    note = require_reason(actor, reason, "")
    if not note:
        raise ValidationError("a cancellation needs a reason", rule="O4", field="reason", value=reason)

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Order]:
        order = uow.orders.get(order_id)
        require_order_access(actor, order, uow)
        if order.kind is OrderKind.RENEWAL_ON_COMMITMENT:
            raise NotEligibleError(
                "a renewal on commitment stands until it is paid or cut off",
                rule="K1",
                field="order_id",
                value=order_id,
            )
        cancelled = order.cancel(at=now, by=actor, reason=note)
        uow.orders.save(cancelled, expected_version=order.version)
        settle(uow, cancelled, now)
        order_notice(uow, cancelled, OrderNoticeKind.ORDER_CANCELLED, now, data={"reason": note})
        _log.info("order %s cancelled by %s", order.id, actor.id)
        return cancelled.id, cancelled

    digest = fingerprint(order_id=order_id, reason=note)
    return run_once(deps, actor, name="cancel_order", key=idempotency_key, digest=digest, work=work, replay=_order_of)
