"""Notes on a subscription (S8, oneSME's "Ghi nhớ" tab): who wrote what, and when.

A note is kept in the subscription's own document (``Subscription.notes``), saved with its version like
any change, so a note and the subscription it is about never part, no store or migration is needed, and a
document stored before notes existed loads with none. A note changes nothing else: it is not a change of
the service (S9's history keeps those).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Final

from subscription_core.customers import Actor
from subscription_core.errors import ValidationError, checked_id, checked_text, required_text
from subscription_core.ports import UnitOfWork
from subscription_core.services.context import Services
from subscription_core.services.idempotency import fingerprint, run_once
from subscription_core.services.permissions import require_actor, require_viewer
from subscription_core.subscriptions import Note
from subscription_core.texts import NOTE_LIMIT

__all__ = ["NOTES_PER_SUBSCRIPTION", "add_subscription_note"]

_log = logging.getLogger(__name__)

NOTES_PER_SUBSCRIPTION: Final = 1000
"""The most notes one subscription keeps (S8) [decision]: its document stays small enough to load at once."""


def add_subscription_note(deps: Services, actor: Actor, subscription_id: str, text: str, idempotency_key: str) -> Note:
    """Write ``text`` as a note on the subscription (S8), by ``actor``, at the clock's instant.

    Whoever may see the subscription may write on it: staff, the company's users, its service accountant
    (A1). The text may span lines; it is kept as given.

    Raises:
        PermissionDeniedError: (A1) anyone else. NotFoundError: unknown subscription.
        ValidationError: (S8) a blank text, one longer than ``NOTE_LIMIT`` characters or holding a refused
            character (see :mod:`subscription_core.texts`), or a subscription holding
            :data:`NOTES_PER_SUBSCRIPTION` notes already.
        ConflictError: the key was used for another request.
    """
    subscription_id = checked_id(subscription_id, field="subscription_id")
    require_actor(actor)
    required_text(text, field="text", rule="S8", most=NOTE_LIMIT, lines=True)
    checked_text(text, field="text", rule="S8", most=NOTE_LIMIT, lines=True)

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Note]:
        sub = uow.subscriptions.get(subscription_id)
        require_viewer(actor, uow.customers.get(sub.customer_id))
        if len(sub.notes) >= NOTES_PER_SUBSCRIPTION:
            raise ValidationError(
                f"holds {NOTES_PER_SUBSCRIPTION} notes, the most one subscription keeps",
                rule="S8",
                field="subscription_id",
                value=sub.id,
            )
        note = Note(at=now, author=actor, text=text)
        uow.subscriptions.save(sub.with_note(note), expected_version=sub.version)
        _log.info("note added to subscription %s by %s", sub.id, actor.id)
        return str(len(sub.notes)), note

    return run_once(
        deps,
        actor,
        name="add_subscription_note",
        key=idempotency_key,
        digest=fingerprint(subscription_id=subscription_id, text=text),
        work=work,
        replay=lambda uow, index: uow.subscriptions.get(subscription_id).notes[int(index)],
    )
