"""Clocks: the ``Clock`` port, read from the system or set by hand (tests, simulations, replays)."""

from __future__ import annotations

import datetime as dt
import threading

from subscription_core.calendar import ensure_aware
from subscription_core.errors import ValidationError

__all__ = ["ManualClock", "SystemClock"]


class ManualClock:
    """A clock that stands still until told to move: ``ManualClock(start)``. Thread-safe.

    It returns time-zone-aware instants in UTC and never goes backwards (the ``Clock`` port's promise).
    """

    def __init__(self, start: dt.datetime) -> None:
        """Start at ``start``. Raises ``ValidationError`` (D2) for a naive datetime."""
        self._now = ensure_aware(start, field="start").astimezone(dt.UTC)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        """Return the instant the clock shows, in UTC."""
        with self._lock:
            return self._now

    def set(self, at: dt.datetime) -> None:
        """Move the clock to ``at``.

        Raises:
            ValidationError: (D2) a naive datetime, or an instant before the one shown.
        """
        target = ensure_aware(at).astimezone(dt.UTC)
        with self._lock:
            if target < self._now:
                raise ValidationError("a clock never goes backwards", rule="D2", field="at", value=at)
            self._now = target

    def advance(self, by: dt.timedelta) -> dt.datetime:
        """Move the clock forward by ``by`` and return the new instant.

        Raises:
            ValidationError: ``by`` is not a ``timedelta`` or is negative.
        """
        if not isinstance(by, dt.timedelta) or by < dt.timedelta(0):
            raise ValidationError("must be a timedelta >= 0", field="by", value=by)
        with self._lock:
            self._now += by
            return self._now


class SystemClock:
    """The system's clock, in UTC, made monotonic: a step back of the wall clock repeats the last instant."""

    def __init__(self) -> None:
        """Make a clock; it reads the system time on each :meth:`now`."""
        self._last = dt.datetime.min.replace(tzinfo=dt.UTC)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        """Return the current instant in UTC, never before one returned earlier."""
        with self._lock:
            self._last = max(self._last, dt.datetime.now(dt.UTC))
            return self._last
