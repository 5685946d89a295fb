"""Activation: what applying a paid entitlement grants, and when money received offline must be active.

Paid online, an entitlement is activated at once (Y2); received offline, within one business day of the
receipt (Y3, D4), sooner if staff activate it. Either way it grants a term (S2): after the current one if
paid time still runs, else from the activation date, counted from the anchor day (D3). The term's plan,
quotas and storage take effect when it starts: at once for a term starting now, at the end of the
current term for a renewal bought while time remains (S10); storage lasts for the term it was bought
for (S11). A plan of another product is refused (C1).

These are the rules; the verbs that apply them through the transition table are in
:mod:`subscription_core.lifecycle` (opening a subscription), :mod:`subscription_core.renewals` and
:mod:`subscription_core.commitments`, and the activation at the deadline is a time-driven transition
(:mod:`subscription_core.deadlines`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

from subscription_core.calendar import BusinessCalendar, local_date
from subscription_core.entitlements import Anchor, Entitlement, PendingPayment, TermGrant
from subscription_core.errors import NotEligibleError, utc
from subscription_core.subscriptions import Details, Subscription
from subscription_core.terms import Term

__all__ = [
    "OFFLINE_ACTIVATION_BUSINESS_DAYS",
    "activation_deadline",
    "check_product",
    "grant",
    "granted_fields",
    "pending_grant",
    "pending_payment",
    "renewal_term",
]

OFFLINE_ACTIVATION_BUSINESS_DAYS: Final = 1
"""Money received offline is activated within this many business days of its receipt (Y3)."""


def activation_deadline(received_at: datetime, *, calendar: BusinessCalendar) -> datetime:
    """Return when money received offline at ``received_at`` must be active: the end of the next business day (Y3, D4).

    Raises:
        ValidationError: (D2) ``received_at`` is naive.
    """
    received_at = utc(received_at, "received_at")
    return calendar.deadline(received_at, OFFLINE_ACTIVATION_BUSINESS_DAYS).astimezone(UTC)


def pending_payment(entitlement: Entitlement, received_at: datetime, *, calendar: BusinessCalendar) -> PendingPayment:
    """Return money for ``entitlement`` received offline at ``received_at``, with its activation deadline (Y3).

    Raises:
        ValidationError: (D2) ``received_at`` is naive.
    """
    received_at = utc(received_at, "received_at")
    activate_by = activation_deadline(received_at, calendar=calendar)
    return PendingPayment(entitlement=entitlement, received_at=received_at, activate_by=activate_by)


def check_product(entitlement: Entitlement, product_code: str) -> None:
    """Return quietly if ``entitlement`` is a plan of product ``product_code`` (C1).

    Raises:
        NotEligibleError: (C1) the entitlement is a plan of another product.
    """
    if entitlement.product_code != product_code:
        message = f"plan {entitlement.plan_code} belongs to product {entitlement.product_code}, not {product_code}"
        raise NotEligibleError(message, rule="C1", field="entitlement", value=entitlement.plan_code)


def renewal_term(
    subscription: Subscription, entitlement: Entitlement, at: datetime, *, judged_at: datetime
) -> tuple[Anchor, Term]:
    """Return the paid time and the new term ``entitlement`` grants when applied at ``at`` (S2, D3).

    With paid time still running at ``judged_at`` the new term starts where it ends, keeping the anchor
    day; otherwise (expired, a trial, never paid) it starts on the local date of ``at``.

    Raises:
        NotEligibleError: (C1) the entitlement is a plan of another product.
    """
    check_product(entitlement, subscription.product_code)
    paid = subscription.paid_expires_at
    if subscription.anchor is not None and paid is not None and judged_at < paid:
        anchor = subscription.anchor.extended(entitlement.unit, entitlement.length)
        return anchor, Term(start=subscription.terms[-1].end, end=anchor.end)
    anchor = Anchor.starting(local_date(at), entitlement.unit, entitlement.length)
    return anchor, Term(start=anchor.day, end=anchor.end)


def granted_fields(
    sub: Subscription | None, entitlement: Entitlement, anchor: Anchor, term: Term, *, today: date
) -> dict[str, Any]:
    """Return the fields a granted term sets on local day ``today``: paid time, then plan, quotas, storage.

    A term that starts later, after the term in force (a renewal bought while time remains), waits in
    ``upcoming`` and takes effect when it starts: until then the current plan, its quotas and the storage
    bought for the current term stay (S10, S11). A term starting now switches them at once. Either way
    the term has only the storage its own order bought: storage ends with the term it was bought for (S11).
    """
    grant = TermGrant.of(entitlement, term.start)
    fields: dict[str, Any] = {
        "anchor": anchor,
        "terms": (*(sub.terms if sub else ()), term),
        "lapsed_on": None,
        "retention": None,
        "pending": None,
        "commitment": None,
    }
    if sub is not None and term.start > today:
        return {**fields, "upcoming": (*sub.upcoming, grant)}
    now = {"plan_code": grant.plan_code, "quotas": grant.quotas, "extra_storage": grant.extra_storage}
    return {**fields, **now, "storage": grant.storage}


def grant(
    sub: Subscription, entitlement: Entitlement, at: datetime, *, judged_at: datetime
) -> tuple[Mapping[str, Any], Details]:
    """Return the fields ``entitlement`` sets when applied at ``at`` and the details its history entry says (S2).

    Raises:
        NotEligibleError: (C1) the entitlement is a plan of another product.
    """
    anchor, term = renewal_term(sub, entitlement, at, judged_at=judged_at)
    details = (
        ("plan", entitlement.plan_code),
        ("term_start", term.start.isoformat()),
        ("term_end", term.end.isoformat()),
    )
    return granted_fields(sub, entitlement, anchor, term, today=local_date(at)), details


def pending_grant(sub: Subscription, at: datetime) -> tuple[Mapping[str, Any], Details]:
    """Return what activating the payment awaiting activation at ``at`` sets (Y3).

    Whether it extends the current term (S2) is judged at the receipt, so money received before expiry
    never costs the customer paid time [decision].

    Raises:
        NotEligibleError: (Y3) no payment awaits activation.
    """
    pending = sub.pending
    if pending is None:  # pragma: no cover - the table's guard refuses first
        raise NotEligibleError("no payment is pending", rule="Y3", field="pending")
    return grant(sub, pending.entitlement, at, judged_at=pending.received_at)
