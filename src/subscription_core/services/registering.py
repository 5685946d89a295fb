"""Registering customers and promotions, and managing who may buy for a customer (U1, U2, A1-A3, P3).

Until now a host created customers and promotions by writing to the unit of work itself; these use cases
do it with the checks a billing team expects: only the vendor's staff, or the host's own system (a sign-up
page acting as ``Actor.system("signup")``), may register; a tax code is registered once (U1: the store's
unique key is the backstop, a second registration is a ``ConflictError`` whose value is masked); every call
takes an idempotency key, so a retried request returns the same customer rather than a second one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from subscription_core.customers import Actor, Customer, InvoiceInfo, Party
from subscription_core.errors import PermissionDeniedError, ValidationError, checked_id, required_text
from subscription_core.ports import UnitOfWork
from subscription_core.promotions import Promotion
from subscription_core.services.context import Services
from subscription_core.services.idempotency import fingerprint, run_once
from subscription_core.services.permissions import require_actor, require_staff
from subscription_core.tax_codes import TaxCode

__all__ = ["grant_buying_right", "link_accountant", "register_customer", "register_promotion"]

_log = logging.getLogger(__name__)


def _require_registrar(actor: Actor) -> Actor:
    """Staff (A2) or the host's own system (a sign-up page) may register customers."""
    checked = require_actor(actor)
    if not (checked.is_staff or checked.is_system):
        raise PermissionDeniedError(
            "only vendor staff or the host's system may register a customer", rule="A2", field="actor", value=actor.id
        )
    return checked


def register_customer(
    deps: Services,
    actor: Actor,
    *,
    name: str,
    tax_code: str,
    subscriber: Party,
    idempotency_key: str,
    invoice: InvoiceInfo | None = None,
    buyers: Iterable[str] = (),
    business_code: str | None = None,
) -> Customer:
    """Register a subscribing company under a new id; its invoice details default to the subscriber's (O2).

    ``buyers`` are the user ids allowed to place and pay its orders (A1).

    Raises:
        PermissionDeniedError: (A2) neither staff nor the host's system.
        ValidationError: (U1) a malformed tax code; (O2) a bad name, party or invoice details, or a name or
            address holding a character the library does not store (NUL, a lone surrogate, a bidirectional
            override, only invisible characters) or longer than 1,000 characters.
        ConflictError: (U1) a customer with this tax code is registered already (its value masked), or the
            key was used for another request.
    """
    who = _require_registrar(actor)
    code = TaxCode.parse(tax_code)
    if not isinstance(subscriber, Party):
        raise ValidationError("must be a Party", rule="O2", field="subscriber", value=type(subscriber).__name__)
    _check_names(name, subscriber, invoice)
    users = frozenset(_user_ids(buyers))

    def work(uow: UnitOfWork, _now: dt.datetime) -> tuple[str, Customer]:
        customer = Customer(
            id=deps.ids.new_id("cus"),
            name=name,
            tax_code=code,
            subscriber=subscriber,
            invoice=invoice if invoice is not None else InvoiceInfo.same_as(subscriber),
            buyers=users,
            business_code=business_code,
        )
        uow.customers.add(customer)
        _log.info("customer %s registered by %s", customer.id, who.id)
        return customer.id, customer

    digest = fingerprint(
        name=name,
        tax_code=code.value,
        subscriber=subscriber,
        invoice=invoice,
        buyers=tuple(sorted(users)),
        business_code=business_code,
    )
    return run_once(
        deps,
        who,
        name="register_customer",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, customer_id: uow.customers.get(customer_id),
    )


def _check_names(name: object, subscriber: Party, invoice: InvoiceInfo | None) -> None:
    # Names enter here: checked in full (a Customer or Party is lenient on construction, so that
    # documents stored before the text check still load).
    required_text(name, field="name", rule="O2", shown=None)
    subscriber.check_names("subscriber")
    if isinstance(invoice, InvoiceInfo):
        invoice.buyer.check_names("invoice")


def _user_ids(buyers: Iterable[str]) -> list[str]:
    if isinstance(buyers, str | bytes):
        raise ValidationError(
            "must be a collection of user ids", rule="A1", field="buyers", value=type(buyers).__name__
        )
    return [required_text(user, field="buyers", rule="A1") for user in buyers]


def grant_buying_right(
    deps: Services, actor: Actor, *, customer_id: str, user_id: str, idempotency_key: str
) -> Customer:
    """Let ``user_id`` place and pay the customer's orders (A1); staff only (A2). Granting twice changes nothing.

    Raises:
        PermissionDeniedError: (A2) not staff. NotFoundError: unknown customer. ValidationError: an empty
            user id. ConflictError: the key was used for another request.
    """
    customer_id = checked_id(customer_id, field="customer_id")
    require_staff(actor, "grant a buying right")
    user = required_text(user_id, field="user_id", rule="A1")

    def work(uow: UnitOfWork, _now: dt.datetime) -> tuple[str, Customer]:
        customer = uow.customers.get(customer_id)
        if user in customer.buyers:
            return customer.id, customer
        granted = customer.grant_buying_right(user)
        uow.customers.save(granted, expected_version=customer.version)
        return customer.id, granted

    digest = fingerprint(customer_id=customer_id, user_id=user)
    return run_once(
        deps,
        actor,
        name="grant_buying_right",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, cid: uow.customers.get(cid),
    )


def link_accountant(
    deps: Services, actor: Actor, *, customer_id: str, accountant_id: str | None, idempotency_key: str
) -> Customer:
    """Make the customer a client of the service accountant ``accountant_id`` (A3), or of none (``None``); staff only.

    Raises:
        PermissionDeniedError: (A2) not staff. NotFoundError: unknown customer or (A3) an accountant the
            services do not know. ConflictError: the key was used for another request.
    """
    customer_id = checked_id(customer_id, field="customer_id")
    accountant_id = None if accountant_id is None else checked_id(accountant_id, field="accountant_id")
    require_staff(actor, "link a service accountant")
    if accountant_id is not None:
        deps.accountant(accountant_id)  # NotFoundError for an unknown firm

    def work(uow: UnitOfWork, _now: dt.datetime) -> tuple[str, Customer]:
        customer = uow.customers.get(customer_id)
        if customer.accountant_id == accountant_id:
            return customer.id, customer
        linked = customer.unlink_accountant() if accountant_id is None else customer.link_accountant(accountant_id)
        uow.customers.save(linked, expected_version=customer.version)
        return customer.id, linked

    digest = fingerprint(customer_id=customer_id, accountant_id=accountant_id)
    return run_once(
        deps,
        actor,
        name="link_accountant",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, cid: uow.customers.get(cid),
    )


def register_promotion(deps: Services, actor: Actor, *, promotion: Promotion, idempotency_key: str) -> Promotion:
    """Store a new promotion (P3); staff only (A2). Its code is unique, ignoring case.

    Raises:
        PermissionDeniedError: (A2) not staff. ValidationError: not a ``Promotion``. ConflictError: a
            promotion with this code exists, or the key was used for another request.
    """
    require_staff(actor, "register a promotion")
    if not isinstance(promotion, Promotion):
        raise ValidationError("must be a Promotion", rule="P3", field="promotion", value=type(promotion).__name__)

    def work(uow: UnitOfWork, _now: dt.datetime) -> tuple[str, Promotion]:
        uow.promotions.add(promotion)
        _log.info("promotion %s registered by %s", promotion.code, actor.id)
        return promotion.code, promotion

    return run_once(
        deps,
        actor,
        name="register_promotion",
        key=idempotency_key,
        digest=fingerprint(promotion=promotion),
        work=work,
        replay=lambda uow, code: uow.promotions.get(code),
    )
