"""D5: announced day swaps the holidays package lacks, shipped as dated data, applied by default, overridable.

Sources (typed in from the announcements, not read from the library):
- New Year 2026: Văn bản 12729/VPCP-KGVX of 25/12/2025 (Government Office): civil servants off Thu 1/1 to
  Sun 4/1/2026, working Friday 2/1/2026 swapped to Saturday 10/1/2026 (as reported by 24h.com.vn on
  2025-12-26 and other news sites quoting it).
- 30/4-1/5/2025: Thông báo 6150/TB-BLĐTBXH (after 8726/VPCP-KGVX of 26/11/2024): Friday 2/5/2025 swapped
  to Saturday 26/4/2025 (the package has it).
- National Day 2026: Monday 31/8/2026 off, Saturday 22/8/2026 worked (the package has it; we found no
  announcement of our own to confirm it).
- Tết 2025 (25/1-2/2/2025) and Tết 2026 (14/2-22/2/2026) were announced as nine days with no swap.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.activation import activation_deadline
from subscription_core.calendar import VIETNAM_TZ, BusinessCalendar, end_of_local_day
from subscription_core.day_swaps import ANNOUNCED_DAY_SWAPS, DaySwap
from subscription_core.errors import ValidationError

CALENDAR = BusinessCalendar()
PACKAGE_ONLY = BusinessCalendar(day_swaps=())
PRIVATE_SECTOR = BusinessCalendar(apply_government_swaps=False)

# Every swap announced for 2025-2027 that we could find: (day off, day worked).
ANNOUNCED_2025_2027 = {
    (date(2025, 5, 2), date(2025, 4, 26)),
    (date(2026, 1, 2), date(2026, 1, 10)),
    (date(2026, 8, 31), date(2026, 8, 22)),
}


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def test_d5_friday_2026_01_02_is_not_a_business_day() -> None:
    assert date(2026, 1, 2).weekday() == 4
    assert not CALENDAR.is_business_day(date(2026, 1, 2))
    assert CALENDAR.next_business_day(date(2025, 12, 31)) == date(2026, 1, 5)


def test_d5_saturday_2026_01_10_is_a_business_day() -> None:
    assert date(2026, 1, 10).weekday() == 5
    assert CALENDAR.is_business_day(date(2026, 1, 10))
    assert CALENDAR.next_business_day(date(2026, 1, 9)) == date(2026, 1, 10)
    assert not CALENDAR.is_business_day(date(2026, 1, 11))


def test_d5_activation_deadlines_around_new_year_2026_follow_the_swap() -> None:
    # Y3: money received offline is activated by the end of the next business day (D4).
    received_new_year_eve = datetime(2025, 12, 31, 10, tzinfo=VIETNAM_TZ)
    assert activation_deadline(received_new_year_eve, calendar=CALENDAR) == end_of_local_day(date(2026, 1, 5))
    assert activation_deadline(received_new_year_eve, calendar=PACKAGE_ONLY) == end_of_local_day(date(2026, 1, 2))
    received_friday = datetime(2026, 1, 9, 10, tzinfo=VIETNAM_TZ)
    assert activation_deadline(received_friday, calendar=CALENDAR) == end_of_local_day(date(2026, 1, 10))
    assert activation_deadline(received_friday, calendar=PACKAGE_ONLY) == end_of_local_day(date(2026, 1, 12))
    assert activation_deadline(received_friday, calendar=CALENDAR).tzinfo is UTC


def test_d5_the_shipped_swaps_are_the_default_and_name_their_source() -> None:
    assert BusinessCalendar().day_swaps == ANNOUNCED_DAY_SWAPS
    new_year = DaySwap(day_off=date(2026, 1, 2), worked_on=date(2026, 1, 10), source="x")
    assert [(s.day_off, s.worked_on) for s in ANNOUNCED_DAY_SWAPS] == [(new_year.day_off, new_year.worked_on)]
    assert all("12729/VPCP-KGVX" in s.source for s in ANNOUNCED_DAY_SWAPS)


def test_d5_every_announced_swap_of_2025_to_2027_is_applied_and_no_other() -> None:
    span = days(date(2025, 1, 1), date(2027, 12, 31))
    swapped_off = {d for d in span if d.weekday() < 5 and not CALENDAR.is_business_day(d)}
    swapped_off -= {d for d in span if not PRIVATE_SECTOR.is_business_day(d)}  # real holidays
    worked = {d for d in span if d.weekday() >= 5 and CALENDAR.is_business_day(d)}
    assert swapped_off == {off for off, _ in ANNOUNCED_2025_2027}
    assert worked == {on for _, on in ANNOUNCED_2025_2027}


def test_d5_a_shipped_swap_agrees_with_the_package_if_it_records_one_on_that_day() -> None:
    # When the package records a swap of ours, ours can be dropped (docs/holidays-proposal.md); meanwhile
    # the two must never disagree: a day off in the package too comes with the same weekend day worked.
    for swap in ANNOUNCED_DAY_SWAPS:
        if not PACKAGE_ONLY.is_business_day(swap.day_off):
            assert PACKAGE_ONLY.is_business_day(swap.worked_on), swap


def test_d5_the_host_can_drop_the_shipped_swaps() -> None:
    assert PACKAGE_ONLY.is_business_day(date(2026, 1, 2))
    assert not PACKAGE_ONLY.is_business_day(date(2026, 1, 10))
    assert not PACKAGE_ONLY.is_business_day(date(2025, 5, 2))  # the package's own swaps still apply


def test_d5_the_host_can_pass_its_own_swaps() -> None:
    own = DaySwap(day_off=date(2027, 1, 4), worked_on=date(2027, 1, 9), source="the host's own decision")
    host = BusinessCalendar(day_swaps=(*ANNOUNCED_DAY_SWAPS, own))
    assert not host.is_business_day(date(2027, 1, 4))
    assert host.is_business_day(date(2027, 1, 9))
    assert not host.is_business_day(date(2026, 1, 2))
    assert CALENDAR.is_business_day(date(2027, 1, 4))


def test_d5_the_private_sector_ignores_the_shipped_swaps_too() -> None:
    assert PRIVATE_SECTOR.is_business_day(date(2026, 1, 2))
    assert not PRIVATE_SECTOR.is_business_day(date(2026, 1, 10))


def test_d5_the_host_s_extra_days_still_win() -> None:
    host = BusinessCalendar(
        extra_days_off=frozenset({date(2026, 1, 10)}), extra_working_days=frozenset({date(2026, 1, 2)})
    )
    assert host.is_business_day(date(2026, 1, 2))
    assert not host.is_business_day(date(2026, 1, 10))


weekdays = st.dates(date(2000, 1, 1), date(2099, 12, 31)).filter(lambda d: d.weekday() < 5)


@given(day_off=weekdays, distance=st.integers(-20, 20).filter(bool))
def test_d5_a_swap_of_a_business_day_for_a_weekend_day_keeps_the_count_of_business_days(
    day_off: date, distance: int
) -> None:
    worked_on = day_off + timedelta(days=distance)
    if worked_on.weekday() < 5 or not PACKAGE_ONLY.is_business_day(day_off) or PACKAGE_ONLY.is_business_day(worked_on):
        return  # only a business weekday swapped for a non-working weekend day is a proper swap
    host = BusinessCalendar(day_swaps=(DaySwap(day_off=day_off, worked_on=worked_on, source="test"),))
    assert not host.is_business_day(day_off)
    assert host.is_business_day(worked_on)
    span = days(min(day_off, worked_on), max(day_off, worked_on))
    assert sum(map(host.is_business_day, span)) == sum(map(PACKAGE_ONLY.is_business_day, span))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"day_off": date(2026, 1, 3), "worked_on": date(2026, 1, 10), "source": "s"}, "day_off"),
        ({"day_off": date(2026, 1, 2), "worked_on": date(2026, 1, 9), "source": "s"}, "worked_on"),
        ({"day_off": datetime(2026, 1, 2, tzinfo=UTC), "worked_on": date(2026, 1, 10), "source": "s"}, "day_off"),
        ({"day_off": "2026-01-02", "worked_on": date(2026, 1, 10), "source": "s"}, "day_off"),
        ({"day_off": date(2026, 1, 2), "worked_on": date(2026, 1, 10), "source": "  "}, "source"),
        ({"day_off": date(2026, 1, 2), "worked_on": date(2026, 1, 10), "source": "s" * 501}, "source"),
        ({"day_off": date(2026, 1, 2), "worked_on": date(2026, 1, 10), "source": None}, "source"),
    ],
)
def test_d5_a_bad_swap_is_refused_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        DaySwap(**kwargs)  # type: ignore[arg-type]
    assert (caught.value.rule, caught.value.field) == ("D5", field)


@pytest.mark.parametrize("bad", [[ANNOUNCED_DAY_SWAPS[0]], (date(2026, 1, 2),), None])
def test_d5_day_swaps_must_be_a_tuple_of_swaps(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        BusinessCalendar(day_swaps=bad)  # type: ignore[arg-type]
    assert (caught.value.rule, caught.value.field) == ("D5", "day_swaps")
