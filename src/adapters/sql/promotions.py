"""Promotions and their redemptions in SQL: the ``PromotionRepository`` port (P3, P4, P9).

Codes are compared ignoring case through a ``code_key`` column (the code stripped and case-folded), the
promotions' primary key. Redemption limits hold under concurrency (P9): :meth:`SqlPromotionRepository.reserve`
first takes a lock that every reservation of the same code takes, then counts and inserts. On PostgreSQL
that is a transaction-scoped advisory lock on the code, which holds whether or not the promotion is stored
(and is taken even by a reservation racing the promotion's own creation), followed by the promotion's row
(``SELECT ... FOR UPDATE``) when there is one. On SQLite a reservation that starts a unit of work takes the
single write lock at once (``BEGIN IMMEDIATE``); one in a unit that began by reading is refused, retryably,
if another writer committed since. The unique key on ``(order_id, code_key)`` backs "one redemption per
order and code".
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, case, func, select, update

from subscription_core.errors import ConflictError, NotFoundError, ValidationError
from subscription_core.promotions import Promotion, RedemptionCounts, code_key
from subscription_core.redemptions import Redemption, RedemptionState
from subscription_core_adapters.sql import schema
from subscription_core_adapters.sql.rows import Rows, of_type
from subscription_core_adapters.sql.serialization import from_document, to_document

__all__ = ["SqlPromotionRepository", "code_key"]

_P = schema.promotions
_R = schema.redemptions
_RELEASED = RedemptionState.RELEASED.value
_OF_ORDER = select(_R.c.document).where(_R.c.order_id == bindparam("order_id")).order_by(_R.c.code, _R.c.code_key)


def _optional_limit(value: object, field: str) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValidationError("must be a whole number >= 0 or None", rule="P4", field=field, value=value)
    return value


class SqlPromotionRepository:
    """Promotions and redemptions of one unit of work."""

    def __init__(self, rows: Rows) -> None:
        """Work on the unit of work's connection."""
        self._rows = rows

    def add(self, promotion: Promotion) -> None:
        """Store a promotion. Raises ``ConflictError`` if its code (ignoring case) is already stored."""
        of_type(promotion, Promotion, "promotion")
        row = {"code_key": code_key(promotion.code), "code": promotion.code, "document": to_document(promotion)}
        if not self._rows.insert_new(_P, row, "add the promotion"):
            raise ConflictError("this promotion is already stored", rule="P3", field="code", value=promotion.code)

    def get(self, code: str) -> Promotion:
        """The promotion with this code, ignoring case. Raises ``NotFoundError`` if there is none."""
        query = select(_P.c.document).where(_P.c.code_key == code_key(code))
        document = self._rows.execute(query, "read the promotion").scalar_one_or_none()
        if document is None:
            raise NotFoundError("no such promotion", field="code", value=code)
        return from_document(document, Promotion)

    def all(self) -> list[Promotion]:
        """Every promotion, ordered by code."""
        query = select(_P.c.document).order_by(_P.c.code, _P.c.code_key)
        return [from_document(doc, Promotion) for doc in self._rows.execute(query, "read promotions").scalars()]

    def counts(self, codes: Sequence[str], customer_id: str) -> RedemptionCounts:
        """How many redemptions of ``codes`` count (reserved or consumed), in all and by the customer.

        Both maps hold every code asked for, as it was given, matched ignoring case.
        """
        keys = {code: code_key(code) for code in codes}
        found: dict[str, tuple[int, int]] = {}
        if keys:
            mine = func.sum(case((_R.c.customer_id == customer_id, 1), else_=0))
            query = (
                select(_R.c.code_key, func.count(), mine)
                .where(_R.c.code_key.in_(set(keys.values())), _R.c.state != _RELEASED)
                .group_by(_R.c.code_key)
            )
            rows = self._rows.execute(query, "count redemptions")
            found = {row[0]: (int(row[1]), int(row[2])) for row in rows}
        return RedemptionCounts(
            total={code: found.get(key, (0, 0))[0] for code, key in keys.items()},
            by_customer={code: found.get(key, (0, 0))[1] for code, key in keys.items()},
        )

    def _lock(self, key: str) -> None:
        """Serialize the reservations of one code until the transaction ends (see the module's docstring)."""
        if self._rows.dialect != "postgresql":
            return
        advisory = select(func.pg_advisory_xact_lock(func.hashtextextended("promotion:" + key, 0)))
        self._rows.execute(advisory, "lock the promotion code")
        self._rows.execute(self._rows.for_update(select(_P.c.code_key).where(_P.c.code_key == key)), "lock")

    def reserve(self, redemption: Redemption, *, limit: int | None, per_customer_limit: int | None) -> bool:
        """Reserve a redemption unless a limit is reached (P9): atomically, whatever the concurrency.

        Returns ``False`` (storing nothing) when the total or the customer's count already reaches its
        limit; a second reservation for the same order and code is a no-op returning ``True``.

        Raises:
            ValidationError: (P9) not a reserved redemption; (P4) a limit that is not a count.
        """
        if not isinstance(redemption, Redemption) or redemption.state is not RedemptionState.RESERVED:
            raise ValidationError("must be a reserved Redemption", rule="P9", field="redemption", value=redemption)
        key = code_key(redemption.code)
        total_limit = _optional_limit(limit, "limit")
        own_limit = _optional_limit(per_customer_limit, "per_customer_limit")
        self._rows.writing()
        self._lock(key)
        if self._exists(redemption.order_id, key):
            return True
        mine = func.coalesce(func.sum(case((_R.c.customer_id == redemption.customer_id, 1), else_=0)), 0)
        query = select(func.count(), mine).where(_R.c.code_key == key, _R.c.state != _RELEASED)
        counted = self._rows.execute(query, "count redemptions").one()
        total, own = int(counted[0]), int(counted[1])
        if (total_limit is not None and total >= total_limit) or (own_limit is not None and own >= own_limit):
            return False
        # Under the lock no one else inserts this order's redemption; were one to, the unique key keeps one
        # row, and "already reserved" is the port's answer for a repeat.
        self._rows.insert_new(_R, self._row(redemption, key), "reserve the redemption")
        return True

    def _exists(self, order_id: str, key: str) -> bool:
        query = select(_R.c.order_id).where(_R.c.order_id == order_id, _R.c.code_key == key)
        return self._rows.execute(query, "read the redemption").first() is not None

    @staticmethod
    def _row(redemption: Redemption, key: str) -> dict[str, object]:
        return {
            "order_id": redemption.order_id,
            "code_key": key,
            "code": redemption.code,
            "customer_id": redemption.customer_id,
            "state": redemption.state.value,
            "reserved_at": redemption.reserved_at,
            "settled_at": redemption.settled_at,
            "document": to_document(redemption),
        }

    def save_redemption(self, redemption: Redemption) -> None:
        """Store a redemption's new state (consumed or released). Raises ``NotFoundError`` if unknown."""
        of_type(redemption, Redemption, "redemption")
        self._rows.writing()
        key = code_key(redemption.code)
        row = self._row(redemption, key)
        where = (_R.c.order_id == redemption.order_id, _R.c.code_key == key)
        if self._rows.execute(update(_R).where(*where).values(row), "save the redemption").rowcount != 1:
            raise NotFoundError("no such redemption", field="code", value=redemption.code)

    def redemptions_of(self, order_id: str) -> list[Redemption]:
        """The redemptions an order reserved, by code."""
        found = self._rows.execute(_OF_ORDER, "read redemptions", {"order_id": order_id}).scalars()
        return [from_document(doc, Redemption) for doc in found]
