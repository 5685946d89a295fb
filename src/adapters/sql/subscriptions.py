"""Subscriptions in SQL: the ``SubscriptionRepository`` port (S1-S9).

A subscription's row holds the entity without its history; each history entry is a row of the
append-only ``subscription_history`` table (S9): a save inserts the entries added since the stored
version and never rewrites one. ``due`` reads the ``(next_due_at, id)`` index, so it costs the number of
subscriptions due, not the number stored. A free trial's row names its product in ``trial_of``, under a
unique index with the customer: a second trial of a product for a company is never stored (S12).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from sqlalchemy import Integer, Text, bindparam, cast, func, insert, literal_column, select, union_all

from subscription_core.errors import ConflictError, NotFoundError, TransientConflictError
from subscription_core.subscriptions import Subscription
from subscription_core_adapters.sql import schema
from subscription_core_adapters.sql.rows import Rows, check_instant, check_limit, chunks, of_type
from subscription_core_adapters.sql.serialization import (
    Document,
    from_document,
    history_entry_document,
    subscription_row_document,
)

__all__ = ["SqlSubscriptionRepository"]

_T = schema.subscriptions
_H = schema.subscription_history
# The documents :meth:`SqlSubscriptionRepository._load` reads, as their JSON text: each is parsed just before
# its subscription is built and dropped after, so a batch's parsed documents are never all alive at once (the
# texts are not objects the garbage collector tracks, the parsed dicts and lists are).
_DOCUMENT_TEXT = cast(_T.c.document, Text).label("document")
_ENTRY_TEXT = cast(_H.c.document, Text).label("document")
_BY_ID = select(_T.c.id, _DOCUMENT_TEXT).where(_T.c.id == bindparam("subscription_id"))
# Subscriptions and their history in one round trip: each one's row (position -1) before its entries, in order.
_WITH_HISTORY = union_all(
    select(_T.c.id, literal_column("-1", Integer).label("position"), _T.c.document).where(
        _T.c.id.in_(bindparam("ids", expanding=True))
    ),
    select(_H.c.subscription_id, _H.c.position, _H.c.document).where(
        _H.c.subscription_id.in_(bindparam("ids", expanding=True))
    ),
).order_by("position")
_ADD_HISTORY = insert(_H)
_NONE: Mapping[str, Any] = MappingProxyType({})
_KNOWN = "subscriptions"  # Rows.known: (version, history length) of what this transaction read or wrote


def _row(subscription: Subscription) -> dict[str, Any]:
    """The subscription's row: its document without history, which is stored entry by entry (S9)."""
    return {
        "id": subscription.id,
        "version": subscription.version,
        "customer_id": subscription.customer_id,
        "product_code": subscription.product_code,
        "state": subscription.state.value,
        "next_due_at": subscription.next_due_at,
        "held_back_since": subscription.held_back.since if subscription.held_back is not None else None,
        "history_length": len(subscription.history),
        "document": subscription_row_document(subscription),
    }


def _parsed(document: str, history: list[str]) -> Subscription:
    """The subscription whose row holds ``document`` and whose history entries ``history``, as JSON texts."""
    data: Document = json.loads(document)
    data["history"] = [json.loads(entry) for entry in history]
    return from_document(data, Subscription)


def _history_rows(subscription: Subscription, start: int) -> list[dict[str, Any]]:
    """The rows of the subscription's history entries from ``start`` on; the earlier ones are not encoded."""
    return [
        {
            "subscription_id": subscription.id,
            "position": position,
            "at": entry.at,
            "event": entry.event.value,
            "document": history_entry_document(entry),
        }
        for position, entry in enumerate(subscription.history[start:], start)
    ]


class SqlSubscriptionRepository:
    """Subscriptions of one unit of work."""

    def __init__(self, rows: Rows) -> None:
        """Work on the unit of work's connection."""
        self._rows = rows

    def _append_history(self, subscription: Subscription, start: int) -> None:
        if values := _history_rows(subscription, start):
            self._rows.execute(_ADD_HISTORY, "record the subscription's history", values)

    def _refuse_shorter_history(self, subscription: Subscription, expected_version: int) -> None:
        query = select(_T.c.version).where(_T.c.id == subscription.id)
        stored = self._rows.execute(query, "read the subscription").scalar_one_or_none()
        if stored != expected_version:
            raise TransientConflictError(
                f"the subscription {subscription.id} was saved by someone else since it was read"
                f" (stored version {stored})",
                field="expected_version",
                value=expected_version,
            )
        raise ConflictError(
            "a subscription's history is append-only; this one has fewer entries than stored",
            rule="S9",
            field="history",
            value=subscription.id,
        )

    def _load(self, query: Any, parameters: Mapping[str, Any] = _NONE) -> list[Subscription]:  # noqa: ANN401 - a SELECT
        found = self._rows.execute(query, "read subscriptions", parameters).all()
        if not found:
            return []
        ids = [row.id for row in found]
        entries: dict[str, list[str]] = {i: [] for i in ids}
        history = select(_H.c.subscription_id, _ENTRY_TEXT).where(_H.c.subscription_id.in_(ids))
        for row in self._rows.execute(history.order_by(_H.c.subscription_id, _H.c.position), "read history"):
            entries[row.subscription_id].append(row.document)
        loaded = [_parsed(row.document, entries[row.id]) for row in found]
        for subscription in loaded:
            self._rows.known[_KNOWN, subscription.id] = (subscription.version, len(subscription.history))
        return loaded

    def _with_history(self, ids: list[str]) -> list[Subscription]:
        """The subscriptions with these ids (at most :data:`~.rows.CHUNK`), each read with its history in one query."""
        documents: dict[str, Document] = {}
        for row in self._rows.execute(_WITH_HISTORY, "read subscriptions", {"ids": ids}):
            if row.position == -1:  # decoded afresh for this read: its history goes into it, not into a copy
                documents[row.id] = row.document
                row.document["history"] = []
            else:  # after its subscription's row: ordered by position, the row's is -1
                documents[row.id]["history"].append(row.document)
        loaded = [from_document(document, Subscription) for document in documents.values()]
        for subscription in loaded:
            self._rows.known[_KNOWN, subscription.id] = (subscription.version, len(subscription.history))
        return loaded

    def add(self, subscription: Subscription) -> None:
        """Store a new subscription. Raises ``ConflictError`` if the id is already stored."""
        of_type(subscription, Subscription, "subscription")
        row = _row(subscription)
        # Written once, here: a subscription is a trial from its start or never (S12); saves leave it alone.
        trial_of = None if subscription.trial is None else subscription.product_code
        if not self._rows.insert_new(_T, {**row, "trial_of": trial_of}, "add the subscription"):
            if trial_of is not None and not self._load(_BY_ID, {"subscription_id": subscription.id}):
                # A concurrent request stored the company's trial first: running again refuses it by S12.
                raise TransientConflictError(
                    "the company already has a free trial of this product", rule="S12", field="trial", value=trial_of
                )
            raise ConflictError("this subscription is already stored", field="id", value=subscription.id)
        self._append_history(subscription, 0)
        self._rows.known[_KNOWN, subscription.id] = (subscription.version, len(subscription.history))

    def get(self, subscription_id: str) -> Subscription:
        """Return the subscription. Raises ``NotFoundError`` if there is none."""
        found = self._with_history([subscription_id])
        if not found:
            raise NotFoundError("no such subscription", field="subscription_id", value=subscription_id)
        return found[0]

    def save(self, subscription: Subscription, *, expected_version: int) -> None:
        """Replace it, appending the history entries added since the stored version (S9).

        Raises:
            NotFoundError: there is no subscription with its id.
            ConflictError: the stored version is not ``expected_version``, or the new history does not
                extend the stored one (history is append-only, S9).
        """
        of_type(subscription, Subscription, "subscription")
        self._rows.writing()
        length = len(subscription.history)
        known = self._rows.known.get((_KNOWN, subscription.id))
        if known is not None and known[0] == expected_version:
            # Read or written at this version in this transaction: if the versioned UPDATE matches, the
            # stored history is still the one counted then (nobody saved since), so no count is needed.
            stored: int = known[1]
        else:
            # The count belongs to the stored version: if the versioned UPDATE below matches, nobody changed
            # either since, and the row then stays locked (SQLite: the write lock) until commit.
            count = select(func.count()).select_from(_H).where(_H.c.subscription_id == subscription.id)
            stored = self._rows.execute(count, "read the subscription's history").scalar_one()
        if stored > length:
            self._refuse_shorter_history(subscription, expected_version)
        self._rows.replace(_T, _row(subscription), expected_version=expected_version, noun="subscription")
        self._append_history(subscription, stored)
        self._rows.known[_KNOWN, subscription.id] = (subscription.version, length)

    def save_many(self, changes: Sequence[tuple[Subscription, int]]) -> None:
        """Replace each ``(subscription, expected_version)`` as :meth:`save` does, in a few statements (S9).

        One executemany UPDATE and one history INSERT for the lot; history lengths not remembered from
        this transaction are counted in one query. Raises as :meth:`save` does for the first refused; the
        unit of work must then be rolled back.
        """
        for subscription, _ in changes:
            of_type(subscription, Subscription, "subscription")
        if not changes:
            return
        self._rows.writing()
        stored = self._stored_lengths(changes)
        for subscription, expected_version in changes:
            if stored[subscription.id] > len(subscription.history):
                self._refuse_shorter_history(subscription, expected_version)
        self._rows.replace_many(_T, [(_row(sub), expected) for sub, expected in changes], noun="subscription")
        values = [row for subscription, _ in changes for row in _history_rows(subscription, stored[subscription.id])]
        if values:
            self._rows.execute(_ADD_HISTORY, "record the subscriptions' history", values)
        for subscription, _ in changes:
            self._rows.known[_KNOWN, subscription.id] = (subscription.version, len(subscription.history))

    def _stored_lengths(self, changes: Sequence[tuple[Subscription, int]]) -> dict[str, int]:
        """Each subscription's stored history length: remembered at the expected version, else counted."""
        lengths: dict[str, int] = {}
        unknown: list[str] = []
        for subscription, expected_version in changes:
            known = self._rows.known.get((_KNOWN, subscription.id))
            if known is not None and known[0] == expected_version:
                lengths[subscription.id] = known[1]
            else:
                unknown.append(subscription.id)
                lengths[subscription.id] = 0
        for chunk in chunks(unknown):
            count = select(_H.c.subscription_id, func.count()).where(_H.c.subscription_id.in_(chunk))
            grouped = count.group_by(_H.c.subscription_id)
            lengths.update((row[0], row[1]) for row in self._rows.execute(grouped, "read the subscriptions' history"))
        return lengths

    def get_many(self, subscription_ids: Sequence[str]) -> dict[str, Subscription]:
        """The subscriptions with these ids, by id; ids with none are left out (one query per 500 ids)."""
        found: dict[str, Subscription] = {}
        for chunk in chunks(subscription_ids):
            for subscription in self._with_history(chunk):
                found[subscription.id] = subscription
        return found

    def of_customers(self, customer_ids: Sequence[str]) -> dict[str, list[Subscription]]:
        """Each of these companies' subscriptions, ordered by id; every id given is a key (one query per 500)."""
        found: dict[str, list[Subscription]] = {customer_id: [] for customer_id in customer_ids}
        for chunk in chunks(customer_ids):
            query = select(_T.c.id, _DOCUMENT_TEXT).where(_T.c.customer_id.in_(chunk)).order_by(_T.c.id)
            for subscription in self._load(query):
                found[subscription.customer_id].append(subscription)
        return found

    def of_customer(self, customer_id: str) -> list[Subscription]:
        """A company's subscriptions (S8), ordered by id."""
        return self._load(select(_T.c.id, _DOCUMENT_TEXT).where(_T.c.customer_id == customer_id).order_by(_T.c.id))

    def held_back(self, *, limit: int) -> list[Subscription]:
        """Up to ``limit`` subscriptions set aside by the time-driven step, longest held first (then by id)."""
        query = select(_T.c.id, _DOCUMENT_TEXT).where(_T.c.held_back_since.is_not(None))
        return self._load(query.order_by(_T.c.held_back_since, _T.c.id).limit(check_limit(limit)))

    def due(self, at: dt.datetime, *, limit: int) -> list[Subscription]:
        """Up to ``limit`` subscriptions whose ``next_due_at`` is at or before ``at``, earliest first (then by id).

        Raises:
            ValidationError: (D2) a naive ``at``, or a negative limit.
        """
        when = check_instant(at)
        query = select(_T.c.id, _DOCUMENT_TEXT).where(_T.c.next_due_at <= when)
        return self._load(query.order_by(_T.c.next_due_at, _T.c.id).limit(check_limit(limit)))
