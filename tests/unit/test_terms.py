"""Term arithmetic from an anchor date (rule D3) and expiry instants (D2)."""

from __future__ import annotations

import bisect
import calendar as stdlib_calendar
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.calendar import VIETNAM_TZ
from subscription_core.catalog import CycleUnit
from subscription_core.errors import ValidationError
from subscription_core.terms import (
    Term,
    TermUnit,
    add_units,
    days_in,
    expiry_instant,
    term_after,
    term_containing,
    terms_between,
)

# Anchors on every day of the month, 29 February included, with room for terms to run for decades.
anchors = st.dates(min_value=date(1996, 1, 1), max_value=date(2080, 12, 31))
units = st.sampled_from([*TermUnit, *CycleUnit, "day", "month", "year"])


def _month_end_anchor(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, stdlib_calendar.monthrange(year, month)[1]))


month_end_days = st.builds(_month_end_anchor, st.integers(1996, 2080), st.integers(1, 12), st.integers(28, 31))


def _unit_of(unit: TermUnit | CycleUnit | str) -> TermUnit:
    return TermUnit(unit.value if isinstance(unit, (TermUnit, CycleUnit)) else unit)


@st.composite
def schedules(draw: st.DrawFn) -> tuple[date, TermUnit | CycleUnit | str, int]:
    """An anchor (often a month end), a unit and a length that together span several years in few terms."""
    anchor = draw(st.one_of(anchors, month_end_days))
    unit = draw(units)
    maximum = {TermUnit.DAY: 400, TermUnit.MONTH: 14, TermUnit.YEAR: 3}[_unit_of(unit)]
    return anchor, unit, draw(st.integers(min_value=1, max_value=maximum))


def _expected_day(anchor: date, start: date) -> int:
    """The anchor day, clamped to the length of ``start``'s month."""
    return min(anchor.day, stdlib_calendar.monthrange(start.year, start.month)[1])


# --- add_units ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, date(2027, 1, 31)),
        (1, date(2027, 2, 28)),
        (2, date(2027, 3, 31)),
        (3, date(2027, 4, 30)),
        (4, date(2027, 5, 31)),
        (5, date(2027, 6, 30)),
        (6, date(2027, 7, 31)),
        (7, date(2027, 8, 31)),
        (8, date(2027, 9, 30)),
        (9, date(2027, 10, 31)),
        (10, date(2027, 11, 30)),
        (11, date(2027, 12, 31)),
        (12, date(2028, 1, 31)),
        (13, date(2028, 2, 29)),
        (14, date(2028, 3, 31)),
    ],
)
def test_d3_jan_31_monthly_clamps_and_returns_to_31(count: int, expected: date) -> None:
    assert add_units(date(2027, 1, 31), TermUnit.MONTH, count) == expected


@pytest.mark.parametrize(
    ("years", "expected"),
    [(1, date(2029, 2, 28)), (2, date(2030, 2, 28)), (3, date(2031, 2, 28)), (4, date(2032, 2, 29))],
)
def test_d3_feb_29_yearly(years: int, expected: date) -> None:
    assert add_units(date(2028, 2, 29), TermUnit.YEAR, years) == expected


def test_d3_units_may_be_given_as_catalog_units_or_their_values() -> None:
    anchor = date(2027, 1, 31)
    assert add_units(anchor, CycleUnit.MONTH, 1) == add_units(anchor, "month", 1) == date(2027, 2, 28)
    assert add_units(anchor, CycleUnit.YEAR, 1) == add_units(anchor, "year", 1) == date(2028, 1, 31)
    assert add_units(anchor, CycleUnit.DAY, 30) == add_units(anchor, "day", 30) == date(2027, 3, 2)
    assert [unit.value for unit in TermUnit] == [unit.value for unit in CycleUnit]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((date(2027, 1, 31), "week", 1), "unit"),
        ((date(2027, 1, 31), "MONTH", 1), "unit"),
        ((date(2027, 1, 31), TermUnit.MONTH, -1), "count"),
        ((date(2027, 1, 31), TermUnit.MONTH, 1.0), "count"),
        ((date(2027, 1, 31), TermUnit.MONTH, True), "count"),
        ((datetime(2027, 1, 31, tzinfo=UTC), TermUnit.MONTH, 1), "anchor"),
        (("2027-01-31", TermUnit.MONTH, 1), "anchor"),
        ((date(9999, 1, 31), TermUnit.YEAR, 1), "count"),
        ((date(9999, 12, 31), TermUnit.DAY, 1), "count"),
    ],
)
def test_d3_bad_arguments_are_refused(args: tuple[object, object, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        add_units(*args)  # type: ignore[arg-type]
    assert caught.value.rule == "D3"
    assert caught.value.field == field


@given(anchor=anchors, unit=units, count=st.integers(min_value=0, max_value=240))
def test_d3_add_units_keeps_the_anchor_day(anchor: date, unit: TermUnit | CycleUnit | str, count: int) -> None:
    result = add_units(anchor, unit, count)
    term_unit = _unit_of(unit)
    if term_unit is TermUnit.DAY:
        assert result == anchor + timedelta(days=count)
        return
    months = count if term_unit is TermUnit.MONTH else 12 * count
    year, month_index = divmod(anchor.year * 12 + anchor.month - 1 + months, 12)
    assert (result.year, result.month) == (year, month_index + 1)
    assert result.day == _expected_day(anchor, result)


# --- terms -------------------------------------------------------------------------------------------


def test_d3_day_31_anchor_keeps_31_for_three_years() -> None:
    # A known bug elsewhere: stepping month by month from the previous end loses day 31 after April.
    terms = terms_between(date(2027, 1, 31), TermUnit.MONTH, 1, 0, 36)
    starts = [term.start for term in terms]
    assert len(starts) == 36
    for start in starts:
        assert start.day == stdlib_calendar.monthrange(start.year, start.month)[1]
    assert [s for s in starts if s.day == 31] == [
        date(year, month, 31) for year in (2027, 2028, 2029) for month in (1, 3, 5, 7, 8, 10, 12)
    ]
    assert date(2028, 2, 29) in starts
    assert terms[-1].end == date(2030, 1, 31)


def test_d3_quarterly_from_may_31() -> None:
    terms = terms_between(date(2026, 5, 31), "month", 3, 0, 5)
    assert [term.start for term in terms] == [
        date(2026, 5, 31),
        date(2026, 8, 31),
        date(2026, 11, 30),
        date(2027, 2, 28),
        date(2027, 5, 31),
    ]


def test_d3_term_after_by_index() -> None:
    assert term_after(date(2027, 1, 31), TermUnit.MONTH, 1, 0) == Term(start=date(2027, 1, 31), end=date(2027, 2, 28))
    assert term_after(date(2027, 1, 31), TermUnit.MONTH, 1, 1) == Term(start=date(2027, 2, 28), end=date(2027, 3, 31))
    assert term_after(date(2028, 2, 29), TermUnit.YEAR, 1, 3) == Term(start=date(2031, 2, 28), end=date(2032, 2, 29))
    assert term_after(date(2026, 1, 1), TermUnit.DAY, 30, 2) == Term(start=date(2026, 3, 2), end=date(2026, 4, 1))


def test_d3_term_containing_a_clamped_month_end_returns_the_later_term() -> None:
    anchor = date(2027, 1, 30)
    assert term_containing(anchor, TermUnit.MONTH, 1, date(2027, 2, 27)) == Term(
        start=date(2027, 1, 30), end=date(2027, 2, 28)
    )
    assert term_containing(anchor, TermUnit.MONTH, 1, date(2027, 2, 28)) == Term(
        start=date(2027, 2, 28), end=date(2027, 3, 30)
    )
    assert term_containing(anchor, TermUnit.MONTH, 1, date(2027, 3, 29)).end == date(2027, 3, 30)
    assert term_containing(anchor, TermUnit.MONTH, 1, date(2027, 3, 30)).start == date(2027, 3, 30)
    assert term_containing(anchor, TermUnit.MONTH, 1, anchor).start == anchor


def test_d3_term_containing_refuses_days_before_the_anchor() -> None:
    with pytest.raises(ValidationError) as caught:
        term_containing(date(2027, 1, 30), TermUnit.MONTH, 1, date(2027, 1, 29))
    assert caught.value.rule == "D3"
    assert caught.value.field == "day"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: term_after(date(2027, 1, 1), TermUnit.MONTH, 0, 0), "length"),
        (lambda: term_after(date(2027, 1, 1), TermUnit.MONTH, 1, -1), "index"),
        (lambda: terms_between(date(2027, 1, 1), TermUnit.MONTH, 1, 0, -1), "count"),
        (lambda: terms_between(date(2027, 1, 1), TermUnit.MONTH, 1, -1, 1), "first_index"),
        (lambda: term_containing(date(2027, 1, 1), TermUnit.MONTH, 0, date(2027, 1, 1)), "length"),
        (lambda: term_containing(date(2027, 1, 1), "fortnight", 1, date(2027, 1, 1)), "unit"),
        (lambda: Term(start=date(2027, 1, 1), end=date(2027, 1, 1)), "end"),
        (lambda: Term(start=datetime(2027, 1, 1, tzinfo=UTC), end=date(2027, 1, 2)), "start"),
    ],
)
def test_d3_bad_term_arguments_are_refused(call: object, field: str) -> None:
    assert callable(call)
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.rule == "D3"
    assert caught.value.field == field


def test_d3_terms_between_with_no_terms() -> None:
    assert terms_between(date(2027, 1, 31), TermUnit.MONTH, 1, 5, 0) == ()


def test_d3_days_in() -> None:
    assert days_in(term_after(date(2027, 1, 31), TermUnit.MONTH, 1, 0)) == 28
    assert days_in(term_after(date(2028, 1, 31), TermUnit.MONTH, 1, 0)) == 29
    assert days_in(term_after(date(2027, 1, 1), TermUnit.YEAR, 1, 0)) == 365
    assert days_in(term_after(date(2028, 1, 1), TermUnit.YEAR, 1, 0)) == 366


def test_d3_term_contains_its_days_only() -> None:
    term = Term(start=date(2027, 1, 31), end=date(2027, 2, 28))
    assert date(2027, 1, 31) in term
    assert date(2027, 2, 27) in term
    assert date(2027, 2, 28) not in term
    assert date(2027, 1, 30) not in term


@given(schedule=schedules(), first_index=st.integers(min_value=0, max_value=60), count=st.integers(1, 40))
def test_d3_terms_are_contiguous_and_keep_the_anchor_day(
    schedule: tuple[date, TermUnit | CycleUnit | str, int], first_index: int, count: int
) -> None:
    anchor, unit, length = schedule
    terms = terms_between(anchor, unit, length, first_index, count)
    assert len(terms) == count
    assert terms[0].start == add_units(anchor, unit, length * first_index)
    for index, term in enumerate(terms, start=first_index):
        assert term == term_after(anchor, unit, length, index)
        assert term.start < term.end
        assert days_in(term) == (term.end - term.start).days >= 1
        if _unit_of(unit) is not TermUnit.DAY:
            assert term.start.day == _expected_day(anchor, term.start)
            assert term.end.day == _expected_day(anchor, term.end)
    for earlier, later in itertools.pairwise(terms):
        assert earlier.end == later.start


@given(schedule=schedules(), offset=st.integers(min_value=0, max_value=40 * 366))
def test_d3_every_day_from_the_anchor_on_is_in_exactly_one_term(
    schedule: tuple[date, TermUnit | CycleUnit | str, int], offset: int
) -> None:
    anchor, unit, length = schedule
    day = anchor + timedelta(days=offset)
    term = term_containing(anchor, unit, length, day)
    assert term.start <= day < term.end
    # It is one of the anchor's terms, and its neighbours do not hold the day.
    shortest = {TermUnit.DAY: 1, TermUnit.MONTH: 28, TermUnit.YEAR: 365}[_unit_of(unit)] * length
    index = bisect.bisect_left(
        range(offset // shortest + 2), term.start, key=lambda i: add_units(anchor, unit, length * i)
    )
    assert term == term_after(anchor, unit, length, index)
    assert day not in term_after(anchor, unit, length, index + 1)
    if index:
        assert day not in term_after(anchor, unit, length, index - 1)


@given(schedule=schedules(), count=st.integers(min_value=1, max_value=12))
def test_d3_terms_tile_the_days_with_no_gap_and_no_overlap(
    schedule: tuple[date, TermUnit | CycleUnit | str, int], count: int
) -> None:
    anchor, unit, length = schedule
    # Enough terms to cross a few years whatever the unit, but not so many days that the test crawls.
    count = min(count, max(1, 3 * 366 // days_in(term_after(anchor, unit, length, 0))))
    terms = terms_between(anchor, unit, length, 0, count)
    day = anchor
    for term in terms:
        while day < term.end:
            assert [t for t in terms if day in t] == [term]
            assert term_containing(anchor, unit, length, day) == term
            day += timedelta(days=1)
    assert day == terms[-1].end


@pytest.mark.parametrize("anchor_day", range(1, 32))
def test_d3_every_anchor_day_of_the_month_across_three_years(anchor_day: int) -> None:
    anchor = date(2027, 1, anchor_day)
    terms = terms_between(anchor, TermUnit.MONTH, 1, 0, 37)
    for index, term in enumerate(terms):
        year, month = divmod(2027 * 12 + index, 12)
        assert term.start == date(year, month + 1, min(anchor_day, stdlib_calendar.monthrange(year, month + 1)[1]))
    for earlier, later in itertools.pairwise(terms):
        assert earlier.end == later.start


# --- expiry ------------------------------------------------------------------------------------------


def test_d3_d2_expiry_is_the_start_of_the_end_day_in_vietnam() -> None:
    term = term_after(date(2027, 1, 31), TermUnit.MONTH, 1, 0)
    expiry = expiry_instant(term)
    assert expiry == datetime(2027, 2, 28, tzinfo=VIETNAM_TZ)
    assert expiry == datetime(2027, 2, 27, 17, tzinfo=UTC)
    assert expiry.tzinfo is VIETNAM_TZ
