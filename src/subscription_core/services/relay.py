"""The outbox relay: the one way queued notices leave, at least once, each once per claim (N1, N2).

:func:`relay_outbox` claims a batch of due messages in one short unit of work (:meth:`Outbox.claim`: on
PostgreSQL ``FOR UPDATE SKIP LOCKED``, on SQLite a conditional ``UPDATE``, in memory the store's lock), sends
each with no unit of work open, and records each outcome in a unit of work of its own. Relays may therefore
run side by side, in threads or processes: a claimed message is no other relay's until its lease runs out, so
each notice is sent once per claim. A relay that dies between a send and its record leaves the message to be
claimed again when the lease runs out: it is sent again, with the same id (the e-mail's ``Message-ID``), by
which receivers drop the repeat. A mail server that hangs costs no database connection or lock.

A failure is retried after ``first_retry``, doubled per further failure up to ``max_retry``; a message is set
aside as dead when the notifier raises a ``DeliveryError`` with ``permanent=True`` or its ``max_attempts``-th
try fails, never to be claimed again until staff requeue it (:func:`requeue_notice`). Nothing is deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Final

import attrs

from subscription_core.errors import DeliveryError, ValidationError
from subscription_core.notices import (
    DEFAULT_MAX_ATTEMPTS,
    OutboxMessage,
    backoff,
    check_delay,
    check_max_attempts,
    failure_text,
)
from subscription_core.ports import Notifier, UnitOfWork
from subscription_core.services.context import Services
from subscription_core.services.idempotency import with_retries

__all__ = ["DEFAULT_LEASE", "Delivery", "relay_outbox"]

_log = logging.getLogger(__name__)
DEFAULT_LEASE: Final = dt.timedelta(minutes=5)
"""How long a claimed message is a relay's alone: longer than a batch takes to send (N2) [decision]."""
_FIRST_RETRY: Final = dt.timedelta(minutes=5)
_MAX_RETRY: Final = dt.timedelta(hours=6)


@attrs.frozen(kw_only=True)
class Delivery:
    """What one relay did: messages delivered, failed (to be retried) and given up as dead (N2)."""

    sent: int
    failed: int
    dead: int = 0


@attrs.frozen(kw_only=True)
class _Settings:
    max_attempts: int
    first_retry: dt.timedelta
    max_retry: dt.timedelta


def _check_batch(batch: object) -> int:
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ValidationError("must be a whole number >= 1", field="batch", value=batch)
    return batch


def relay_outbox(
    deps: Services,
    *,
    batch: int = 100,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    lease: dt.timedelta = DEFAULT_LEASE,
    first_retry: dt.timedelta = _FIRST_RETRY,
    max_retry: dt.timedelta = _MAX_RETRY,
) -> Delivery:
    """Claim up to ``batch`` due notices, hand each to the notifier, and record each outcome (N1, N2).

    The claim holds the messages for ``lease`` (5 minutes by default; make it longer than sending a batch
    takes); no unit of work is open while the notifier sends. A failure is recorded as :func:`failure_text`
    gives it (a ``DeliveryError``'s class and first line, which name no address; any other error's class only)
    and retried after ``first_retry`` (5 minutes), doubled per further failure up to ``max_retry`` (6 hours), so
    that the default 20 attempts outlast a mail server down for three days. A message is set aside as dead, to
    be requeued by staff only, when the notifier raises a ``DeliveryError`` with ``permanent=True`` or when its
    ``max_attempts``-th try fails; the dead message keeps the error's text. Call it from the host's scheduler,
    from as many threads or processes as notices need.

    Raises:
        ValidationError: no notifier is configured, a batch size below 1, a lease or retry delay that is not
            positive, or (N2) ``max_attempts`` below 1.
        SubscriptionError: the store failed (what was sent before is recorded; the rest of the claim comes back
            when its lease runs out).
    """
    size = _check_batch(batch)
    settings = _Settings(
        max_attempts=check_max_attempts(max_attempts),
        first_retry=check_delay(first_retry, field="first_retry"),
        max_retry=check_delay(max_retry, field="max_retry"),
    )
    held = check_delay(lease, field="lease")
    notifier = deps.notifier
    if notifier is None:
        raise ValidationError("no notifier is configured", rule="N2", field="notifier")
    claimed = with_retries(deps, lambda uow, now: _claim(uow, now, size, held), name="relay_outbox")
    outcomes = {"sent": 0, "failed": 0, "dead": 0}
    for message in claimed:
        outcomes[_deliver(deps, notifier, message, settings)] += 1
    return Delivery(**outcomes)


def _claim(uow: UnitOfWork, at: dt.datetime, size: int, lease: dt.timedelta) -> list[OutboxMessage]:
    claimed = uow.outbox.claim(at, limit=size, lease=lease)
    uow.commit()
    return claimed


def _deliver(deps: Services, notifier: Notifier, message: OutboxMessage, settings: _Settings) -> str:
    """Send one claimed message with no unit of work open, then record the outcome in a unit of its own."""
    failure: Exception | None = None
    try:
        notifier.send(message)
    except Exception as error:  # noqa: BLE001 - any delivery failure is recorded, retried or set aside
        failure = error
    return with_retries(deps, lambda uow, now: _record(uow, now, message.id, failure, settings), name="relay_outbox")


def _record(uow: UnitOfWork, at: dt.datetime, message_id: str, failure: Exception | None, settings: _Settings) -> str:
    """Record one send: ``"sent"``, ``"failed"`` (retried later) or ``"dead"`` (given up), committed."""
    if failure is None:
        uow.outbox.mark_sent(message_id, at)
        uow.commit()
        return "sent"
    kind = type(failure).__name__
    permanent = isinstance(failure, DeliveryError) and failure.permanent
    attempts = uow.outbox.attempts(message_id) + 1  # with this one
    if permanent or attempts >= settings.max_attempts:
        uow.outbox.mark_dead(message_id, at, error=failure_text(failure))
        uow.commit()
        why = "a permanent failure" if permanent else f"{settings.max_attempts} attempts"
        _log.error("notice %s given up after %s (%s); staff may requeue it", message_id, why, kind)
        return "dead"
    retry_at = at + backoff(attempts, first=settings.first_retry, cap=settings.max_retry)
    uow.outbox.mark_failed(message_id, at, error=failure_text(failure), retry_at=retry_at)
    uow.commit()
    _log.warning("notice %s not delivered (%s, attempt %d); retrying later", message_id, kind, attempts)
    return "failed"
