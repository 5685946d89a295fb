"""From an order request to what is priced and ordered: a :class:`Basket` (O1, C4, S2, S5, S6, S11, A1-A3).

Building a basket reads the customer and the subscription, checks who acts (A1-A3), and checks the
request against the domain by running the very verb that payment will run, on the subscription as it is
now, and throwing the result away: a retention package while still active (S5), storage when no time
remains (S6), a renewal of a purged subscription (S1) are refused at placement with the domain's own
reason, not after the customer paid. The basket names the catalog selections only; prices, and what each
line grants once paid, come from the catalog when it is priced (C5, O6), and payment grants what the order
froze then, not what :func:`entitlement_of` would read from the catalog by that time. A renewal's basket
buys again the storage the last paid term holds, unless the buyer drops it (S11).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Final

import attrs

from subscription_core import lifecycle, renewals, retention
from subscription_core.calendar import local_date
from subscription_core.catalog import AddonKind
from subscription_core.customers import Actor, Customer
from subscription_core.errors import NotEligibleError, NotFoundError, ValidationError
from subscription_core.orders import OrderKind
from subscription_core.payment_deadlines import PayLimit, paid_time_limit, purge_limit
from subscription_core.ports import UnitOfWork
from subscription_core.promotions import PurchaseKind
from subscription_core.quotes import AddonSelection, PlanSelection, Proration, Selection
from subscription_core.services.commands import NewPurchase, OrderRequest, Renewal, RetentionPackage, StorageTopUp
from subscription_core.services.context import Services
from subscription_core.services.permissions import require_orderer
from subscription_core.subscriptions import Entitlement, State, StorageBought, Subscription
from subscription_core.terms import days_in

__all__ = ["Basket", "basket_for", "entitlement_of", "kept_storage", "owned_subscription", "purchase_entitlement"]

_CONVERTIBLE: Final = (State.TRIAL, State.EXPIRED)


@attrs.frozen(kw_only=True)
class Basket:
    """What one ordinary order buys: its kind, customer, subscription, selections and pricing context.

    ``target`` is the subscription the order renews or adds to, or for a new purchase the one it opens
    or converts (C4), which is the plan line's ``ref``. ``pay_until`` caps the payment deadline (O8: a
    top-up must be paid while time remains, a renewal, a conversion or a retention package before the purge).
    """

    kind: OrderKind
    customer: Customer
    target: str
    selections: tuple[Selection, ...]
    purchase: PurchaseKind
    codes: tuple[str, ...]
    current_plan: str | None = None
    pay_until: PayLimit | None = None

    @property
    def subscription_id(self) -> str | None:
        """The subscription the order lines name (``None`` for a new purchase, whose lines name none)."""
        return None if self.kind is OrderKind.NEW_PURCHASE else self.target


def owned_subscription(uow: UnitOfWork, subscription_id: str, customer_id: str | None = None) -> Subscription:
    """Return the subscription, checking it belongs to ``customer_id`` when given.

    Raises:
        NotFoundError: no such subscription (for that customer: another's is not revealed).
    """
    subscription = uow.subscriptions.get(subscription_id)
    if customer_id is not None and subscription.customer_id != customer_id:
        raise NotFoundError("the customer has no such subscription", field="subscription_id", value=subscription_id)
    return subscription


def entitlement_of(deps: Services, plan: str, option: str, *, extra_storage: int = 0) -> Entitlement:
    """The entitlement a plan line would grant if placed now (C1, S6), to check an order before it is placed.

    Raises:
        NotFoundError: (C1) no such plan or option. NotEligibleError: (S6) extra storage on a non-Enterprise plan.
    """
    product, _ = deps.catalog.plan_entry(plan)
    return Entitlement.of(product, plan, option, extra_storage=extra_storage)


def basket_for(
    deps: Services, uow: UnitOfWork, actor: Actor, request: OrderRequest, at: dt.datetime, *, mint: Callable[[], str]
) -> Basket:
    """Check ``request`` (A1-A3 and the rules of its kind) and return its basket as of ``at``.

    ``mint`` makes the id of a subscription a new purchase opens.

    Raises:
        ValidationError: not an order request; the errors of the kind's checks, with their rules.
    """
    if isinstance(request, NewPurchase):
        return _new_purchase(deps, uow, actor, request, at, mint)
    if isinstance(request, Renewal):
        return _renewal(deps, uow, actor, request, at)
    if isinstance(request, StorageTopUp):
        return _top_up(deps, uow, actor, request, at)
    if isinstance(request, RetentionPackage):
        return _retention(deps, uow, actor, request, at)
    raise ValidationError("must be an order request", rule="O1", field="request", value=type(request).__name__)


def purchase_entitlement(deps: Services, request: NewPurchase) -> Entitlement:
    """What a new purchase grants: its plan and option, with the storage its add-ons buy (C1, C3, S6).

    Raises:
        NotFoundError: (C1) an unknown plan, option or add-on. NotEligibleError: (S6) storage bought on a
            plan that takes none.
    """
    storage = sum(
        _storage(deps, a.addon, a.quantity)
        for a in request.addons
        if deps.catalog.addon(a.addon).kind is AddonKind.STORAGE
    )
    return entitlement_of(deps, request.plan, request.option, extra_storage=storage)


def _storage(deps: Services, addon_code: str, units: int) -> int:
    addon = deps.catalog.addon(addon_code)
    if addon.kind is not AddonKind.STORAGE:
        raise ValidationError("must be a storage add-on", rule="S6", field="addon", value=addon_code)
    return addon.storage_per_unit * units


def _new_purchase(
    deps: Services, uow: UnitOfWork, actor: Actor, request: NewPurchase, at: dt.datetime, mint: Callable[[], str]
) -> Basket:
    customer = uow.customers.get(request.customer_id)
    require_orderer(actor, customer, OrderKind.NEW_PURCHASE)
    entitlement = purchase_entitlement(deps, request)
    trial = None if request.trial_id is None else _trial(uow, request, entitlement, at)
    target = mint() if trial is None else trial.id
    addons = tuple(AddonSelection(addon=a.addon, quantity=a.quantity, cycles=a.cycles) for a in request.addons)
    return Basket(
        kind=OrderKind.NEW_PURCHASE,
        customer=customer,
        target=target,
        selections=(PlanSelection(plan=request.plan, option=request.option, ref=target), *addons),
        purchase=PurchaseKind.NEW,
        codes=request.codes,
        pay_until=None if trial is None else purge_limit(trial),
    )


def _trial(uow: UnitOfWork, request: NewPurchase, entitlement: Entitlement, at: dt.datetime) -> Subscription:
    """The trial a new purchase converts, as of ``at`` (C4): the customer's, never paid, of the plan's product."""
    trial_id = str(request.trial_id)
    trial = lifecycle.advance(owned_subscription(uow, trial_id, request.customer_id), at).subscription
    if trial.trial is None or trial.terms or trial.state not in _CONVERTIBLE or trial.pending is not None:
        raise NotEligibleError(
            f"only an unpaid free trial can be converted, this one is {trial.state.value}",
            rule="C4",
            field="trial_id",
            value=trial_id,
        )
    if trial.product_code != entitlement.product_code:
        raise NotEligibleError(
            f"the trial is of {trial.product_code}", rule="C1", field="plan", value=entitlement.plan_code
        )
    return trial


def _renewal(deps: Services, uow: UnitOfWork, actor: Actor, request: Renewal, at: dt.datetime) -> Basket:
    subscription = uow.subscriptions.get(request.subscription_id)
    current = lifecycle.advance(subscription, at).subscription
    last_plan = current.last_grant.plan_code  # a switch already bought for a later term is kept (S10)
    plan = request.plan or last_plan
    kind = OrderKind.RENEWAL if plan == last_plan else OrderKind.RENEWAL_WITH_PLAN_SWITCH
    customer = uow.customers.get(subscription.customer_id)
    require_orderer(actor, customer, kind)
    storage = _storage(deps, request.storage_addon, request.storage_units) if request.storage_addon else 0
    entitlement_of(deps, plan, request.option, extra_storage=storage)  # storage beyond what is kept (S6)
    units = kept_storage(deps, current, plan) if request.keep_storage else {}
    if request.storage_addon:
        units[request.storage_addon] = units.get(request.storage_addon, 0) + request.storage_units
    bought = tuple(
        StorageBought(addon=code, units=n, amount=deps.catalog.addon(code).storage_per_unit * n)
        for code, n in units.items()
    )
    entitlement = entitlement_of(deps, plan, request.option).with_storage(bought)
    if not current.terms:
        raise NotEligibleError(
            "a free trial is converted by a new purchase naming it, not renewed", rule="C4", field="subscription_id"
        )
    if current.pending is not None:
        raise NotEligibleError("a payment already awaits activation", rule="Y3", field="subscription_id")
    renewals.renew(current, entitlement, at, actor=actor)  # refuses what payment would refuse (S1, C1)
    addons = (AddonSelection(addon=code, quantity=n, ref=subscription.id) for code, n in units.items())
    return Basket(
        kind=kind,
        customer=customer,
        target=subscription.id,
        selections=(PlanSelection(plan=plan, option=request.option, ref=subscription.id), *addons),
        purchase=PurchaseKind.RENEWAL,
        codes=request.codes,
        pay_until=purge_limit(current),
    )


def kept_storage(deps: Services, subscription: Subscription, plan: str) -> dict[str, int]:
    """The storage add-on units a renewal onto ``plan`` buys again by default: those of the last paid term (S11).

    Only add-ons that go with ``plan`` are offered (C3), each at most its ``max_quantity``. Storage stored
    before it was itemised by add-on is offered in the product's first storage add-on that goes with
    ``plan``, rounded up to whole units [decision].
    """
    last = subscription.last_grant
    units: dict[str, int] = {}
    for bought in last.storage:
        units[bought.addon] = units.get(bought.addon, 0) + bought.units
    unitemised = last.extra_storage - sum(b.amount for b in last.storage)
    addons = {a.code: a for a in deps.catalog.product(subscription.product_code).addons}
    if unitemised > 0:
        fallback = next((a for a in addons.values() if a.kind is AddonKind.STORAGE and a.goes_with(plan)), None)
        if fallback is not None:
            units[fallback.code] = units.get(fallback.code, 0) - (-unitemised // fallback.storage_per_unit)
    kept = {}
    for code, n in units.items():
        addon = addons.get(code)
        if addon is not None and addon.goes_with(plan):
            kept[code] = min(n, addon.max_quantity or n)
    return kept


def _top_up(deps: Services, uow: UnitOfWork, actor: Actor, request: StorageTopUp, at: dt.datetime) -> Basket:
    subscription = uow.subscriptions.get(request.subscription_id)
    customer = uow.customers.get(subscription.customer_id)
    require_orderer(actor, customer, OrderKind.STORAGE_TOP_UP)
    addon = deps.catalog.addon(request.addon)
    current = lifecycle.advance(subscription, at).subscription
    renewals.top_up_storage(current, addon, request.quantity, at, actor=actor)  # S6, C3
    today = local_date(at)
    term = next((t for t in current.terms if today in t), None)
    if term is None:
        raise NotEligibleError("no term runs today; renew instead", rule="S6", field="subscription_id")
    proration = Proration(days_left=(term.end - today).days, term_days=days_in(term))
    selection = AddonSelection(addon=addon.code, quantity=request.quantity, ref=subscription.id, prorate=proration)
    return Basket(
        kind=OrderKind.STORAGE_TOP_UP,
        customer=customer,
        target=subscription.id,
        selections=(selection,),
        purchase=PurchaseKind.RENEWAL,
        codes=request.codes,
        current_plan=current.plan_code,
        pay_until=paid_time_limit(current),
    )


def _retention(deps: Services, uow: UnitOfWork, actor: Actor, request: RetentionPackage, at: dt.datetime) -> Basket:
    subscription = uow.subscriptions.get(request.subscription_id)
    customer = uow.customers.get(subscription.customer_id)
    require_orderer(actor, customer, OrderKind.DATA_RETENTION)
    addon = deps.catalog.addon(request.addon)
    current = lifecycle.advance(subscription, at).subscription
    retention.buy_retention(current, addon, request.quantity, at, actor=actor)  # S5 with its reason
    selection = AddonSelection(addon=addon.code, quantity=request.quantity, ref=subscription.id)
    return Basket(
        kind=OrderKind.DATA_RETENTION,
        customer=customer,
        target=subscription.id,
        selections=(selection,),
        purchase=PurchaseKind.RENEWAL,
        codes=request.codes,
        current_plan=current.plan_code,
        pay_until=purge_limit(current),
    )
