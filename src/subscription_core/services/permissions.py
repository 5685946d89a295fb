"""Who may do what (A1-A3), as the services ask it before they change anything.

The domain's :func:`~subscription_core.customers.require_ordering_right` says who may order for a
customer; this module adds what the use cases need around it: staff-only actions and their reasons (A2,
S9), an accountant limited to renewals of its linked clients (A3), who may pay, cancel or view an order,
and who may look at a company's subscriptions.
"""

from __future__ import annotations

from typing import Final

from subscription_core.customers import Actor, Customer, require_ordering_right
from subscription_core.errors import PermissionDeniedError, ValidationError, checked_text
from subscription_core.orders import Order, OrderKind
from subscription_core.ports import UnitOfWork

__all__ = [
    "RENEWAL_KINDS",
    "require_actor",
    "require_order_access",
    "require_orderer",
    "require_reason",
    "require_staff",
    "require_viewer",
]

RENEWAL_KINDS: Final = frozenset(
    {OrderKind.RENEWAL, OrderKind.RENEWAL_WITH_PLAN_SWITCH, OrderKind.RENEWAL_ON_COMMITMENT, OrderKind.BULK_RENEWAL}
)
"""The kinds of order a service accountant may place for its clients (A3) [decision: renewals only]."""


def require_actor(actor: object) -> Actor:
    """Return ``actor`` if it is an :class:`Actor`.

    Raises:
        ValidationError: it is not.
    """
    if not isinstance(actor, Actor):
        raise ValidationError("must be an Actor", field="actor", value=type(actor).__name__)
    return actor


def require_staff(actor: Actor, action: str) -> None:
    """Check that the vendor's staff acts (A2).

    Raises:
        PermissionDeniedError: (A2) anyone else.
    """
    if not require_actor(actor).is_staff:
        raise PermissionDeniedError(f"only vendor staff may {action}", rule="A2", field="actor", value=actor.id)


def require_reason(actor: Actor, reason: object, default: str) -> str:
    """Return the reason to record with the change (S9): required of staff (A2), else ``default`` if empty.

    Raises:
        ValidationError: (A2) staff gave no reason; (S9) the reason is not text, is longer than 1000
            characters or holds a character the library does not store (see :func:`checked_text`).
    """
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        raise ValidationError("must be text", rule="S9", field="reason", value=reason)
    text = checked_text(" ".join(reason.split()), field="reason", rule="S9")
    if not text and actor.is_staff:
        raise ValidationError("staff must give a reason for the record", rule="A2", field="reason", value=reason)
    return text or default


def require_orderer(actor: Actor, customer: Customer, kind: OrderKind) -> None:
    """Check that ``actor`` may place an order of ``kind`` for ``customer`` (A1-A3).

    A user of the customer with the buying right (A1) or staff (A2) may place any kind; a service
    accountant only renewals of its linked clients (A3).

    Raises:
        PermissionDeniedError: with the rule that refuses.
    """
    require_ordering_right(require_actor(actor), customer)
    if actor.is_accountant and kind not in RENEWAL_KINDS:
        raise PermissionDeniedError(
            f"a service accountant may only renew its clients' subscriptions, not place a {kind.value}",
            rule="A3",
            field="actor",
            value=actor.id,
        )


def require_order_access(actor: Actor, order: Order, uow: UnitOfWork) -> None:
    """Check that ``actor`` may pay, cancel or hand out a link to ``order`` (A1-A3).

    A bulk renewal belongs to the accountant who placed it (and staff); an ordinary order to whoever may
    order for its customer.

    Raises:
        PermissionDeniedError: with the rule that refuses.
    """
    require_actor(actor)
    if order.customer_id is None:
        if actor.is_staff or (actor.is_accountant and actor.id == order.placed_by.id):
            return
        raise PermissionDeniedError(
            "only the service accountant who placed a bulk renewal, or staff, may act on it",
            rule="A3",
            field="actor",
            value=actor.id,
        )
    require_ordering_right(actor, uow.customers.get(order.customer_id))


def require_viewer(actor: Actor, customer: Customer) -> None:
    """Check that ``actor`` may see ``customer``'s subscriptions (S8): its users, staff, its accountant.

    Raises:
        PermissionDeniedError: (A1) anyone else.
    """
    require_actor(actor)
    if actor.is_staff or actor.belongs_to(customer.id) or (actor.is_accountant and customer.is_client_of(actor.id)):
        return
    raise PermissionDeniedError(
        f"may not see the subscriptions of customer {customer.id}", rule="A1", field="actor", value=actor.id
    )
