"""The promotions a buyer may choose for an order (P3, P4, P9): a checkout's list of promotions.

A promotion is listed when it is chosen from a list (not typed in as a code), and it would apply to the
order if chosen alone: in its validity window, for these items and this kind of purchase, above its
minimum, and with redemptions left overall and for the ordering customer, counted from the stored
redemptions reserved or consumed so far. Each comes with what it would take off, as
:func:`~subscription_core.services.quote_order` would price the order with it alone.
"""

from __future__ import annotations

import datetime as dt

import attrs

from subscription_core.calendar import local_date
from subscription_core.customers import Actor
from subscription_core.errors import referenced
from subscription_core.money import Money
from subscription_core.pricing import quote
from subscription_core.promotions import Entry, Promotion, RedemptionCounts, Scope
from subscription_core.services.baskets import Basket, basket_for
from subscription_core.services.commands import OrderRequest
from subscription_core.services.context import Services
from subscription_core.services.permissions import require_actor

__all__ = ["SelectablePromotion", "selectable_promotions"]

_SCOPE_ORDER = {Scope.PACKAGE: 0, Scope.ADDON: 1, Scope.INVOICE: 2}


@attrs.frozen(kw_only=True)
class SelectablePromotion:
    """A promotion an order may choose (P3), and the order's price with it alone (P4-P8).

    ``amount_off`` is the discount it gives before VAT; ``grand_total`` what the order would cost with it.
    """

    code: str
    name: str
    scope: Scope
    amount_off: Money
    grand_total: Money


def selectable_promotions(deps: Services, actor: Actor, request: OrderRequest) -> tuple[SelectablePromotion, ...]:
    """The stored promotions ``request`` may choose (P3, P4, P9), each priced alone; sorted by scope, then code.

    Reads only. The request's own codes are ignored: each promotion is priced as if chosen alone. A
    promotion whose overall or per-customer limit is reached by stored redemptions is not listed (P9).

    Raises:
        PermissionDeniedError: (A1-A3) ``actor`` may not order this. NotFoundError: (a ``reference``) unknown
            ids. NotEligibleError, InvalidTransitionError, ValidationError: the request breaks a rule of its kind.
    """
    require_actor(actor)
    with deps.uow() as uow:
        now = deps.now()
        with referenced():  # every id the request holds is a reference inside it
            basket = basket_for(deps, uow, actor, request, now, mint=lambda: "new")
        book = [p for p in uow.promotions.all() if p.entry is Entry.SELECTABLE]
        counts = uow.promotions.counts([p.code for p in book], basket.customer.id)
    found = [offer for p in book if (offer := _offer(deps, basket, p, counts, local_date(now))) is not None]
    return tuple(sorted(found, key=lambda s: (_SCOPE_ORDER[s.scope], s.code)))


def _offer(
    deps: Services, basket: Basket, promotion: Promotion, counts: RedemptionCounts, as_of: dt.date
) -> SelectablePromotion | None:
    result = quote(
        deps.catalog,
        basket.selections,
        as_of=as_of,
        promotions=(promotion,),
        purchase=basket.purchase,
        current_plan=basket.current_plan,
        redemptions=counts,
    )
    if not result.applied:
        return None
    return SelectablePromotion(
        code=promotion.code,
        name=promotion.name,
        scope=promotion.scope,
        amount_off=result.discount_total,
        grand_total=result.grand_total,
    )
