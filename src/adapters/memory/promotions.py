"""Promotions and their redemptions in memory: the ``PromotionRepository`` port (P3, P4, P9).

Limits hold under concurrency twice over: :meth:`MemoryPromotionRepository.reserve` refuses a reservation
when the counts it sees (committed ones and this unit's own) reach a limit, and the unit of work checks
every reservation's limits again at commit, under the store's lock, against what others committed in the
meantime. A reservation that would break a limit there fails the commit with ``ConflictError`` (P9).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from subscription_core.errors import TransientConflictError, ValidationError
from subscription_core.promotions import Promotion, RedemptionCounts, code_key
from subscription_core.redemptions import Redemption, RedemptionState
from subscription_core_adapters.memory.tables import TableView, checked

__all__ = ["MemoryPromotionRepository", "code_key"]


def _optional_limit(value: object, field: str) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValidationError("must be a whole number >= 0 or None", rule="P4", field=field, value=value)
    return value


@attrs.frozen
class _Limits:
    """The limits a reservation was made under, checked again at commit."""

    code: str
    customer_id: str
    total: int | None
    per_customer: int | None


def _over(counting: Sequence[Redemption], limits: _Limits, *, allowed: int) -> str | None:
    """Which limit ``counting`` exceeds once ``allowed`` more are taken into account, or ``None``."""
    mine = sum(r.customer_id == limits.customer_id for r in counting)
    if limits.total is not None and len(counting) + allowed > limits.total:
        return f"its redemption limit of {limits.total}"
    if limits.per_customer is not None and mine + allowed > limits.per_customer:
        return f"its limit of {limits.per_customer} per customer"
    return None


class MemoryPromotionRepository:
    """Promotions (unique by code, ignoring case) and redemptions (unique by order and code) of one unit."""

    def __init__(
        self, promotions: TableView[str, Promotion], redemptions: TableView[tuple[str, str], Redemption]
    ) -> None:
        """Work on the unit of work's windows on the promotions and redemptions tables."""
        self._promotions = promotions
        self._redemptions = redemptions
        self._reserved: list[_Limits] = []

    def add(self, promotion: Promotion) -> None:
        """Store a promotion. Raises ``ConflictError`` if its code (ignoring case) is already stored."""
        code = code_key(checked(promotion, Promotion, field="promotion").code)
        self._promotions.insert(code, promotion, field="code", rule="P3")

    def get(self, code: str) -> Promotion:
        """The promotion with this code, ignoring case. Raises ``NotFoundError`` if there is none."""
        return self._promotions.require(code_key(code), field="code", shown=code)

    def all(self) -> list[Promotion]:
        """Every promotion, ordered by code."""
        return sorted(self._promotions.scan(lambda _: True), key=lambda p: p.code)

    def counts(self, codes: Sequence[str], customer_id: str) -> RedemptionCounts:
        """How many redemptions of ``codes`` count (reserved or consumed), in all and by the customer.

        Both maps hold every code asked for, as it was given, matched ignoring case.
        """
        total: dict[str, int] = {}
        mine: dict[str, int] = {}
        for code in codes:
            counting = [r for r in self._redemptions.lookup("code", code_key(code)) if r.counts]
            total[code] = len(counting)
            mine[code] = sum(r.customer_id == customer_id for r in counting)
        return RedemptionCounts(total=total, by_customer=mine)

    def reserve(self, redemption: Redemption, *, limit: int | None, per_customer_limit: int | None) -> bool:
        """Reserve a redemption unless a limit is reached (P9).

        Returns ``False`` (storing nothing) when the total or the customer's count already reaches its
        limit; a second reservation for the same order and code is a no-op returning ``True``. The limits
        are checked again when the unit commits (see the module's docstring).

        Raises:
            ValidationError: (P9) not a reserved redemption; (P4) a limit that is not a count.
        """
        if not isinstance(redemption, Redemption) or redemption.state is not RedemptionState.RESERVED:
            raise ValidationError("must be a reserved Redemption", rule="P9", field="redemption", value=redemption)
        code = code_key(redemption.code)
        limits = _Limits(
            code=code,
            customer_id=redemption.customer_id,
            total=_optional_limit(limit, "limit"),
            per_customer=_optional_limit(per_customer_limit, "per_customer_limit"),
        )
        key = (redemption.order_id, code)
        if self._redemptions.get(key) is not None:
            return True
        counting = [r for r in self._redemptions.lookup("code", code) if r.counts]
        if _over(counting, limits, allowed=1) is not None:
            return False
        self._redemptions.insert(key, redemption, field="code", rule="P9")
        self._reserved.append(limits)
        return True

    def save_redemption(self, redemption: Redemption) -> None:
        """Store a redemption's new state (consumed or released). Raises ``NotFoundError`` if unknown."""
        key = (checked(redemption, Redemption, field="redemption").order_id, code_key(redemption.code))
        current = self._redemptions.require(key, field="code", shown=redemption.code)
        self._redemptions.write(key, redemption, base=current)

    def redemptions_of(self, order_id: str) -> list[Redemption]:
        """The redemptions an order reserved, by code."""
        return sorted(self._redemptions.lookup("order", order_id), key=lambda r: r.code)

    def verify_limits(self) -> None:
        """Check, holding the store's lock, that this unit's reservations keep every limit once committed.

        Raises:
            ConflictError: (P9) concurrent orders took the redemptions left.
        """
        for limits in self._reserved:
            rows = self._redemptions.lookup_holding_lock("code", limits.code)
            broken = _over([r for r in rows if r.counts], limits, allowed=0)
            if broken is not None:
                raise TransientConflictError(
                    f"concurrent orders reached {broken} first", rule="P9", field="code", value=limits.code
                )

    def forget_limits(self) -> None:
        """Drop the limits of reservations committed or rolled back."""
        self._reserved.clear()
