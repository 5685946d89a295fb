"""The order state machine: states, events, the transition table and each recorded change (O4).

An :class:`~subscription_core.orders.Order` moves only along :data:`TRANSITIONS`: placed from a draft, then
paid and fulfilled, or cancelled or lapsed while it awaits payment. Each move is recorded as an
:class:`OrderChange`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Final

import attrs

from subscription_core.customers import Actor
from subscription_core.errors import InvalidTransitionError, aware, of_type

__all__ = ["TRANSITIONS", "OrderChange", "OrderEvent", "OrderState", "next_state"]


class OrderState(enum.Enum):
    """The states of an order (O4)."""

    DRAFT = "draft"
    PLACED = "placed"  # awaiting payment until its deadline
    PAID = "paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"  # unpaid past its deadline


class OrderEvent(enum.Enum):
    """What can happen to an order; :data:`TRANSITIONS` says where each leads."""

    PLACE = "place"
    PAY = "pay"
    FULFIL = "fulfil"
    CANCEL = "cancel"
    LAPSE = "lapse"


_S, _E = OrderState, OrderEvent
TRANSITIONS: Final[Mapping[tuple[OrderState, OrderEvent], OrderState]] = {
    (_S.DRAFT, _E.PLACE): _S.PLACED,
    (_S.PLACED, _E.PAY): _S.PAID,
    (_S.PAID, _E.FULFIL): _S.FULFILLED,
    (_S.PLACED, _E.CANCEL): _S.CANCELLED,
    (_S.PLACED, _E.LAPSE): _S.LAPSED,
}
"""The order state machine (O4): ``(state, event)`` to the next state; nothing else is allowed."""


def next_state(state: OrderState, event: OrderEvent) -> OrderState:
    """Return where ``event`` leads from ``state`` (O4).

    Raises:
        InvalidTransitionError: (O4) the table has no such row; the message names the state and the event.
    """
    target = TRANSITIONS.get((state, event))
    if target is None:
        raise InvalidTransitionError(
            f"cannot {event.value} an order that is {state.value}", rule="O4", field="state", value=state.value
        )
    return target


@attrs.frozen(kw_only=True)
class OrderChange:
    """One transition of an order: the event, the states, when, who, and a note (a cancel reason, a payment id)."""

    event: OrderEvent = attrs.field(validator=of_type(OrderEvent))
    source: OrderState = attrs.field(validator=of_type(OrderState))
    target: OrderState = attrs.field(validator=of_type(OrderState))
    at: dt.datetime = attrs.field(validator=aware())
    by: Actor = attrs.field(validator=of_type(Actor))
    note: str = attrs.field(default="", validator=of_type(str))
