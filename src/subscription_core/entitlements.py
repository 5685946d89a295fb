"""Entitlements: what a paid order grants, the paid time it is counted in, and the forms it waits in.

An :class:`Entitlement` is a plan of a product with its quotas, a term length and extra storage (C1, C2,
S6), the storage itemised as :class:`StorageBought` add-on lines. Granted, it becomes paid time counted
from an :class:`Anchor` day (D3) and a :class:`TermGrant`: the plan, quotas and storage of that one term,
in force from its first day to its last (S10, S11). Before it is granted it may
wait as a :class:`PendingPayment`, money received offline awaiting activation (Y3), or as a
:class:`Commitment`, a renewal registered on a commitment to pay later (K1, K3) with the customer's
:class:`CommitmentProof` (Y4).

These are the values a :class:`~subscription_core.subscriptions.Subscription` holds; the rules that grant
them live in :mod:`subscription_core.activation` and the verbs that apply them in
:mod:`subscription_core.renewals` and :mod:`subscription_core.commitments`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

import attrs

from subscription_core.calendar import local_date
from subscription_core.catalog import Product, Quota
from subscription_core.errors import NotEligibleError, NotFoundError, aware, non_empty_text, of_type, whole_number
from subscription_core.terms import Term, TermUnit, add_units

__all__ = [
    "COMMITMENT_LIMIT_DAYS",
    "MAX_COMMITMENTS",
    "Anchor",
    "Commitment",
    "CommitmentProof",
    "Entitlement",
    "PendingPayment",
    "StorageBought",
    "TermGrant",
]

COMMITMENT_LIMIT_DAYS: Final = 180
"""A commitment's due dates lie at most this many days after its registration date (K3)."""
MAX_COMMITMENTS: Final = 2
"""A first commitment and one second commitment; no third (K3)."""


def _normal(unit: TermUnit, length: int) -> tuple[TermUnit, int]:
    # A year is twelve months, so a yearly renewal after monthly ones keeps the same anchor day (D3).
    return (TermUnit.MONTH, length * 12) if unit is TermUnit.YEAR else (unit, length)


@attrs.frozen(kw_only=True)
class Anchor:
    """Paid time counted from one anchor day (D3): ``count`` days or months from ``day``.

    Every end is computed from the anchor, so consecutive renewals keep the anchor day across short months:
    monthly renewals from Jan 31 end on Feb 28 (29), then Mar 31.
    """

    day: date
    unit: TermUnit
    count: int = attrs.field(validator=whole_number(1))

    @classmethod
    def starting(cls, day: date, unit: TermUnit, length: int) -> Anchor:
        """Return ``length`` units of paid time starting on ``day``."""
        unit, count = _normal(unit, length)
        return cls(day=day, unit=unit, count=count)

    @property
    def end(self) -> date:
        """The first day after the paid time."""
        return add_units(self.day, self.unit, self.count)

    def extended(self, unit: TermUnit, length: int) -> Anchor:
        """Return this paid time followed by ``length`` more units; a change of unit re-anchors at the end."""
        unit, count = _normal(unit, length)
        if unit is self.unit:
            return Anchor(day=self.day, unit=unit, count=self.count + count)
        return Anchor(day=self.end, unit=unit, count=count)


@attrs.frozen(kw_only=True)
class StorageBought:
    """Extra storage bought for one term (S6, S11): ``units`` of the storage add-on ``addon``, adding ``amount``.

    Kept so that a renewal can offer the same add-on lines again for the next term (S11).
    """

    addon: str = attrs.field(validator=non_empty_text())
    units: int = attrs.field(validator=whole_number(1))
    amount: int = attrs.field(validator=whole_number(1))


@attrs.frozen(kw_only=True)
class TermGrant:
    """What one paid term grants from its first day, ``starts_on`` (S10, S11): a plan, its quotas, its storage.

    ``extra_storage`` is the storage bought for the term beyond the plan's quota; ``storage`` itemises it
    by add-on (a subscription stored before S11 may hold storage that is not itemised).
    """

    starts_on: date
    plan_code: str = attrs.field(validator=non_empty_text())
    quotas: tuple[Quota, ...] = ()
    extra_storage: int = attrs.field(default=0, validator=whole_number(0))
    storage: tuple[StorageBought, ...] = ()

    @classmethod
    def of(cls, entitlement: Entitlement, starts_on: date) -> TermGrant:
        """Return what ``entitlement`` grants for its term starting on ``starts_on``."""
        return cls(
            starts_on=starts_on,
            plan_code=entitlement.plan_code,
            quotas=entitlement.quotas,
            extra_storage=entitlement.extra_storage,
            storage=entitlement.storage,
        )


@attrs.frozen(kw_only=True)
class PendingPayment:
    """Money for ``entitlement`` recorded as received offline, to be activated by ``activate_by`` (Y3)."""

    entitlement: Entitlement
    received_at: datetime = attrs.field(validator=aware())
    activate_by: datetime = attrs.field(validator=aware())


@attrs.frozen(kw_only=True)
class Entitlement:
    """What a paid order grants: a plan of a product with its quotas, a term length and extra storage (C1, C2, S6).

    Build it with :meth:`of`, which checks the choice against the catalog. ``storage`` itemises the extra
    storage by add-on when it is known (:meth:`with_storage`); ``extra_storage`` is the total.
    """

    product_code: str = attrs.field(validator=non_empty_text())
    plan_code: str = attrs.field(validator=non_empty_text())
    quotas: tuple[Quota, ...]
    unit: TermUnit = attrs.field(validator=of_type(TermUnit))
    length: int = attrs.field(validator=whole_number(1))
    extra_storage: int = attrs.field(default=0, validator=whole_number(0))
    storage: tuple[StorageBought, ...] = ()

    def with_storage(self, bought: tuple[StorageBought, ...]) -> Entitlement:
        """Return this entitlement with exactly the storage add-on lines ``bought`` for its term (S6, S11).

        No Enterprise-class check here: storage a renewal keeps goes with any plan its add-on goes with
        (S11), and an order's storage was checked when it was placed.
        """
        return attrs.evolve(self, extra_storage=sum(b.amount for b in bought), storage=tuple(bought))

    @classmethod
    def of(cls, product: Product, plan_code: str, option_code: str, *, extra_storage: int = 0) -> Entitlement:
        """Return the entitlement of ``option_code`` of plan ``plan_code`` of ``product``.

        Raises:
            NotFoundError: the product has no such plan, or the plan no such option (C1).
            NotEligibleError: extra storage on a plan that is not Enterprise-class (S6).
        """
        plan = next((p for p in product.plans if p.code == plan_code), None)
        if plan is None:
            raise NotFoundError(
                f"product {product.code} has no such plan", reference=True, rule="C1", field="plan", value=plan_code
            )
        option = plan.option(option_code)
        if extra_storage and not plan.enterprise:
            raise NotEligibleError(
                "storage beyond the quota may be added only on an Enterprise-class plan",
                rule="S6",
                field="extra_storage",
                value=extra_storage,
            )
        unit, length = option.term_units
        return cls(
            product_code=product.code,
            plan_code=plan.code,
            quotas=plan.quotas,
            unit=TermUnit(unit.value),
            length=length,
            extra_storage=extra_storage,
        )


@attrs.frozen(kw_only=True)
class CommitmentProof:
    """Proof of payment submitted by the customer (Y4): the transfer content and a reference to the image."""

    submitted_at: datetime = attrs.field(validator=aware())
    transfer_content: str = attrs.field(validator=non_empty_text())
    attachment: str = attrs.field(validator=non_empty_text())


def _due_dates(instance: Commitment, attribute: attrs.Attribute[tuple[date, ...]], value: tuple[date, ...]) -> None:
    registered = local_date(instance.registered_at)
    limit = registered + timedelta(days=COMMITMENT_LIMIT_DAYS)
    if not 1 <= len(value) <= MAX_COMMITMENTS:
        raise NotEligibleError("a renewal has one or two commitments, no third", rule="K3", field=attribute.name)
    previous = registered
    for due in value:
        if not previous < due <= limit:
            raise NotEligibleError(
                f"a due date must lie after {previous.isoformat()} and on or before {limit.isoformat()}"
                f" (registration + {COMMITMENT_LIMIT_DAYS} days)",
                rule="K3",
                field=attribute.name,
                value=due,
            )
        previous = due


@attrs.frozen(kw_only=True)
class Commitment:
    """A renewal registered on a commitment to pay (K1-K5).

    ``term`` and ``anchor`` are the renewal's term, fixed at registration by S2; it becomes official when
    payment is verified (K5). ``due_dates`` holds the first due date and, after a second commitment, the
    second; each lies after the one before (the first after the registration date) and at most
    ``COMMITMENT_LIMIT_DAYS`` after registration (K3).

    Raises:
        NotEligibleError: (K3) a due date breaks those limits, or there is no due date or more than two.
    """

    registered_at: datetime = attrs.field(validator=aware())
    entitlement: Entitlement
    term: Term
    anchor: Anchor
    due_dates: tuple[date, ...] = attrs.field(validator=_due_dates)
    proof: CommitmentProof | None = None

    @property
    def limit(self) -> date:
        """The last date a due date may take: registration date + 180 days (K3)."""
        return local_date(self.registered_at) + timedelta(days=COMMITMENT_LIMIT_DAYS)

    @property
    def due_on(self) -> date:
        """The current (last) due date."""
        return self.due_dates[-1]
