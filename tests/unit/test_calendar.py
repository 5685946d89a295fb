"""Business days, local dates and deadlines (rules D1, D2, D4)."""

from __future__ import annotations

import doctest
import threading
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import attrs
import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.calendar import (
    VIETNAM_TZ,
    BusinessCalendar,
    end_of_local_day,
    ensure_aware,
    local_date,
    start_of_local_day,
)
from subscription_core.errors import ValidationError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "calendar.md"

CALENDAR = BusinessCalendar()
PRIVATE_SECTOR = BusinessCalendar(apply_government_swaps=False)
NAIVE = datetime(2026, 12, 31, 18)  # noqa: DTZ001 - refusing naive datetimes is what D2 tests prove

# Dates the holiday data covers well: observed days start in 1995 and the package stops at 2100.
local_days = st.dates(min_value=date(1996, 1, 1), max_value=date(2099, 6, 30))
calendars = st.builds(
    BusinessCalendar,
    extra_days_off=st.frozensets(local_days, max_size=5),
    apply_government_swaps=st.booleans(),
)


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM_TZ)


# --- D1: which days are business days ---------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        # Tết 2026: Lunar New Year's Eve (Mon 16 Feb) to the fourth day (Fri 20 Feb).
        *(date(2026, 2, d) for d in range(16, 21)),
        # Tết 2027: 29 Tết (Thu 4 Feb) to the fifth day (Wed 10 Feb), weekend included.
        *(date(2027, 2, d) for d in range(4, 11)),
    ],
)
def test_d1_tet_is_not_a_business_day(day: date) -> None:
    assert not CALENDAR.is_business_day(day)
    assert not PRIVATE_SECTOR.is_business_day(day)


@pytest.mark.parametrize("day", [date(2026, 2, 13), date(2026, 2, 23), date(2027, 2, 3), date(2027, 2, 11)])
def test_d1_days_around_tet_are_business_days(day: date) -> None:
    assert CALENDAR.is_business_day(day)


@pytest.mark.parametrize("day_off", [date(2025, 5, 2), date(2026, 8, 31)])
def test_d1_swapped_day_off_is_not_a_business_day(day_off: date) -> None:
    assert day_off.weekday() < 5
    assert not CALENDAR.is_business_day(day_off)


@pytest.mark.parametrize("saturday", [date(2025, 4, 26), date(2026, 8, 22)])
def test_d1_make_up_saturday_is_a_business_day(saturday: date) -> None:
    assert saturday.weekday() == 5
    assert CALENDAR.is_business_day(saturday)


@pytest.mark.parametrize(
    ("day_off", "saturday"),
    [
        (date(2025, 5, 2), date(2025, 4, 26)),
        (date(2026, 8, 31), date(2026, 8, 22)),
        # A swap across the new year: 2015-01-02 off, made up on Sat 2014-12-27.
        (date(2015, 1, 2), date(2014, 12, 27)),
    ],
)
def test_d1_ignoring_government_swaps_restores_both_days(day_off: date, saturday: date) -> None:
    assert not CALENDAR.is_business_day(day_off)
    assert CALENDAR.is_business_day(saturday)
    assert PRIVATE_SECTOR.is_business_day(day_off)
    assert not PRIVATE_SECTOR.is_business_day(saturday)


@pytest.mark.parametrize(
    "day",
    [
        date(2027, 5, 3),  # Labor Day on Sat 2027-05-01, observed on Monday
        date(2026, 4, 27),  # Hùng Kings' day on Sun 2026-04-26, observed on Monday
        date(2026, 9, 1),  # the extra National Day holiday
    ],
)
def test_d1_observed_holidays_are_not_swaps(day: date) -> None:
    assert not CALENDAR.is_business_day(day)
    assert not PRIVATE_SECTOR.is_business_day(day)


def test_d1_every_package_swap_is_known_as_one() -> None:
    # Guards the assumption calendar.py makes about the holidays package: each swap it records is labelled
    # as a substituted day off, and every make-up weekend day belongs to one, so ignoring swaps drops both.
    package = holidays.country_holidays("VN", years=range(2009, 2028), language="en_US")
    substituted = {day for day, name in package.items() if name.startswith("Day off (substituted from")}
    for day in substituted:
        assert PRIVATE_SECTOR.is_business_day(day), day
    for day in package.weekend_workdays:
        assert CALENDAR.is_business_day(day), day
        assert not PRIVATE_SECTOR.is_business_day(day), day
    assert date(2025, 5, 2) in substituted
    assert len(package.weekend_workdays) == len(substituted)


def test_d1_host_extra_day_off() -> None:
    # Without the library's own swaps (D5), the package alone misses Fri 2026-01-02; the host adds it.
    package_only = BusinessCalendar(day_swaps=())
    assert package_only.is_business_day(date(2026, 1, 2))
    host = BusinessCalendar(day_swaps=(), extra_days_off=frozenset({date(2026, 1, 2)}))
    assert not host.is_business_day(date(2026, 1, 2))
    assert host.next_business_day(date(2026, 1, 1)) == date(2026, 1, 5)


def test_d1_host_extra_working_day() -> None:
    host = BusinessCalendar(day_swaps=(), extra_working_days=frozenset({date(2026, 1, 10)}))
    assert not BusinessCalendar(day_swaps=()).is_business_day(date(2026, 1, 10))
    assert host.is_business_day(date(2026, 1, 10))
    assert host.add_business_days(date(2026, 1, 9), 1) == date(2026, 1, 10)
    assert not CALENDAR.is_business_day(date(2026, 1, 17))  # a Saturday no swap touches
    assert BusinessCalendar(extra_working_days=frozenset({date(2026, 1, 17)})).is_business_day(date(2026, 1, 17))


def test_d1_host_days_win_over_the_package_and_the_swap_setting() -> None:
    host = BusinessCalendar(
        extra_days_off=frozenset({date(2025, 4, 26)}),  # a make-up Saturday of the package
        extra_working_days=frozenset({date(2026, 9, 1), date(2026, 8, 22)}),  # a holiday and a make-up Saturday
        apply_government_swaps=False,
    )
    assert not host.is_business_day(date(2025, 4, 26))
    assert host.is_business_day(date(2026, 9, 1))
    assert host.is_business_day(date(2026, 8, 22))
    assert host.is_business_day(date(2025, 5, 2))  # the swap itself is still ignored


def test_d1_a_day_both_off_and_working_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        BusinessCalendar(extra_days_off=frozenset({date(2026, 1, 2)}), extra_working_days=frozenset({date(2026, 1, 2)}))
    assert caught.value.rule == "D1"
    assert caught.value.field == "extra_working_days"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"extra_days_off": {date(2026, 1, 2)}}, "extra_days_off"),
        ({"extra_days_off": frozenset({"2026-01-02"})}, "extra_days_off"),
        ({"extra_working_days": frozenset({datetime(2026, 1, 10, tzinfo=UTC)})}, "extra_working_days"),
        ({"apply_government_swaps": "no"}, "apply_government_swaps"),
    ],
)
def test_d1_bad_calendar_settings_are_refused(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_d1_weekends_are_not_business_days_and_weekdays_are() -> None:
    week = [date(2026, 3, 9) + timedelta(days=i) for i in range(7)]  # Mon 9 to Sun 15 March 2026, no holiday
    assert [CALENDAR.is_business_day(day) for day in week] == [True] * 5 + [False] * 2


def test_d1_calendar_loads_nothing_until_asked_and_stays_a_value() -> None:
    fresh = BusinessCalendar()
    assert fresh._years == {}
    fresh.is_business_day(date(2025, 4, 26))
    assert 2025 in fresh._years
    assert 2026 not in fresh._years
    assert fresh == BusinessCalendar()
    assert hash(fresh) == hash(BusinessCalendar())
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fresh.apply_government_swaps = False  # type: ignore[misc]
    assert attrs.evolve(fresh, apply_government_swaps=False)._years == {}


def test_d1_calendar_may_be_shared_between_threads() -> None:
    shared = BusinessCalendar()
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(4 * 366)]
    expected = [CALENDAR.is_business_day(day) for day in days]
    results: list[list[bool]] = []

    def work() -> None:
        results.append([shared.is_business_day(day) for day in days])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 8


@pytest.mark.parametrize("bad", [datetime(2026, 1, 2, tzinfo=UTC), "2026-01-02", None])
def test_d1_d2_is_business_day_takes_only_a_date(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        CALENDAR.is_business_day(bad)  # type: ignore[arg-type]
    assert caught.value.rule == "D2"
    assert caught.value.field == "day"


# --- D4: counting business days from an event ------------------------------------------------------


def test_d4_friday_holiday_plus_one_business_day_is_tuesday() -> None:
    # Fri 30 April and Sat 1 May are holidays, Labor Day is observed on Mon 3 May.
    assert CALENDAR.add_business_days(date(2027, 4, 30), 1) == date(2027, 5, 4)
    assert CALENDAR.next_business_day(date(2027, 4, 30)) == date(2027, 5, 4)


def test_d4_y3_money_received_on_friday_is_due_by_the_end_of_tuesday() -> None:
    due = CALENDAR.deadline(vn(2027, 4, 30, 10), 1)
    assert due == datetime(2027, 5, 4, 23, 59, 59, 999999, tzinfo=VIETNAM_TZ)
    assert due.tzinfo is not None
    assert due.astimezone(UTC) == datetime(2027, 5, 4, 16, 59, 59, 999999, tzinfo=UTC)


def test_d4_payment_on_the_eve_of_the_tet_break_is_due_after_tet() -> None:
    # Wed 2027-02-03 is the last business day before the break (Thu 4 to Wed 10 February).
    assert CALENDAR.add_business_days(date(2027, 2, 3), 1) == date(2027, 2, 11)
    assert CALENDAR.deadline(vn(2027, 2, 3, 16), 1) == end_of_local_day(date(2027, 2, 11))


def test_d4_d2_late_friday_and_early_saturday_are_told_apart_by_local_date() -> None:
    friday_late = datetime(2026, 7, 3, 16, 30, tzinfo=UTC)  # Fri 23:30 in Vietnam
    saturday_early = datetime(2026, 7, 3, 17, 30, tzinfo=UTC)  # Sat 00:30 in Vietnam, still Friday in UTC
    assert local_date(friday_late) == date(2026, 7, 3)
    assert local_date(saturday_early) == date(2026, 7, 4)
    # Both count from the day after: Monday 6 July is the first business day either way.
    assert CALENDAR.deadline(friday_late, 1) == end_of_local_day(date(2026, 7, 6))
    assert CALENDAR.deadline(saturday_early, 1) == end_of_local_day(date(2026, 7, 6))
    # A Friday event is its own day for n == 0; the Saturday one is not.
    assert CALENDAR.deadline(friday_late, 0) == end_of_local_day(date(2026, 7, 3))
    assert CALENDAR.deadline(saturday_early, 0) == end_of_local_day(date(2026, 7, 4))


def test_d4_d2_late_thursday_and_early_friday_get_different_deadlines() -> None:
    thursday_late = datetime(2026, 7, 2, 16, 30, tzinfo=UTC)  # Thu 23:30 local
    friday_early = datetime(2026, 7, 2, 17, 30, tzinfo=UTC)  # Fri 00:30 local
    assert CALENDAR.deadline(thursday_late, 1) == end_of_local_day(date(2026, 7, 3))
    assert CALENDAR.deadline(friday_early, 1) == end_of_local_day(date(2026, 7, 6))


@pytest.mark.parametrize("day", [date(2027, 4, 30), date(2027, 5, 1), date(2026, 7, 6)])
def test_d4_zero_business_days_is_the_day_itself(day: date) -> None:
    assert CALENDAR.add_business_days(day, 0) == day


@pytest.mark.parametrize("n", [-1, -30, True, 1.0, "1"])
def test_d4_negative_or_non_whole_counts_are_refused(n: object) -> None:
    with pytest.raises(ValidationError) as caught:
        CALENDAR.add_business_days(date(2026, 7, 6), n)  # type: ignore[arg-type]
    assert caught.value.rule == "D4"
    assert caught.value.field == "n"
    with pytest.raises(ValidationError):
        CALENDAR.deadline(vn(2026, 7, 6), n)  # type: ignore[arg-type]


def test_d4_counting_past_the_last_date_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        CALENDAR.add_business_days(date(9999, 12, 30), 3)
    assert caught.value.rule == "D4"


@given(calendar=calendars, day=local_days, n=st.integers(min_value=1, max_value=40))
def test_d4_result_is_the_nth_business_day_after(calendar: BusinessCalendar, day: date, n: int) -> None:
    result = calendar.add_business_days(day, n)
    assert result > day
    assert calendar.is_business_day(result)
    between = [day + timedelta(days=i) for i in range(1, (result - day).days + 1)]
    assert sum(calendar.is_business_day(d) for d in between) == n


@given(calendar=calendars, day=local_days, n=st.integers(min_value=0, max_value=20), m=st.integers(0, 20))
def test_d4_counting_composes(calendar: BusinessCalendar, day: date, n: int, m: int) -> None:
    assert calendar.add_business_days(calendar.add_business_days(day, n), m) == calendar.add_business_days(day, n + m)


@given(
    calendar=calendars,
    event=st.datetimes(
        # hypothesis takes naive bounds and attaches the zones itself
        min_value=datetime(1996, 1, 2),  # noqa: DTZ001
        max_value=datetime(2099, 6, 1),  # noqa: DTZ001
        timezones=st.sampled_from([UTC, VIETNAM_TZ]),
    ),
    n=st.integers(min_value=0, max_value=15),
)
def test_d4_d2_deadline_is_the_end_of_the_local_day(calendar: BusinessCalendar, event: datetime, n: int) -> None:
    due = calendar.deadline(event, n)
    last_day = calendar.add_business_days(local_date(event), n)
    assert due == end_of_local_day(last_day)
    assert due.astimezone(VIETNAM_TZ).date() == last_day
    assert due + timedelta(microseconds=1) == start_of_local_day(last_day + timedelta(days=1))
    assert due >= event


def test_d4_docs_examples_run() -> None:
    failures, tried = doctest.testfile(str(DOCS), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0


# --- D2: instants and local dates -------------------------------------------------------------------


def test_d2_naive_datetime_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        ensure_aware(datetime(2026, 1, 1, 9), field="received_at")  # noqa: DTZ001 - the naive input is the point
    assert caught.value.rule == "D2"
    assert caught.value.field == "received_at"
    assert "received_at" in str(caught.value)


def test_d2_ensure_aware_default_field_and_non_datetimes() -> None:
    with pytest.raises(ValidationError) as caught:
        ensure_aware(date(2026, 1, 1))  # type: ignore[arg-type]
    assert caught.value.field == "at"
    with pytest.raises(ValidationError):
        ensure_aware("2026-01-01T00:00Z")  # type: ignore[arg-type]


def test_d2_aware_datetime_is_returned_unchanged() -> None:
    instant = datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=-5)))
    assert ensure_aware(instant) is instant


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: local_date(NAIVE), "instant"),
        (lambda: CALENDAR.deadline(NAIVE, 1), "event"),
    ],
)
def test_d2_naive_datetimes_are_refused_everywhere(call: object, field: str) -> None:
    assert callable(call)
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.rule == "D2"
    assert caught.value.field == field


def test_d2_local_date_is_taken_in_vietnam() -> None:
    assert local_date(datetime(2026, 12, 31, 18, tzinfo=UTC)) == date(2027, 1, 1)
    assert local_date(datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC)) == date(2026, 12, 31)
    assert local_date(datetime(2027, 1, 1, 1, tzinfo=timezone(timedelta(hours=9)))) == date(2026, 12, 31)


def test_d2_local_day_bounds() -> None:
    assert start_of_local_day(date(2027, 1, 1)) == datetime(2026, 12, 31, 17, tzinfo=UTC)
    assert end_of_local_day(date(2027, 1, 1)) == datetime(2027, 1, 1, 16, 59, 59, 999999, tzinfo=UTC)
    assert start_of_local_day(date(2027, 1, 1)).tzinfo is VIETNAM_TZ
    assert end_of_local_day(date(2027, 1, 1)).tzinfo is VIETNAM_TZ
    assert str(VIETNAM_TZ) == "Asia/Ho_Chi_Minh"


@pytest.mark.parametrize("bad", [datetime(2027, 1, 1, tzinfo=UTC), "2027-01-01"])
def test_d2_local_day_bounds_take_only_dates(bad: object) -> None:
    for bound in (start_of_local_day, end_of_local_day):
        with pytest.raises(ValidationError) as caught:
            bound(bad)  # type: ignore[arg-type]
        assert caught.value.field == "day"


@given(day=local_days)
def test_d2_local_days_tile_time(day: date) -> None:
    start, end = start_of_local_day(day), end_of_local_day(day)
    assert local_date(start) == day
    assert local_date(end) == day
    assert end - start == timedelta(days=1, microseconds=-1)
    assert local_date(end + timedelta(microseconds=1)) == day + timedelta(days=1)
