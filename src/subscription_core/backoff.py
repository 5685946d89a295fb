"""Backoff: how long to wait before trying again after failures, doubling up to a cap (N2, O7).

The outbox relays, the invoice retries and the time-driven step's held-back subscriptions all wait this way.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["backoff"]


def backoff(attempts: int, *, first: dt.timedelta, cap: dt.timedelta) -> dt.timedelta:
    """The pause after ``attempts`` failed tries (>= 1): ``first``, doubled per further failure, at most ``cap``."""
    doublings = min(max(attempts - 1, 0), 32)  # 2**32 times any delay is beyond every sensible cap
    pause: dt.timedelta = min(first * (1 << doublings), cap)
    return pause
