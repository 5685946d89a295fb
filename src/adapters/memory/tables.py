"""The storage machinery of the in-memory adapter: committed tables, and each unit of work's view of them.

A :class:`Table` holds the committed rows of one kind with their secondary indexes (a hash index per
name, and at most one sorted index for "due by" queries). Only a commit changes it, under the store's
lock.

A :class:`TableView` is one unit of work's window on a table. Reads see the rows committed so far (read
live, as PostgreSQL's default READ COMMITTED level does) beneath the unit's own pending writes; writes stay
private to the unit until it commits. Each write remembers its *base*: the row it was decided on, or
:data:`ABSENT` for an insert. At commit :meth:`TableView.verify` checks, under the lock, that no other unit
committed over any base (versions for entities, identity for other records) and that unique indexes still
hold; only then does :meth:`TableView.apply` write everything. A unit that loses a race gets
``ConflictError`` and changes nothing.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from datetime import datetime
from typing import Any, Final, Generic, TypeVar

from subscription_core.calendar import ensure_aware
from subscription_core.errors import ConflictError, NotFoundError, TransientConflictError, ValidationError

__all__ = ["ABSENT", "Absent", "Table", "TableView", "check_instant", "check_limit", "checked"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")

IndexKeys = Callable[[Any], Iterable[Hashable]]
"""The values a row is indexed under in one hash index (none: the row is not in that index)."""
OrderKey = Callable[[Any], "tuple[Any, ...] | None"]
"""A row's place in the sorted index, unique per row (it ends with the row's id), or ``None``: not there."""


class Absent:
    """The base of a row that a unit of work inserts: there was none."""

    def __repr__(self) -> str:
        """Read as the constant's name."""
        return "ABSENT"


ABSENT: Final = Absent()


class Table(Generic[K, V]):
    """The committed rows of one kind and their indexes. Not thread-safe by itself: hold the store's lock.

    ``noun`` names a row in errors (``"order"``). ``indexes`` maps an index name to the values a row is
    found under; the names in ``unique`` may hold one row per value. ``order`` places rows in the sorted
    index. ``version`` reads an entity's version; rows without one are compared by identity at commit.
    ``rule`` is the domain rule a conflict on this table breaks (``"Y5"``: a notification processed twice).
    ``held`` names the rows an open unit of work has taken (:meth:`TableView.take`), with the view that holds each.
    """

    def __init__(
        self,
        noun: str,
        *,
        indexes: Mapping[str, IndexKeys] | None = None,
        unique: Collection[str] = (),
        order: OrderKey | None = None,
        version: Callable[[V], int] | None = None,
        rule: str = "",
    ) -> None:
        """Make an empty table."""
        self.noun = noun
        self.rule = rule
        self.rows: dict[K, V] = {}
        self.unique = tuple(unique)
        self.version = version
        self._keys_of = dict(indexes or {})
        self._indexes: dict[str, dict[Hashable, set[K]]] = {name: {} for name in self._keys_of}
        self._order_of = order
        self._ordered: list[tuple[tuple[Any, ...], K]] = []
        self.held: dict[K, object] = {}

    def index_values(self, index: str, row: V) -> frozenset[Hashable]:
        """The values ``row`` is found under in ``index``."""
        return frozenset(self._keys_of[index](row))

    def order_key(self, row: V) -> tuple[Any, ...] | None:
        """The place of ``row`` in the sorted index, or ``None``."""
        return None if self._order_of is None else self._order_of(row)

    def holders(self, index: str, value: Hashable) -> set[K]:
        """The keys of the committed rows found under ``value`` in ``index``."""
        return set(self._indexes[index].get(value, ()))

    def ordered(self) -> list[tuple[tuple[Any, ...], K]]:
        """The sorted index: ``(order key, row key)`` pairs, smallest first. Do not change it."""
        return self._ordered

    def put(self, key: K, row: V) -> None:
        """Store ``row`` under ``key``, replacing any row there, and re-index it."""
        old = self.rows.get(key)
        if old is not None:
            self._unindex(key, old)
        self.rows[key] = row
        for name, index in self._indexes.items():
            for value in self.index_values(name, row):
                index.setdefault(value, set()).add(key)
        place = self.order_key(row)
        if place is not None:
            bisect.insort(self._ordered, (place, key))

    def _unindex(self, key: K, row: V) -> None:
        for name, index in self._indexes.items():
            for value in self.index_values(name, row):
                holders = index[value]
                holders.discard(key)
                if not holders:
                    del index[value]
        place = self.order_key(row)
        if place is not None:
            del self._ordered[bisect.bisect_left(self._ordered, (place, key))]


class TableView(Generic[K, V]):
    """One unit of work's view of a :class:`Table`: committed rows, read live, under its pending writes."""

    def __init__(self, table: Table[K, V], lock: threading.Lock) -> None:
        """Make a view with no pending write."""
        self.table = table
        self._lock = lock
        self.written: dict[K, V] = {}
        self._bases: dict[K, V | Absent] = {}
        self._held: set[K] = set()

    @property
    def noun(self) -> str:
        """What a row is called in errors."""
        return self.table.noun

    def get(self, key: K) -> V | None:
        """The row under ``key`` as this unit sees it, or ``None``."""
        if key in self.written:
            return self.written[key]
        with self._lock:
            return self.table.rows.get(key)

    def require(self, key: K, *, field: str, shown: object) -> V:
        """The row under ``key``. Raises ``NotFoundError`` naming ``field`` and ``shown`` if there is none."""
        row = self.get(key)
        if row is None:
            raise NotFoundError(f"no such {self.noun}", field=field, value=shown)
        return row

    def write(self, key: K, row: V, *, base: V | Absent) -> None:
        """Stage ``row`` under ``key``; ``base`` is the row the change was decided on (``ABSENT``: an insert).

        Only the first base of a key counts: a second change in the same unit builds on the first.
        """
        self._bases.setdefault(key, base)
        self.written[key] = row

    def insert(self, key: K, row: V, *, field: str = "id", rule: str = "", transient: bool = False) -> None:
        """Stage a new row. Raises ``ConflictError`` (naming ``field`` and ``rule``) if ``key`` is taken.

        ``transient``: a taken key means a concurrent request got there first (a ``TransientConflictError``).
        """
        if self.get(key) is not None:
            error = TransientConflictError if transient else ConflictError
            raise error(f"this {self.noun} is already stored", rule=rule or self.table.rule, field=field, value=key)
        self.write(key, row, base=ABSENT)

    def replace(self, key: K, row: V, *, expected_version: int) -> None:
        """Stage a new version of an entity read at ``expected_version``.

        Raises:
            NotFoundError: there is no such entity.
            TransientConflictError: its stored version is not ``expected_version`` (someone saved it since).
        """
        current = self.require(key, field="id", shown=key)
        version = self.table.version
        stored = version(current) if version is not None else None
        if stored != expected_version:
            raise TransientConflictError(
                f"the {self.noun} was saved by someone else since it was read (stored version {stored})",
                field="expected_version",
                value=expected_version,
            )
        self.write(key, row, base=current)

    def lookup(self, index: str, value: Hashable) -> list[V]:
        """The rows this unit sees under ``value`` in ``index``, in no particular order."""
        with self._lock:
            return self.lookup_holding_lock(index, value)

    def lookup_holding_lock(self, index: str, value: Hashable) -> list[V]:
        """:meth:`lookup` for a caller that already holds the store's lock (at commit)."""
        rows = self.table.rows
        found = [rows[k] for k in self.table.holders(index, value) if k not in self.written]
        found += [row for row in self.written.values() if value in self.table.index_values(index, row)]
        return found

    def scan(self, keep: Callable[[V], bool]) -> list[V]:
        """Every row this unit sees that ``keep`` accepts, in no particular order (a full scan)."""
        with self._lock:
            found = [row for key, row in self.table.rows.items() if key not in self.written and keep(row)]
        return found + [row for row in self.written.values() if keep(row)]

    def ordered_while(
        self, within: Callable[[tuple[Any, ...]], bool], *, limit: int | None, keep: Callable[[V], bool] | None = None
    ) -> list[V]:
        """Rows of the sorted index, smallest first, while ``within`` accepts their order key; at most ``limit``.

        ``keep``, when given, passes over the rows it refuses (they do not count towards ``limit``). Reads
        only the rows it returns and those it passed over (plus those this unit rewrote), never the whole table.
        """
        picked: list[tuple[tuple[Any, ...], V]] = []
        with self._lock:
            for place, key in self.table.ordered():
                if not within(place) or (limit is not None and len(picked) >= limit):
                    break
                if key not in self.written:
                    row = self.table.rows[key]
                    if keep is None or keep(row):
                        picked.append((place, row))
        for row in self.written.values():
            mine = self.table.order_key(row)
            if mine is not None and within(mine) and (keep is None or keep(row)):
                picked.append((mine, row))
        picked.sort(key=lambda pair: pair[0])
        return [row for _, row in picked[:limit]]

    def take(
        self,
        within: Callable[[tuple[Any, ...]], bool],
        *,
        keep: Callable[[V], bool],
        rank: Callable[[V], Any],
        limit: int,
    ) -> list[V]:
        """Take the ``limit`` first by ``rank`` of the rows in the sorted index that ``within`` and ``keep`` accept.

        Rows another open view has taken are passed over, as PostgreSQL's ``FOR UPDATE SKIP LOCKED`` does; the
        rows returned are this view's until it commits or rolls back, so two views never take the same row.
        """
        mine = self.table.held.get
        with self._lock:
            found = {
                key: self.table.rows[key]
                for _, key in itertools.takewhile(lambda pair: within(pair[0]), self.table.ordered())
                if key not in self.written and mine(key, self) is self
            }
            for key, row in self.written.items():
                place = self.table.order_key(row)
                if place is not None and within(place) and mine(key, self) is self:
                    found[key] = row
            chosen = sorted((pair for pair in found.items() if keep(pair[1])), key=lambda pair: rank(pair[1]))[:limit]
            for key, _ in chosen:
                self.table.held[key] = self
                self._held.add(key)
        return [row for _, row in chosen]

    def verify(self) -> None:
        """Check, holding the store's lock, that every pending write may still be committed.

        Raises:
            TransientConflictError: another unit committed a row this one inserted or changed since it was read, or a
                row would share a unique value with another.
        """
        for key, base in self._bases.items():
            self._check_base(key, base)
        for name in self.table.unique:
            for key, row in self.written.items():
                for value in self.table.index_values(name, row):
                    self._check_unique(name, value, key)

    def _check_base(self, key: K, base: V | Absent) -> None:
        current = self.table.rows.get(key)
        version = self.table.version
        if isinstance(base, Absent):
            if current is not None:
                raise TransientConflictError(
                    f"this {self.noun} was stored by a concurrent unit of work", rule=self.table.rule, value=key
                )
            return
        if current is None or (version(current) != version(base) if version is not None else current is not base):
            raise TransientConflictError(
                f"the {self.noun} was changed by a concurrent unit of work; reload and retry",
                rule=self.table.rule,
                value=key,
            )

    def _check_unique(self, index: str, value: Hashable, key: K) -> None:
        for holder in self.table.holders(index, value) - {key}:
            moved = holder in self.written and value not in self.table.index_values(index, self.written[holder])
            if not moved:
                raise TransientConflictError(
                    f"another {self.noun} already has this {index} (stored concurrently)", field=index, value=value
                )

    def apply(self) -> None:
        """Write every pending row into the table (hold the store's lock); forget them; release the rows taken."""
        for key, row in self.written.items():
            self.table.put(key, row)
        self._release()
        self.written.clear()
        self._bases.clear()

    def discard(self) -> None:
        """Forget every pending write and let go of the rows taken."""
        if self._held:
            with self._lock:
                self._release()
        self.written.clear()
        self._bases.clear()

    def _release(self) -> None:
        """Let go of the rows this view took; hold the store's lock."""
        for key in self._held:
            if self.table.held.get(key) is self:
                del self.table.held[key]
        self._held.clear()


def check_limit(limit: object, *, field: str = "limit") -> int:
    """Return ``limit`` if it is a whole number >= 0. Raises ``ValidationError`` otherwise."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise ValidationError("must be a whole number >= 0", field=field, value=limit)
    return limit


def check_instant(at: datetime, *, field: str = "at") -> datetime:
    """Return ``at`` if it is time-zone-aware (D2). Raises ``ValidationError`` for a naive one."""
    return ensure_aware(at, field=field)


def checked(value: object, kind: type[T], *, field: str, rule: str = "") -> T:
    """Return ``value`` if it is a ``kind``: what a repository stores. Raises ``ValidationError`` otherwise."""
    if not isinstance(value, kind):
        raise ValidationError(f"must be a {kind.__name__}", rule=rule, field=field, value=value)
    return value
