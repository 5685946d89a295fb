"""Catalogs as data (C1-C6): the example files load, bad files report every problem, round trips hold."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given

from subscription_core.catalog import AddonKind, Catalog, Cycle, CycleUnit
from subscription_core.catalog_files import (
    catalog_from_dict,
    catalog_from_json,
    catalog_from_toml,
    catalog_to_dict,
    load_catalog,
)
from subscription_core.errors import CatalogError
from subscription_core.money import Money
from subscription_core.tax import VatRate, VatSchedule
from subscription_core.testing import catalogs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "catalogs"
DOCS = ROOT / "docs" / "catalog.md"
KCT = VatRate.parse("KCT")
TEN, EIGHT = VatRate.parse("10%"), VatRate.parse("8%")

SMALL = """
currency = "VND"

[[products]]
code = "amis"
name = "MISA AMIS.VN"

[[products.plans]]
code = "standard"
name = "AMIS Standard"
vat = "KCT"
options = [{ code = "1y", cycle = "1 year", price = 6_000_000 }]
"""


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.DOTALL)


def problems_of(text: str) -> tuple[str, ...]:
    with pytest.raises(CatalogError) as info:
        catalog_from_toml(text)
    return info.value.problems


# --- the examples -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_c1_every_example_catalog_loads(path: Path) -> None:
    cat = load_catalog(path)
    assert cat.currency.code == "VND"
    assert catalog_from_dict(catalog_to_dict(cat)) == cat


def test_c1_there_is_an_example_per_system() -> None:
    assert {p.name for p in EXAMPLES.glob("*.toml")} >= {
        "amis_vn.toml",
        "amis_accounting.toml",
        "qlts.toml",
        "asp_accounting.toml",
        "onesme.toml",
    }


def test_c1_c2_c4_amis_vn_sells_packages_for_one_two_or_three_years() -> None:
    cat = load_catalog(EXAMPLES / "amis_vn.toml")
    standard = cat.plan("amis-standard")
    assert [o.term_units for o in standard.options] == [(CycleUnit.YEAR, 1), (CycleUnit.YEAR, 2), (CycleUnit.YEAR, 3)]
    assert standard.has_trial
    assert standard.trial_days == 15
    assert cat.plan("amis-enterprise").enterprise
    assert not cat.plan("amis-professional").enterprise
    storage = standard.quota("storage")
    assert storage is not None
    assert storage.unit == "GB"


def test_c3_c6_amis_vn_add_ons_are_training_and_storage_units() -> None:
    cat = load_catalog(EXAMPLES / "amis_vn.toml")
    kinds = {a.kind for a in cat.product("amis-vn").addons}
    assert kinds == {AddonKind.TRAINING, AddonKind.STORAGE}
    assert cat.addon("amis-storage-5gb").storage_per_unit == 5
    assert cat.addon("amis-training-onsite").goes_with("amis-enterprise")
    assert not cat.addon("amis-training-onsite").goes_with("amis-standard")


def test_c3_s5_amis_accounting_sells_a_monthly_data_retention_package() -> None:
    cat = load_catalog(EXAMPLES / "amis_accounting.toml")
    retention = cat.addon("amis-acc-retention")
    assert retention.kind is AddonKind.RETENTION
    assert retention.retention_unit == Cycle(CycleUnit.MONTH, 1)
    assert cat.product_of_addon("amis-acc-retention").purge_after_days == 30


def test_c1_qlts_and_asp_renew_one_year_at_a_time() -> None:
    for name in ("qlts.toml", "asp_accounting.toml"):
        cat = load_catalog(EXAMPLES / name)
        for plan in (p for prod in cat.products for p in prod.plans):
            assert plan.options[0].term_units == (CycleUnit.YEAR, 1)


def test_c1_c3_onesme_has_a_one_cycle_and_a_multi_cycle_package_and_services() -> None:
    cat = load_catalog(EXAMPLES / "onesme.toml")
    assert len(cat.plan("onesme-start").options) == 1
    business = cat.plan("onesme-business")
    assert [(o.cycle, o.cycles) for o in business.options] == [(Cycle(CycleUnit.MONTH), n) for n in (1, 3, 6, 12)]
    services = cat.product("onesme-einvoice").addons
    assert {a.kind for a in services} == {AddonKind.SERVICE}


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (dt.date(2025, 6, 30), TEN),
        (dt.date(2025, 7, 1), EIGHT),
        (dt.date(2026, 12, 31), EIGHT),
        (dt.date(2027, 1, 1), TEN),
    ],
)
def test_c6_examples_tax_services_by_date_and_licences_not_at_all(day: dt.date, rate: VatRate) -> None:
    cat = load_catalog(EXAMPLES / "amis_vn.toml")
    assert cat.addon("amis-training-basic").vat.rate_on(day) == rate
    assert cat.plan("amis-standard").vat.rate_on(day) == KCT
    assert load_catalog(EXAMPLES / "onesme.toml").addon("onesme-backup").vat.rate_on(day) == rate


# --- the format ---------------------------------------------------------------------------------------


def test_c1_prices_are_read_in_the_catalog_currency() -> None:
    cat = catalog_from_toml(SMALL)
    assert cat.plan("standard").option("1y").price == Money.of(6_000_000, "VND")


def test_c1_prices_may_be_decimal_text() -> None:
    text = SMALL.replace('"VND"', '"USD"').replace("6_000_000", '"12.50"')
    assert catalog_from_toml(text).plan("standard").option("1y").price == Money.of("12.50", "USD")


@pytest.mark.parametrize(
    ("text", "cycle"),
    [
        ("month", Cycle(CycleUnit.MONTH)),
        ("1 month", Cycle(CycleUnit.MONTH)),
        ("3 months", Cycle(CycleUnit.MONTH, 3)),
        ("30 days", Cycle(CycleUnit.DAY, 30)),
        ("2 Years", Cycle(CycleUnit.YEAR, 2)),
    ],
)
def test_c1_cycles_are_written_as_a_count_and_a_unit(text: str, cycle: Cycle) -> None:
    cat = catalog_from_toml(SMALL.replace('"1 year"', f'"{text}"'))
    assert cat.plan("standard").option("1y").cycle == cycle


def test_c6_vat_is_a_label_or_a_list_of_periods() -> None:
    periods = (
        '[{ rate = "10%", start = 2000-01-01, end = 2025-06-30 }, '
        '{ rate = "8%", start = 2025-07-01, end = 2026-12-31 }, { rate = "10%", start = 2027-01-01 }]'
    )
    cat = catalog_from_toml(SMALL.replace('vat = "KCT"', f"vat = {periods}"))
    vat = cat.plan("standard").vat
    assert [p.rate for p in vat.periods] == [TEN, EIGHT, TEN]
    assert vat.rate_on(dt.date(2026, 1, 1)) == EIGHT
    assert catalog_from_toml(SMALL).plan("standard").vat == VatSchedule.flat("KCT")


def test_c1_json_reads_the_same_shape_with_dates_as_text() -> None:
    data = catalog_to_dict(load_catalog(EXAMPLES / "amis_vn.toml"))
    assert catalog_from_json(json.dumps(data)) == load_catalog(EXAMPLES / "amis_vn.toml")


def test_c1_load_catalog_reads_json_files_by_their_suffix(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog_to_dict(catalog_from_toml(SMALL))), encoding="utf-8")
    assert load_catalog(path) == catalog_from_toml(SMALL)


def test_c1_catalog_to_dict_is_plain_data_without_defaults() -> None:
    data = catalog_to_dict(catalog_from_toml(SMALL))
    assert data == {
        "currency": "VND",
        "products": [
            {
                "code": "amis",
                "name": "MISA AMIS.VN",
                "plans": [
                    {
                        "code": "standard",
                        "name": "AMIS Standard",
                        "options": [{"code": "1y", "cycle": "1 year", "price": 6_000_000}],
                        "vat": "KCT",
                    }
                ],
            }
        ],
    }


def test_c1_catalog_to_dict_writes_decimals_as_text() -> None:
    text = SMALL.replace('"VND"', '"USD"').replace("6_000_000", '"12.50"')
    data = catalog_to_dict(catalog_from_toml(text))
    assert data["products"][0]["plans"][0]["options"][0]["price"] == "12.50"


@given(catalogs())
def test_c1_a_catalog_survives_a_round_trip_through_plain_data(cat: Catalog) -> None:
    assert catalog_from_dict(catalog_to_dict(cat)) == cat


@given(catalogs(currency="USD"))
def test_c1_a_catalog_survives_a_round_trip_through_json(cat: Catalog) -> None:
    assert catalog_from_json(json.dumps(catalog_to_dict(cat))) == cat


# --- problems -----------------------------------------------------------------------------------------

BROKEN = """
currency = "VND"
version = 2

[[products]]
code = "amis"
name = ""

[[products.plans]]
code = "standard"
name = "AMIS Standard"
trial_days = 15.0
options = [
  { code = "1y", cycle = "1 fortnight", price = 1.5 },
  { code = "bad code", cycle = "1 year", cycles = 0, price = -5, colour = "red" },
]

[[products.plans]]
code = "pro"
name = "AMIS Professional"
vat = [{ rate = "10%", start = 2000-01-01 }, { rate = "8%", start = 2025-07-01, end = 2024-12-31 }]
options = [{ code = "1y", cycle = "1 year", price = "6000000" }]

[[products.addons]]
code = "training"
name = "Training"
kind = "lesson"
price = "1.5"
plans = "standard"
vat = "12%"
"""


def test_c1_a_broken_file_reports_every_problem_with_its_path() -> None:
    assert problems_of(BROKEN) == (
        "products[0].name: must be a non-empty text, got ''",
        (
            "products[0].plans[0].options[0].cycle: "
            'must be a cycle such as "1 month", "3 months", "30 days" or "1 year", got \'1 fortnight\''
        ),
        (
            "products[0].plans[0].options[0].price: "
            'must be a whole number or a decimal text such as "12.50", never a float (put decimals in quotes), got 1.5'
        ),
        (
            "products[0].plans[0].options[1].code: "
            "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, got 'bad code'"
        ),
        "products[0].plans[0].options[1].cycles: must be a whole number >= 1 and <= 120, got 0",
        "products[0].plans[0].options[1].price: must be >= 0, got -5",
        "products[0].plans[0].options[1].colour: unknown key (expected one of code, cycle, cycles, price)",
        "products[0].plans[0].vat: is required",
        "products[0].plans[0].trial_days: must be a whole number, got 15.0",
        "products[0].plans[1].vat[1].end: VAT period ends before it starts, got 2024-12-31",
        "products[0].addons[0].kind: must be one of training, storage, service, retention, got 'lesson'",
        "products[0].addons[0].price: has more decimals than VND allows (0), got 1.5",
        "products[0].addons[0].plans: must be a list [...], got 'standard'",
        "products[0].addons[0].vat: VAT rate must be KCT, KKKNT, 0%, 5%, 8% or 10%, got '12%'",
        "version: unknown key (expected one of currency, products)",
    )


def test_c1_a_bad_file_raises_a_catalog_error_and_no_cattrs_traceback() -> None:
    with pytest.raises(CatalogError) as info:
        catalog_from_toml(BROKEN)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert str(info.value).startswith("[C1] catalog is invalid (15 problems)\n  products[0].name:")


@pytest.mark.parametrize("price", ["1.5", "1e6", "6000000.0", "inf", "nan"])
def test_p7_float_prices_are_refused_in_toml(price: str) -> None:
    (problem,) = problems_of(SMALL.replace("6_000_000", price))
    assert problem.startswith("products[0].plans[0].options[0].price: must be a whole number or a decimal text")
    assert "never a float" in problem


def test_p7_float_prices_are_refused_in_json() -> None:
    data = catalog_to_dict(catalog_from_toml(SMALL))
    data["products"][0]["plans"][0]["options"][0]["price"] = 1.5
    with pytest.raises(CatalogError, match="never a float"):
        catalog_from_json(json.dumps(data))


def test_p7_floats_are_refused_from_plain_data_too() -> None:
    data = catalog_to_dict(catalog_from_toml(SMALL))
    data["products"][0]["plans"][0]["options"][0]["price"] = 6e6
    with pytest.raises(CatalogError, match="never a float"):
        catalog_from_dict(data)


def test_c1_whole_number_fields_refuse_floats_bools_and_text() -> None:
    text = SMALL.replace("price = 6_000_000 }", "price = 1, cycles = true }") + 'trial_days = "15"\n'
    assert problems_of(text) == (
        "products[0].plans[0].options[0].cycles: must be a whole number, got True",
        "products[0].plans[0].trial_days: must be a whole number, got '15'",
    )


def test_c1_unknown_keys_are_reported_at_every_level() -> None:
    text = 'vendor = "MISA"\n' + SMALL.replace('vat = "KCT"', 'vat = "KCT"\nprice = 5\ntrial = 15')
    assert problems_of(text) == (
        (
            "products[0].plans[0].price: unknown key "
            "(expected one of code, name, options, vat, quotas, trial_days, enterprise)"
        ),
        (
            "products[0].plans[0].trial: unknown key "
            "(expected one of code, name, options, vat, quotas, trial_days, enterprise)"
        ),
        "vendor: unknown key (expected one of currency, products)",
    )


def test_c1_missing_keys_are_reported_with_their_path() -> None:
    text = SMALL.replace('name = "AMIS Standard"\n', "").replace(", price = 6_000_000", "")
    assert problems_of(text) == (
        "products[0].plans[0].name: is required",
        "products[0].plans[0].options[0].price: is required",
    )


def test_c1_an_empty_file_misses_currency_and_products() -> None:
    assert problems_of("") == ("currency: is required", "products: is required")


def test_c1_an_unknown_currency_is_reported_with_the_other_problems() -> None:
    text = SMALL.replace('"VND"', '"VNĐ"').replace('"KCT"', '"VAT"')
    assert problems_of(text) == (
        "currency: unknown currency; known: CNY, EUR, JPY, KRW, SGD, THB, USD, VND, got 'VNĐ'",
        "products[0].plans[0].vat: VAT rate must be KCT, KKKNT, 0%, 5%, 8% or 10%, got 'VAT'",
    )


def test_c3_add_ons_naming_unknown_plans_are_reported() -> None:
    text = (
        SMALL
        + """
[[products.addons]]
code = "training"
name = "Training"
kind = "training"
price = 1_500_000
plans = ["standard", "gold"]
vat = "10%"
"""
    )
    assert problems_of(text) == ("products[0].addons[0].plans: names no plan of the catalog, got 'gold'",)


def test_c1_duplicate_codes_are_reported() -> None:
    second = SMALL.split("[[products]]")[1].replace('"amis"', '"amis2"')
    assert problems_of(SMALL + "[[products]]" + second) == (
        "products[1].plans[0].code: duplicate plan code, also at products[0].plans[0], got 'standard'",
    )


def test_c1_a_price_in_another_currency_is_reported() -> None:
    assert problems_of(SMALL.replace("6_000_000", '"250 USD"')) == (
        "products[0].plans[0].options[0].price: currency must be the catalog's VND, got 'USD'",
    )


def test_c6_overlapping_vat_periods_are_reported_with_their_path() -> None:
    periods = '[{ rate = "10%", start = 2000-01-01 }, { rate = "8%", start = 2025-07-01 }]'
    assert problems_of(SMALL.replace('vat = "KCT"', f"vat = {periods}")) == (
        "products[0].plans[0].vat: VAT periods overlap, got '2000-01-01 and 2025-07-01'",
    )


def test_c6_a_vat_period_needs_a_rate_and_a_start_date() -> None:
    periods = '[{ rate = 10, start = "July" }, { end = 2025-07-01 }]'
    assert problems_of(SMALL.replace('vat = "KCT"', f"vat = {periods}")) == (
        'products[0].plans[0].vat[0].rate: must be a VAT label such as "10%" or "KCT", got 10',
        "products[0].plans[0].vat[0].start: must be a date such as 2025-07-01, got 'July'",
        "products[0].plans[0].vat[1].rate: is required",
        "products[0].plans[0].vat[1].start: is required",
    )


OPTION = '{ code = "1y", cycle = "1 year", price = 6_000_000 }'
AT_PLAN = "products[0].plans[0]"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('vat = "KCT"', "vat = []", f"{AT_PLAN}.vat: a VAT schedule needs at least one period, got ()"),
        ('vat = "KCT"', "vat = 5", f'{AT_PLAN}.vat: must be a VAT label such as "10%" or a list of periods'),
        ("6_000_000", '"abc"', f"{AT_PLAN}.options[0].price: is not a number, got 'abc'"),
        ("6_000_000", '"NaN"', f"{AT_PLAN}.options[0].price: must be finite, got 'NaN'"),
        ("6_000_000", "true", f"{AT_PLAN}.options[0].price: must be a whole number or a decimal text"),
        ("6_000_000", '"10 XYZ"', f"{AT_PLAN}.options[0].price: unknown currency;"),
        ('vat = "KCT"', 'vat = "KCT"\nenterprise = "yes"', f"{AT_PLAN}.enterprise: must be true or false, got 'yes'"),
        ('vat = "KCT"', "vat = \"KCT\"\nquotas = [{ code = 'seats', amount = -1 }]", f"{AT_PLAN}.quotas[0].amount:"),
        ('vat = "KCT"', 'vat = "KCT"\nname = 5', "not valid TOML: "),
        (OPTION, "", f"{AT_PLAN}.options: a plan needs at least one pricing option, got ()"),
        ('name = "MISA AMIS.VN"', 'name = "MISA AMIS.VN"\nwarning_days = [7, 0]', "products[0].warning_days: warning"),
        ('name = "MISA AMIS.VN"', 'name = "MISA AMIS.VN"\npurge_after_days = 0', "products[0].purge_after_days:"),
        ('name = "AMIS Standard"', "name = 5", f"{AT_PLAN}.name: must be a text in quotes, got 5"),
    ],
)
def test_c1_each_problem_names_its_path(old: str, new: str, problem: str) -> None:
    (found,) = problems_of(SMALL.replace(old, new))
    assert found.startswith(problem)


ADDON = """
[[products.addons]]
code = "extra"
name = "Extra"
price = 1
vat = "KCT"
"""


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ('kind = "retention"\nplans = ["standard"]', "retention_unit: a retention package must say how long"),
        ('kind = "storage"\nplans = ["standard"]', "storage_per_unit: a storage add-on must say how much one unit"),
        ('kind = "service"\nplans = []', "plans: an add-on must name the plans it goes with, got []"),
        (
            'kind = "service"\nplans = ["standard"]\nmax_quantity = 0',
            "max_quantity: must be a whole number >= 1 and <= 10,000, got 0",
        ),
        ('kind = "service"\nplans = ["standard"]\nretention_unit = "fortnight"', "retention_unit: must be a cycle"),
        ('kind = "service"\nplans = [1]', "plans[0]: must be a text in quotes, got 1"),
    ],
)
def test_c3_each_add_on_problem_names_its_path(fields: str, problem: str) -> None:
    (found,) = problems_of(SMALL.replace("[[products.plans]]", ADDON + fields + "\n\n[[products.plans]]"))
    assert found.startswith(f"products[0].addons[0].{problem}")


def test_c1_a_table_where_a_list_is_expected_is_reported() -> None:
    text = SMALL.replace('options = [{ code = "1y", cycle = "1 year", price = 6_000_000 }]', "options = 5")
    assert problems_of(text) == ("products[0].plans[0].options: must be a list [...], got 5",)


def test_c1_a_list_item_that_is_not_a_table_is_reported() -> None:
    text = SMALL.replace('options = [{ code = "1y", cycle = "1 year", price = 6_000_000 }]', 'options = ["1y"]')
    assert problems_of(text) == ("products[0].plans[0].options[0]: must be a table of keys and values, got '1y'",)


def test_c1_a_catalog_needs_a_product() -> None:
    assert problems_of('currency = "VND"\nproducts = []') == ("products: a catalog needs at least one product",)


def test_c1_cross_field_checks_run_once_the_fields_are_right() -> None:
    text = SMALL.replace(
        'options = [{ code = "1y", cycle = "1 year", price = 6_000_000 }]',
        'options = [{ code = "1y", cycle = "1 year", price = 1 }, { code = "1y", cycle = "1 year", price = 2 }]',
    )
    assert problems_of(text) == ("products[0].plans[0].options: duplicate code, got '1y'",)


def test_c1_invalid_toml_is_a_catalog_error() -> None:
    (problem,) = problems_of('currency = "VND"\nprice = 1.5.2')
    assert problem.startswith("not valid TOML: ")


def test_c1_invalid_json_is_a_catalog_error() -> None:
    with pytest.raises(CatalogError) as info:
        catalog_from_json('{"currency": "VND", "products": [}')
    assert info.value.problems == ("not valid JSON: Expecting value at line 1, column 34",)


@pytest.mark.parametrize("data", [[1, 2], "catalog", None])
def test_c1_a_catalog_is_a_table(data: object) -> None:
    with pytest.raises(CatalogError) as info:
        catalog_from_dict(data)  # type: ignore[arg-type]
    assert info.value.problems == (f"catalog: must be a table of keys and values, got {data!r}",)


def test_c1_a_missing_file_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path / "missing.toml")
    assert info.value.problems == (f"{tmp_path / 'missing.toml'}: cannot be read (No such file or directory)",)


def test_c1_a_file_that_is_not_utf8_is_a_catalog_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(SMALL.replace("MISA", "MISA \xe9").encode("latin-1"))
    with pytest.raises(CatalogError, match="is not UTF-8 text"):
        load_catalog(path)


def test_c1_decimal_values_are_never_read_from_floats() -> None:
    cat = catalog_from_toml(SMALL.replace("6_000_000", '"6000000.000"'))
    assert cat.plan("standard").option("1y").price.amount == Decimal(6_000_000)


# --- the docs -----------------------------------------------------------------------------------------


def test_c1_the_example_in_the_docs_loads() -> None:
    (example,) = doc_blocks("toml")
    cat = catalog_from_toml(example)
    assert cat.plan("amis-standard").option("2y").price == Money.of(11_000_000, "VND")
    assert cat.addon("amis-training").vat.rate_on(dt.date(2026, 1, 1)) == EIGHT
    assert cat.plan("amis-enterprise").enterprise


def test_c1_the_python_example_in_the_docs_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (code,) = doc_blocks("python")
    monkeypatch.chdir(ROOT)
    exec(code, {})  # noqa: S102 - the docs' own example, run as written
    assert capsys.readouterr().out == "11,000,000 VND\n"


def test_c1_the_error_shown_in_the_docs_is_what_a_user_sees() -> None:
    (shown,) = doc_blocks("text")
    text = """
version = 1
currency = "VND"

[[products]]
code = "amis"
name = "AMIS"
addons = [{ code = "t", name = "Training", kind = "lesson", price = 1, plans = ["standard"], vat = "10%" }]

[[products.plans]]
code = "standard"
name = "Standard"
vat = "KCT"
options = [{ code = "1y", cycle = "1 year", price = 1 }, { code = "2y", cycle = "1 year", price = -5 }]
"""
    with pytest.raises(CatalogError) as info:
        catalog_from_toml(text)
    assert str(info.value) == shown.strip()
