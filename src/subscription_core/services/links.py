"""Payment links (O5): issued by staff or a service accountant, opened by anyone who holds the token.

A link's token is signed with the host's key (:class:`~subscription_core.payments.PaymentLinkSigner`) and
names one order until it expires; opening it reveals that order's summary and nothing else (no customer
details, no other order), and paying through it starts a payment of that order only. The token is the
holder's only right, so these two calls take no actor.
"""

from __future__ import annotations

import datetime as dt
import logging

import attrs

from subscription_core.customers import Actor
from subscription_core.errors import NotEligibleError, PermissionDeniedError, checked_id
from subscription_core.grants import PlanGrant
from subscription_core.money import Money
from subscription_core.order_lines import Billing
from subscription_core.orders import Order
from subscription_core.payments import PaymentMethod
from subscription_core.ports import UnitOfWork
from subscription_core.quotes import LineKind
from subscription_core.services.context import Services
from subscription_core.services.idempotency import fingerprint, run_once
from subscription_core.services.paying import PaymentStarted, return_url_of, start_payment_for
from subscription_core.services.permissions import require_actor, require_order_access

__all__ = [
    "LinkedLine",
    "LinkedOrder",
    "LinkedPackage",
    "PaymentLink",
    "PaymentLinkView",
    "issue_payment_link",
    "open_payment_link",
    "pay_by_link",
    "payment_link_view",
]

_log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class PaymentLink:
    """A payment link's token, the order it names and when it stops working (O5)."""

    token: str = attrs.field(repr=False)
    order_id: str
    expires_at: dt.datetime


@attrs.frozen(kw_only=True)
class LinkedLine:
    """One line of an order as a payment link shows it."""

    description: str
    quantity: int
    total: Money


@attrs.frozen(kw_only=True)
class LinkedOrder:
    """What a payment link reveals (O5): the order's id, kind, state, lines, totals and deadline; nothing more."""

    order_id: str
    kind: str
    state: str
    lines: tuple[LinkedLine, ...]
    vat_total: Money
    grand_total: Money
    pay_by: dt.datetime | None

    @classmethod
    def of(cls, order: Order) -> LinkedOrder:
        """The summary of ``order``."""
        return cls(
            order_id=order.id,
            kind=order.kind.value,
            state=order.state.value,
            lines=tuple(
                LinkedLine(description=li.description, quantity=li.quantity, total=li.total) for li in order.lines
            ),
            vat_total=order.vat_total,
            grand_total=order.grand_total,
            pay_by=order.pay_by,
        )


@attrs.frozen(kw_only=True)
class LinkedPackage:
    """A package (plan line) of an order as a payment link's page shows it (O5, O6).

    ``term_length`` and ``term_unit`` are the paid time the line buys, frozen when the order was placed;
    both ``None`` on a line stored before O6 froze them.
    """

    product: str
    plan: str
    option: str
    description: str
    term_length: int | None
    term_unit: str | None


@attrs.frozen(kw_only=True)
class PaymentLinkView:
    """The page a payment link opens (O5, AMIS way 1): the order, its packages, its licence and invoice details.

    ``billing`` holds, per customer of the order, the licence (subscriber) and invoice details the order was
    placed with (O2), which the invoice will carry; ``amount`` is what paying the link pays.
    """

    order: LinkedOrder
    packages: tuple[LinkedPackage, ...]
    billing: tuple[Billing, ...]
    amount: Money

    @classmethod
    def of(cls, order: Order) -> PaymentLinkView:
        """The page of ``order``."""
        packages = tuple(
            LinkedPackage(
                product=li.product,
                plan=li.code,
                option=li.option,
                description=li.description,
                term_length=li.grant.length if isinstance(li.grant, PlanGrant) else None,
                term_unit=li.grant.unit.value if isinstance(li.grant, PlanGrant) else None,
            )
            for li in order.lines
            if li.kind is LineKind.PLAN
        )
        return cls(order=LinkedOrder.of(order), packages=packages, billing=order.billing, amount=order.grand_total)


def issue_payment_link(deps: Services, actor: Actor, *, order_id: str) -> PaymentLink:
    """Issue a link to pay an order awaiting payment (O5), valid until its deadline or ``link_valid_days``.

    Staff may issue one for any order; a service accountant for its clients' orders and its bulk renewals.

    Raises:
        PermissionDeniedError: (O5) a customer user, or (A3) an accountant for another's order.
        NotFoundError: unknown order. NotEligibleError: (O5) the order is not awaiting payment.
    """
    order_id = checked_id(order_id, field="order_id")
    require_actor(actor)
    if not (actor.is_staff or actor.is_accountant):
        raise PermissionDeniedError(
            "only staff or a service accountant issue payment links", rule="O5", field="actor", value=actor.id
        )
    with deps.uow() as uow:
        now = deps.now()
        order = uow.orders.get(order_id)
        require_order_access(actor, order, uow)
    if not order.awaiting_payment or order.pay_by is None:
        raise NotEligibleError(f"order {order.id} is {order.state.value}", rule="O5", field="order_id", value=order_id)
    expires_at = min(order.pay_by, now + dt.timedelta(days=deps.link_valid_days))
    token = deps.links.issue(order.id, expires_at)
    _log.info("payment link for order %s issued by %s", order.id, actor.id)
    return PaymentLink(token=token, order_id=order.id, expires_at=expires_at)


def _linked_order(deps: Services, uow: UnitOfWork, token: str, now: dt.datetime) -> Order:
    return uow.orders.get(deps.links.verify(token, now))


def open_payment_link(deps: Services, token: str) -> LinkedOrder:
    """Show the order a payment link names (O5) to whoever holds it.

    Raises:
        ValidationError: (O5) a malformed or altered token. NotEligibleError: (O5) an expired link.
        NotFoundError: the order no longer exists.
    """
    with deps.uow() as uow:
        return LinkedOrder.of(_linked_order(deps, uow, token, deps.now()))


def payment_link_view(deps: Services, token: str) -> PaymentLinkView:
    """Show the page a payment link opens (O5): the order's summary, packages, licence and invoice details.

    Unlike :func:`open_payment_link`, this reveals the subscriber and invoice details the order carries, so
    the holder can check what the licence and the e-invoice will say before paying. Reads only.

    Raises:
        ValidationError: (O5) a malformed or altered token. NotEligibleError: (O5) an expired link.
        NotFoundError: the order no longer exists.
    """
    with deps.uow() as uow:
        return PaymentLinkView.of(_linked_order(deps, uow, token, deps.now()))


def pay_by_link(
    deps: Services, token: str, *, method: PaymentMethod, idempotency_key: str, return_url: str = ""
) -> PaymentStarted:
    """Start paying the order a payment link names (O5, Y1-Y3); the token is the right to pay it.

    Idempotent per ``idempotency_key`` and order.

    Raises:
        ValidationError: (O5) a malformed or altered token. NotEligibleError: (O5) an expired link.
        InvalidTransitionError: (Y5) the order is not awaiting payment. NotFoundError: (Y1) no provider for
            the method. ConflictError: the key was used for another request. ValidationError: (Y2) a
            ``return_url`` :func:`~subscription_core.services.paying.return_url_of` refuses.
    """
    return_url = return_url_of(return_url)
    order_id = deps.links.verify(token, deps.now())
    holder = Actor.system(f"link:{order_id}")

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, PaymentStarted]:
        order = _linked_order(deps, uow, token, now)
        started = start_payment_for(deps, uow, order, method, now, return_url)
        return started.dumps(), started

    digest = fingerprint(order_id=order_id, method=method, return_url=return_url)
    return run_once(
        deps,
        holder,
        name="pay_by_link",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda _uow, text: PaymentStarted.loads(text),
    )
