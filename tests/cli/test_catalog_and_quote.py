"""``check-catalog`` lists every problem with its path; ``quote`` prints the library's own ``quote()`` figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from subscription_core import load_catalog, quote
from subscription_core.errors import CatalogError
from subscription_core.promotions import PercentOff, Promotion, Scope
from subscription_core.quotes import AddonSelection, PlanSelection, Quote, Selection
from subscription_core_adapters.bootstrap import SqlWiring
from subscription_core_adapters.cli.render import amount

from .conftest import ROOT, Db, base_env, cli_env, no_traceback, run_cli

ONESME = ROOT / "examples" / "catalogs" / "onesme.toml"
AMIS = ROOT / "examples" / "catalogs" / "amis_vn.toml"
DAY = dt.date(2026, 12, 1)

BROKEN = """
currency = "VND"

[[products]]
code = "einvoice"
name = "Hóa đơn điện tử"
colour = "blue"

[[products.plans]]
code = "start"
name = "Start"
vat = "12%"
options = [{ code = "1m", cycle = "1 fortnight", price = -5 }]
"""


def test_check_catalog_lists_every_problem_with_its_path(tmp_path: Path) -> None:
    broken = tmp_path / "catalog.toml"
    broken.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(CatalogError) as raised:
        load_catalog(broken)
    expected = raised.value.problems
    assert len(expected) >= 3

    done = run_cli("check-catalog", broken)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == f"{broken}: {len(expected)} problems"
    assert [line.strip() for line in lines[1:]] == list(expected)
    assert any(line.strip().startswith("products[0].plans[0].options[0]") for line in lines[1:])
    assert no_traceback(done)

    good = run_cli("check-catalog", ONESME)
    assert good.returncode == 0
    assert good.stdout.strip() == f"{ONESME}: a valid catalog in VND: 1 product, 2 plans, 2 add-ons"


def rows(stdout: str) -> list[list[str]]:
    """The printed tables' rows, as their cells' text."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")] for line in stdout.splitlines() if "│" in line
    ]


def assert_printed(stdout: str, priced: Quote) -> None:
    """The breakdown shows the library's own lines, VAT per rate and totals, amounts as it formats them."""
    printed = rows(stdout)
    assert ["Grand total", amount(priced.grand_total)] in printed
    assert ["Before VAT", amount(priced.pretax_total)] in printed
    assert ["VAT", amount(priced.vat_total)] in printed
    for vat in priced.vat_totals:
        assert [vat.rate.label, amount(vat.taxable), amount(vat.vat)] in printed
    totals = [row[-1] for row in printed if len(row) == 10 and row[0] != "Item"]
    assert totals == [amount(line.total) for line in priced.lines]


def test_quote_prints_the_breakdown_of_the_library_quote() -> None:
    done = run_cli(
        "quote",
        *("--catalog", ONESME, "--plan", "onesme-business", "--option", "12m"),
        *("--addon", "onesme-backup", "--addon", "onesme-support-247", "--date", DAY.isoformat()),
        env={**base_env(), "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    selections: list[Selection] = [
        PlanSelection(plan="onesme-business", option="12m", ref="new"),
        AddonSelection(addon="onesme-backup"),
        AddonSelection(addon="onesme-support-247"),
    ]
    priced = quote(load_catalog(ONESME), selections, as_of=DAY)
    assert {vat.rate.label for vat in priced.vat_totals} == {"KCT", "8%"}  # two rates: both shown
    assert_printed(done.stdout, priced)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the book reads the same through either backend
def test_quote_with_the_app_applies_the_stored_promotion_book(db: Db, wired: SqlWiring) -> None:
    sale = Promotion(code="YEAR-END", scope=Scope.INVOICE, benefit=PercentOff(percent=Decimal(10)))
    with wired.services.uow() as uow:
        uow.promotions.add(sale)
        uow.commit()
    args = ("--catalog", AMIS, "--plan", "amis-professional", "--option", "1y", "--date", DAY.isoformat())
    done = run_cli("quote", *args, "--code", "year-end", "--code", "OLD", env=cli_env(db))
    assert done.returncode == 0, done.stderr
    selections = [PlanSelection(plan="amis-professional", option="1y", ref="new")]
    priced = quote(load_catalog(AMIS), selections, as_of=DAY, promotions=[sale], codes=["YEAR-END", "OLD"])
    assert priced.grand_total.amount == Decimal(10_800_000)
    assert_printed(done.stdout, priced)
    assert ["YEAR-END", "invoice", f"-{amount(priced.invoice_discount_total)}", ""] in rows(done.stdout)
    assert ["OLD", "", "", "unknown code"] in rows(done.stdout)


def test_a_refused_quote_prints_the_error_code_not_a_traceback() -> None:
    done = run_cli("quote", "--catalog", AMIS, "--plan", "amis-platinum", "--option", "1y")
    assert done.returncode == 1
    assert done.stderr.startswith("error [not_found")
    assert "amis-platinum" in done.stderr
    assert no_traceback(done)
