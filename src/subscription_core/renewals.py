"""Renewals: paying for more time and more storage (rules S2, S6, Y2, Y3, C1, C3, C4).

Paid online, a renewal (or a trial's first paid order) takes effect at once (:func:`renew`, Y2). Money
received offline is recorded (:func:`receive_payment`) and takes effect when staff :func:`activate` it, at
the latest at its activation deadline, when the time-driven step activates it (Y3). Either way the new term
follows the current one while paid time remains, else starts on the activation date (S2), and may switch
to another plan of the product (C1); a trial converted to paid drops what was left of it (C4). A term
that follows the one in force takes effect when it starts: the current plan, quotas and storage stay
until then (S10). Extra storage is bought for the rest of the current term while time remains (S6) and
ends with it; a renewal keeps it only by buying it again for its own term (S11).

The rules these verbs apply are in :mod:`subscription_core.activation`; each goes through the transition
table with :func:`subscription_core.lifecycle.act`. A new subscription is opened in
:mod:`subscription_core.lifecycle`; a renewal paid later, on a commitment, in
:mod:`subscription_core.commitments`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from subscription_core.activation import check_product, grant, pending_grant, pending_payment
from subscription_core.calendar import BusinessCalendar
from subscription_core.catalog import Addon, AddonKind
from subscription_core.entitlements import Entitlement, StorageBought
from subscription_core.errors import NotEligibleError, ValidationError
from subscription_core.lifecycle import Outcome, act
from subscription_core.subscriptions import STORAGE_QUOTA, Actor, Details, Event, Subscription

__all__ = ["activate", "check_addon", "receive_payment", "renew", "top_up_storage"]


def receive_payment(
    subscription: Subscription,
    entitlement: Entitlement,
    received_at: datetime,
    *,
    calendar: BusinessCalendar,
    actor: Actor,
    reason: str = "",
) -> Outcome:
    """Record money for ``entitlement`` received offline at ``received_at`` (Y3).

    It takes effect when :func:`activate` is called, at the latest at ``pending.activate_by`` (the end of
    the first business day after the receipt, D4) when the time-driven step applies it; meanwhile the
    subscription neither expires nor is purged [decision]. Whether the renewal extends the current term
    (S2) is judged at ``received_at``, so money received before expiry never costs the customer paid time.

    Raises:
        InvalidTransitionError: (S1) in a state that takes no payment (on commitment, purged, cancelled).
        NotEligibleError: (Y3) a payment already awaits activation.
    """
    check_product(entitlement, subscription.product_code)
    pending = pending_payment(entitlement, received_at, calendar=calendar)
    details = (("received_at", pending.received_at.isoformat()), ("activate_by", pending.activate_by.isoformat()))
    # Money may be recorded after it was received: the entry is dated no earlier than the last change.
    recorded = max(pending.received_at, subscription.history[-1].at) if subscription.history else pending.received_at
    return act(
        subscription,
        Event.RECEIVE_PAYMENT,
        recorded,
        actor=actor,
        reason=reason or "money received offline",
        change=lambda _s, _at: ({"pending": pending}, details),
    )


def activate(subscription: Subscription, at: datetime, *, actor: Actor, reason: str = "") -> Outcome:
    """Activate the payment awaiting activation (Y3): a trial becomes paid (C4) or the term is extended (S2).

    Raises:
        NotEligibleError: (Y3) no payment awaits activation.
        InvalidTransitionError: (S1) in a state that cannot be activated.
    """
    return act(
        subscription, Event.ACTIVATE, at, actor=actor, reason=reason or "payment activated", change=pending_grant
    )


def renew(
    subscription: Subscription, entitlement: Entitlement, at: datetime, *, actor: Actor, reason: str = ""
) -> Outcome:
    """Apply a paid renewal, or a trial's first paid order, at once, as an online payment does (Y2, S2, C4).

    Before expiry the new term follows the current one; after expiry, or from a trial, it starts on the
    local date of ``at``. ``entitlement`` may name another plan of the product (plan switch on renewal):
    its plan, quotas and storage take effect when its term starts (S10, S11), which the time-driven step
    records (``START_TERM``).

    Raises:
        InvalidTransitionError: (S1) in a state that cannot be renewed (on commitment, purged, cancelled).
    """

    def change(sub: Subscription, at: datetime) -> tuple[Mapping[str, Any], Details]:
        return grant(sub, entitlement, at, judged_at=at)

    return act(subscription, Event.RENEW, at, actor=actor, reason=reason or "renewed", change=change)


def check_addon(addon: Addon, kind: AddonKind, quantity: int, plan_code: str, *, rule: str) -> None:
    """Check ``addon`` is of ``kind`` and goes with ``plan_code``, and ``quantity`` is 1 to its ``max_quantity``.

    Raises:
        ValidationError: (``rule``) the kind or the quantity is wrong.
        NotEligibleError: (C3) the add-on does not go with the plan.
    """
    if addon.kind is not kind:
        raise ValidationError(f"must be a {kind.value} add-on", rule=rule, field="addon", value=addon.code)
    limit = addon.max_quantity
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1 or (limit and quantity > limit):
        message = f"must be a whole number from 1 to {limit or 'any'}"
        raise ValidationError(message, rule=rule, field="quantity", value=quantity)
    if not addon.goes_with(plan_code):
        raise NotEligibleError(f"does not go with plan {plan_code}", rule="C3", field="addon", value=addon.code)


def top_up_storage(
    subscription: Subscription, addon: Addon, quantity: int, at: datetime, *, actor: Actor, reason: str = ""
) -> Outcome:
    """Add ``quantity`` units of extra storage for the rest of the current term, while time remains (S6).

    The storage ends with the term in force; a later term already paid for has only what its own order
    bought (S11).

    Raises:
        ValidationError, NotEligibleError: as :func:`check_addon`; NotEligibleError: (S6) no time remains.
        InvalidTransitionError: (S1) the subscription is not active.
    """
    check_addon(addon, AddonKind.STORAGE, quantity, subscription.plan_code, rule="S6")
    added = addon.storage_per_unit * quantity

    def change(sub: Subscription, _at: datetime) -> tuple[Mapping[str, Any], Details]:
        bought = StorageBought(addon=addon.code, units=quantity, amount=added)
        fields = {"extra_storage": sub.extra_storage + added, "storage": (*sub.storage, bought)}
        return fields, ((STORAGE_QUOTA, str(added)),)

    return act(subscription, Event.TOP_UP_STORAGE, at, actor=actor, reason=reason or "storage bought", change=change)
