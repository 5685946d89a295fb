"""Line names on the e-invoice are Vietnamese (I4): "Gói Tiêu chuẩn (1 năm)", never "(1 year)".

The order line keeps its frozen English description (C5) for every other reader; the invoice rewrites the
term that pricing wrote, checked against the term the line's grant froze (O6).
"""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.catalog import Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.money import Money
from subscription_core.pricing import quote
from subscription_core.quotes import PlanSelection
from subscription_core.tax import VatSchedule
from subscription_core_adapters.einvoice import EInvoice, FormatVersion, to_xml
from subscription_core_adapters.einvoice.line_names import invoice_line_name, term_in_vietnamese

from .builders import SELLER, SERIES, T0, VND, mixed_request, request_from, simple_request
from .schemas import problems

_VI = {CycleUnit.DAY: "ngày", CycleUnit.MONTH: "tháng", CycleUnit.YEAR: "năm"}
_LONGEST = {CycleUnit.DAY: 30, CycleUnit.MONTH: 12, CycleUnit.YEAR: 3}


def catalog_of(plan_name: str, cycle: Cycle, cycles: int) -> Catalog:
    option = PricingOption(code="OPT", cycle=cycle, cycles=cycles, price=Money.of(1_200_000, VND))
    plan = Plan(code="P", name=plan_name, options=[option], vat=VatSchedule.flat("10%"))
    return Catalog(currency=VND, products=[Product(code="AMIS", name="AMIS", plans=[plan])])


def expected_term(cycle: Cycle, cycles: int) -> str:
    """Computed here from the option, independently of the adapter: "2 năm", "3 × 6 tháng"."""
    unit = _VI[cycle.unit]
    return f"{cycles} {unit}" if cycle.length == 1 else f"{cycles} × {cycle.length} {unit}"


def test_i4_the_plan_line_reads_goi_tieu_chuan_1_nam() -> None:
    request = simple_request()
    [line] = request.lines
    assert line.description == "Gói Tiêu chuẩn (1 year)"  # the order keeps its English description (C5)
    invoice = EInvoice.build(request, seller=SELLER, series=SERIES, number=1, issued_on=T0.date())
    assert invoice.content.lines[0].description == "Gói Tiêu chuẩn (1 năm)"
    assert "<THHDVu>Gói Tiêu chuẩn (1 năm)</THHDVu>" in to_xml(invoice).decode()


@given(
    st.text("Gói Tiêu chuẩn Nâng cao (1 year) ×", min_size=1, max_size=40).filter(str.strip),
    st.sampled_from(CycleUnit),
    st.integers(1, 12),
    st.integers(1, 3),
)
def test_i4_any_plan_option_is_named_in_vietnamese_on_the_invoice(
    name: str, unit: CycleUnit, length: int, cycles: int
) -> None:
    cycle = Cycle(unit, min(length, _LONGEST[unit]))
    priced = quote(catalog_of(name, cycle, cycles), [PlanSelection(plan="P", option="OPT")], as_of=T0.date())
    [line] = request_from(priced).lines
    assert words(invoice_line_name(line)) == words(f"{name} ({expected_term(cycle, cycles)})")
    assert words(line.description) == words(f"{name} ({english_term(cycle, cycles)})")  # the order keeps English


def words(text: str) -> str:
    return " ".join(text.split())


def english_term(cycle: Cycle, cycles: int) -> str:
    """The option's label as the catalog writes it: "1 year", "2 years", "3 × 6 months"."""
    if cycle.length == 1:
        return f"{cycles} {cycle.unit.value}{'' if cycles == 1 else 's'}"
    return f"{cycles} × {cycle.length} {cycle.unit.value}s"


def test_i4_a_plan_whose_own_name_ends_in_parentheses_keeps_them() -> None:
    name = "Gói Doanh nghiệp (1 year)"  # a vendor's plan name that happens to look like a term
    priced = quote(
        catalog_of(name, Cycle(CycleUnit.MONTH), 3), [PlanSelection(plan="P", option="OPT")], as_of=T0.date()
    )
    [line] = request_from(priced).lines
    assert line.description == "Gói Doanh nghiệp (1 year) (3 months)"
    assert invoice_line_name(line) == "Gói Doanh nghiệp (1 year) (3 tháng)"
    # A term that is not the one the line's grant froze is part of the name, and stays as written.
    assert invoice_line_name(attrs.evolve(line, description="Gói Doanh nghiệp (1 year)")) == "Gói Doanh nghiệp (1 year)"


def test_i4_a_line_frozen_before_its_grant_was_kept_is_still_named_in_vietnamese() -> None:
    [line] = simple_request().lines
    assert invoice_line_name(attrs.evolve(line, grant=None)) == "Gói Tiêu chuẩn (1 năm)"


def test_i4_add_on_lines_keep_the_catalogs_name_and_a_nameless_line_its_code() -> None:
    request = mixed_request()
    addons = [line for line in request.lines if line.code != "STD"]
    assert [invoice_line_name(line) for line in addons] == [line.description for line in addons]
    assert invoice_line_name(attrs.evolve(addons[0], description="")) == addons[0].code


def test_i4_terms_in_vietnamese_take_no_plural() -> None:
    assert term_in_vietnamese(1, "year") == "1 năm"
    assert term_in_vietnamese(3, "month") == "3 tháng"
    assert term_in_vietnamese(30, "day") == "30 ngày"
    assert term_in_vietnamese(6, "month", cycles=2) == "2 × 6 tháng"


def test_i4_the_vietnamese_names_fit_the_format_in_both_versions() -> None:
    for version in FormatVersion:
        invoice = EInvoice.build(
            mixed_request(), seller=SELLER, series=SERIES, number=1, issued_on=T0.date(), format_version=version
        )
        assert problems(to_xml(invoice), version) == []
