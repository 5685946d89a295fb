"""Staff's view of the notices the relays gave up (N2, A2): list the dead ones, requeue one once its cause is fixed.

A relay sets a notice aside as dead when the notifier refused it for good (an address that does not exist)
or when it failed too often (:func:`~subscription_core.services.relay.relay_outbox`). Nothing is lost:
the message stays in the outbox with its attempts and its last error. Staff read :func:`dead_notices`, fix
the cause (the customer's address, the mail server's settings) and call :func:`requeue_notice`; the next
relay run sends the message again, under its same id (so a receiver still drops a repeat).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Final

from subscription_core.customers import Actor
from subscription_core.errors import ValidationError, masked, required_text
from subscription_core.notices import DeadLetter
from subscription_core.ports import UnitOfWork
from subscription_core.services.context import Services
from subscription_core.services.idempotency import fingerprint, run_once
from subscription_core.services.permissions import require_reason, require_staff

__all__ = ["dead_notices", "requeue_notice"]

_log = logging.getLogger(__name__)
_MAX_LIMIT: Final = 1000
_NUMBER: Final = re.compile(r"\d{5,}")  # a run this long may be a tax code, a phone or an account number


def dead_notices(deps: Services, actor: Actor, *, limit: int = 100) -> list[DeadLetter]:
    """The notices given up as dead, the longest dead first, at most ``limit`` (N2; staff only, A2).

    Each carries the message, the last error (which names no address), the attempts made and when it died.

    Raises:
        PermissionDeniedError: (A2) not staff.
        ValidationError: a limit that is not a whole number from 1 to 1000.
    """
    require_staff(actor, "see undelivered notices")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= _MAX_LIMIT:
        raise ValidationError(f"must be a whole number from 1 to {_MAX_LIMIT}", field="limit", value=limit)
    with deps.uow() as uow:
        return uow.outbox.dead(limit=limit)


def requeue_notice(deps: Services, actor: Actor, *, message_id: str, reason: str, idempotency_key: str) -> str:
    """Make a dead notice pending again, due now, so that the next relay run sends it (N2; staff only, A2).

    Its attempts and last error are kept; its id is unchanged. The requeue is logged with the message's and
    the staff member's ids and the reason, in which anything that looks like an e-mail address or a long
    number is masked. Returns the message id; a repeat of the key returns it again and changes nothing.

    Raises:
        PermissionDeniedError: (A2) not staff.
        ValidationError: no message id, no reason (A2), or a malformed idempotency key.
        NotFoundError: no message has this id.
        InvalidTransitionError: (N2) the message is not dead (pending, or already sent).
        ConflictError: the key was used for another request.
    """
    require_staff(actor, "requeue a notice")
    wanted = required_text(message_id, field="message_id", rule="N2")
    note = require_reason(actor, reason, "")

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, str]:
        uow.outbox.requeue(wanted, now)
        return wanted, wanted

    requeued = run_once(
        deps,
        actor,
        name="requeue_notice",
        key=idempotency_key,
        digest=fingerprint(message_id=wanted, reason=note),
        work=work,
        replay=lambda _uow, outcome: outcome,
    )
    _log.info("notice %s requeued by %s: %s", requeued, actor.id, _loggable(note))
    return requeued


def _loggable(reason: str) -> str:
    """The reason with every word holding an '@' masked as an e-mail and every long number masked."""
    words = (masked(word, "email") if "@" in word else word for word in reason.split())
    return " ".join(masked(word, "tax_code") if _NUMBER.search(word) else word for word in words)
