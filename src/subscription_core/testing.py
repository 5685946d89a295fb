"""Hypothesis strategies for valid catalogs, selections and promotions, for hosts' own property tests.

This module imports hypothesis, which is an optional extra (``pip install subscription-core[testing]``);
nothing else in the library imports this module. A host checks its own catalog against the pricing
invariants in a few lines (see ``docs/pricing.md``)::

    from hypothesis import given
    from subscription_core import testing

    @given(testing.quote_inputs(catalog=my_catalog))
    def test_my_catalog_prices_exactly(inputs):
        q = inputs.quote()
        assert sum(line.total for line in q.lines) == q.grand_total
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
from hypothesis import strategies as st

from subscription_core.catalog import (
    Addon,
    AddonKind,
    Catalog,
    Cycle,
    CycleUnit,
    Plan,
    PricingOption,
    Product,
    Quota,
)
from subscription_core.errors import ValidationError
from subscription_core.money import Currency, Money
from subscription_core.personal_numbers import CENTURIES, PROVINCE_CODES
from subscription_core.pricing import quote
from subscription_core.promotions import AmountOff, Entry, PercentOff, Promotion, PurchaseKind, Scope
from subscription_core.quotes import AddonSelection, PlanSelection, Proration, Quote, Selection
from subscription_core.tax import VatPeriod, VatRate, VatSchedule
from subscription_core.tax_codes import check_digit

__all__ = [
    "QuoteInputs",
    "amounts",
    "catalogs",
    "personal_numbers",
    "promotions",
    "quote_inputs",
    "selections",
    "valid_tax_code",
    "vat_rates",
    "vat_schedules",
]

_FIRST_DAY = dt.date(2024, 1, 1)
_LAST_DAY = dt.date(2028, 12, 31)
_LABELS = ("KCT", "KKKNT", "0%", "5%", "8%", "10%")


def valid_tax_code(n: int) -> str:
    """A valid 10-digit enterprise tax code (U1, U3), a different one for each ``n`` from 0 to 10⁸ - 1.

    For test data and examples: the nine digits are a leading digit and ``n``, then the check digit; the
    first leading digit for which a check digit exists is taken (0 or 1, as the leading digit's weight is
    not a multiple of 11). When ``n``'s last seven digits are all 0 they would make the sequence 0000000,
    which no tax code has (U3): the sequence is then 0000001 and the leading digit is taken from 2 up,
    which no other ``n`` uses.

    Raises:
        ValidationError: ``n`` is not a whole number in that range.
    """
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n < 10**8:
        raise ValidationError("must be a whole number from 0 to 10^8 - 1", rule="U1", field="n", value=n)
    body, leads = f"{n:08d}", range(10)
    if body[1:] == "0000000":
        body, leads = f"{body[0]}0000001", range(2, 10)
    for lead in leads:
        head = f"{lead}{body}"
        digit = check_digit(head)
        if digit is not None:
            return f"{head}{digit}"
    raise ValidationError("no leading digit gives a check digit", rule="U1", field="n", value=n)  # pragma: no cover


def personal_numbers() -> st.SearchStrategy[str]:
    """Valid 12-digit personal identification numbers (U1, U3).

    Each is a published province code, a century-and-sex digit of the 20th or 21st century, then any 8 digits.
    """
    return st.builds(
        lambda province, century, rest: f"{province}{century}{rest}",
        st.sampled_from(sorted(PROVINCE_CODES)),
        st.sampled_from(sorted(CENTURIES)),
        st.from_regex(r"\A[0-9]{8}\Z"),
    )


def amounts(currency: Currency, *, min_value: int = 0, max_value: int = 50_000_000) -> st.SearchStrategy[Money]:
    """Amounts of ``currency`` between the bounds (in major units), exact to its minor unit."""
    scale = 10**currency.minor_units
    return st.integers(min_value * scale, max_value * scale).map(
        lambda n: Money(Decimal(n).scaleb(-currency.minor_units), currency)
    )


def vat_rates() -> st.SearchStrategy[VatRate]:
    """Every VAT rate kind an e-invoice shows (C6)."""
    return st.sampled_from(_LABELS).map(VatRate.parse)


@st.composite
def vat_schedules(draw: st.DrawFn) -> VatSchedule:
    """A schedule of one to three contiguous periods covering 2024-2028 and after (C6)."""
    cuts = sorted(draw(st.sets(st.dates(_FIRST_DAY + dt.timedelta(days=1), _LAST_DAY), max_size=2)))
    starts = [dt.date(2000, 1, 1), *cuts]
    periods = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - dt.timedelta(days=1) if i + 1 < len(starts) else None
        periods.append(VatPeriod(draw(vat_rates()), start, end))
    return VatSchedule(tuple(periods))


def _cycle(unit: CycleUnit, length: int) -> Cycle:
    # Years come in 1 to 3, so that 3 cycles stay within the ten-year term of subscription_core.limits.
    return Cycle(unit, (length - 1) % 3 + 1 if unit is CycleUnit.YEAR else length)


@st.composite
def _plan(draw: st.DrawFn, code: str, currency: Currency) -> Plan:
    n_options = draw(st.integers(1, 3))
    options = [
        PricingOption(
            code=f"{code}-O{i}",
            cycle=_cycle(draw(st.sampled_from(CycleUnit)), draw(st.integers(1, 12))),
            cycles=draw(st.integers(1, 3)),
            price=draw(amounts(currency)),
        )
        for i in range(n_options)
    ]
    quotas = [Quota(code="storage", amount=draw(st.integers(0, 500)), unit="GB")] if draw(st.booleans()) else []
    return Plan(
        code=code,
        name=f"Plan {code}",
        options=options,
        vat=draw(vat_schedules()),
        quotas=quotas,
        trial_days=draw(st.sampled_from([0, 0, 15, 30])),
        enterprise=draw(st.booleans()),
    )


@st.composite
def _addon(draw: st.DrawFn, code: str, plan_codes: list[str], currency: Currency) -> Addon:
    kind = draw(st.sampled_from(AddonKind))
    return Addon(
        code=code,
        name=f"Add-on {code}",
        kind=kind,
        price=draw(amounts(currency, max_value=5_000_000)),
        plans=draw(st.sets(st.sampled_from(plan_codes), min_size=1)),
        vat=draw(vat_schedules()),
        storage_per_unit=draw(st.integers(1, 100)) if kind is AddonKind.STORAGE else 0,
        full_price=draw(st.booleans()) if kind is AddonKind.STORAGE else False,
        retention_unit=Cycle(CycleUnit.MONTH) if kind is AddonKind.RETENTION else None,
    )


@st.composite
def catalogs(draw: st.DrawFn, currency: str = "VND") -> Catalog:
    """A valid catalog: one or two products, each with one to three plans and up to three add-ons (C1-C6)."""
    cur = Currency.of(currency)
    products = []
    for p in range(draw(st.integers(1, 2))):
        plan_codes = [f"P{p}{i}" for i in range(draw(st.integers(1, 3)))]
        plans = [draw(_plan(code, cur)) for code in plan_codes]
        addons = [draw(_addon(f"A{p}{i}", plan_codes, cur)) for i in range(draw(st.integers(0, 3)))]
        products.append(
            Product(
                code=f"PRODUCT{p}",
                name=f"Product {p}",
                plans=plans,
                addons=addons,
                purge_after_days=draw(st.sampled_from([30, 30, 45, 60])),
            )
        )
    return Catalog(currency=cur, products=products)


@st.composite
def selections(draw: st.DrawFn, catalog: Catalog) -> tuple[Selection, ...]:
    """A valid set of selections from ``catalog``: one or two plan lines and add-ons that go with them."""
    all_plans = [plan for product in catalog.products for plan in product.plans]
    chosen = draw(st.lists(st.sampled_from(all_plans), min_size=1, max_size=2))
    picked: list[Selection] = [
        PlanSelection(plan=plan.code, option=draw(st.sampled_from(plan.options)).code, ref=f"r{i}")
        for i, plan in enumerate(chosen)
    ]
    plan_codes = {plan.code for plan in chosen}
    addons = [a for product in catalog.products for a in product.addons if a.plans & plan_codes]
    for addon in draw(
        st.lists(st.sampled_from(addons), unique_by=lambda a: a.code, max_size=3) if addons else st.just([])
    ):
        prorate = None
        if addon.kind is AddonKind.STORAGE and draw(st.booleans()):
            term = draw(st.integers(1, 366))
            prorate = Proration(days_left=draw(st.integers(0, term)), term_days=term)
        picked.append(
            AddonSelection(
                addon=addon.code,
                quantity=draw(st.integers(1, 5)),
                cycles=draw(st.integers(1, 12)) if addon.kind is AddonKind.SERVICE else None,
                prorate=prorate,
            )
        )
    return tuple(picked)


@st.composite
def promotions(draw: st.DrawFn, catalog: Catalog, *, code_prefix: str = "PROMO") -> tuple[Promotion, ...]:
    """Zero to five promotions over ``catalog``'s items, of every scope, benefit and eligibility rule."""
    cur = catalog.currency
    plan_codes = [plan.code for product in catalog.products for plan in product.plans]
    addon_codes = [a.code for product in catalog.products for a in product.addons]
    product_codes = [product.code for product in catalog.products]
    found = []
    for i in range(draw(st.integers(0, 5))):
        scope = draw(st.sampled_from(Scope))
        pool = {Scope.PACKAGE: plan_codes, Scope.ADDON: addon_codes, Scope.INVOICE: product_codes}[scope]
        targets = draw(st.sets(st.sampled_from(pool), max_size=2)) if pool else set()
        start = draw(st.none() | st.dates(_FIRST_DAY, _LAST_DAY))
        found.append(
            Promotion(
                code=f"{code_prefix}{i}",
                scope=scope,
                benefit=draw(_benefits(cur)),
                entry=draw(st.sampled_from(Entry)),
                targets=targets,
                valid_from=start,
                valid_until=draw(st.none() | st.dates(start or _FIRST_DAY, _LAST_DAY)),
                min_amount=draw(st.none() | amounts(cur, max_value=20_000_000)),
                purchase_kinds=draw(st.sets(st.sampled_from(PurchaseKind), min_size=1)),
                stackable=draw(st.booleans()),
            )
        )
    return tuple(found)


def _benefits(currency: Currency) -> st.SearchStrategy[PercentOff | AmountOff]:
    percents = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(100), places=1)
    return st.one_of(
        st.builds(PercentOff, percent=percents, cap=st.none() | amounts(currency, min_value=1, max_value=5_000_000)),
        st.builds(AmountOff, amount=amounts(currency, min_value=1, max_value=20_000_000)),
    )


@attrs.frozen(kw_only=True)
class QuoteInputs:
    """Everything :func:`subscription_core.pricing.quote` takes, drawn together."""

    catalog: Catalog
    selections: tuple[Selection, ...]
    promotions: tuple[Promotion, ...]
    as_of: dt.date
    purchase: PurchaseKind

    def quote(self) -> Quote:
        """Quote these inputs, asking for every promotion."""
        return quote(
            self.catalog, self.selections, as_of=self.as_of, promotions=self.promotions, purchase=self.purchase
        )


@st.composite
def quote_inputs(
    draw: st.DrawFn, catalog: Catalog | None = None, dates: st.SearchStrategy[dt.date] | None = None
) -> QuoteInputs:
    """A catalog (or the given one), valid selections from it, promotions, a date and a purchase kind.

    Dates are drawn from 2024-2028 unless ``dates`` is given (a host's catalog may have VAT schedules
    that start later).
    """
    cat = catalog if catalog is not None else draw(catalogs())
    return QuoteInputs(
        catalog=cat,
        selections=draw(selections(cat)),
        promotions=draw(promotions(cat)),
        as_of=draw(dates if dates is not None else st.dates(_FIRST_DAY, _LAST_DAY)),
        purchase=draw(st.sampled_from(PurchaseKind)),
    )
