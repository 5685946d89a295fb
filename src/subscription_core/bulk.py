"""Bulk renewal by a service accountant: rows, their checks, and the one order for them all (B1-B4, A3).

A :class:`BulkRenewal` (from :mod:`~subscription_core.bulk_requests`, re-exported here) is what the
accountant fills in: one :class:`BulkRow` per client (picked by tax code or business code, with the renewal
period), the invoice target (B2) and the notification recipient (B3). :func:`validate_rows` checks every
row against the customers, their subscriptions and the catalog, and either returns a
:class:`CheckedRenewal` or raises one :class:`InvalidRowsError` that lists every problem of every row
(B4); :func:`review_rows` gives each row's client, line and problems for a review screen. A checked
renewal gives the selections to price and builds the one order from their quote (B5: paying it extends
every client, which is the services' job).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import ClassVar

import attrs

from subscription_core.bulk_requests import BulkRenewal, BulkRow, InvoiceTarget, NoticeTarget
from subscription_core.catalog import Catalog
from subscription_core.customers import Actor, Contact, Customer, InvoiceInfo, ServiceAccountant
from subscription_core.errors import NotFoundError, ValidationError, masked, of_type
from subscription_core.lifecycle import TRANSITIONS as LIFECYCLE
from subscription_core.order_lines import Billing
from subscription_core.orders import Order
from subscription_core.quotes import LineKind, PlanSelection, Quote
from subscription_core.subscriptions import Event, Subscription
from subscription_core.tax_codes import TaxCode

__all__ = [
    "BulkRenewal",
    "BulkRow",
    "CheckedRenewal",
    "InvalidRowsError",
    "InvoiceTarget",
    "NoticeTarget",
    "RenewalLine",
    "RowProblem",
    "RowReview",
    "review_rows",
    "row_problems",
    "validate_rows",
]


@attrs.frozen
class RowProblem:
    """One problem of one row (B4): the 1-based row number, the field, what is wrong, and the rule.

    ``value`` is what the row holds in that field; a client's tax code or business code is masked
    (``01****3150``), since the problems become the message of an :class:`InvalidRowsError`.
    """

    row: int
    field: str
    message: str
    rule: str = "B4"
    value: object = None

    def __str__(self) -> str:
        """Render as ``row 3: client: is not a client of this service accountant (01****3150) [A3]``."""
        shown = f" ({self.value})" if self.value not in (None, "") else ""
        return f"row {self.row}: {self.field}: {self.message}{shown} [{self.rule}]"


class InvalidRowsError(ValidationError):
    """Rows of a bulk renewal are invalid (B4); ``problems`` lists every problem of every row, in row order."""

    code: ClassVar[str] = "invalid_rows"

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        """Build the error from every problem found (at least one)."""
        self.problems = tuple(problems)
        rows = sorted({p.row for p in self.problems})
        header = f"{len(rows)} row{'s' if len(rows) != 1 else ''} of the bulk renewal are invalid; nothing is placed"
        super().__init__("\n  ".join([header, *map(str, self.problems)]), rule="B4", field="rows", value=rows)


@attrs.frozen(kw_only=True)
class RenewalLine:
    """A checked row (B1): the client, the subscription renewed, the plan and option, and its details (B2)."""

    row: int = attrs.field(validator=of_type(int))
    customer: Customer = attrs.field(validator=of_type(Customer))
    subscription_id: str = attrs.field(validator=of_type(str))
    plan: str = attrs.field(validator=of_type(str))
    option: str = attrs.field(validator=of_type(str))
    billing: Billing = attrs.field(validator=of_type(Billing))


@attrs.frozen(kw_only=True)
class RowReview:
    """One row as reviewed (B4): the accountant's client it names, the line it orders, and its problems.

    ``customer`` is ``None`` when the row names no client of the accountant (A3); ``line`` is ``None`` when
    no subscription to renew was found. The row can be renewed exactly when it has a line and no problem.
    """

    row: int
    customer: Customer | None
    line: RenewalLine | None
    problems: tuple[RowProblem, ...]

    @property
    def renewable(self) -> bool:
        """Whether the row can be placed as it is (B4)."""
        return self.line is not None and not self.problems


@attrs.frozen(kw_only=True)
class CheckedRenewal:
    """A bulk renewal whose every row passed :func:`validate_rows`: ready to price and to order (B4, B5)."""

    accountant: ServiceAccountant = attrs.field(validator=of_type(ServiceAccountant))
    lines: tuple[RenewalLine, ...] = attrs.field(
        validator=attrs.validators.deep_iterable(of_type(RenewalLine), of_type(tuple))
    )
    notify: Contact = attrs.field(validator=of_type(Contact))

    def selections(self) -> tuple[PlanSelection, ...]:
        """What to price: each row's plan and option, its ``ref`` the subscription it renews."""
        return tuple(PlanSelection(plan=line.plan, option=line.option, ref=line.subscription_id) for line in self.lines)

    def order(self, quote: Quote, *, id: str, idempotency_key: str, at: dt.datetime) -> Order:  # noqa: A002
        """Return the one draft order for every row (B5), priced by ``quote`` of :meth:`selections`.

        Raises:
            ValidationError: (B1) the quote does not price exactly one plan line per row, or a bad field.
        """
        if not isinstance(quote, Quote):
            raise ValidationError("must be a Quote", rule="C5", field="quote", value=quote)
        priced = sorted((line.ref, line.code, line.option) for line in quote.lines if line.kind is LineKind.PLAN)
        wanted = sorted((line.subscription_id, line.plan, line.option) for line in self.lines)
        if priced != wanted:
            raise ValidationError("the quote must price exactly the rows' selections", rule="B1", field="quote")
        billing = {line.customer.id: line.billing for line in self.lines}
        return Order.for_clients(
            quote,
            id=id,
            billing=tuple(billing.values()),
            clients={line.subscription_id: line.customer.id for line in self.lines},
            notify=self.notify,
            placed_by=Actor.accountant(self.accountant.id),
            idempotency_key=idempotency_key,
            at=at,
        )


@attrs.frozen(kw_only=True)
class _Book:
    """What a row is checked against."""

    request: BulkRenewal
    customers: tuple[Customer, ...]
    subscriptions: tuple[Subscription, ...]
    catalog: Catalog
    accountant: ServiceAccountant
    # Indexes built once, so that checking n rows costs O(n), not O(n x customers).
    by_tax_code: dict[str, Customer] = attrs.field(init=False)
    by_business_code: dict[str, Customer] = attrs.field(init=False)
    held: dict[str, list[Subscription]] = attrs.field(init=False)

    @by_tax_code.default
    def _by_tax_code(self) -> dict[str, Customer]:
        return {c.tax_code.value: c for c in self.customers}

    @by_business_code.default
    def _by_business_code(self) -> dict[str, Customer]:
        return {_compact(c.business_code): c for c in self.customers if c.business_code}

    @held.default
    def _held(self) -> dict[str, list[Subscription]]:
        held: dict[str, list[Subscription]] = {}
        for subscription in self.subscriptions:
            if subscription.product_code == self.request.product:
                held.setdefault(subscription.customer_id, []).append(subscription)
        return held


def _compact(code: str | None) -> str:
    return "".join((code or "").split()).casefold()


def row_problems(
    request: BulkRenewal,
    customers: Iterable[Customer],
    accountant: ServiceAccountant,
    *,
    subscriptions: Iterable[Subscription],
    catalog: Catalog,
) -> tuple[RowProblem, ...]:
    """Return every problem of every row (B4, A3), in row order; empty when all rows are valid.

    For a review screen that shows the problems beside the rows; :func:`validate_rows` checks the same.

    Raises:
        ValidationError: ``request`` or ``accountant`` is not what it should be.
    """
    return _review(_book(request, customers, accountant, subscriptions, catalog))[0]


def review_rows(
    request: BulkRenewal,
    customers: Iterable[Customer],
    accountant: ServiceAccountant,
    *,
    subscriptions: Iterable[Subscription],
    catalog: Catalog,
) -> tuple[RowReview, ...]:
    """Return each row as reviewed (B4, A3), in row order: the client found, the line it orders, its problems.

    The same checks as :func:`validate_rows`; a row names a client only when it is ``accountant``'s (A3).

    Raises:
        ValidationError: ``request`` or ``accountant`` is not what it should be.
    """
    return _reviews(_book(request, customers, accountant, subscriptions, catalog))


def validate_rows(
    request: BulkRenewal,
    customers: Iterable[Customer],
    accountant: ServiceAccountant,
    *,
    subscriptions: Iterable[Subscription],
    catalog: Catalog,
) -> CheckedRenewal:
    """Check every row of ``request`` at once (B1-B4, A3) and return the renewal ready to order.

    Each row must name a known client (by tax code, or business code) linked to ``accountant`` (A3) with
    one renewable subscription to the product (or name it), a plan of the product and one of its options,
    and must not repeat an earlier row's subscription. Invoice details come from each client or from the
    typed-in buyer (B2); notices go to the accountant or the typed-in recipient (B3).

    Raises:
        InvalidRowsError: (B4) any row has a problem; it lists every problem of every row.
        ValidationError: ``request`` or ``accountant`` is not what it should be.
    """
    problems, lines = _review(_book(request, customers, accountant, subscriptions, catalog))
    if problems:
        raise InvalidRowsError(problems)
    notify = accountant.contact if request.other_recipient is None else request.other_recipient
    return CheckedRenewal(accountant=accountant, lines=lines, notify=notify)


def _book(
    request: BulkRenewal,
    customers: Iterable[Customer],
    accountant: ServiceAccountant,
    subscriptions: Iterable[Subscription],
    catalog: Catalog,
) -> _Book:
    if not isinstance(request, BulkRenewal):
        raise ValidationError("must be a BulkRenewal", rule="B1", field="request", value=request)
    if not isinstance(accountant, ServiceAccountant):
        raise ValidationError("must be a ServiceAccountant", rule="A3", field="accountant", value=accountant)
    if not isinstance(catalog, Catalog):
        raise ValidationError("must be a Catalog", rule="C1", field="catalog", value=catalog)
    return _Book(
        request=request,
        customers=tuple(customers),
        subscriptions=tuple(subscriptions),
        catalog=catalog,
        accountant=accountant,
    )


def _reviews(book: _Book) -> tuple[RowReview, ...]:
    reviews: list[RowReview] = []
    first_row: dict[str, int] = {}
    for number, row in enumerate(book.request.rows, start=1):
        found, customer, line = _check_row(book, number, row)
        if line is not None and line.subscription_id in first_row:
            earlier = first_row[line.subscription_id]
            found.append(RowProblem(number, "client", f"repeats row {earlier}", "B4", line.subscription_id))
        elif line is not None:
            first_row[line.subscription_id] = number
        reviews.append(RowReview(row=number, customer=customer, line=line, problems=tuple(found)))
    return tuple(reviews)


def _review(book: _Book) -> tuple[tuple[RowProblem, ...], tuple[RenewalLine, ...]]:
    reviews = _reviews(book)
    problems = tuple(problem for review in reviews for problem in review.problems)
    return problems, tuple(review.line for review in reviews if review.line is not None and not review.problems)


def _check_row(book: _Book, number: int, row: BulkRow) -> tuple[list[RowProblem], Customer | None, RenewalLine | None]:
    problems: list[RowProblem] = []
    customer = _find_client(book, number, row, problems)
    if customer is None:
        return problems, None, None
    subscription = _find_subscription(book, number, row, customer, problems)
    if subscription is None:
        return problems, customer, None
    # A plan switch already bought for a later term is kept (S10).
    plan = row.plan if row.plan is not None else subscription.last_grant.plan_code
    problems += _plan_problems(book, number, plan, row.option)
    invoice = customer.invoice if book.request.other_buyer is None else InvoiceInfo.of(book.request.other_buyer)
    billing = Billing(customer_id=customer.id, subscriber=customer.subscriber, invoice=invoice)
    problems += _detail_problems(number, billing)
    line = RenewalLine(
        row=number, customer=customer, subscription_id=subscription.id, plan=plan, option=row.option, billing=billing
    )
    return problems, customer, line


def _detail_problems(number: int, billing: Billing) -> list[RowProblem]:
    """The client's details that its e-invoice would refuse (O7), as the order would be refused for them."""
    found = []
    for field, party in (("subscriber", billing.subscriber), ("invoice", billing.invoice.buyer)):
        try:
            party.check_invoiceable(field)
        except ValidationError as refused:
            found.append(RowProblem(number, refused.field, refused.message, refused.rule, refused.value))
    return found


def _find_client(book: _Book, number: int, row: BulkRow, problems: list[RowProblem]) -> Customer | None:
    typed = row.client.strip()
    if not typed:
        problems.append(RowProblem(number, "client", "pick a client by tax code or business code", "B1", row.client))
        return None
    code: TaxCode | None = None
    reason = ""
    try:
        code = TaxCode.parse(typed)
    except ValidationError as error:
        reason = error.message
    customer = book.by_tax_code.get(code.value) if code is not None else None
    customer = customer or book.by_business_code.get(_compact(typed))
    if customer is not None and customer.is_client_of(book.accountant.id):
        return customer
    # An unknown company and another firm's client get the same answer, so that a review never tells an
    # accountant who else buys from the vendor (A3).
    shown = masked(row.client, "tax_code")
    if code is None and customer is None:
        problems.append(
            RowProblem(number, "client", f"not a known business code, nor a tax code: {reason}", "B1", shown)
        )
    else:
        problems.append(RowProblem(number, "client", "is not a client of this service accountant", "A3", shown))
    return None


def _find_subscription(
    book: _Book, number: int, row: BulkRow, customer: Customer, problems: list[RowProblem]
) -> Subscription | None:
    product = book.request.product
    held = book.held.get(customer.id, [])
    if row.subscription_id is not None:
        held = [s for s in held if s.id == row.subscription_id]
    if not held:
        named = (
            f"subscription {row.subscription_id} to {product}" if row.subscription_id else f"subscription to {product}"
        )
        problems.append(RowProblem(number, "subscription_id", f"the client has no {named}", "B1", row.subscription_id))
        return None
    if len(held) > 1:
        ids = ", ".join(sorted(s.id for s in held))
        problems.append(RowProblem(number, "subscription_id", f"the client holds several; name one of {ids}", "B1"))
        return None
    subscription = held[0]
    if (subscription.state, Event.RENEW) not in LIFECYCLE:
        message = f"a {subscription.state.value} subscription cannot be renewed"
        problems.append(RowProblem(number, "subscription_id", message, "S1", subscription.id))
    return subscription


def _plan_problems(book: _Book, number: int, plan_code: str, option: str) -> list[RowProblem]:
    try:
        product, plan = book.catalog.plan_entry(plan_code)
    except NotFoundError:
        return [RowProblem(number, "plan", "no such plan in the catalog", "C1", plan_code)]
    if product.code != book.request.product:
        return [RowProblem(number, "plan", f"is not a plan of {book.request.product}", "C1", plan_code)]
    if not option.strip():
        return [RowProblem(number, "option", "choose the renewal period", "B4", option)]
    try:
        plan.option(option)
    except NotFoundError:
        return [RowProblem(number, "option", f"plan {plan_code} has no such renewal option", "C1", option)]
    return []
