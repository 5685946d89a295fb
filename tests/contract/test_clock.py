"""The Clock contract (D2), run on every clock adapter."""

from __future__ import annotations

from subscription_core.ports import Clock


def test_d2_now_is_time_zone_aware(clock: Clock) -> None:
    now = clock.now()
    assert now.tzinfo is not None
    assert now.utcoffset() is not None


def test_d2_now_never_goes_backwards(clock: Clock) -> None:
    readings = [clock.now() for _ in range(100)]
    assert readings == sorted(readings)
