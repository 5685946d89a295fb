"""The outbox relay: hands the SQL outbox's messages to a ``Notifier``, at least once (N1, N2).

Each :meth:`OutboxRelay.run_once` claims a batch of due messages in a short transaction (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so relays may run side by side; see :meth:`SqlOutbox.claim`), then sends each one
outside any transaction and records the outcome in a transaction of its own: sent, or failed with the
attempt counted and the next try after an exponential backoff (``first_retry`` doubled per attempt, capped
at ``max_retry``). A claim holds a message for ``lease``: if the relay dies between sending and recording,
the message is sent again once the lease runs out. Receivers drop repeats by the message's stable id.

A host calls ``run_once`` from its scheduler, as often as notices should leave.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import attrs
from sqlalchemy import Engine, select

from adapters.sql import schema
from adapters.sql.driver_errors import translated
from adapters.sql.outbox import SqlOutbox
from adapters.sql.rows import Rows
from subscription_core.errors import ValidationError
from subscription_core.notices import OutboxMessage
from subscription_core.ports import Clock, Notifier

__all__ = ["OutboxRelay", "RelayReport", "backoff"]

_ERROR_CHARS: Final = 300


@attrs.frozen(kw_only=True)
class RelayReport:
    """What one run of the relay did: the ids sent and the ids that failed (to be retried)."""

    sent: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


def backoff(attempts: int, *, first: dt.timedelta, cap: dt.timedelta) -> dt.timedelta:
    """The pause after ``attempts`` failed tries (>= 1): ``first``, doubled per further failure, at most ``cap``."""
    doublings = min(max(attempts - 1, 0), 32)  # 2**32 times any delay is beyond every sensible cap
    pause: dt.timedelta = min(first * (1 << doublings), cap)
    return pause


def _error_text(exc: Exception) -> str:
    # The exception's class and first line only: a notifier's errors are logged, never its payload.
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text[:_ERROR_CHARS]


class OutboxRelay:
    """Delivers the outbox of ``engine`` through ``notifier``; times come from ``clock``."""

    def __init__(
        self,
        engine: Engine,
        notifier: Notifier,
        clock: Clock,
        *,
        batch: int = 50,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        first_retry: dt.timedelta = dt.timedelta(seconds=30),
        max_retry: dt.timedelta = dt.timedelta(hours=6),
    ) -> None:
        """Configure the relay; nothing connects until :meth:`run_once`.

        Raises:
            ValidationError: a batch below 1, or a lease or retry delay that is not positive.
        """
        if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
            raise ValidationError("must be a whole number >= 1", field="batch", value=batch)
        for field, value in (("lease", lease), ("first_retry", first_retry), ("max_retry", max_retry)):
            if value <= dt.timedelta(0):
                raise ValidationError("must be positive", field=field, value=value)
        self._engine = engine
        self._notifier = notifier
        self._clock = clock
        self._batch = batch
        self._lease = lease
        self._first_retry = first_retry
        self._max_retry = max_retry

    @contextmanager
    def _transaction(self) -> Iterator[Rows]:
        rows = Rows()
        with translated("connect to the database"), self._engine.connect() as connection:
            rows.bind(connection)
            yield rows
            connection.commit()

    def run_once(self) -> RelayReport:
        """Claim up to ``batch`` due messages, send each, and record every outcome.

        Raises:
            SubscriptionError: the database failed (messages already sent are recorded; the others come
                back when their lease runs out).
        """
        with self._transaction() as rows:
            claimed = SqlOutbox(rows).claim(self._clock.now(), limit=self._batch, lease=self._lease)
        sent: list[str] = []
        failed: list[str] = []
        for message in claimed:
            outcome = self._send(message)
            (sent if outcome is None else failed).append(message.id)
            self._record(message.id, outcome)
        return RelayReport(sent=tuple(sent), failed=tuple(failed))

    def _send(self, message: OutboxMessage) -> Exception | None:
        try:
            self._notifier.send(message)
        except Exception as exc:  # noqa: BLE001 - any notifier failure is recorded and retried, never fatal
            return exc
        return None

    def _record(self, message_id: str, failure: Exception | None) -> None:
        at = self._clock.now()
        with self._transaction() as rows:
            outbox = SqlOutbox(rows)
            if failure is None:
                outbox.mark_sent(message_id, at)
                return
            attempts = self._attempts(rows, message_id) + 1
            retry_at = at + backoff(attempts, first=self._first_retry, cap=self._max_retry)
            outbox.mark_failed(message_id, at, error=_error_text(failure), retry_at=retry_at)

    @staticmethod
    def _attempts(rows: Rows, message_id: str) -> int:
        query = select(schema.outbox.c.attempts).where(schema.outbox.c.id == message_id)
        found: int | None = rows.execute(query, "read the outbox").scalar_one_or_none()
        return found or 0
