"""What an order line grants once paid, frozen from the catalog when the order is placed (O6, C5).

A quote copies from the catalog, beside each line's price, what the line buys: a :class:`PlanGrant` for a
plan line (the term of its pricing option, the plan's quotas and the lifecycle settings a subscription it
opens takes) and an :class:`AddonGrant` for an add-on line (its kind, the plans it goes with, the storage
one unit adds, the time one unit of a retention package buys). The order line keeps that copy, so a
catalog edit after placing, even the removal of the plan or the add-on, changes nothing an order grants:
payment reads the line, not the catalog.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from subscription_core.catalog import Addon, AddonKind, Catalog, Cycle, Product, Quota
from subscription_core.errors import (
    NotFoundError,
    ValidationError,
    of_type,
    optional,
    tuple_of,
    whole_number,
)
from subscription_core.money import Money
from subscription_core.subscriptions import Entitlement, LifecyclePolicy
from subscription_core.tax import VatRate, VatSchedule
from subscription_core.terms import TermUnit

__all__ = ["AddonGrant", "Grant", "PlanGrant", "grant_of"]


def _quotas(value: Iterable[Quota]) -> tuple[Quota, ...]:
    return tuple(value)


def _codes(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen(kw_only=True)
class PlanGrant:
    """What a plan line grants once paid (O6).

    ``length`` ``unit`` of paid time, the plan's ``quotas`` (C2), and the ``policy`` (purge window S4,
    warning lead times S3) a subscription it opens takes.

    Raises:
        ValidationError: a field of the wrong type, or a length below 1.
    """

    unit: TermUnit = attrs.field(validator=of_type(TermUnit))
    length: int = attrs.field(validator=whole_number(1))
    quotas: tuple[Quota, ...] = attrs.field(converter=_quotas, validator=tuple_of(Quota))
    policy: LifecyclePolicy = attrs.field(validator=of_type(LifecyclePolicy))

    @classmethod
    def of(cls, product: Product, plan_code: str, option_code: str) -> PlanGrant:
        """Return what option ``option_code`` of plan ``plan_code`` of ``product`` grants now (O6, C1).

        Raises:
            NotFoundError: (C1) the product has no such plan, or the plan no such option.
        """
        plan = next((p for p in product.plans if p.code == plan_code), None)
        if plan is None:
            raise NotFoundError(
                f"product {product.code} has no such plan", reference=True, rule="C1", field="plan", value=plan_code
            )
        unit, length = plan.option(option_code).term_units
        return cls(unit=TermUnit(unit.value), length=length, quotas=plan.quotas, policy=LifecyclePolicy.of(product))

    def entitlement(self, product_code: str, plan_code: str, *, extra_storage: int = 0) -> Entitlement:
        """The entitlement this grant gives plan ``plan_code`` of ``product_code``, with ``extra_storage`` (S6).

        Whether extra storage may go with the plan was checked when the order was placed; it is not asked
        again of a catalog that may have changed since (O6).
        """
        return Entitlement(
            product_code=product_code,
            plan_code=plan_code,
            quotas=self.quotas,
            unit=self.unit,
            length=self.length,
            extra_storage=extra_storage,
        )


@attrs.frozen(kw_only=True)
class AddonGrant:
    """What an add-on line grants once paid (O6).

    Its ``kind``, the ``plans`` it goes with (C3), the storage one unit adds (``storage_per_unit``, S6) and
    the time one unit of a retention package buys (``retention_unit``, S5).

    Raises:
        ValidationError: a field of the wrong type or out of range.
    """

    kind: AddonKind = attrs.field(validator=of_type(AddonKind))
    plans: frozenset[str] = attrs.field(converter=_codes)
    storage_per_unit: int = attrs.field(default=0, validator=whole_number(0))
    retention_unit: Cycle | None = attrs.field(default=None, validator=optional(of_type(Cycle)))

    @classmethod
    def of(cls, addon: Addon) -> AddonGrant:
        """Return what one unit of ``addon`` grants now (O6)."""
        return cls(
            kind=addon.kind,
            plans=addon.plans,
            storage_per_unit=addon.storage_per_unit,
            retention_unit=addon.retention_unit,
        )

    def addon(self, *, code: str, name: str, price: Money, vat_rate: VatRate) -> Addon:
        """The add-on ``code`` as it was when priced, for the verbs that take one (S5, S6).

        ``name``, ``price`` and ``vat_rate`` come from the order line; the quantity was checked against
        the catalog's maximum when the order was placed and is not asked again (O6).

        Raises:
            ValidationError: ``code`` or ``name`` is not valid for an add-on.
        """
        return Addon(
            code=code,
            name=name,
            kind=self.kind,
            price=price,
            plans=self.plans,
            vat=VatSchedule.flat(vat_rate),
            storage_per_unit=self.storage_per_unit,
            retention_unit=self.retention_unit,
        )


Grant = PlanGrant | AddonGrant
"""What one order line grants once paid (O6)."""


def grant_of(catalog: Catalog, *, plan: str = "", option: str = "", addon: str = "") -> Grant:
    """What plan ``plan`` with ``option``, or add-on ``addon``, of ``catalog`` grants now (O6).

    Raises:
        NotFoundError: (C1, C3) the catalog has no such plan, option or add-on.
        ValidationError: neither or both of ``plan`` and ``addon`` are named.
    """
    if bool(plan) == bool(addon):
        raise ValidationError("name a plan or an add-on", rule="O6", field="plan", value=plan or addon)
    if plan:
        return PlanGrant.of(catalog.product_of_plan(plan), plan, option)
    return AddonGrant.of(catalog.addon(addon))
