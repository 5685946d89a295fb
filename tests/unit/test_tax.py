"""VAT rates as an e-invoice shows them, and schedules of rates with effective dates (rule C6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.errors import ValidationError
from subscription_core.tax import VatKind, VatPeriod, VatRate, VatSchedule
from subscription_core.testing import vat_rates, vat_schedules

TEN = VatRate.parse("10%")
EIGHT = VatRate.parse("8%")
CUT = VatSchedule(
    (
        VatPeriod(TEN, dt.date(2000, 1, 1), dt.date(2025, 6, 30)),
        VatPeriod(EIGHT, dt.date(2025, 7, 1), dt.date(2026, 12, 31)),
        VatPeriod(TEN, dt.date(2027, 1, 1)),
    )
)


@pytest.mark.parametrize(
    ("label", "kind", "percent"),
    [
        ("KCT", VatKind.NOT_SUBJECT, 0),
        ("KKKNT", VatKind.NOT_DECLARED, 0),
        ("0%", VatKind.RATE, 0),
        ("5%", VatKind.RATE, 5),
        ("8%", VatKind.RATE, 8),
        ("10%", VatKind.RATE, 10),
        (" kct ", VatKind.NOT_SUBJECT, 0),
        ("10 %", VatKind.RATE, 10),
        ("8", VatKind.RATE, 8),
    ],
)
def test_c6_parse_reads_every_invoice_label(label: str, kind: VatKind, percent: int) -> None:
    assert VatRate.parse(label) == VatRate(kind, Decimal(percent))


@pytest.mark.parametrize("label", ["12%", "7%", "10.5%", "-5%", "", "VAT", "KTT", "100%"])
def test_c6_parse_refuses_any_other_label(label: str) -> None:
    with pytest.raises(ValidationError, match="KCT, KKKNT, 0%, 5%, 8% or 10%") as info:
        VatRate.parse(label)
    assert (info.value.rule, info.value.field, info.value.value) == ("C6", "vat", label)


@given(vat_rates())
def test_c6_label_reads_back_to_the_same_rate(rate: VatRate) -> None:
    assert VatRate.parse(rate.label) == rate
    assert str(rate) == rate.label


def test_c6_kct_is_not_zero_percent() -> None:
    kct, zero, kkknt = VatRate.parse("KCT"), VatRate.parse("0%"), VatRate.parse("KKKNT")
    assert kct != zero
    assert kkknt != zero
    assert kct != kkknt
    assert kct.fraction == zero.fraction == kkknt.fraction == 0
    assert (kct.label, kkknt.label, zero.label) == ("KCT", "KKKNT", "0%")


def test_c6_fraction_is_the_percentage_over_a_hundred() -> None:
    assert TEN.fraction == Decimal("0.1")
    assert EIGHT.fraction == Decimal("0.08")


def test_c6_invoice_order_is_kct_kkknt_then_rates_ascending() -> None:
    labels = ["10%", "KKKNT", "0%", "8%", "KCT", "5%"]
    ordered = sorted((VatRate.parse(label) for label in labels), key=lambda r: r.sort_key)
    assert [r.label for r in ordered] == ["KCT", "KKKNT", "0%", "5%", "8%", "10%"]


def test_c6_rate_refuses_a_percentage_the_law_does_not_know() -> None:
    with pytest.raises(ValidationError, match="0, 5, 8 or 10") as info:
        VatRate(VatKind.RATE, Decimal(12))
    assert (info.value.field, info.value.value) == ("vat", Decimal(12))


def test_c6_no_vat_kinds_carry_no_percentage() -> None:
    with pytest.raises(ValidationError, match="KCT carries no percentage"):
        VatRate(VatKind.NOT_SUBJECT, Decimal(10))


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (dt.date(2024, 1, 1), TEN),
        (dt.date(2025, 6, 30), TEN),
        (dt.date(2025, 7, 1), EIGHT),
        (dt.date(2026, 12, 31), EIGHT),
        (dt.date(2027, 1, 1), TEN),
        (dt.date(2040, 5, 5), TEN),
    ],
)
def test_c6_quote_date_picks_rate_in_force(day: dt.date, rate: VatRate) -> None:
    assert CUT.rate_on(day) == rate


@given(vat_schedules(), st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)))
def test_c6_exactly_one_period_covers_each_day_of_a_schedule(schedule: VatSchedule, day: dt.date) -> None:
    covering = [p for p in schedule.periods if p.covers(day)]
    assert len(covering) == 1
    assert schedule.rate_on(day) == covering[0].rate


@given(vat_rates(), st.dates())
def test_c6_a_flat_schedule_applies_from_its_start_on(rate: VatRate, day: dt.date) -> None:
    schedule = VatSchedule.flat(rate, dt.date(2000, 1, 1))
    if day >= dt.date(2000, 1, 1):
        assert schedule.rate_on(day) == rate
    else:
        with pytest.raises(ValidationError, match="no VAT rate is in force"):
            schedule.rate_on(day)


def test_c6_flat_schedule_reads_a_label() -> None:
    assert VatSchedule.flat("KCT") == VatSchedule.flat(VatRate(VatKind.NOT_SUBJECT))


def test_c6_a_day_in_a_gap_between_periods_has_no_rate() -> None:
    schedule = VatSchedule(
        (VatPeriod(TEN, dt.date(2025, 1, 1), dt.date(2025, 6, 30)), VatPeriod(EIGHT, dt.date(2025, 8, 1)))
    )
    with pytest.raises(ValidationError, match="no VAT rate is in force") as info:
        schedule.rate_on(dt.date(2025, 7, 15))
    assert (info.value.rule, info.value.field, info.value.value) == ("C6", "as_of", dt.date(2025, 7, 15))


@pytest.mark.parametrize(
    "periods",
    [
        # an open-ended period followed by another
        (VatPeriod(TEN, dt.date(2000, 1, 1)), VatPeriod(EIGHT, dt.date(2025, 7, 1))),
        # the first ends on the day the second starts
        (VatPeriod(TEN, dt.date(2000, 1, 1), dt.date(2025, 7, 1)), VatPeriod(EIGHT, dt.date(2025, 7, 1))),
        # two periods starting the same day
        (VatPeriod(TEN, dt.date(2025, 7, 1), dt.date(2025, 7, 2)), VatPeriod(EIGHT, dt.date(2025, 7, 1))),
        # given out of order, still overlapping
        (VatPeriod(EIGHT, dt.date(2025, 7, 1)), VatPeriod(TEN, dt.date(2000, 1, 1), dt.date(2025, 12, 31))),
    ],
)
def test_c6_overlapping_periods_are_refused(periods: tuple[VatPeriod, ...]) -> None:
    with pytest.raises(ValidationError, match="VAT periods overlap") as info:
        VatSchedule(periods)
    assert (info.value.rule, info.value.field) == ("C6", "vat")


def test_c6_a_schedule_needs_a_period() -> None:
    with pytest.raises(ValidationError, match="at least one period"):
        VatSchedule(())


def test_c6_a_period_may_not_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match="ends before it starts") as info:
        VatPeriod(TEN, dt.date(2025, 7, 1), dt.date(2025, 6, 30))
    assert info.value.value == dt.date(2025, 6, 30)


def test_c6_a_one_day_period_covers_that_day_only() -> None:
    period = VatPeriod(EIGHT, dt.date(2025, 7, 1), dt.date(2025, 7, 1))
    assert period.covers(dt.date(2025, 7, 1))
    assert not period.covers(dt.date(2025, 7, 2))
    assert not period.covers(dt.date(2025, 6, 30))


def test_c6_periods_are_kept_in_date_order() -> None:
    shuffled = VatSchedule((CUT.periods[2], CUT.periods[0], CUT.periods[1]))
    assert shuffled == CUT
    assert [p.start for p in shuffled.periods] == [dt.date(2000, 1, 1), dt.date(2025, 7, 1), dt.date(2027, 1, 1)]


def test_c6_a_single_period_is_accepted_as_a_schedule() -> None:
    assert VatSchedule(VatPeriod(TEN, dt.date(2000, 1, 1))) == VatSchedule.flat(TEN)
