"""Orders in SQL: the ``OrderRepository`` port (O1-O5).

An order's row holds the entity without its lines; each line is a row of ``order_lines`` with its amounts
as NUMERIC + currency (C5), found by customer for ``of_customer`` (a bulk renewal's lines name many
customers). Placed orders are found by ``(state, pay_by)`` for ``unpaid_past_deadline``, by
``(state, remind_at)`` (the next payment reminder, O8) for ``reminders_due``, and any order by its
bank-transfer reference (a digest of its id, kept in an indexed column) for reconciliation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs
from sqlalchemy import Integer, bindparam, delete, insert, literal_column, select, union_all

from subscription_core.errors import ConflictError, NotFoundError
from subscription_core.order_lines import OrderLine
from subscription_core.orders import Order, OrderState
from subscription_core.transfers import is_transfer_reference, transfer_reference
from subscription_core_adapters.sql import schema
from subscription_core_adapters.sql.driver_errors import translated
from subscription_core_adapters.sql.rows import Rows, check_instant, check_limit, of_type
from subscription_core_adapters.sql.serialization import Document, converter, from_document

__all__ = ["SqlOrderRepository"]

_T = schema.orders
_L = schema.order_lines
# One order and its lines in one round trip: the order's row first (position -1), then its lines in order.
_WITH_LINES = union_all(
    select(literal_column("-1", Integer).label("position"), _T.c.document).where(_T.c.id == bindparam("order_id")),
    select(_L.c.position, _L.c.document).where(_L.c.order_id == bindparam("order_id")),
).order_by("position")
_ADD_LINES = insert(_L)
_LINES_AT_ONCE = 1000
"""Lines encoded and written per statement: a bulk renewal's 10,000 are never all encoded at once."""
# The order's fields kept in its row's document: all but the lines (and the index built from ``billing``).
_HEADER_FIELDS = tuple(f for f in attrs.fields(attrs.resolve_types(Order)) if f.init and f.name != "lines")
_NONE: Mapping[str, Any] = MappingProxyType({})
_KNOWN = "orders"  # Rows.known: (version, lines) of what this transaction read or wrote


def _documents(rows: Iterator[Any], action: str) -> Iterator[Document]:
    """Each row's document, fetched only when wanted; a driver error while fetching becomes the library's."""
    with translated(action):
        for row in rows:
            yield row.document


def _same(known: tuple[OrderLine, ...], lines: tuple[OrderLine, ...]) -> bool:
    return known is lines or known == lines


def _row(order: Order) -> dict[str, Any]:
    """The order's row: its document without the lines (they have rows of their own)."""
    return {
        "id": order.id,
        "version": order.version,
        "kind": order.kind.value,
        "customer_id": order.customer_id,
        "state": order.state.value,
        "created_at": order.created_at,
        "pay_by": order.pay_by,
        "remind_at": order.next_reminder_at,
        "grand_total": order.grand_total.amount,
        "currency": order.currency.code,
        "transfer_reference": transfer_reference(order.id),
        "document": {
            field.name: converter.unstructure(getattr(order, field.name), field.type) for field in _HEADER_FIELDS
        },
    }


def _line_rows(order: Order) -> Iterator[list[dict[str, Any]]]:
    """The rows of the order's lines, :data:`_LINES_AT_ONCE` at a time (each encoded only when its batch is due)."""
    for start in range(0, len(order.lines), _LINES_AT_ONCE):
        yield [
            {
                "order_id": order.id,
                "position": position,
                "customer_id": line.customer_id,
                "subscription_id": line.subscription_id,
                "kind": line.kind.value,
                "code": line.code,
                "quantity": line.quantity,
                "unit_price": line.unit_price.amount,
                "base": line.base.amount,
                "taxable": line.taxable.amount,
                "vat": line.vat.amount,
                "currency": line.base.currency.code,
                "document": converter.unstructure(line, OrderLine),
            }
            for position, line in enumerate(order.lines[start : start + _LINES_AT_ONCE], start)
        ]


class SqlOrderRepository:
    """Orders of one unit of work."""

    def __init__(self, rows: Rows) -> None:
        """Work on the unit of work's connection."""
        self._rows = rows

    def _load(self, query: Any, parameters: Mapping[str, Any] = _NONE) -> list[Order]:  # noqa: ANN401 - a SELECT
        found = self._rows.execute(query, "read orders", parameters).all()
        if not found:
            return []
        lines: dict[str, list[Document]] = {row.id: [] for row in found}
        query = select(_L.c.order_id, _L.c.document).where(_L.c.order_id.in_(list(lines)))
        for row in self._rows.execute(query.order_by(_L.c.order_id, _L.c.position), "read order lines"):
            lines[row.order_id].append(row.document)
        loaded = [from_document({**row.document, "lines": lines[row.id]}, Order) for row in found]
        for order in loaded:
            self._rows.known[_KNOWN, order.id] = (order.version, order.lines)
        return loaded

    def _write_lines(self, order: Order) -> None:
        for rows in _line_rows(order):
            self._rows.execute(_ADD_LINES, "store the order's lines", rows)

    def add(self, order: Order) -> None:
        """Store a new order. Raises ``ConflictError`` if the id is already stored."""
        of_type(order, Order, "order")
        if not self._rows.insert_new(_T, _row(order), "add the order"):
            raise ConflictError("this order is already stored", field="id", value=order.id)
        self._write_lines(order)
        self._rows.known[_KNOWN, order.id] = (order.version, order.lines)

    def get(self, order_id: str) -> Order:
        """Return the order. Raises ``NotFoundError`` if there is none."""
        rows = iter(self._rows.execute(_WITH_LINES, "read the order", {"order_id": order_id}))
        with translated("read the order"):
            first = next(rows, None)
        if first is None or first.position != -1:
            raise NotFoundError("no such order", field="order_id", value=order_id)
        # Each line is made as its row is fetched, so that the lines' parsed documents are never all alive at
        # once: for a bulk renewal of 10,000 lines they were about 60 MiB above the order they make.
        order = from_document({**first.document, "lines": _documents(rows, "read the order's lines")}, Order)
        self._rows.known[_KNOWN, order.id] = (order.version, order.lines)
        return order

    def save(self, order: Order, *, expected_version: int) -> None:
        """Replace it, its lines included.

        Raises:
            NotFoundError: there is no order with its id.
            ConflictError: the stored version is not ``expected_version``.
        """
        of_type(order, Order, "order")
        self._rows.replace(_T, _row(order), expected_version=expected_version, noun="order")
        known = self._rows.known.get((_KNOWN, order.id))
        # Lines are frozen from the quote (C5): rewritten only when they differ from those stored at the
        # version saved against (the versioned UPDATE above proved that version is still the stored one).
        if known is None or known[0] != expected_version or not _same(known[1], order.lines):
            self._rows.execute(delete(_L).where(_L.c.order_id == order.id), "replace the order's lines")
            self._write_lines(order)
        self._rows.known[_KNOWN, order.id] = (order.version, order.lines)

    def of_customer(self, customer_id: str) -> list[Order]:
        """Orders with lines for a customer (bulk renewals included), newest first (by creation, then id)."""
        theirs = select(_L.c.order_id).where(_L.c.customer_id == customer_id)
        query = select(_T.c.id, _T.c.document).where(_T.c.id.in_(theirs))
        return self._load(query.order_by(_T.c.created_at.desc(), _T.c.id.desc()))

    def unpaid_past_deadline(self, at: dt.datetime, *, limit: int) -> list[Order]:
        """Up to ``limit`` placed orders whose payment deadline is before ``at`` (to lapse, O4), earliest first.

        Raises:
            ValidationError: (D2) a naive ``at``, or a negative limit.
        """
        when = check_instant(at)
        query = select(_T.c.id, _T.c.document).where(_T.c.state == OrderState.PLACED.value, _T.c.pay_by < when)
        return self._load(query.order_by(_T.c.pay_by, _T.c.id).limit(check_limit(limit)))

    def reminders_due(self, at: dt.datetime, *, limit: int) -> list[Order]:
        """Up to ``limit`` placed orders with a payment reminder due by ``at`` and their deadline still ahead (O8).

        Earliest reminder first, then by id; read through the ``(state, remind_at)`` index.

        Raises:
            ValidationError: (D2) a naive ``at``, or a negative limit.
        """
        when = check_instant(at)
        placed = _T.c.state == OrderState.PLACED.value
        query = select(_T.c.id, _T.c.document).where(placed, _T.c.remind_at <= when, _T.c.pay_by > when)
        return self._load(query.order_by(_T.c.remind_at, _T.c.id).limit(check_limit(limit)))

    def by_transfer_reference(self, reference: str) -> list[Order]:
        """The orders whose transfer reference is ``reference`` (Y3), by id; none for a malformed one."""
        if not is_transfer_reference(reference):
            return []
        query = select(_T.c.id, _T.c.document).where(_T.c.transfer_reference == reference)
        return self._load(query.order_by(_T.c.id))
