"""The outbox relay: hands the SQL outbox's messages to a ``Notifier``, at least once (N1, N2).

Each :meth:`OutboxRelay.run_once` claims a batch of due messages in a short transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so relays may run side by side; see :meth:`SqlOutbox.claim`), then sends each one outside any transaction
and records the outcome in a transaction of its own: sent, failed with the attempt counted and the next try after an
exponential backoff (``first_retry`` doubled per attempt, capped at ``max_retry``), or dead: set aside, never claimed
again until staff requeue it, when the notifier raised a ``DeliveryError`` with ``permanent=True`` or the
``max_attempts``-th try failed. A dead message keeps its attempts and its error text. Every error is recorded as
:func:`failure_text` gives it: a ``DeliveryError``'s class and first line (it names no address), any other exception's
class only. A claim holds a message for ``lease``: if the relay dies between sending and recording, the message is sent
again once the lease runs out. Receivers drop repeats by the message's stable id.

A host calls ``run_once`` from its scheduler, as often as notices should leave.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import attrs
from sqlalchemy import Engine

from subscription_core.errors import DeliveryError, ValidationError
from subscription_core.notices import DEFAULT_MAX_ATTEMPTS, OutboxMessage, backoff, check_max_attempts, failure_text
from subscription_core.ports import Clock, Notifier
from subscription_core_adapters.sql.driver_errors import translated
from subscription_core_adapters.sql.outbox import SqlOutbox
from subscription_core_adapters.sql.rows import Rows

# backoff moved to subscription_core.notices, shared with the core's relay; still importable from here.
__all__ = ["OutboxRelay", "RelayReport", "backoff"]

_log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class RelayReport:
    """What one run of the relay did: the ids sent, failed (to be retried) and given up as dead (N2)."""

    sent: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    dead: tuple[str, ...] = ()


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
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        """Configure the relay; nothing connects until :meth:`run_once`.

        ``max_attempts`` (default 20: about three days with the default delays) is how many tries a message
        gets before it is set aside as dead.

        Raises:
            ValidationError: a batch below 1, a lease or retry delay that is not positive, or (N2)
                ``max_attempts`` below 1.
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
        self._max_attempts = check_max_attempts(max_attempts)

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
        outcomes: dict[str, list[str]] = {"sent": [], "failed": [], "dead": []}
        for message in claimed:
            outcomes[self._record(message.id, self._send(message))].append(message.id)
        return RelayReport(**{name: tuple(ids) for name, ids in outcomes.items()})

    def _send(self, message: OutboxMessage) -> Exception | None:
        try:
            self._notifier.send(message)
        except Exception as exc:  # noqa: BLE001 - any notifier failure is recorded and retried, never fatal
            return exc
        return None

    def _record(self, message_id: str, failure: Exception | None) -> str:
        """Record the outcome of one send; return ``"sent"``, ``"failed"`` or ``"dead"``."""
        at = self._clock.now()
        with self._transaction() as rows:
            outbox = SqlOutbox(rows)
            if failure is None:
                outbox.mark_sent(message_id, at)
                return "sent"
            attempts = outbox.attempts(message_id) + 1  # with this one
            kind = type(failure).__name__
            permanent = isinstance(failure, DeliveryError) and failure.permanent
            if permanent or attempts >= self._max_attempts:
                outbox.mark_dead(message_id, at, error=failure_text(failure))
                why = "a permanent failure" if permanent else f"{attempts} attempts"
                _log.error("notice %s given up after %s (%s); staff may requeue it", message_id, why, kind)
                return "dead"
            retry_at = at + backoff(attempts, first=self._first_retry, cap=self._max_retry)
            outbox.mark_failed(message_id, at, error=failure_text(failure), retry_at=retry_at)
            _log.warning("notice %s not delivered (%s, attempt %d); retrying later", message_id, kind, attempts)
            return "failed"
