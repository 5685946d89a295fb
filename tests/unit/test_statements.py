"""Statement lines, their outcomes and the report (Y3): validated values that never show the transfer text."""

from __future__ import annotations

import datetime as dt
import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core import statements
from subscription_core.calendar import VIETNAM_TZ
from subscription_core.errors import ValidationError
from subscription_core.money import Money
from subscription_core.statements import (
    MAX_LINE_ID,
    LineOutcome,
    LineResult,
    ReconciliationReport,
    StatementLine,
    mistyped_references,
)
from subscription_core.transfers import transfer_reference

VND_1M = Money.of(1_000_000, "VND")
AT = dt.datetime(2026, 11, 24, 10, 0, tzinfo=VIETNAM_TZ)


def test_y3_the_module_examples_run() -> None:
    assert doctest.testmod(statements).failed == 0


def test_d2_a_date_only_line_is_booked_at_the_start_of_that_day_in_hanoi() -> None:
    line = StatementLine.on_date(line_id="1", day=dt.date(2026, 11, 24), amount=VND_1M)
    assert line.booked_at == dt.datetime(2026, 11, 24, tzinfo=VIETNAM_TZ)
    assert line.booked_at.tzinfo == dt.UTC
    assert line.booked_on == dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"line_id": ""}, "line_id"),
        ({"line_id": " FT1"}, "line_id"),
        ({"line_id": "x" * (MAX_LINE_ID + 1)}, "line_id"),
        ({"line_id": "FT\n1"}, "line_id"),
        ({"booked_at": dt.datetime(2026, 11, 24, 10, 0)}, "booked_at"),  # noqa: DTZ001 - naive on purpose
        ({"booked_at": dt.date(2026, 11, 24)}, "booked_at"),
        ({"amount": Money.zero("VND")}, "amount"),
        ({"amount": Money.of(-5, "VND")}, "amount"),
        ({"amount": 1_000_000}, "amount"),
        ({"description": None}, "description"),
    ],
)
def test_y3_a_malformed_line_is_refused(changes: dict[str, object], field: str) -> None:
    fields: dict[str, object] = {"line_id": "FT1", "booked_at": AT, "amount": VND_1M, "description": "x"}
    fields.update(changes)
    with pytest.raises(ValidationError) as caught:
        StatementLine(**fields)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_y3_the_transfer_text_never_shows_in_a_repr() -> None:
    line = StatementLine(line_id="FT1", booked_at=AT, amount=VND_1M, description="NGUYEN VAN A chuyen tien")
    result = LineResult(line=line, outcome=LineOutcome.NO_REFERENCE, note="no transfer reference")
    report = ReconciliationReport(statement_id="s", results=(result,))
    for text in (repr(line), repr(result), repr(report)):
        assert "NGUYEN" not in text


def test_y3_only_recorded_lines_need_no_staff() -> None:
    assert {o for o in LineOutcome if not o.needs_staff} == {LineOutcome.RECORDED, LineOutcome.ALREADY_RECORDED}


def test_y3_the_report_counts_every_outcome() -> None:
    line = StatementLine(line_id="FT1", booked_at=AT, amount=VND_1M)
    results = tuple(
        LineResult(line=line, outcome=outcome, note="")
        for outcome in (LineOutcome.RECORDED, LineOutcome.PARTIAL, LineOutcome.PARTIAL)
    )
    report = ReconciliationReport(statement_id="s", results=results)
    assert report.counts[LineOutcome.PARTIAL] == 2
    assert report.counts[LineOutcome.CURRENCY] == 0
    assert sum(report.counts.values()) == 3
    assert report.needs_staff == results[1:]
    assert report.recorded == results[:1]


@given(st.text(min_size=1, max_size=30).filter(str.strip), st.integers(min_value=2, max_value=14))
def test_y3_a_mistyped_reference_is_told_apart_from_text_without_one(order_id: str, place: int) -> None:
    reference = transfer_reference(order_id)
    wrong = next(c for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ" if c != reference[place])
    mistyped = reference[:place] + wrong + reference[place + 1 :]
    assert mistyped_references(f"CK {mistyped} thanh toan") == (mistyped,)
    assert mistyped_references(f"CK {reference} thanh toan") == ()
    assert mistyped_references("CHUYEN TIEN SCB HOC PHI") == ()
    assert mistyped_references(None) == ()
