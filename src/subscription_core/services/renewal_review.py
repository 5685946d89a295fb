"""The review page of a bulk renewal (B1-B4, A3): each client's name and invoice details before confirming.

Before a service accountant confirms a bulk renewal (B4), it checks the list and opens each client to see
what the order will say: the client's name and tax code, the licence (subscriber) details, the invoice
details the client's e-invoice will carry (its own, or the one buyer typed in, B2), the plan and renewal
option, and the price. :func:`renewal_review` answers that page for the same :class:`BulkRenewal` and
codes :func:`~subscription_core.services.place_bulk_renewal` takes, and reads only. The prices are the
catalog's today with the codes asked for, priced as :func:`~subscription_core.services.quote_bulk_renewal`
prices them; the order freezes its own prices when it is placed (O6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from subscription_core.bulk import BulkRenewal, BulkRow, InvoiceTarget, RowProblem, RowReview, review_rows
from subscription_core.calendar import local_date
from subscription_core.customers import Actor, Contact, InvoiceInfo, Party
from subscription_core.errors import PermissionDeniedError, ValidationError, referenced
from subscription_core.money import Money
from subscription_core.ports import UnitOfWork
from subscription_core.promotions import PurchaseKind, Refusal
from subscription_core.quotes import AppliedPromotion, LineKind, PlanSelection, Quote
from subscription_core.services.commands import checked_codes
from subscription_core.services.context import Services
from subscription_core.services.ordering import price
from subscription_core.services.permissions import require_actor
from subscription_core.services.renewing import clients_named, held_subscriptions
from subscription_core.subscriptions import Subscription
from subscription_core.tax_codes import TaxCode

__all__ = ["ClientReview", "RenewalReview", "ReviewProblem", "renewal_review"]


@attrs.frozen(kw_only=True)
class ReviewProblem:
    """Why a row cannot be renewed as it is (B4): the field, what is wrong, the rule, and the value shown.

    ``value`` is what the row holds in that field as text; a typed tax code or business code that names
    no client of the accountant is masked (``01****3150``, A3).
    """

    field: str
    message: str
    rule: str
    value: str | None

    @classmethod
    def of(cls, problem: RowProblem) -> ReviewProblem:
        """The problem as the review page shows it."""
        shown = None if problem.value in (None, "") else str(problem.value)
        return cls(field=problem.field, message=problem.message, rule=problem.rule, value=shown)


@attrs.frozen(kw_only=True)
class ClientReview:
    """One row of the review (B4): the client it names and what its renewal will carry.

    ``customer_id``, ``name`` and ``tax_code`` are ``None`` when the row names no client of the accountant
    (an unknown company and another firm's client look the same, A3). ``subscriber`` and ``invoice`` are the
    licence and e-invoice details the order will freeze (O2, B2); ``last_day`` the subscription's current
    last day of use (S7); ``price`` what the row adds to the order, VAT included, ``None`` when it cannot be
    renewed. ``renewable`` is true exactly when ``problems`` is empty.
    """

    row: int
    customer_id: str | None
    name: str | None
    tax_code: TaxCode | None
    subscription_id: str | None
    last_day: dt.date | None
    plan: str | None
    option: str
    description: str | None
    subscriber: Party | None
    invoice: InvoiceInfo | None
    price: Money | None
    renewable: bool
    problems: tuple[ReviewProblem, ...]


@attrs.frozen(kw_only=True)
class RenewalReview:
    """The review page of a bulk renewal (B1-B4): every row, who is told, and what the renewable rows cost.

    ``ready`` is true when every row can be renewed, so that placing the same request (confirmed) is not
    refused for its rows. ``vat_total`` and ``total`` are those of the renewable rows together, priced
    ``as_of`` the local date the review was made; ``applied`` and ``refused`` say which of the codes asked
    for went into them and why the others did not (P3-P9).
    """

    product: str
    invoice_target: InvoiceTarget
    notify: Contact
    clients: tuple[ClientReview, ...]
    ready: bool
    as_of: dt.date
    vat_total: Money
    total: Money
    applied: tuple[AppliedPromotion, ...] = ()
    refused: tuple[Refusal, ...] = ()


def renewal_review(deps: Services, actor: Actor, request: BulkRenewal, *, codes: Sequence[str] = ()) -> RenewalReview:
    """Show each row of a bulk renewal as the accountant checks it before confirming (B1-B4, A3). Reads only.

    A row that names no client of ``actor``, no renewable subscription, or an unknown plan or option is
    shown with its problems (as :func:`~subscription_core.services.review_bulk_renewal` lists them), not
    raised: the page shows every row. ``codes`` are the promotion codes the order will ask for (P3); one
    that does not apply is left out of the prices, as in the quote's ``refused``.

    Raises:
        ValidationError: ``request`` is not a :class:`BulkRenewal`; (P3) ``codes`` is not a sequence of
            codes. PermissionDeniedError: (A3) not a
            service accountant. NotFoundError: (A3) an unknown accountant; (C1, a ``reference``) the
            request's product is not in the catalog.
    """
    if not require_actor(actor).is_accountant:
        raise PermissionDeniedError(
            "only a service accountant reviews a bulk renewal", rule="A3", field="actor", value=actor.id
        )
    if not isinstance(request, BulkRenewal):
        raise ValidationError("must be a BulkRenewal", rule="B1", field="request", value=type(request).__name__)
    codes = checked_codes(codes)
    accountant = deps.accountant(actor.id)
    with referenced():  # the product is named inside the request
        deps.catalog.product(request.product)
    with deps.uow() as uow:
        now = deps.now()
        clients = clients_named(uow, request)
        held = held_subscriptions(uow, clients, now)
        reviews = review_rows(request, clients, accountant, subscriptions=held, catalog=deps.catalog)
        quoted = _priced(deps, uow, actor, reviews, codes, now)
    by_id = {s.id: s for s in held}
    rows = tuple(_client(review, typed, by_id, quoted) for review, typed in zip(reviews, request.rows, strict=True))
    zero = Money.zero(deps.catalog.currency)
    return RenewalReview(
        product=request.product,
        invoice_target=request.invoice_target,
        notify=accountant.contact if request.other_recipient is None else request.other_recipient,
        clients=rows,
        ready=all(row.renewable for row in rows),
        as_of=local_date(now),
        vat_total=zero if quoted is None else quoted.vat_total,
        total=zero if quoted is None else quoted.grand_total,
        applied=() if quoted is None else quoted.applied,
        refused=() if quoted is None else quoted.refused,
    )


def _priced(
    deps: Services,
    uow: UnitOfWork,
    actor: Actor,
    reviews: tuple[RowReview, ...],
    codes: Sequence[str],
    at: dt.datetime,
) -> Quote | None:
    """The renewable rows priced together as placing prices them (the accountant's limits count), or ``None``."""
    selections = tuple(
        PlanSelection(plan=r.line.plan, option=r.line.option, ref=r.line.subscription_id)
        for r in reviews
        if r.line is not None and r.renewable
    )
    if not selections:
        return None
    return price(deps, uow, selections, purchase=PurchaseKind.RENEWAL, codes=codes, holder=actor.id, at=at).quote


def _client(review: RowReview, row: BulkRow, held: dict[str, Subscription], quoted: Quote | None) -> ClientReview:
    customer, line = review.customer, review.line
    priced = None
    if quoted is not None and line is not None and review.renewable:
        priced = next(q for q in quoted.lines if q.kind is LineKind.PLAN and q.ref == line.subscription_id)
    subscription = held.get(line.subscription_id) if line is not None else None
    return ClientReview(
        row=review.row,
        customer_id=None if customer is None else customer.id,
        name=None if customer is None else customer.name,
        tax_code=None if customer is None else customer.tax_code,
        subscription_id=None if line is None else line.subscription_id,
        last_day=None if subscription is None else subscription.last_day,
        plan=line.plan if line is not None else row.plan,
        option=row.option,
        description=None if priced is None else priced.description,
        subscriber=None if line is None else line.billing.subscriber,
        invoice=None if line is None else line.billing.invoice,
        price=None if priced is None else priced.total,
        renewable=review.renewable,
        problems=tuple(ReviewProblem.of(p) for p in review.problems),
    )
