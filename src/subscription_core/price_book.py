"""A catalog's items as the pricing engine reads them, resolved once per catalog: its price book (C1, C3, O6).

Private to the pricing engine (:mod:`subscription_core.pricing`). Without it every quote looked up each plan,
option and add-on again, converted its price to minor units, wrote its description and copied from the
catalog what it grants (O6); a checkout quotes one catalog over and over, and a bulk renewal prices
thousands of lines of one plan. The book keeps each item's entry once it is first priced. A
:class:`~subscription_core.catalog.Catalog` is a frozen value, so an entry never goes stale.

A book is kept with its catalog (``Catalog.derived``), not in a registry: it goes when its catalog goes, and
nothing outside a catalog holds on to it. Any thread may read a book while another fills it: every entry is
complete before it is stored, and storing one is a single dictionary assignment (two threads pricing a new
item both build it, equal, and one is kept).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from subscription_core.catalog import AddonKind, Catalog
from subscription_core.grants import AddonGrant, PlanGrant
from subscription_core.money import to_units
from subscription_core.tax import VatRate, VatSchedule

__all__ = ["AddonEntry", "PlanEntry", "PriceBook", "VatEntry", "price_book"]


class VatEntry:
    """A VAT rate with what the engine computes from it: its fraction as integers and its place in the totals."""

    __slots__ = ("denominator", "key", "numerator", "rate")

    def __init__(self, rate: VatRate) -> None:
        """Resolve ``rate``: VAT is ``taxable * numerator / denominator``, rounded half-up (P7)."""
        numerator, denominator = rate.percent.as_integer_ratio()
        self.rate, self.numerator, self.denominator = rate, numerator, denominator * 100
        # Equal rates have equal keys: lines are grouped by it, and the totals sorted by it.
        self.key: tuple[int, Decimal] = rate.sort_key


class _Schedule:
    """An item's VAT schedule and the rate found for the last day asked (quotes mostly ask for today)."""

    __slots__ = ("_last", "_schedule")

    def __init__(self, schedule: VatSchedule) -> None:
        self._schedule = schedule
        self._last: tuple[dt.date, VatEntry] | None = None

    def on(self, day: dt.date) -> VatEntry:
        """The rate in force on ``day`` (C6); raises as :meth:`VatSchedule.rate_on` does."""
        last = self._last  # one read: another thread may replace it, never half of it
        if last is not None and last[0] == day:
            return last[1]
        found = VatEntry(self._schedule.rate_on(day))
        self._last = (day, found)
        return found


class PlanEntry:
    """A plan's pricing option as a quote line prices it (C1), with what it grants (O6)."""

    __slots__ = ("cycles", "description", "grant", "price", "product", "units", "vat")

    def __init__(self, catalog: Catalog, plan_code: str, option_code: str) -> None:
        """Resolve option ``option_code`` of plan ``plan_code`` of ``catalog``.

        Raises:
            NotFoundError: (C1) no such plan or option.
        """
        product, plan = catalog.plan_entry(plan_code)
        option = plan.option(option_code)
        self.product, self.cycles, self.price = product.code, option.cycles, option.price
        self.description = f"{plan.name} ({option.label})"
        self.units = to_units(option.price.amount, catalog.currency)
        self.vat = _Schedule(plan.vat)
        self.grant = PlanGrant.of(product, plan_code, option_code)


class AddonEntry:
    """An add-on as a quote line prices it (C3), with what one unit grants (O6)."""

    __slots__ = ("full_price", "grant", "kind", "max_quantity", "name", "plans", "price", "product", "units", "vat")

    def __init__(self, catalog: Catalog, code: str) -> None:
        """Resolve add-on ``code`` of ``catalog``.

        Raises:
            NotFoundError: (C3) no such add-on.
        """
        product, addon = catalog.addon_entry(code)
        self.product, self.name, self.price = product.code, addon.name, addon.price
        self.kind: AddonKind = addon.kind
        self.full_price, self.max_quantity, self.plans = addon.full_price, addon.max_quantity, addon.plans
        self.units = to_units(addon.price.amount, catalog.currency)
        self.vat = _Schedule(addon.vat)
        self.grant = AddonGrant.of(addon)


class PriceBook:
    """The entries of one catalog's items, each made the first time it is priced."""

    __slots__ = ("_addons", "_plans")

    def __init__(self) -> None:
        """Start an empty book (it keeps no reference to its catalog)."""
        self._plans: dict[tuple[str, str], PlanEntry] = {}
        self._addons: dict[str, AddonEntry] = {}

    def plan(self, catalog: Catalog, plan: str, option: str) -> PlanEntry:
        """The entry of ``option`` of ``plan``.

        Raises:
            NotFoundError: (C1) the catalog has no such plan or option.
        """
        try:
            return self._plans[plan, option]
        except (KeyError, TypeError):  # TypeError: an unhashable code, which the catalog refuses as unknown
            entry = PlanEntry(catalog, plan, option)
        self._plans[plan, option] = entry
        return entry

    def addon(self, catalog: Catalog, code: str) -> AddonEntry:
        """The entry of add-on ``code``.

        Raises:
            NotFoundError: (C3) the catalog has no such add-on.
        """
        try:
            return self._addons[code]
        except (KeyError, TypeError):
            entry = AddonEntry(catalog, code)
        self._addons[code] = entry
        return entry


def price_book(catalog: Catalog) -> PriceBook:
    """The price book of ``catalog``, made on its first quote and kept with it."""
    return catalog.derived("price_book", PriceBook)
