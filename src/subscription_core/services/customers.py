"""Finding customers (U2), checking tax codes (U1) and editing a customer's details (O2, O7).

Staff search every customer by tax code or company name (U2); a service accountant searches its own
clients only (A3). Anyone may check whether a text is a valid tax code and read why not (U1). Staff or
the customer's buyer edit the details its next orders start from (O2).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Final

import attrs

from subscription_core.customers import (
    Actor,
    Customer,
    InvoiceInfo,
    Party,
    TaxCode,
    TaxCodeKind,
    find_customers,
    search_query,
)
from subscription_core.errors import PermissionDeniedError, ValidationError, checked_id, masked
from subscription_core.ports import UnitOfWork
from subscription_core.services.context import Services
from subscription_core.services.idempotency import fingerprint, run_once
from subscription_core.services.permissions import require_actor, require_reason

__all__ = ["TaxCodeCheck", "check_tax_code", "search_customers", "update_customer"]

_log = logging.getLogger(__name__)
_MAX_LIMIT: Final = 500


@attrs.frozen(kw_only=True)
class TaxCodeCheck:
    """Whether a text is a valid tax code (U1): its canonical form and kind, or the reason it is not."""

    valid: bool
    canonical: str | None = None
    kind: TaxCodeKind | None = None
    reason: str | None = None


def check_tax_code(actor: Actor, text: str) -> TaxCodeCheck:
    """Check ``text`` as a Vietnamese tax code (U1); any actor may. Never raises for a bad code: it says why.

    Raises:
        ValidationError: ``actor`` is not an :class:`Actor`.
    """
    require_actor(actor)
    try:
        code = TaxCode.parse(text)
    except ValidationError as error:
        return TaxCodeCheck(valid=False, reason=error.message)
    return TaxCodeCheck(valid=True, canonical=code.value, kind=code.kind)


def _limit(limit: object) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= _MAX_LIMIT:
        raise ValidationError(f"must be a whole number from 1 to {_MAX_LIMIT}", rule="U2", field="limit", value=limit)
    return limit


def search_customers(deps: Services, actor: Actor, query: str, *, limit: int = 50) -> tuple[Customer, ...]:
    """Find customers by tax code or company name (U2): exact tax code matches first, then names.

    Names match regardless of case and diacritics. Staff search every customer; a service accountant only
    its clients (A3).

    Raises:
        PermissionDeniedError: (U2) a customer user, the scheduler or the system.
        ValidationError: (U2) an empty query or one :func:`~subscription_core.customers.search_query` refuses
            (too long, NUL, a lone surrogate...), a limit out of range.
    """
    require_actor(actor)
    size = _limit(limit)
    query = search_query(query)
    if not (actor.is_staff or actor.is_accountant):
        raise PermissionDeniedError("only staff and service accountants search customers", rule="U2", field="actor")
    with deps.uow() as uow:
        if actor.is_accountant:
            return find_customers(uow.customers.clients_of(actor.id), query)[:size]
        exact = _by_code(uow.customers.by_tax_code, query)
        found = [c for c in [exact, *uow.customers.search(query, limit=size)] if c is not None]
    _log.info("customer search by %s found %d", actor.id, len(found))
    return tuple({c.id: c for c in found}.values())[:size]


def _by_code(lookup: Callable[[str], Customer | None], query: str) -> Customer | None:
    try:
        code = TaxCode.parse(query)
    except ValidationError:
        return None
    return lookup(code.value)


def update_customer(
    deps: Services,
    actor: Actor,
    customer_id: str,
    *,
    subscriber: Party | None = None,
    invoice: InvoiceInfo | None = None,
    reason: str = "",
    idempotency_key: str,
) -> Customer:
    """Replace the customer's subscriber and/or invoice details (O2), saved one version higher.

    Staff (with a reason, A2) or a user of the customer with the buying right (A1) may. Details left
    ``None`` stay; invoice details copied from the subscriber ("same as subscriber") follow a new
    subscriber. Every detail must fit the e-invoice (O7). The tax code is not changed here: the
    subscriber keeps the customer's. Orders placed before keep the details they froze (O2).

    Raises:
        PermissionDeniedError: (A1, A2) anyone else. NotFoundError: unknown customer.
        ValidationError: (O2) not a ``Party``/``InvoiceInfo`` or a subscriber with another tax code (U1);
            (O7) a detail that does not fit the e-invoice; (A2) staff gave no reason.
        ConflictError: the key was used for another request, or the customer changed meanwhile.
    """
    customer_id = checked_id(customer_id, field="customer_id")
    why = require_reason(require_actor(actor), reason, "edited by the customer")
    _check_details(subscriber, invoice)

    def work(uow: UnitOfWork, _now: dt.datetime) -> tuple[str, Customer]:
        customer = uow.customers.get(customer_id)
        if not (actor.is_staff or customer.may_buy(actor)):
            raise PermissionDeniedError(
                f"only staff or a buyer of customer {customer.id} may edit its details",
                rule="A1",
                field="actor",
                value=actor.id,
            )
        new = _edited(customer, subscriber, invoice)
        if new == customer:
            return customer.id, customer
        uow.customers.save(new, expected_version=customer.version)
        _log.info("customer %s details edited by %s: %s", customer.id, actor.id, why)
        return customer.id, new

    return run_once(
        deps,
        actor,
        name="update_customer",
        key=idempotency_key,
        digest=fingerprint(customer_id=customer_id, subscriber=subscriber, invoice=invoice, reason=why),
        work=work,
        replay=lambda uow, cid: uow.customers.get(cid),
    )


def _check_details(subscriber: object, invoice: object) -> None:
    # Details enter here: checked in full against the e-invoice (O7), as placing an order checks them.
    if subscriber is not None:
        if not isinstance(subscriber, Party):
            raise ValidationError("must be a Party", rule="O2", field="subscriber", value=type(subscriber).__name__)
        subscriber.check_names("subscriber")
        subscriber.check_invoiceable("subscriber")
    if invoice is not None:
        if not isinstance(invoice, InvoiceInfo):
            raise ValidationError("must be an InvoiceInfo", rule="O2", field="invoice", value=type(invoice).__name__)
        invoice.buyer.check_names("invoice")
        invoice.buyer.check_invoiceable("invoice")


def _edited(customer: Customer, subscriber: Party | None, invoice: InvoiceInfo | None) -> Customer:
    if subscriber is None:
        subscriber = customer.subscriber
    elif subscriber.tax_code != customer.tax_code:
        raise ValidationError(
            "the tax code is not changed by editing the details: keep the customer's",
            rule="U1",
            field="subscriber.tax_code",
            value=masked(subscriber.tax_code.value if subscriber.tax_code else None, "tax_code"),
        )
    if invoice is None:
        invoice = InvoiceInfo.same_as(subscriber) if customer.invoice.same_as_subscriber else customer.invoice
    if (subscriber, invoice) == (customer.subscriber, customer.invoice):
        return customer
    return customer.with_details(subscriber, invoice)
