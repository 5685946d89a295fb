"""The outbox in SQL: the ``Outbox`` port (N2), written in the change's transaction.

A message's row records how its delivery stands: ``pending``, ``sent`` or ``dead``, the attempts made, the
last error and ``next_attempt_at`` (its creation at first, then the retry time after a failure), indexed
with the state so that ``pending`` reads only the messages due. The primary key on the message id drops a
repeat (N2). A dead row (given up by a relay) keeps everything, with ``next_attempt_at`` set to when it
died: the same ``(state, next_attempt_at)`` index lists the dead oldest first, and ``pending`` never sees
them, since it asks for ``state = 'pending'``. No column was added: ``state`` is a ``String(16)``.

:meth:`SqlOutbox.claim` is the relay's way in (:func:`subscription_core.services.relay_outbox`): it pushes the
next attempt of the due messages it takes past a lease, so that a crashed relay's messages come back later. On
PostgreSQL it picks them with ``FOR UPDATE SKIP LOCKED``, so that relays running side by side never pick the same
message; on SQLite, whose writers run one at a time, it is one conditional ``UPDATE ... RETURNING``, which takes
only messages still due when it runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from subscription_core.errors import InvalidTransitionError, NotFoundError
from subscription_core.notices import DeadLetter, DeliveryState, OutboxMessage, check_delay
from subscription_core_adapters.sql import schema
from subscription_core_adapters.sql.rows import Rows, check_instant, check_limit, of_type
from subscription_core_adapters.sql.serialization import from_document, to_document

__all__ = ["SqlOutbox"]

_T = schema.outbox
_PENDING = DeliveryState.PENDING.value
_SENT = DeliveryState.SENT.value
_DEAD = DeliveryState.DEAD.value


def _row(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind,
        "channel": message.channel.value,
        "subject_id": message.subject_id,
        "created_at": message.created_at,
        "state": _PENDING,
        "attempts": 0,
        "next_attempt_at": message.created_at,
        "document": to_document(message),
    }


class SqlOutbox:
    """The outbox of one unit of work: what it queues leaves only if the unit commits (N2)."""

    def __init__(self, rows: Rows) -> None:
        """Work on the unit of work's connection."""
        self._rows = rows

    def add(self, message: OutboxMessage) -> bool:
        """Queue a message; ``False`` (and nothing queued) if a message with its id is already there."""
        of_type(message, OutboxMessage, "message")
        return self._rows.insert_new(_T, _row(message), "queue the message")

    def add_many(self, messages: Sequence[OutboxMessage]) -> int:
        """Queue each message as :meth:`add` does, in one statement; return how many were new.

        Raises ``ValidationError`` (nothing queued) if one is not an ``OutboxMessage``.
        """
        for message in messages:
            of_type(message, OutboxMessage, "message")
        unique = list({message.id: message for message in messages}.values())
        return self._rows.insert_new_count(_T, [_row(m) for m in unique], "queue the messages")

    def pending(self, at: dt.datetime, *, limit: int) -> list[OutboxMessage]:
        """Up to ``limit`` unsent messages due by ``at`` (new, or failed with their retry time passed), oldest first.

        Oldest means by creation, then id. Raises ``ValidationError`` for a naive ``at`` or a negative limit.
        """
        when = check_instant(at)
        query = select(_T.c.document).where(_T.c.state == _PENDING, _T.c.next_attempt_at <= when)
        query = query.order_by(_T.c.created_at, _T.c.id).limit(check_limit(limit))
        return [from_document(doc, OutboxMessage) for doc in self._rows.execute(query, "read the outbox").scalars()]

    def claim(self, at: dt.datetime, *, limit: int, lease: dt.timedelta) -> list[OutboxMessage]:
        """Take up to ``limit`` due messages for delivery, oldest first; none is handed out again before ``at + lease``.

        On PostgreSQL the rows are read with ``FOR UPDATE SKIP LOCKED``: a concurrent claim skips them. On
        SQLite one ``UPDATE`` both picks and takes them, so a message another claim took first is no longer due.

        Raises:
            ValidationError: a naive ``at``, a negative limit or a lease that is not positive.
        """
        when = check_instant(at)
        until = when + check_delay(lease, field="lease")
        self._rows.writing()
        due = select(_T.c.id).where(_T.c.state == _PENDING, _T.c.next_attempt_at <= when)
        due = due.order_by(_T.c.created_at, _T.c.id).limit(check_limit(limit))
        if self._rows.dialect == "postgresql":
            ids = list(self._rows.execute(due.with_for_update(skip_locked=True), "claim outbox messages").scalars())
            if not ids:
                return []
            taking = update(_T).where(_T.c.id.in_(ids))
        else:
            taking = update(_T).where(_T.c.id.in_(due.scalar_subquery()), _T.c.state == _PENDING)
            taking = taking.where(_T.c.next_attempt_at <= when)
        taken = taking.values(next_attempt_at=until).returning(_T.c.created_at, _T.c.id, _T.c.document)
        rows = sorted(self._rows.execute(taken, "claim outbox messages").all(), key=lambda r: (r.created_at, r.id))
        return [from_document(r.document, OutboxMessage) for r in rows]

    def _require(self, message_id: str) -> str:
        query = select(_T.c.state).where(_T.c.id == message_id)
        state: str | None = self._rows.execute(query, "read the outbox").scalar_one_or_none()
        if state is None:
            raise NotFoundError("no such outbox message", field="message_id", value=message_id)
        return state

    def mark_sent(self, message_id: str, at: dt.datetime) -> None:
        """Record the message as delivered; it is never handed out again. Marking it again changes nothing.

        Raises:
            NotFoundError: no message has this id.
            ValidationError: (D2) a naive instant.
        """
        when = check_instant(at)
        self._rows.writing()
        values = {"state": _SENT, "sent_at": when, "last_attempt_at": when, "attempts": _T.c.attempts + 1}
        statement = update(_T).where(_T.c.id == message_id, _T.c.state == _PENDING).values(values)
        if self._rows.execute(statement, "mark the message sent").rowcount == 0:
            self._require(message_id)

    def mark_failed(self, message_id: str, at: dt.datetime, *, error: str, retry_at: dt.datetime) -> None:
        """Record a failed attempt and when to try again; a message already sent or dead is left as it is.

        Raises:
            NotFoundError: no message has this id.
            ValidationError: (D2) a naive instant.
        """
        self._rows.writing()
        values = {
            "attempts": _T.c.attempts + 1,
            "last_attempt_at": check_instant(at),
            "next_attempt_at": check_instant(retry_at, field="retry_at"),
            "last_error": str(error),
        }
        statement = update(_T).where(_T.c.id == message_id, _T.c.state == _PENDING).values(values)
        if self._rows.execute(statement, "record the failed delivery").rowcount == 0:
            self._require(message_id)

    def attempts(self, message_id: str) -> int:
        """How many deliveries of the message were tried.

        Raises:
            NotFoundError: no message has this id.
        """
        query = select(_T.c.attempts).where(_T.c.id == message_id)
        found: int | None = self._rows.execute(query, "read the outbox").scalar_one_or_none()
        if found is None:
            raise NotFoundError("no such outbox message", field="message_id", value=message_id)
        return found

    def mark_dead(self, message_id: str, at: dt.datetime, *, error: str) -> None:
        """Record a failed attempt and give the message up: ``pending`` never hands it out until :meth:`requeue`.

        A message already sent stays sent; one already dead keeps its first error and time.

        Raises:
            NotFoundError: no message has this id.
            ValidationError: (D2) a naive instant.
        """
        when = check_instant(at)
        self._rows.writing()
        values = {
            "state": _DEAD,
            "attempts": _T.c.attempts + 1,
            "last_attempt_at": when,
            "next_attempt_at": when,  # the index then lists the dead by when they died
            "last_error": str(error),
        }
        statement = update(_T).where(_T.c.id == message_id, _T.c.state == _PENDING).values(values)
        if self._rows.execute(statement, "set the message aside as dead").rowcount == 0:
            self._require(message_id)

    def dead(self, *, limit: int) -> list[DeadLetter]:
        """Up to ``limit`` dead messages, the longest dead first (then by id).

        Raises:
            ValidationError: a negative limit.
        """
        query = select(_T.c.document, _T.c.last_error, _T.c.attempts, _T.c.next_attempt_at)
        query = query.where(_T.c.state == _DEAD).order_by(_T.c.next_attempt_at, _T.c.id).limit(check_limit(limit))
        return [
            DeadLetter(
                message=from_document(row.document, OutboxMessage),
                error=row.last_error or "",
                attempts=row.attempts,
                died_at=row.next_attempt_at,
            )
            for row in self._rows.execute(query, "read the dead messages").all()
        ]

    def requeue(self, message_id: str, at: dt.datetime) -> None:
        """Make a dead message pending again, due at ``at``; its attempts and last error are kept.

        Raises:
            NotFoundError: no message has this id.
            InvalidTransitionError: (N2) the message is not dead (it is pending or was sent).
            ValidationError: (D2) a naive instant.
        """
        when = check_instant(at)
        self._rows.writing()
        statement = update(_T).where(_T.c.id == message_id, _T.c.state == _DEAD)
        statement = statement.values(state=_PENDING, next_attempt_at=when)
        if self._rows.execute(statement, "requeue the message").rowcount == 0:
            state = self._require(message_id)
            raise InvalidTransitionError(
                f"only a dead message may be requeued; this one is {state}",
                rule="N2",
                field="message_id",
                value=message_id,
            )
