"""The catalog: products, plans with pricing options, quotas and add-ons (rules C1-C6).

A catalog is data. Every object validates itself when built and raises :class:`ValidationError` naming the
field; a :class:`Catalog` also checks the whole (unique codes, one currency, add-ons naming existing plans)
and raises :class:`CatalogError` listing every problem at once. Files are read by
:mod:`subscription_core.catalog_files`.

Every count and day count is bounded by :mod:`subscription_core.limits` (terms of at most ten years, trials
of at most a year, ...), so no date or amount computed from a catalog can overflow.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Final, TypeVar, cast

import attrs

from subscription_core.errors import (
    CatalogError,
    NotFoundError,
    ValidationError,
    non_empty_text,
    of_type,
    optional,
    whole_number,
)
from subscription_core.limits import (
    MAX_CYCLE_LENGTH_DAYS,
    MAX_CYCLES,
    MAX_PURGE_DAYS,
    MAX_QUANTITY,
    MAX_QUOTA,
    MAX_TERM_MONTHS,
    MAX_TRIAL_DAYS,
    MAX_WARNING_DAYS,
    MAX_WARNINGS,
)
from subscription_core.money import Currency, Money
from subscription_core.tax import VatSchedule

_T = TypeVar("_T")

__all__ = [
    "Addon",
    "AddonKind",
    "Catalog",
    "Cycle",
    "CycleUnit",
    "Plan",
    "PricingOption",
    "Product",
    "Quota",
]

CODE_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DEFAULT_PURGE_DAYS: Final = 30
DEFAULT_WARNING_DAYS: Final = (30, 15, 7, 1)


# One converter per field type: mypy's attrs plugin cannot type a generic converter.
def _options(value: Iterable[PricingOption]) -> tuple[PricingOption, ...]:
    return tuple(value)


def _quotas(value: Iterable[Quota]) -> tuple[Quota, ...]:
    return tuple(value)


def _plans(value: Iterable[Plan]) -> tuple[Plan, ...]:
    return tuple(value)


def _addons(value: Iterable[Addon]) -> tuple[Addon, ...]:
    return tuple(value)


def _products(value: Iterable[Product]) -> tuple[Product, ...]:
    return tuple(value)


def _ints(value: Iterable[int]) -> tuple[int, ...]:
    return tuple(value)


def _frozenset(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _code(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not CODE_PATTERN.match(value):
        raise ValidationError(
            "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            field=attribute.name,
            value=value,
        )


def _price(_instance: object, attribute: attrs.Attribute[Money], value: Money) -> None:
    if not isinstance(value, Money):
        raise ValidationError("must be Money", field=attribute.name, value=value)
    if value.amount < 0:
        raise ValidationError("must be >= 0", rule="P8", field=attribute.name, value=value.amount)


class CycleUnit(enum.Enum):
    """The unit of a billing cycle."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


_MONTHS_PER_YEAR: Final = 12


def _longest(unit: CycleUnit, *, months: int, days: int) -> int:
    """How many ``unit`` fit in a limit of ``months`` months (``days`` days for days)."""
    if unit is CycleUnit.DAY:
        return days
    return months if unit is CycleUnit.MONTH else months // _MONTHS_PER_YEAR


def _check_length(instance: Cycle, _attribute: attrs.Attribute[int], value: int) -> None:
    longest = _longest(instance.unit, months=MAX_TERM_MONTHS, days=MAX_CYCLE_LENGTH_DAYS)
    whole_number(1, rule="C1", maximum=longest)(instance, _attribute, value)


@attrs.frozen
class Cycle:
    """A billing cycle: ``length`` units (``Cycle(CycleUnit.MONTH, 6)`` is half a year)."""

    unit: CycleUnit = attrs.field(validator=of_type(CycleUnit))
    length: int = attrs.field(default=1, validator=_check_length)

    def __str__(self) -> str:
        """Render as ``1 year`` or ``6 months``."""
        return f"{self.length} {self.unit.value}{'' if self.length == 1 else 's'}"


@attrs.frozen(kw_only=True)
class PricingOption:
    """One way to buy a plan (C1): ``cycles`` cycles of ``cycle`` for ``price`` in all."""

    code: str = attrs.field(validator=_code)
    cycle: Cycle = attrs.field(validator=of_type(Cycle))
    cycles: int = attrs.field(default=1, validator=whole_number(1, rule="C1", maximum=MAX_CYCLES))
    price: Money = attrs.field(validator=_price)
    label: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        """Check the whole term is at most ten years (:data:`~subscription_core.limits.MAX_TERM_MONTHS`)."""
        unit, count = self.term_units
        longest = _longest(unit, months=MAX_TERM_MONTHS, days=MAX_CYCLE_LENGTH_DAYS)
        if count > longest:
            raise ValidationError(
                f"the whole term (cycles x cycle) must be at most {longest} {unit.value}s",
                rule="C1",
                field="cycles",
                value=self.cycles,
            )

    @label.default
    def _label(self) -> str:
        if isinstance(self.cycle, Cycle) and self.cycle.length == 1:
            return f"{self.cycles} {self.cycle.unit.value}{'' if self.cycles == 1 else 's'}"
        return f"{self.cycles} × {self.cycle}"

    @property
    def term_units(self) -> tuple[CycleUnit, int]:
        """The whole term as (unit, count): 2 cycles of 6 months is (MONTH, 12)."""
        return (self.cycle.unit, self.cycle.length * self.cycles)


@attrs.frozen(kw_only=True)
class Quota:
    """A resource a plan grants (C2): storage, seats or another named quota, in ``unit``."""

    code: str = attrs.field(validator=_code)
    amount: int = attrs.field(validator=whole_number(0, rule="C2", maximum=MAX_QUOTA))
    unit: str = attrs.field(default="", validator=of_type(str))


@attrs.frozen(kw_only=True)
class Plan:
    """A package (C1): pricing options, quotas (C2), an optional free trial (C4) and a VAT schedule (C6).

    ``enterprise`` marks an Enterprise-class plan, on which storage beyond the quota may be added at
    renewal (S6).
    """

    code: str = attrs.field(validator=_code)
    name: str = attrs.field(validator=non_empty_text())
    options: tuple[PricingOption, ...] = attrs.field(converter=_options)
    vat: VatSchedule = attrs.field(validator=of_type(VatSchedule))
    quotas: tuple[Quota, ...] = attrs.field(default=(), converter=_quotas)
    trial_days: int = attrs.field(default=0, validator=whole_number(0, rule="C4", maximum=MAX_TRIAL_DAYS))
    enterprise: bool = False

    def __attrs_post_init__(self) -> None:
        """Check the plan has options with distinct codes and quotas with distinct codes."""
        if not self.options:
            raise ValidationError("a plan needs at least one pricing option", rule="C1", field="options", value=())
        _distinct("options", [o.code for o in self.options])
        _distinct("quotas", [q.code for q in self.quotas])

    def option(self, code: str) -> PricingOption:
        """Return the pricing option ``code``.

        Raises:
            NotFoundError: the plan has no such option.
        """
        for option in self.options:
            if option.code == code:
                return option
        raise NotFoundError(
            f"plan {self.code} has no such pricing option", reference=True, rule="C1", field="option", value=code
        )

    def quota(self, code: str) -> Quota | None:
        """Return the quota ``code`` or ``None`` when the plan grants none."""
        return next((q for q in self.quotas if q.code == code), None)

    @property
    def has_trial(self) -> bool:
        """Whether the plan may be tried for free first (C4)."""
        return self.trial_days > 0


class AddonKind(enum.Enum):
    """The kinds of add-on of C3, and the data-retention package of S5."""

    TRAINING = "training"  # one-off, no term
    STORAGE = "storage"  # extra storage in units
    SERVICE = "service"  # an add-on service priced per cycle of the plan it goes with
    RETENTION = "retention"  # read-only data retention, per unit of time (S5)


@attrs.frozen(kw_only=True)
class Addon:
    """Something sold beside a plan (C3), priced per unit, and the plans it may go with.

    ``storage_per_unit`` is the storage one unit adds (STORAGE only). ``full_price`` marks storage that is
    never prorated when bought mid-term (S6). ``retention_unit`` is the time one unit of a RETENTION
    package buys.
    """

    code: str = attrs.field(validator=_code)
    name: str = attrs.field(validator=non_empty_text())
    kind: AddonKind = attrs.field(validator=of_type(AddonKind))
    price: Money = attrs.field(validator=_price)
    plans: frozenset[str] = attrs.field(converter=_frozenset)
    vat: VatSchedule = attrs.field(validator=of_type(VatSchedule))
    storage_per_unit: int = attrs.field(default=0, validator=whole_number(0, rule="C3", maximum=MAX_QUOTA))
    full_price: bool = False
    retention_unit: Cycle | None = attrs.field(default=None, validator=optional(of_type(Cycle)))
    max_quantity: int | None = attrs.field(
        default=None, validator=optional(whole_number(1, rule="C3", maximum=MAX_QUANTITY))
    )

    def __attrs_post_init__(self) -> None:
        """Check the fields that only some kinds carry."""
        if not self.plans:
            raise ValidationError("an add-on must name the plans it goes with", rule="C3", field="plans", value=[])
        if self.kind is AddonKind.STORAGE and self.storage_per_unit < 1:
            raise ValidationError(
                "a storage add-on must say how much one unit adds", rule="C3", field="storage_per_unit", value=0
            )
        if self.kind is AddonKind.RETENTION and self.retention_unit is None:
            raise ValidationError(
                "a retention package must say how long one unit lasts", rule="S5", field="retention_unit", value=None
            )

    def goes_with(self, plan_code: str) -> bool:
        """Whether this add-on may be sold with plan ``plan_code`` (C3)."""
        return plan_code in self.plans


def _lead_times(_instance: object, _attribute: attrs.Attribute[tuple[int, ...]], value: tuple[int, ...]) -> None:
    # A field validator, so that a catalog file reports it beside the problems of the product's plans.
    if len(value) > MAX_WARNINGS or any(
        not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= MAX_WARNING_DAYS for d in value
    ):
        raise ValidationError(
            f"warning lead times must be whole days >= 1 and <= {MAX_WARNING_DAYS}, at most {MAX_WARNINGS} of them",
            rule="S3",
            field="warning_days",
            value=value if len(value) <= MAX_WARNINGS else f"{len(value)} days",
        )


@attrs.frozen(kw_only=True)
class Product:
    """A product (C1) and its lifecycle settings: purge window (S4) and expiry warning lead times (S3)."""

    code: str = attrs.field(validator=_code)
    name: str = attrs.field(validator=non_empty_text())
    plans: tuple[Plan, ...] = attrs.field(converter=_plans)
    addons: tuple[Addon, ...] = attrs.field(default=(), converter=_addons)
    purge_after_days: int = attrs.field(
        default=DEFAULT_PURGE_DAYS, validator=whole_number(1, rule="S4", maximum=MAX_PURGE_DAYS)
    )
    warning_days: tuple[int, ...] = attrs.field(default=DEFAULT_WARNING_DAYS, converter=_ints, validator=_lead_times)

    def __attrs_post_init__(self) -> None:
        """Check the product has plans."""
        if not self.plans:
            raise ValidationError("a product needs at least one plan", rule="C1", field="plans", value=())


def _content(value: object) -> object:
    """``value`` as plain data in a canonical form: sets sorted, derived fields and defaults left out."""
    if attrs.has(kind := type(value)):
        fields = [(f.name, getattr(value, f.name), f.default) for f in attrs.fields(kind) if f.init]
        return {name: _content(item) for name, item, default in fields if item != default}
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return [_content(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value if isinstance(value, int | str) else str(value)  # decimals and dates as text


def _distinct(field: str, codes: list[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValidationError("duplicate code", field=field, value=code)
        seen.add(code)


@attrs.frozen(kw_only=True)
class Catalog:
    """Every product a vendor sells, in one currency.

    Plan codes and add-on codes are unique across the whole catalog, so an order line or a promotion names
    an item by its code alone. :attr:`version` identifies its content; an order line records the version
    it was priced from (O6).

    Raises (when built):
        CatalogError: with every problem found: duplicate codes, prices in another currency, add-ons naming
            plans that do not exist.
    """

    currency: Currency = attrs.field(validator=of_type(Currency))
    products: tuple[Product, ...] = attrs.field(converter=_products)
    _plans: dict[str, tuple[Product, Plan]] = attrs.field(init=False, repr=False, eq=False)
    _addons: dict[str, tuple[Product, Addon]] = attrs.field(init=False, repr=False, eq=False)
    _version: str = attrs.field(init=False, default="", repr=False, eq=False)
    _derived: dict[str, object] = attrs.field(init=False, factory=dict, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        """Index the codes and check the catalog as a whole."""
        problems = list(self._problems())
        if problems:
            raise CatalogError(problems)
        object.__setattr__(self, "_plans", {pl.code: (p, pl) for p in self.products for pl in p.plans})
        object.__setattr__(self, "_addons", {a.code: (p, a) for p in self.products for a in p.addons})

    def _problems(self) -> Iterator[str]:
        if not self.products:
            yield "products: a catalog needs at least one product"
        seen: dict[str, str] = {}
        plan_codes = {pl.code for prod in self.products for pl in prod.plans}

        def claim(kind: str, code: str, path: str) -> Iterator[str]:
            key = f"{kind}:{code}"
            if key in seen:
                yield f"{path}.code: duplicate {kind} code, also at {seen[key]}, got {code!r}"
            else:
                seen[key] = path

        for i, product in enumerate(self.products):
            at = f"products[{i}]"
            yield from claim("product", product.code, at)
            for j, plan in enumerate(product.plans):
                yield from claim("plan", plan.code, f"{at}.plans[{j}]")
                for k, option in enumerate(plan.options):
                    yield from self._currency_problem(option.price, f"{at}.plans[{j}].options[{k}].price")
            for j, addon in enumerate(product.addons):
                yield from claim("addon", addon.code, f"{at}.addons[{j}]")
                yield from self._currency_problem(addon.price, f"{at}.addons[{j}].price")
                for missing in sorted(addon.plans - plan_codes):
                    yield f"{at}.addons[{j}].plans: names no plan of the catalog, got {missing!r}"

    def derived(self, key: str, make: Callable[[], _T]) -> _T:
        """The value ``make`` derives from this catalog, made on first use and kept with it, under ``key``.

        For engines that read a catalog over and over (the pricing engine's price book): a catalog is a
        frozen value, so what is derived from it never goes stale, and it goes when the catalog goes (no
        registry outside it). Two threads asking at once may both call ``make``; one value is kept.
        """
        found = self._derived.get(key)
        if found is None:
            found = self._derived.setdefault(key, make())
        return cast("_T", found)

    @property
    def version(self) -> str:
        """A digest of the catalog's content: ``sha256:`` and 16 hex digits, the same in every process (O6).

        Equal catalogs have the same version; an edit of any code, price, term, quota or setting gives
        another. Fields left at their default do not count, so a field a later release adds, with a default,
        leaves the version of a catalog that does not set it unchanged.
        """
        if not self._version:
            text = json.dumps(_content(self), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            object.__setattr__(self, "_version", "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16])
        return self._version

    def _currency_problem(self, price: Money, path: str) -> Iterator[str]:
        if price.currency != self.currency:
            yield f"{path}: currency must be the catalog's {self.currency.code}, got {price.currency.code!r}"

    def plan(self, code: str) -> Plan:
        """Return the plan ``code``.

        Raises:
            NotFoundError: no plan has that code.
        """
        return self.plan_entry(code)[1]

    def product_of_plan(self, code: str) -> Product:
        """Return the product that sells plan ``code``.

        Raises:
            NotFoundError: no plan has that code.
        """
        return self.plan_entry(code)[0]

    def plan_entry(self, code: str) -> tuple[Product, Plan]:
        """Return the plan ``code`` with the product that sells it.

        Raises:
            NotFoundError: no plan has that code.
        """
        try:
            return self._plans[code]
        except (KeyError, TypeError):
            raise NotFoundError(
                "no such plan in the catalog", reference=True, rule="C1", field="plan", value=code
            ) from None

    def addon(self, code: str) -> Addon:
        """Return the add-on ``code``.

        Raises:
            NotFoundError: no add-on has that code.
        """
        return self.addon_entry(code)[1]

    def product_of_addon(self, code: str) -> Product:
        """Return the product that sells add-on ``code``.

        Raises:
            NotFoundError: no add-on has that code.
        """
        return self.addon_entry(code)[0]

    def addon_entry(self, code: str) -> tuple[Product, Addon]:
        """Return the add-on ``code`` with the product that sells it.

        Raises:
            NotFoundError: no add-on has that code.
        """
        try:
            return self._addons[code]
        except (KeyError, TypeError):
            raise NotFoundError(
                "no such add-on in the catalog", reference=True, rule="C3", field="addon", value=code
            ) from None

    def product(self, code: str) -> Product:
        """Return the product ``code``.

        Raises:
            NotFoundError: no product has that code.
        """
        for product in self.products:
            if product.code == code:
                return product
        raise NotFoundError("no such product in the catalog", reference=True, rule="C1", field="product", value=code)
