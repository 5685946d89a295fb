"""Renewals beyond the ordinary: bulk renewal by a service accountant (B1-B5) and renewal on commitment (K1-K5).

A bulk renewal is reviewed row by row (B4), placed as one order for every client once the accountant
confirms it, and paid once; payment extends every client or none (B5, see
:mod:`~subscription_core.services.fulfilment`). A renewal on commitment registers the commitment on the
subscription (usable until the due date) and places its order, which awaits payment until the last date a
commitment may reach (K1, K3); a second commitment may be asked for once (K3). Proofs of payment for a
commitment go through :mod:`~subscription_core.services.paying` (K2, Y4); payment makes it official (K5);
unpaid at the last due date the scheduler cuts it off (K4).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import attrs

from subscription_core import commitments, lifecycle
from subscription_core.bulk import BulkRenewal, CheckedRenewal, RowProblem, row_problems, validate_rows
from subscription_core.calendar import end_of_local_day, local_date
from subscription_core.catalog import CycleUnit
from subscription_core.customers import Actor, Customer, TaxCode
from subscription_core.errors import PermissionDeniedError, ValidationError, checked_id
from subscription_core.money import Money
from subscription_core.orders import Order, OrderKind
from subscription_core.payment_deadlines import PayLimit, purge_limit
from subscription_core.ports import UnitOfWork
from subscription_core.promotions import PurchaseKind
from subscription_core.quotes import PlanSelection, Quote
from subscription_core.services.baskets import entitlement_of
from subscription_core.services.commands import Checkout, checked_codes
from subscription_core.services.context import Services
from subscription_core.services.idempotency import fingerprint, run_once
from subscription_core.services.notifying import save_outcome
from subscription_core.services.ordering import Priced, billing_of, check_expected_total, place_draft, price
from subscription_core.services.permissions import require_actor, require_orderer, require_reason
from subscription_core.subscriptions import Entitlement, Subscription

__all__ = [
    "extend_commitment",
    "place_bulk_renewal",
    "quote_bulk_renewal",
    "register_commitment",
    "review_bulk_renewal",
]

_log = logging.getLogger(__name__)
_ONE_YEAR = frozenset({(CycleUnit.YEAR, 1), (CycleUnit.MONTH, 12)})


def _require_accountant(actor: Actor) -> None:
    if not require_actor(actor).is_accountant:
        raise PermissionDeniedError(
            "only a service accountant renews clients in bulk", rule="A3", field="actor", value=actor.id
        )


def clients_named(uow: UnitOfWork, request: BulkRenewal) -> list[Customer]:
    """The customers the rows name by tax code or business code (B1), whoever they belong to (A3: checked per row).

    Shared with :mod:`~subscription_core.services.renewal_review`, which reads the same rows.
    """
    typed = [row.client.strip() for row in request.rows]
    codes: dict[str, str] = {}  # what was typed -> the tax code it reads as
    for text in typed:
        try:
            codes[text] = TaxCode.parse(text).value
        except ValidationError:
            continue
    by_code = uow.customers.by_tax_codes(list(codes.values()))  # one query for the many rows (B1)
    found: dict[str, Customer] = {}
    for text in typed:
        if not text:
            continue
        customer = by_code.get(codes.get(text, "")) or uow.customers.by_business_code(text)
        if customer is not None:
            found[customer.id] = customer
    return list(found.values())


def held_subscriptions(uow: UnitOfWork, customers: Sequence[Customer], at: dt.datetime) -> list[Subscription]:
    """Every subscription ``customers`` hold, advanced to ``at`` (their state as the rows are checked)."""
    held = uow.subscriptions.of_customers([c.id for c in customers])
    return [lifecycle.advance(s, at).subscription for c in customers for s in held[c.id]]


def review_bulk_renewal(deps: Services, actor: Actor, request: BulkRenewal) -> tuple[RowProblem, ...]:
    """Every problem of every row of a bulk renewal (B4, A3), for the review screen; empty when all are valid.

    Raises:
        PermissionDeniedError: (A3) not a service accountant. NotFoundError: (A3) an unknown accountant.
    """
    _require_accountant(actor)
    accountant = deps.accountant(actor.id)
    with deps.uow() as uow:
        now = deps.now()
        clients = clients_named(uow, request)
        held = held_subscriptions(uow, clients, now)
    return row_problems(request, clients, accountant, subscriptions=held, catalog=deps.catalog)


def _checked(deps: Services, uow: UnitOfWork, actor: Actor, request: BulkRenewal, at: dt.datetime) -> CheckedRenewal:
    return _checked_with_limit(deps, uow, actor, request, at)[0]


def _checked_with_limit(
    deps: Services, uow: UnitOfWork, actor: Actor, request: BulkRenewal, at: dt.datetime
) -> tuple[CheckedRenewal, PayLimit | None]:
    """The checked renewal and the earliest purge of the subscriptions it renews: its payment limit (O8)."""
    clients = clients_named(uow, request)
    held = held_subscriptions(uow, clients, at)
    checked = validate_rows(request, clients, deps.accountant(actor.id), subscriptions=held, catalog=deps.catalog)
    renewed = {line.subscription_id for line in checked.lines}
    return checked, PayLimit.earliest(purge_limit(sub) for sub in held if sub.id in renewed)


def _price_bulk(
    deps: Services, uow: UnitOfWork, actor: Actor, checked: CheckedRenewal, codes: Sequence[str], at: dt.datetime
) -> Priced:
    # The accountant's own per-customer limits count for a bulk renewal (as Redemption says) [decision].
    return price(deps, uow, checked.selections(), purchase=PurchaseKind.RENEWAL, codes=codes, holder=actor.id, at=at)


def quote_bulk_renewal(deps: Services, actor: Actor, request: BulkRenewal, *, codes: Sequence[str] = ()) -> Quote:
    """Price a bulk renewal whose rows are all valid (B1-B4): one quote for every client.

    Raises:
        PermissionDeniedError: (A3) not a service accountant. InvalidRowsError: (B4) every row's problems.
        ValidationError: (P3) ``codes`` is not a sequence of codes.
    """
    _require_accountant(actor)
    codes = checked_codes(codes)
    with deps.uow() as uow:
        now = deps.now()
        return _price_bulk(deps, uow, actor, _checked(deps, uow, actor, request, now), codes, now).quote


def place_bulk_renewal(
    deps: Services,
    actor: Actor,
    request: BulkRenewal,
    *,
    confirmed: bool,
    idempotency_key: str,
    codes: Sequence[str] = (),
    expected_total: Money | None = None,
) -> Order:
    """Place one order renewing every row's client (B1-B5), once the accountant confirmed the list (B4, O3).

    Invoices go to each client or to the typed-in buyer (B2); notices to the accountant or the typed-in
    recipient (B3). Paying it extends every client's expiry, all or nothing (B5). It must be paid before
    the first of the renewed subscriptions is purged (O8).

    Raises:
        PermissionDeniedError: (A3) not a service accountant. InvalidRowsError: (B4) any row is invalid,
            with every row's problems; nothing is placed. NotEligibleError: (O3) not confirmed; (P4, P9) a
            promotion does not apply; (O8) a client's subscription is purged too soon to pay, named.
            ValidationError, CurrencyMismatchError: (C5) ``expected_total`` differs from the catalog's.
            ConflictError: the key was used for another request.
    """
    _require_accountant(actor)
    codes = checked_codes(codes)
    digest = fingerprint(request=request, confirmed=confirmed, codes=codes, expected_total=expected_total)

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Order]:
        checked, limit = _checked_with_limit(deps, uow, actor, request, now)
        priced = _price_bulk(deps, uow, actor, checked, codes, now)
        check_expected_total(priced.quote, expected_total)
        draft = checked.order(priced.quote, id=deps.ids.new_id("ord"), idempotency_key=idempotency_key, at=now)
        placed = place_draft(deps, uow, draft, priced, confirmed=confirmed, at=now, pay_until=limit)
        _log.info("bulk renewal %s placed by %s for %d line(s)", placed.id, actor.id, len(placed.lines))
        return placed.id, placed

    return run_once(
        deps,
        actor,
        name="place_bulk_renewal",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, oid: uow.orders.get(oid),
    )


def _one_year_option(deps: Services, plan_code: str) -> str:
    """The option of the plan that buys one year: what a commitment renews by default (K1)."""
    for option in deps.catalog.plan(plan_code).options:
        if option.term_units in _ONE_YEAR:
            return option.code
    raise ValidationError("the plan has no one-year option; choose one", rule="K1", field="option", value=plan_code)


@attrs.frozen(kw_only=True)
class _Commitment:
    """What a renewal on commitment orders: the subscription just committed, what it renews, the checkout."""

    customer: Customer
    subscription: Subscription
    entitlement: Entitlement
    option: str
    checkout: Checkout
    codes: Sequence[str]


def _place_commitment(
    deps: Services, uow: UnitOfWork, actor: Actor, what: _Commitment, *, key: str, at: dt.datetime
) -> Order:
    """Price and place the order of a renewal on commitment, payable until the last date a commitment may reach (K3)."""
    sub, checkout = what.subscription, what.checkout
    selection = PlanSelection(plan=what.entitlement.plan_code, option=what.option, ref=sub.id)
    priced = price(
        deps, uow, (selection,), purchase=PurchaseKind.RENEWAL, codes=what.codes, holder=what.customer.id, at=at
    )
    check_expected_total(priced.quote, checkout.expected_total)
    subscriber, invoice = billing_of(what.customer, checkout)
    draft = Order.from_quote(
        priced.quote,
        id=deps.ids.new_id("ord"),
        kind=OrderKind.RENEWAL_ON_COMMITMENT,
        customer_id=what.customer.id,
        subscriber=subscriber,
        invoice=invoice,
        placed_by=actor,
        idempotency_key=key,
        at=at,
        subscription_id=sub.id,
        notify=checkout.notify,
    )
    limit = sub.commitment.limit if sub.commitment is not None else local_date(at)
    deadline = end_of_local_day(limit).astimezone(dt.UTC)
    return place_draft(deps, uow, draft, priced, confirmed=checkout.confirmed, at=at, deadline=deadline)


def register_commitment(
    deps: Services,
    actor: Actor,
    *,
    subscription_id: str,
    due_on: dt.date,
    pledged: bool,
    checkout: Checkout,
    idempotency_key: str,
    option: str | None = None,
    codes: Sequence[str] = (),
    reason: str = "",
) -> Order:
    """Renew a subscription on a commitment to pay by ``due_on`` (K1, K3); it stays usable until then.

    The renewal is one year of the current plan unless ``option`` says otherwise (K1). Its order awaits
    payment until the last date a commitment may reach (registration + 180 days, K3); paying it, or staff
    verifying its proof (Y4), makes the renewal official (K5).

    Raises:
        ValidationError: (K1) not pledged; (C5) ``expected_total`` differs. NotEligibleError: (K1) never
            paid; (K3) a due date out of bounds; (Y3) a payment awaits activation; (O3) not confirmed.
        InvalidTransitionError: (S1) not active nor expired. PermissionDeniedError: (A1-A3).
        NotFoundError: unknown subscription or option. ConflictError: the key was used for another request.
    """
    subscription_id = checked_id(subscription_id, field="subscription_id")
    require_actor(actor)
    if not isinstance(checkout, Checkout):
        raise ValidationError("must be a Checkout", rule="O2", field="checkout", value=type(checkout).__name__)
    note = require_reason(actor, reason, "renewal registered on a commitment to pay")
    codes = checked_codes(codes)
    digest = fingerprint(
        subscription_id=subscription_id, due_on=due_on, pledged=pledged, checkout=checkout, option=option,
        codes=codes, reason=note,
    )  # fmt: skip

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Order]:
        sub = uow.subscriptions.get(subscription_id)
        customer = uow.customers.get(sub.customer_id)
        require_orderer(actor, customer, OrderKind.RENEWAL_ON_COMMITMENT)
        plan = sub.last_grant.plan_code  # a plan switch already bought for a later term is kept (S10)
        chosen = option or _one_year_option(deps, plan)
        entitlement = entitlement_of(deps, plan, chosen)
        outcome = commitments.commit_to_pay(
            sub, now, due_on=due_on, pledged=pledged, actor=actor, entitlement=entitlement, reason=note
        )
        committed = save_outcome(uow, sub, outcome)
        draft = _Commitment(
            customer=customer,
            subscription=committed,
            entitlement=entitlement,
            option=chosen,
            checkout=checkout,
            codes=codes,
        )
        placed = _place_commitment(deps, uow, actor, draft, key=idempotency_key, at=now)
        return placed.id, placed

    return run_once(
        deps,
        actor,
        name="register_commitment",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, oid: uow.orders.get(oid),
    )


def extend_commitment(
    deps: Services,
    actor: Actor,
    *,
    subscription_id: str,
    due_on: dt.date,
    pledged: bool,
    idempotency_key: str,
    reason: str = "",
) -> Subscription:
    """Ask for the second and last commitment: pay by ``due_on`` instead (K2, K3).

    Raises:
        ValidationError: (K1) not pledged. NotEligibleError: (K3) a second one was granted already, or the
            date is out of bounds; (Y4) a proof awaits review. InvalidTransitionError: (S1) not on
            commitment. PermissionDeniedError: (A1-A3). ConflictError: the key was used for another request.
    """
    subscription_id = checked_id(subscription_id, field="subscription_id")
    require_actor(actor)
    note = require_reason(actor, reason, "second commitment to pay")

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Subscription]:
        sub = uow.subscriptions.get(subscription_id)
        require_orderer(actor, uow.customers.get(sub.customer_id), OrderKind.RENEWAL_ON_COMMITMENT)
        outcome = commitments.extend_commitment(sub, now, due_on=due_on, pledged=pledged, actor=actor, reason=note)
        return sub.id, save_outcome(uow, sub, outcome)

    digest = fingerprint(subscription_id=subscription_id, due_on=due_on, pledged=pledged, reason=note)
    return run_once(
        deps,
        actor,
        name="extend_commitment",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, sid: uow.subscriptions.get(sid),
    )
