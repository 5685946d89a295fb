"""What the local clock and id adapters promise beyond the contract: a settable clock, readable ids."""

from __future__ import annotations

import datetime as dt

import pytest

from subscription_core.errors import ValidationError
from subscription_core_adapters.local import ManualClock, RandomIds, SequentialIds

ICT = dt.timezone(dt.timedelta(hours=7))
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ICT)


def test_d2_manual_clock_shows_its_start_in_utc() -> None:
    now = ManualClock(START).now()
    assert now == START
    assert now.tzinfo is dt.UTC


def test_d2_manual_clock_refuses_a_naive_instant() -> None:
    with pytest.raises(ValidationError) as caught:
        ManualClock(dt.datetime(2026, 11, 23, 9, 0))  # noqa: DTZ001
    assert caught.value.rule == "D2"
    clock = ManualClock(START)
    with pytest.raises(ValidationError):
        clock.set(dt.datetime(2026, 11, 24, 9, 0))  # noqa: DTZ001


def test_d2_manual_clock_moves_forward_only() -> None:
    clock = ManualClock(START)
    assert clock.advance(dt.timedelta(hours=2)) == START + dt.timedelta(hours=2)
    clock.set(START + dt.timedelta(days=1))
    assert clock.now() == START + dt.timedelta(days=1)
    with pytest.raises(ValidationError):
        clock.set(START)
    with pytest.raises(ValidationError):
        clock.advance(dt.timedelta(seconds=-1))
    assert clock.now() == START + dt.timedelta(days=1)


def test_sequential_ids_count_per_prefix() -> None:
    ids = SequentialIds()
    assert [ids.new_id("ord"), ids.new_id("ord"), ids.new_id("sub")] == ["ord-0001", "ord-0002", "sub-0001"]


def test_random_ids_are_prefixed_hex() -> None:
    made = RandomIds().new_id("pay")
    prefix, _, digits = made.partition("-")
    assert prefix == "pay"
    assert len(digits) == 32
    assert int(digits, 16) >= 0


@pytest.mark.parametrize("prefix", ["", "  ", "o rd"])
def test_an_empty_prefix_or_one_with_spaces_is_refused(prefix: str) -> None:
    for ids in (SequentialIds(), RandomIds()):
        with pytest.raises(ValidationError):
            ids.new_id(prefix)
