"""Promotion redemptions: one use of a promotion code by one order, and counting them (P4, P9).

A :class:`Redemption` follows each promotion code an order applied: reserved when the order is placed
(:func:`reserve_redemptions`), consumed when it is paid, released when it is cancelled or lapses
(:func:`settle_redemptions`, P9). :func:`count_redemptions` gives the pricing engine the counts it checks
limits with (P4).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import attrs

from subscription_core.errors import InvalidTransitionError, aware, non_empty_text, of_type, optional, utc
from subscription_core.order_states import OrderState
from subscription_core.orders import Order
from subscription_core.promotions import RedemptionCounts

__all__ = ["Redemption", "RedemptionState", "count_redemptions", "reserve_redemptions", "settle_redemptions"]


class RedemptionState(enum.Enum):
    """Where a promotion redemption stands (P9)."""

    RESERVED = "reserved"
    CONSUMED = "consumed"
    RELEASED = "released"


@attrs.frozen(kw_only=True)
class Redemption:
    """One use of a promotion code by one order (P9): reserved, then consumed on payment or released.

    ``customer_id`` is whose per-customer limit it counts against: the ordering customer, or for a bulk
    renewal the service accountant that placed it [decision].
    """

    code: str = attrs.field(validator=non_empty_text())
    order_id: str = attrs.field(validator=non_empty_text())
    customer_id: str = attrs.field(validator=non_empty_text())
    reserved_at: dt.datetime = attrs.field(validator=aware())
    state: RedemptionState = attrs.field(default=RedemptionState.RESERVED, validator=of_type(RedemptionState))
    settled_at: dt.datetime | None = attrs.field(default=None, validator=optional(aware()))

    @property
    def counts(self) -> bool:
        """Whether it counts against the promotion's limits: reserved or consumed (P4, P9)."""
        return self.state is not RedemptionState.RELEASED

    def consume(self, at: dt.datetime) -> Redemption:
        """Return the redemption consumed by the order's payment (P9).

        Raises:
            InvalidTransitionError: (P9) it is not reserved.
        """
        return self._settle(RedemptionState.CONSUMED, at)

    def release(self, at: dt.datetime) -> Redemption:
        """Return the redemption released because the order was cancelled or lapsed (P9).

        Raises:
            InvalidTransitionError: (P9) it is not reserved.
        """
        return self._settle(RedemptionState.RELEASED, at)

    def _settle(self, target: RedemptionState, at: dt.datetime) -> Redemption:
        if self.state is not RedemptionState.RESERVED:
            raise InvalidTransitionError(
                f"a {self.state.value} redemption cannot be {target.value}", rule="P9", field="state", value=self.code
            )
        return attrs.evolve(self, state=target, settled_at=utc(at))


def count_redemptions(redemptions: Iterable[Redemption], customer_id: str) -> RedemptionCounts:
    """Return the counts the pricing engine checks limits with (P4, P9): reserved and consumed ones.

    ``total`` counts every customer's; ``by_customer`` those of ``customer_id``.
    """
    total: dict[str, int] = {}
    mine: dict[str, int] = {}
    for redemption in redemptions:
        if redemption.counts:
            total[redemption.code] = total.get(redemption.code, 0) + 1
            if redemption.customer_id == customer_id:
                mine[redemption.code] = mine.get(redemption.code, 0) + 1
    return RedemptionCounts(total=total, by_customer=mine)


def reserve_redemptions(order: Order) -> tuple[Redemption, ...]:
    """Return a reserved redemption for each promotion the placed order applied (P9).

    Raises:
        InvalidTransitionError: (P9) the order is not placed.
    """
    if order.state is not OrderState.PLACED or order.placed_at is None:
        raise InvalidTransitionError(
            "redemptions are reserved when the order is placed", rule="P9", field="state", value=order.state.value
        )
    holder = order.customer_id if order.customer_id is not None else order.placed_by.id
    return tuple(
        Redemption(code=code, order_id=order.id, customer_id=holder, reserved_at=order.placed_at)
        for code in order.promotion_codes
    )


def settle_redemptions(order: Order, redemptions: Iterable[Redemption], at: dt.datetime) -> tuple[Redemption, ...]:
    """Return the order's reserved redemptions consumed if it is paid, released if cancelled or lapsed (P9).

    Redemptions already settled, and those of other orders, are returned unchanged.

    Raises:
        InvalidTransitionError: (P9) the order is still a draft or awaiting payment.
    """
    if order.state in (OrderState.DRAFT, OrderState.PLACED):
        raise InvalidTransitionError(
            f"an order that is {order.state.value} settles no redemption",
            rule="P9",
            field="state",
            value=order.state.value,
        )
    consume = order.state in (OrderState.PAID, OrderState.FULFILLED)
    return tuple(
        (r.consume(at) if consume else r.release(at))
        if r.order_id == order.id and r.state is RedemptionState.RESERVED
        else r
        for r in redemptions
    )
