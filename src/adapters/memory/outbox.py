"""The outbox in memory: the ``Outbox`` port (N2), written in the change's unit of work.

Each message is kept as a :class:`Delivery`: the message and how its delivery stands. Unsent ones are in
the table's sorted index by the instant they are due (created, or their retry time after a failure), so
``pending`` reads the messages due and not the whole history. A dead message (given up after a permanent
failure or too many attempts) is due at the end of time: it sorts after every due one and is never read by
``pending``; :meth:`MemoryOutbox.dead` lists the dead ones with a scan, as staff look rarely.

:meth:`MemoryOutbox.claim` is a relay's way in: it takes the due messages no other open unit of work has taken
(the table's hold, under the store's lock: ``FOR UPDATE SKIP LOCKED`` in memory) and moves their next attempt to
the end of the lease, which the unit's commit makes visible to every other relay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

import attrs

from subscription_core.errors import InvalidTransitionError
from subscription_core.notices import DeadLetter, DeliveryState, OutboxMessage, check_delay
from subscription_core_adapters.memory.tables import TableView, check_instant, check_limit, checked

__all__ = ["Delivery", "MemoryOutbox"]

_NEVER: Final = dt.datetime.max.replace(tzinfo=dt.UTC)


@attrs.frozen(kw_only=True)
class Delivery:
    """An outbox message and how its delivery stands (N2).

    ``retry_at`` is its next attempt: after a failure, or when a relay's lease on it (a claim) runs out.
    """

    message: OutboxMessage
    sent_at: dt.datetime | None = None
    attempts: int = 0
    retry_at: dt.datetime | None = None
    error: str | None = None
    dead_at: dt.datetime | None = None

    @property
    def state(self) -> DeliveryState:
        """Sent, dead, or pending (new, or failed and waiting for its retry time)."""
        if self.sent_at is not None:
            return DeliveryState.SENT
        return DeliveryState.PENDING if self.dead_at is None else DeliveryState.DEAD

    @property
    def due_at(self) -> dt.datetime:
        """When it may be handed out: never if dead, its retry time after a failure, else its creation."""
        if self.dead_at is not None:
            return _NEVER
        return self.retry_at if self.retry_at is not None else self.message.created_at


class MemoryOutbox:
    """The outbox of one unit of work: what it queues leaves only if the unit commits (N2)."""

    def __init__(self, view: TableView[str, Delivery]) -> None:
        """Work on ``view``, the unit of work's window on the outbox table."""
        self._view = view

    def add(self, message: OutboxMessage) -> bool:
        """Queue a message; ``False`` (and nothing queued) if a message with its id is already there."""
        checked(message, OutboxMessage, field="message", rule="N2")
        if self._view.get(message.id) is not None:
            return False
        self._view.insert(message.id, Delivery(message=message), field="id", rule="N2")
        return True

    def add_many(self, messages: Sequence[OutboxMessage]) -> int:
        """Queue each message as :meth:`add` does; return how many were new."""
        return sum(self.add(message) for message in messages)

    def pending(self, at: dt.datetime, *, limit: int) -> list[OutboxMessage]:
        """Up to ``limit`` unsent messages due by ``at`` (new, or failed with their retry time passed), oldest first.

        Oldest means by creation, then id; dead messages are never due. Raises ``ValidationError`` for a
        naive ``at`` or a negative limit.
        """
        when = check_instant(at)
        check_limit(limit)
        due = self._view.ordered_while(lambda place: place[0] <= when, limit=None)
        messages = sorted((d.message for d in due if d.dead_at is None), key=lambda m: (m.created_at, m.id))
        return messages[:limit]

    def claim(self, at: dt.datetime, *, limit: int, lease: dt.timedelta) -> list[OutboxMessage]:
        """Take up to ``limit`` messages due by ``at``, oldest first; none is due again before ``at + lease``.

        A message another open unit of work has claimed is passed over (never waited for). Raises
        ``ValidationError`` for a naive ``at``, a negative limit or a lease that is not positive.
        """
        when = check_instant(at)
        until = when + check_delay(lease, field="lease")
        taken = self._view.take(
            lambda place: place[0] <= when,
            keep=lambda d: d.dead_at is None,
            rank=lambda d: (d.message.created_at, d.message.id),
            limit=check_limit(limit),
        )
        for delivery in taken:
            self._view.write(delivery.message.id, attrs.evolve(delivery, retry_at=until), base=delivery)
        return [delivery.message for delivery in taken]

    def _require(self, message_id: str) -> Delivery:
        return self._view.require(message_id, field="message_id", shown=message_id)

    def mark_sent(self, message_id: str, at: dt.datetime) -> None:
        """Record the message as delivered; it is never handed out again. Marking it again changes nothing.

        A dead message is left dead (it was not handed out; a late report of success would be a relay's bug).

        Raises:
            NotFoundError: no message has this id.
        """
        when = check_instant(at)
        delivery = self._require(message_id)
        if delivery.state is DeliveryState.PENDING:
            sent = attrs.evolve(delivery, sent_at=when, attempts=delivery.attempts + 1, retry_at=None)
            self._view.write(message_id, sent, base=delivery)

    def mark_failed(self, message_id: str, at: dt.datetime, *, error: str, retry_at: dt.datetime) -> None:
        """Record a failed attempt and when to try again; a message already sent or dead is left as it is.

        Raises:
            NotFoundError: no message has this id.
            ValidationError: (D2) a naive instant.
        """
        check_instant(at)
        retry = check_instant(retry_at, field="retry_at")
        delivery = self._require(message_id)
        if delivery.state is DeliveryState.PENDING:
            failed = attrs.evolve(delivery, attempts=delivery.attempts + 1, retry_at=retry, error=str(error))
            self._view.write(message_id, failed, base=delivery)

    def attempts(self, message_id: str) -> int:
        """How many deliveries of the message were tried.

        Raises:
            NotFoundError: no message has this id.
        """
        return self._require(message_id).attempts

    def mark_dead(self, message_id: str, at: dt.datetime, *, error: str) -> None:
        """Record a failed attempt and give the message up: ``pending`` never hands it out until :meth:`requeue`.

        A message already sent stays sent; one already dead keeps its first error and time.

        Raises:
            NotFoundError: no message has this id.
            ValidationError: (D2) a naive instant.
        """
        when = check_instant(at)
        delivery = self._require(message_id)
        if delivery.state is DeliveryState.PENDING:
            dead = attrs.evolve(delivery, attempts=delivery.attempts + 1, retry_at=None, error=str(error), dead_at=when)
            self._view.write(message_id, dead, base=delivery)

    def dead(self, *, limit: int) -> list[DeadLetter]:
        """Up to ``limit`` dead messages, the longest dead first (then by id).

        Raises:
            ValidationError: a negative limit.
        """
        check_limit(limit)
        found = self._view.scan(lambda d: d.dead_at is not None)
        found.sort(key=lambda d: (d.dead_at, d.message.id))
        return [
            DeadLetter(message=d.message, error=d.error or "", attempts=d.attempts, died_at=d.dead_at or _NEVER)
            for d in found[:limit]
        ]

    def requeue(self, message_id: str, at: dt.datetime) -> None:
        """Make a dead message pending again, due at ``at``; its attempts and last error are kept.

        Raises:
            NotFoundError: no message has this id.
            InvalidTransitionError: (N2) the message is not dead (it is pending or was sent).
            ValidationError: (D2) a naive instant.
        """
        when = check_instant(at)
        delivery = self._require(message_id)
        if delivery.state is not DeliveryState.DEAD:
            raise InvalidTransitionError(
                f"only a dead message may be requeued; this one is {delivery.state.value}",
                rule="N2",
                field="message_id",
                value=message_id,
            )
        self._view.write(message_id, attrs.evolve(delivery, dead_at=None, retry_at=when), base=delivery)
