"""A visitor's quote (P1-P9): the price a pricing page shows before anyone signs up or orders.

No customer and no order: the plan, its option, add-ons and codes are priced against the stored promotion
book and its redemption counts, as :func:`~subscription_core.services.quote_order` prices a new purchase.
A promotion with a per-customer limit applies as it would for a new customer, who has redeemed nothing;
its overall limit counts every redemption reserved or consumed so far.
"""

from __future__ import annotations

from collections.abc import Iterable

from subscription_core.promotions import PurchaseKind
from subscription_core.quotes import AddonSelection, PlanSelection, Quote, Selection
from subscription_core.services.baskets import purchase_entitlement
from subscription_core.services.commands import AddonChoice, NewPurchase
from subscription_core.services.context import Services
from subscription_core.services.ordering import price

__all__ = ["quote_for_visitor"]

_VISITOR = "visitor"  # stands for the customer a NewPurchase names; never looked up


def quote_for_visitor(
    deps: Services,
    *,
    plan: str,
    option: str,
    addons: Iterable[AddonChoice] = (),
    codes: Iterable[str] = (),
) -> Quote:
    """Price a new purchase of ``plan`` with ``option``, ``addons`` and ``codes`` for a visitor (P1-P9).

    Reads only. The quote's ``refused`` says why a code does not apply (unknown, expired, exhausted...).

    Raises:
        ValidationError: (O1, C3, P3) a malformed plan, option, add-on or code, as a new purchase's are.
        NotFoundError: (C1) an unknown plan, option or add-on. NotEligibleError: (S6) storage bought on a
            plan that takes none.
    """
    # The request is checked as a new purchase's is, so a visitor's quote refuses what an order would.
    request = NewPurchase(customer_id=_VISITOR, plan=plan, option=option, addons=addons, codes=codes)
    purchase_entitlement(deps, request)  # refuses what placing the purchase would (S6: storage on a plan without)
    selections: tuple[Selection, ...] = (
        PlanSelection(plan=request.plan, option=request.option, ref="new"),
        *(AddonSelection(addon=a.addon, quantity=a.quantity, cycles=a.cycles) for a in request.addons),
    )
    with deps.uow() as uow:
        now = deps.now()
        return price(deps, uow, selections, purchase=PurchaseKind.NEW, codes=request.codes, holder=None, at=now).quote
