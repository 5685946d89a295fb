"""Property tests of the pricing engine over generated catalogs, selections and promotions (P5-P8)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP

from hypothesis import given
from hypothesis import strategies as st

from subscription_core import testing
from subscription_core.catalog import Catalog
from subscription_core.money import Money
from subscription_core.pricing import quote
from subscription_core.promotions import AmountOff, Promotion, RefusalReason, Scope
from subscription_core.quotes import PlanSelection, Quote


def total(items: list[Money], q: Quote) -> Money:
    return sum(items, Money.zero(q.currency))


@given(testing.quote_inputs())
def test_p7_lines_add_up_to_the_totals_exactly(inputs: testing.QuoteInputs) -> None:
    q = inputs.quote()
    assert total([line.base for line in q.lines], q) == q.subtotal
    assert total([line.line_discount for line in q.lines], q) == q.line_discount_total
    assert total([line.invoice_discount for line in q.lines], q) == q.invoice_discount_total
    assert total([line.taxable for line in q.lines], q) == q.pretax_total
    assert total([line.vat for line in q.lines], q) == q.vat_total
    assert total([line.total for line in q.lines], q) == q.grand_total
    assert q.subtotal - q.line_discount_total - q.invoice_discount_total == q.pretax_total
    assert q.pretax_total + q.vat_total == q.grand_total
    assert total([a.amount for a in q.applied], q) == q.discount_total
    assert total([t.taxable for t in q.vat_totals], q) == q.pretax_total
    assert total([t.vat for t in q.vat_totals], q) == q.vat_total


@given(testing.quote_inputs())
def test_p8_no_discount_exceeds_its_base_and_nothing_is_negative(inputs: testing.QuoteInputs) -> None:
    q = inputs.quote()
    zero = Money.zero(q.currency)
    for line in q.lines:
        assert zero <= line.line_discount <= line.base
        assert zero <= line.invoice_discount <= line.net
        assert all(d.amount >= zero for d in line.discounts)
        assert line.taxable >= zero
        assert line.vat >= zero
    for amount in (q.subtotal, q.discount_total, q.pretax_total, q.vat_total, q.grand_total):
        assert amount >= zero
    assert q.discount_total <= q.subtotal


@given(testing.quote_inputs())
def test_p7_vat_per_rate_is_the_rate_on_the_group_sum_rounded_half_up(inputs: testing.QuoteInputs) -> None:
    q = inputs.quote()
    assert len({t.rate for t in q.vat_totals}) == len(q.vat_totals)
    for t in q.vat_totals:
        group = [line for line in q.lines if line.vat_rate == t.rate]
        taxable = total([line.taxable for line in group], q)
        assert t.taxable == taxable
        expected = (taxable.amount * t.rate.percent / 100).quantize(q.currency.quantum, rounding=ROUND_HALF_UP)
        assert t.vat.amount == expected
        assert total([line.vat for line in group], q) == t.vat
        for line in group:  # each line's share of the VAT is within one minor unit of its exact share
            if taxable.amount:
                exact = t.vat.amount * line.taxable.amount / taxable.amount
                assert abs(line.vat.amount - exact) < q.currency.quantum


@given(testing.quote_inputs(), st.sampled_from(Scope), st.booleans())
def test_p4_p5_an_inapplicable_promotion_changes_nothing_but_the_refusals(
    inputs: testing.QuoteInputs, scope: Scope, expired: bool
) -> None:
    before = inputs.quote()
    amount = Money.of(1, inputs.catalog.currency)
    if expired:
        extra = Promotion(
            code="ZZ-EXPIRED", scope=scope, benefit=AmountOff(amount=amount), valid_until=inputs.as_of - dt.timedelta(1)
        )
    else:
        extra = Promotion(code="ZZ-ELSEWHERE", scope=scope, benefit=AmountOff(amount=amount), targets={"NOT-SOLD"})
    after = quote(
        inputs.catalog,
        inputs.selections,
        as_of=inputs.as_of,
        promotions=(*inputs.promotions, extra),
        purchase=inputs.purchase,
    )
    reason = RefusalReason.EXPIRED if expired else RefusalReason.NOT_APPLICABLE
    assert next(r for r in after.refused if r.code == extra.code).reason is reason
    assert [r for r in after.refused if r.code != extra.code] == list(before.refused)
    assert (after.lines, after.applied, after.grand_total, after.vat_totals) == (
        before.lines,
        before.applied,
        before.grand_total,
        before.vat_totals,
    )


@given(testing.quote_inputs(), st.randoms(use_true_random=False))
def test_p5_quote_does_not_depend_on_input_order(inputs: testing.QuoteInputs, rnd: random.Random) -> None:
    selections = list(inputs.selections)
    promotions = list(inputs.promotions)
    rnd.shuffle(selections)
    rnd.shuffle(promotions)
    shuffled = quote(inputs.catalog, selections, as_of=inputs.as_of, promotions=promotions, purchase=inputs.purchase)
    assert shuffled == inputs.quote()


@given(testing.quote_inputs())
def test_p5_quoting_twice_gives_equal_results_and_every_promotion_is_accounted_for(
    inputs: testing.QuoteInputs,
) -> None:
    first, second = inputs.quote(), inputs.quote()
    assert first == second
    applied = {a.code for a in first.applied}
    refused = {r.code for r in first.refused}
    assert not applied & refused
    assert applied | refused == {p.code for p in inputs.promotions}


@given(testing.quote_inputs())
def test_p5_at_most_one_non_stackable_promotion_per_place(inputs: testing.QuoteInputs) -> None:
    q = inputs.quote()
    stackable = {p.code for p in inputs.promotions if p.stackable}
    invoice = {p.code for p in inputs.promotions if p.scope is Scope.INVOICE}
    for line in q.lines:
        assert len([d for d in line.discounts if d.code not in stackable]) <= 1
    assert len([a for a in q.applied if a.code in invoice and a.code not in stackable]) <= 1


@given(testing.catalogs())
def test_c1_generated_catalogs_price_every_option_at_its_catalog_price(catalog: Catalog) -> None:
    for product in catalog.products:
        for plan in product.plans:
            for option in plan.options:
                q = quote(catalog, [PlanSelection(plan=plan.code, option=option.code)], as_of=dt.date(2026, 1, 1))
                assert q.subtotal == option.price
                assert q.lines[0].unit_price == option.price
