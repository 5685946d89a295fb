"""Worked examples of the pricing engine, in VND, checked by hand (P1-P8, C3, C6, S6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from subscription_core.catalog import Addon, AddonKind, Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.catalog_files import load_catalog
from subscription_core.errors import NotFoundError, ValidationError
from subscription_core.money import Currency, Money
from subscription_core.pricing import eligible_promotions, quote
from subscription_core.promotions import (
    AmountOff,
    Entry,
    PercentOff,
    Promotion,
    PurchaseKind,
    RedemptionCounts,
    RefusalReason,
    Scope,
)
from subscription_core.quotes import AddonSelection, PlanSelection, Proration, Quote, Selection
from subscription_core.tax import VatPeriod, VatRate, VatSchedule

DAY = dt.date(2026, 11, 23)
VND = Currency.of("VND")


def vnd(amount: int) -> Money:
    return Money.of(amount, VND)


VAT_CUT = VatSchedule(
    (
        VatPeriod(VatRate.parse("10%"), dt.date(2000, 1, 1), dt.date(2025, 6, 30)),
        VatPeriod(VatRate.parse("8%"), dt.date(2025, 7, 1), dt.date(2026, 12, 31)),
        VatPeriod(VatRate.parse("10%"), dt.date(2027, 1, 1)),
    )
)
TEN = VatSchedule.flat("10%")
KCT = VatSchedule.flat("KCT")


def make_catalog() -> Catalog:
    pro = Plan(
        code="PRO",
        name="AMIS Professional",
        options=[
            PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=vnd(12_000_000)),
            PricingOption(code="2Y", cycle=Cycle(CycleUnit.YEAR), cycles=2, price=vnd(21_600_000)),
        ],
        vat=KCT,
    )
    std = Plan(
        code="STD",
        name="AMIS Standard",
        options=[PricingOption(code="1M", cycle=Cycle(CycleUnit.MONTH), cycles=3, price=vnd(900_000))],
        vat=TEN,
    )
    addons = [
        Addon(code="TRAIN", name="Training", kind=AddonKind.TRAINING, price=vnd(1_500_000), plans={"PRO"}, vat=TEN),
        Addon(
            code="STO",
            name="Storage 10 GB",
            kind=AddonKind.STORAGE,
            price=vnd(333_333),
            plans={"PRO", "STD"},
            vat=TEN,
            storage_per_unit=10,
            max_quantity=50,
        ),
        Addon(code="SMS", name="SMS service", kind=AddonKind.SERVICE, price=vnd(50_000), plans={"STD"}, vat=VAT_CUT),
    ]
    product = Product(code="AMIS", name="AMIS.VN", plans=[pro, std], addons=addons)
    return Catalog(currency=VND, products=[product])


CATALOG = make_catalog()
ORDER = (PlanSelection(plan="PRO", option="1Y"), AddonSelection(addon="TRAIN"), AddonSelection(addon="STO", quantity=2))
PKG10 = Promotion(code="PKG10", scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal(10)), targets={"PRO"})
TR200 = Promotion(code="TR200", scope=Scope.ADDON, benefit=AmountOff(amount=vnd(200_000)), targets={"TRAIN"})
INV5 = Promotion(
    code="INV5", scope=Scope.INVOICE, benefit=PercentOff(percent=Decimal(5), cap=vnd(500_000)), entry=Entry.CODE
)


def amounts(q: Quote, field: str) -> dict[str, int]:
    return {line.code: int(getattr(line, field).amount) for line in q.lines}


def test_p6_p7_worked_example_by_hand() -> None:
    q = quote(CATALOG, ORDER, as_of=DAY, promotions=[PKG10, TR200, INV5])
    # Lines come plan first, then add-ons by code.
    assert [line.code for line in q.lines] == ["PRO", "STO", "TRAIN"]
    assert amounts(q, "base") == {"PRO": 12_000_000, "STO": 666_666, "TRAIN": 1_500_000}
    assert amounts(q, "net") == {"PRO": 10_800_000, "STO": 666_666, "TRAIN": 1_300_000}
    # 5% of 12,766,666 is 638,333, capped at 500,000; split 10.8M : 666,666 : 1.3M by largest remainder:
    # exact 422,976.52 / 26,109.64 / 50,913.84 -> floors sum to 499,998; the two units left go to the
    # largest remainders (.84 TRAIN, .64 STO).
    assert amounts(q, "invoice_discount") == {"PRO": 422_976, "STO": 26_110, "TRAIN": 50_914}
    assert amounts(q, "taxable") == {"PRO": 10_377_024, "STO": 640_556, "TRAIN": 1_249_086}
    # VAT: KCT carries none; 10% once on 640,556 + 1,249,086 = 1,889,642 -> 188,964.2 -> 188,964,
    # allocated back 64,055.6 / 124,908.4 -> 64,056 / 124,908.
    assert amounts(q, "vat") == {"PRO": 0, "STO": 64_056, "TRAIN": 124_908}
    assert [(t.rate.label, int(t.taxable.amount), int(t.vat.amount)) for t in q.vat_totals] == [
        ("KCT", 10_377_024, 0),
        ("10%", 1_889_642, 188_964),
    ]
    assert q.subtotal == vnd(14_166_666)
    assert q.line_discount_total == vnd(1_400_000)
    assert q.invoice_discount_total == vnd(500_000)
    assert q.pretax_total == vnd(12_266_666)
    assert q.vat_total == vnd(188_964)
    assert q.grand_total == vnd(12_455_630)
    assert [(a.code, a.scope, int(a.amount.amount)) for a in q.applied] == [
        ("PKG10", Scope.PACKAGE, 1_200_000),
        ("TR200", Scope.ADDON, 200_000),
        ("INV5", Scope.INVOICE, 500_000),
    ]
    assert q.refused == ()


def test_p1_each_scope_discounts_its_own_place() -> None:
    q = quote(CATALOG, ORDER, as_of=DAY, promotions=[TR200])
    assert {line.code: [d.code for d in line.discounts] for line in q.lines} == {
        "PRO": [],
        "STO": [],
        "TRAIN": ["TR200"],
    }
    assert q.invoice_discount_total == vnd(0)


def test_p2_percentage_capped_and_fixed_amount() -> None:
    capped = Promotion(code="CAP", scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal(50), cap=vnd(1_000_000)))
    q = quote(CATALOG, ORDER[:1], as_of=DAY, promotions=[capped])
    assert q.lines[0].line_discount == vnd(1_000_000)
    fixed = Promotion(code="FIX", scope=Scope.PACKAGE, benefit=AmountOff(amount=vnd(700_000)))
    assert quote(CATALOG, ORDER[:1], as_of=DAY, promotions=[fixed]).lines[0].net == vnd(11_300_000)


def test_p2_percentage_rounds_half_up_to_the_dong() -> None:
    half = Promotion(code="H", scope=Scope.ADDON, benefit=PercentOff(percent=Decimal("1.5")), targets={"STO"})
    q = quote(CATALOG, [ORDER[0], AddonSelection(addon="STO", quantity=1)], as_of=DAY, promotions=[half])
    # 1.5% of 333,333 = 4,999.995 -> 5,000
    assert q.lines[1].line_discount == vnd(5_000)


def test_p2_promotion_values_refused_when_bad() -> None:
    with pytest.raises(ValidationError, match="percent"):
        PercentOff(percent=Decimal(120))
    with pytest.raises(ValidationError, match="float"):
        PercentOff(percent=10.5)
    with pytest.raises(ValidationError, match="positive"):
        AmountOff(amount=vnd(0))


def test_p3_codes_are_typed_in_without_regard_to_case_and_unknown_ones_refused() -> None:
    q = quote(CATALOG, ORDER, as_of=DAY, promotions=[PKG10, TR200, INV5], codes=[" inv5 ", "WRONG"])
    assert [a.code for a in q.applied] == ["INV5"]
    assert [(r.code, r.reason) for r in q.refused] == [("WRONG", RefusalReason.UNKNOWN_CODE)]


def test_p3_checkout_lists_only_selectable_promotions_the_order_can_use() -> None:
    other_plan = Promotion(code="STD5", scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal(5)), targets={"STD"})
    listed = eligible_promotions(CATALOG, ORDER, as_of=DAY, book=[PKG10, TR200, INV5, other_plan])
    assert [p.code for p in listed] == ["PKG10", "TR200"]  # INV5 must be typed in; STD5 fits no line


@pytest.mark.parametrize(
    ("promotion", "reason"),
    [
        (
            Promotion(
                code="LATE", scope=Scope.INVOICE, benefit=AmountOff(amount=vnd(1)), valid_from=DAY + dt.timedelta(1)
            ),
            RefusalReason.NOT_YET_VALID,
        ),
        (
            Promotion(
                code="OLD", scope=Scope.INVOICE, benefit=AmountOff(amount=vnd(1)), valid_until=DAY - dt.timedelta(1)
            ),
            RefusalReason.EXPIRED,
        ),
        (
            Promotion(code="STD", scope=Scope.PACKAGE, benefit=AmountOff(amount=vnd(1)), targets={"STD"}),
            RefusalReason.NOT_APPLICABLE,
        ),
        (
            Promotion(
                code="RENEW",
                scope=Scope.INVOICE,
                benefit=AmountOff(amount=vnd(1)),
                purchase_kinds={PurchaseKind.RENEWAL},
            ),
            RefusalReason.WRONG_PURCHASE_KIND,
        ),
        (
            Promotion(code="BIG", scope=Scope.PACKAGE, benefit=AmountOff(amount=vnd(1)), min_amount=vnd(20_000_000)),
            RefusalReason.BELOW_MINIMUM,
        ),
        (
            Promotion(code="USD", scope=Scope.INVOICE, benefit=AmountOff(amount=Money.of("5.00", "USD"))),
            RefusalReason.CURRENCY_MISMATCH,
        ),
    ],
)
def test_p4_ineligible_promotions_are_refused_with_the_reason(promotion: Promotion, reason: RefusalReason) -> None:
    plain = quote(CATALOG, ORDER, as_of=DAY)
    q = quote(CATALOG, ORDER, as_of=DAY, promotions=[promotion])
    assert [(r.code, r.reason) for r in q.refused] == [(promotion.code, reason)]
    assert q.grand_total == plain.grand_total


def test_p4_window_is_inclusive_at_both_ends() -> None:
    day_only = Promotion(
        code="DAY", scope=Scope.INVOICE, benefit=AmountOff(amount=vnd(1_000)), valid_from=DAY, valid_until=DAY
    )
    assert quote(CATALOG, ORDER, as_of=DAY, promotions=[day_only]).invoice_discount_total == vnd(1_000)


def test_p4_minimum_of_invoice_scope_counts_after_line_discounts() -> None:
    # 14,166,666 before discounts, 12,766,666 after PKG10 and TR200: a 13M minimum fails only for the invoice.
    inv = Promotion(code="INV", scope=Scope.INVOICE, benefit=AmountOff(amount=vnd(1_000)), min_amount=vnd(13_000_000))
    q = quote(CATALOG, ORDER, as_of=DAY, promotions=[PKG10, TR200, inv])
    assert [(r.code, r.reason) for r in q.refused] == [("INV", RefusalReason.BELOW_MINIMUM)]
    assert quote(CATALOG, ORDER, as_of=DAY, promotions=[inv]).invoice_discount_total == vnd(1_000)


def test_p4_redemption_limits_in_all_and_per_customer() -> None:
    limited = Promotion(
        code="LTD", scope=Scope.INVOICE, benefit=AmountOff(amount=vnd(1)), redemption_limit=5, per_customer_limit=1
    )
    left = RedemptionCounts(total={"LTD": 4}, by_customer={})
    assert quote(CATALOG, ORDER, as_of=DAY, promotions=[limited], redemptions=left).applied
    gone = RedemptionCounts(total={"LTD": 5})
    q = quote(CATALOG, ORDER, as_of=DAY, promotions=[limited], redemptions=gone)
    assert q.refused[0].reason is RefusalReason.LIMIT_REACHED
    mine = RedemptionCounts(total={"LTD": 1}, by_customer={"LTD": 1})
    q = quote(CATALOG, ORDER, as_of=DAY, promotions=[limited], redemptions=mine)
    assert q.refused[0].reason is RefusalReason.CUSTOMER_LIMIT_REACHED


def test_p5_best_for_the_buyer_wins_and_the_other_is_refused() -> None:
    small = Promotion(code="A-SMALL", scope=Scope.PACKAGE, benefit=AmountOff(amount=vnd(500_000)))
    q = quote(CATALOG, ORDER, as_of=DAY, promotions=[small, PKG10])
    assert [d.code for d in q.lines[0].discounts] == ["PKG10"]
    assert [(r.code, r.reason, r.detail) for r in q.refused] == [
        ("A-SMALL", RefusalReason.OUTRANKED, "PKG10 applies instead")
    ]


def test_p5_ties_go_to_the_smaller_code_whatever_the_input_order() -> None:
    a = Promotion(code="AAA", scope=Scope.INVOICE, benefit=AmountOff(amount=vnd(100_000)))
    b = Promotion(code="BBB", scope=Scope.INVOICE, benefit=PercentOff(percent=Decimal(1), cap=vnd(100_000)))
    for order in ([a, b], [b, a]):
        q = quote(CATALOG, ORDER, as_of=DAY, promotions=order)
        assert [p.code for p in q.applied] == ["AAA"]
        assert [r.code for r in q.refused] == ["BBB"]


def test_p5_p6_stackable_promotions_apply_beside_the_best_fixed_first() -> None:
    pct = Promotion(code="P20", scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal(20)), stackable=True)
    fixed = Promotion(code="Z1M", scope=Scope.PACKAGE, benefit=AmountOff(amount=vnd(1_000_000)), stackable=True)
    q = quote(CATALOG, ORDER[:1], as_of=DAY, promotions=[pct, fixed, PKG10])
    # fixed 1,000,000 first: 11,000,000 left; then percentages by code: P20 2,200,000 -> 8,800,000;
    # PKG10 880,000 -> 7,920,000.
    assert [(d.code, int(d.amount.amount)) for d in q.lines[0].discounts] == [
        ("Z1M", 1_000_000),
        ("P20", 2_200_000),
        ("PKG10", 880_000),
    ]
    assert q.lines[0].net == vnd(7_920_000)


def test_p6_invoice_promo_applies_after_line_promos() -> None:
    inv = Promotion(code="INV10", scope=Scope.INVOICE, benefit=PercentOff(percent=Decimal(10)))
    q = quote(CATALOG, ORDER[:1], as_of=DAY, promotions=[PKG10, inv])
    # 12,000,000 - 10% = 10,800,000; then 10% of that = 1,080,000 (not 1,200,000).
    assert q.invoice_discount_total == vnd(1_080_000)
    assert q.pretax_total == vnd(9_720_000)


def test_p7_vat_once_per_rate_on_the_group_sum() -> None:
    # Three storage lines of 333,333 at 10%: per line 33,333.3 would round to 33,333 each (99,999);
    # once on the sum 999,999 -> 99,999.9 -> 100,000.
    sel: list[Selection] = [ORDER[0], *(AddonSelection(addon="STO", ref=str(i)) for i in range(3))]
    q = quote(CATALOG, sel, as_of=DAY)
    ten = next(t for t in q.vat_totals if t.rate.label == "10%")
    assert ten.taxable == vnd(999_999)
    assert ten.vat == vnd(100_000)
    assert sorted(int(line.vat.amount) for line in q.lines if line.code == "STO") == [33_333, 33_333, 33_334]


def test_p7_usd_amounts_round_to_the_cent() -> None:
    usd = Currency.of("USD")
    plan = Plan(
        code="P",
        name="P",
        options=[PricingOption(code="M", cycle=Cycle(CycleUnit.MONTH), price=Money.of("9.99", usd))],
        vat=TEN,
    )
    cat = Catalog(currency=usd, products=[Product(code="X", name="X", plans=[plan])])
    promo = Promotion(code="P15", scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal(15)))
    q = quote(cat, [PlanSelection(plan="P", option="M")], as_of=DAY, promotions=[promo])
    assert q.lines[0].line_discount == Money.of("1.50", usd)  # 1.4985 -> 1.50
    assert q.vat_total == Money.of("0.85", usd)  # 10% of 8.49 = 0.849 -> 0.85
    assert q.grand_total == Money.of("9.34", usd)


def test_p8_a_fixed_discount_never_exceeds_its_line() -> None:
    huge = Promotion(code="HUGE", scope=Scope.ADDON, benefit=AmountOff(amount=vnd(10_000_000)), targets={"TRAIN"})
    q = quote(CATALOG, ORDER, as_of=DAY, promotions=[huge])
    train = next(line for line in q.lines if line.code == "TRAIN")
    assert train.line_discount == vnd(1_500_000)
    assert train.taxable == vnd(0)
    assert train.vat == vnd(0)
    assert q.applied[0].amount == vnd(1_500_000)


def test_p8_a_whole_order_discounted_to_zero_stays_at_zero() -> None:
    everything = Promotion(code="FREE", scope=Scope.INVOICE, benefit=PercentOff(percent=Decimal(100)))
    q = quote(CATALOG, ORDER, as_of=DAY, promotions=[everything])
    assert q.grand_total == vnd(0)
    assert all(line.taxable == vnd(0) and line.vat == vnd(0) for line in q.lines)


def test_c6_quote_takes_the_vat_rate_in_force_on_its_date() -> None:
    sel: list[Selection] = [PlanSelection(plan="STD", option="1M"), AddonSelection(addon="SMS")]
    during_cut = quote(CATALOG, sel, as_of=dt.date(2026, 12, 31))
    after_cut = quote(CATALOG, sel, as_of=dt.date(2027, 1, 1))
    assert [line.vat_rate.label for line in during_cut.lines] == ["10%", "8%"]
    assert [line.vat_rate.label for line in after_cut.lines] == ["10%", "10%"]


def test_c6_kct_is_grouped_apart_from_zero_percent() -> None:
    zero = Addon(
        code="Z", name="Zero", kind=AddonKind.TRAINING, price=vnd(100), plans={"PRO"}, vat=VatSchedule.flat("0%")
    )
    base = make_catalog()
    product = base.products[0]
    cat = Catalog(
        currency=VND,
        products=[Product(code=product.code, name=product.name, plans=product.plans, addons=[*product.addons, zero])],
    )
    q = quote(cat, [ORDER[0], AddonSelection(addon="Z")], as_of=DAY)
    assert [t.rate.label for t in q.vat_totals] == ["KCT", "0%"]


def test_c1_price_comes_from_the_chosen_option() -> None:
    q = quote(CATALOG, [PlanSelection(plan="PRO", option="2Y")], as_of=DAY)
    assert q.lines[0].base == vnd(21_600_000)
    assert q.lines[0].unit_price == vnd(21_600_000)


def test_c3_service_addon_is_priced_per_cycle_of_its_plan_option() -> None:
    q = quote(CATALOG, [PlanSelection(plan="STD", option="1M"), AddonSelection(addon="SMS", quantity=2)], as_of=DAY)
    sms = next(line for line in q.lines if line.code == "SMS")
    assert sms.base == vnd(300_000)  # 50,000 x 2 x 3 cycles


def test_c3_addon_must_go_with_a_plan_of_the_order() -> None:
    with pytest.raises(ValidationError, match=r"\[C3\] addon: does not go with the plans of this order"):
        quote(CATALOG, [PlanSelection(plan="STD", option="1M"), AddonSelection(addon="TRAIN")], as_of=DAY)


def test_c3_storage_topup_goes_with_the_current_plan() -> None:
    q = quote(CATALOG, [AddonSelection(addon="STO", quantity=3)], as_of=DAY, current_plan="STD")
    assert q.subtotal == vnd(999_999)
    with pytest.raises(ValidationError, match="at most 50"):
        quote(CATALOG, [AddonSelection(addon="STO", quantity=51)], as_of=DAY, current_plan="STD")


def test_s6_storage_bought_mid_term_is_prorated_half_up() -> None:
    half = AddonSelection(addon="STO", quantity=1, prorate=Proration(days_left=100, term_days=365))
    q = quote(CATALOG, [half], as_of=DAY, current_plan="PRO")
    # 333,333 x 100 / 365 = 91,324.10 -> 91,324
    assert q.subtotal == vnd(91_324)
    whole = AddonSelection(addon="STO", quantity=2, prorate=Proration(days_left=365, term_days=365))
    assert quote(CATALOG, [whole], as_of=DAY, current_plan="PRO").subtotal == vnd(666_666)


def test_s6_full_price_storage_is_never_prorated() -> None:
    base = make_catalog()
    product = base.products[0]
    full = Addon(
        code="STO-FULL",
        name="Storage",
        kind=AddonKind.STORAGE,
        price=vnd(200_000),
        plans={"PRO"},
        vat=TEN,
        storage_per_unit=10,
        full_price=True,
    )
    cat = Catalog(
        currency=VND,
        products=[Product(code=product.code, name=product.name, plans=product.plans, addons=[*product.addons, full])],
    )
    sel = AddonSelection(addon="STO-FULL", prorate=Proration(days_left=10, term_days=365))
    assert quote(cat, [sel], as_of=DAY, current_plan="PRO").subtotal == vnd(200_000)


def test_quote_refuses_bad_selections_with_clear_errors() -> None:
    with pytest.raises(ValidationError, match="at least one selection"):
        quote(CATALOG, [], as_of=DAY)
    with pytest.raises(NotFoundError, match="plan"):
        quote(CATALOG, [PlanSelection(plan="NOPE", option="1Y")], as_of=DAY)
    with pytest.raises(NotFoundError, match="option"):
        quote(CATALOG, [PlanSelection(plan="PRO", option="9Y")], as_of=DAY)
    with pytest.raises(ValidationError, match="selected twice"):
        quote(CATALOG, [ORDER[0], ORDER[0]], as_of=DAY)
    with pytest.raises(ValidationError, match="calendar date"):
        quote(CATALOG, ORDER, as_of=dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    with pytest.raises(ValidationError, match="PlanSelection or an AddonSelection"):
        quote(CATALOG, [{"plan": "PRO"}], as_of=DAY)  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="quantity"):
        AddonSelection(addon="STO", quantity=0)
    with pytest.raises(ValidationError, match="share a code"):
        quote(CATALOG, ORDER, as_of=DAY, promotions=[PKG10, PKG10])


def test_c1_lines_keep_apart_several_plans_by_ref() -> None:
    sel = [PlanSelection(plan="PRO", option="1Y", ref=f"client-{i}") for i in range(3)]
    q = quote(CATALOG, sel, as_of=DAY, promotions=[PKG10])
    assert [line.ref for line in q.lines] == ["client-0", "client-1", "client-2"]
    assert q.applied[0].amount == vnd(3_600_000)


@pytest.mark.parametrize("codes", ["WELCOME10", 42, [b"WELCOME10"]])
def test_p3_quote_refuses_codes_that_are_not_a_sequence_of_texts(codes: object) -> None:
    catalog = load_catalog("examples/catalogs/amis_vn.toml")
    with pytest.raises(ValidationError) as caught:
        quote(
            catalog,
            [PlanSelection(plan="amis-professional", option="1y")],
            as_of=dt.date(2026, 11, 23),
            codes=codes,  # type: ignore[arg-type]
        )
    assert (caught.value.field, caught.value.rule) == ("codes", "P3")
