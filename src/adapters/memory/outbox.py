"""The outbox in memory: the ``Outbox`` port (N2), written in the change's unit of work.

Each message is kept as a :class:`Delivery`: the message and how its delivery stands. Unsent ones are in
the table's sorted index by the instant they are due (created, or their retry time after a failure), so
``pending`` reads the messages due and not the whole history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from adapters.memory.tables import TableView, check_instant, check_limit, checked
from subscription_core.notices import OutboxMessage

__all__ = ["Delivery", "MemoryOutbox"]


@attrs.frozen(kw_only=True)
class Delivery:
    """An outbox message and how its delivery stands (N2)."""

    message: OutboxMessage
    sent_at: dt.datetime | None = None
    attempts: int = 0
    retry_at: dt.datetime | None = None
    error: str | None = None

    @property
    def due_at(self) -> dt.datetime:
        """When it may be handed out: its retry time after a failure, else its creation."""
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

        Oldest means by creation, then id. Raises ``ValidationError`` for a naive ``at`` or a negative limit.
        """
        when = check_instant(at)
        check_limit(limit)
        due = self._view.ordered_while(lambda place: place[0] <= when, limit=None)
        messages = sorted((d.message for d in due), key=lambda m: (m.created_at, m.id))
        return messages[:limit]

    def mark_sent(self, message_id: str, at: dt.datetime) -> None:
        """Record the message as delivered; it is never handed out again. Marking it again changes nothing.

        Raises:
            NotFoundError: no message has this id.
        """
        when = check_instant(at)
        delivery = self._view.require(message_id, field="message_id", shown=message_id)
        if delivery.sent_at is None:
            sent = attrs.evolve(delivery, sent_at=when, attempts=delivery.attempts + 1, retry_at=None)
            self._view.write(message_id, sent, base=delivery)

    def mark_failed(self, message_id: str, at: dt.datetime, *, error: str, retry_at: dt.datetime) -> None:
        """Record a failed attempt and when to try again; a message already sent stays sent.

        Raises:
            NotFoundError: no message has this id.
            ValidationError: (D2) a naive instant.
        """
        check_instant(at)
        retry = check_instant(retry_at, field="retry_at")
        delivery = self._view.require(message_id, field="message_id", shown=message_id)
        if delivery.sent_at is None:
            failed = attrs.evolve(delivery, attempts=delivery.attempts + 1, retry_at=retry, error=str(error))
            self._view.write(message_id, failed, base=delivery)
