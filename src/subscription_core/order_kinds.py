"""The kinds of order (O1) and the quote each may be built from (C5, P4).

An :class:`~subscription_core.orders.Order` is of one :class:`OrderKind`; its quote must have been priced
for the purchase that kind is (:attr:`OrderKind.purchase`, :func:`check_quote`), because promotions are
eligible for new purchases or renewals (P4).
"""

from __future__ import annotations

import enum

from subscription_core.errors import ValidationError
from subscription_core.promotions import PurchaseKind
from subscription_core.quotes import Quote

__all__ = ["OrderKind", "check_quote"]


class OrderKind(enum.Enum):
    """What an order buys (O1)."""

    NEW_PURCHASE = "new_purchase"
    RENEWAL = "renewal"
    RENEWAL_WITH_PLAN_SWITCH = "renewal_with_plan_switch"
    STORAGE_TOP_UP = "storage_top_up"
    DATA_RETENTION = "data_retention"
    RENEWAL_ON_COMMITMENT = "renewal_on_commitment"
    BULK_RENEWAL = "bulk_renewal"

    @property
    def purchase(self) -> PurchaseKind | None:
        """The purchase kind its quote must have for promotions (P4); ``None``: either [decision]."""
        if self is OrderKind.NEW_PURCHASE:
            return PurchaseKind.NEW
        if self in (OrderKind.STORAGE_TOP_UP, OrderKind.DATA_RETENTION):
            return None
        return PurchaseKind.RENEWAL


def check_quote(quote: Quote, kind: OrderKind) -> None:
    """Check an order of ``kind`` may be built from ``quote`` (C5, O1, P4).

    Raises:
        ValidationError: (C5) ``quote`` is not a ``Quote``; (O1) ``kind`` is not an ``OrderKind``; (P4) the
            quote was priced for another purchase kind than ``kind`` is.
    """
    if not isinstance(quote, Quote):
        raise ValidationError("must be a Quote", rule="C5", field="quote", value=quote)
    if not isinstance(kind, OrderKind):
        raise ValidationError("must be an OrderKind", rule="O1", field="kind", value=kind)
    if kind.purchase not in (None, quote.purchase):
        raise ValidationError(
            f"a {kind.value} order needs a quote priced for a {kind.purchase.value} purchase",
            rule="P4",
            field="quote.purchase",
            value=quote.purchase.value,
        )
