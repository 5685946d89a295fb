"""The tables of the SQL adapter, on one ``MetaData``; the Alembic migrations build exactly these.

Each entity row keeps the whole entity as a JSON ``document`` (made by
:mod:`subscription_core_adapters.sql.serialization`) for an exact round trip, plus typed, indexed columns for every
field a query or a constraint needs. Two entities are split where their parts grow or are queried on their own: an
order's lines live in ``order_lines`` (amounts as NUMERIC + currency), a subscription's history in the append-only
``subscription_history``.

The unique keys are the backstop that holds even when a lock is missed: one processed notification per
provider and event (Y5), one invoice issued and one requested per order and part (I1, O7), one redemption per
order and promotion (P9), one unapplied-money record per source and reference (Y6), one outbox message per id
(N2), one idempotency record per scope and key, one customer per tax code.

Instants are ``timestamptz`` in UTC on PostgreSQL (naive UTC text on SQLite, which has no time zones);
text keys use the "C" collation on PostgreSQL, so that ``ORDER BY`` agrees with Python's ordering of
``str`` and a ``LIKE 'prefix%'`` can use the index, whatever the database's default collation.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from subscription_core.errors import ValidationError

__all__ = [
    "Amount",
    "UtcDateTime",
    "customers",
    "einvoice_corrections",
    "einvoice_documents",
    "einvoice_series",
    "idempotency_keys",
    "invoice_adjustments",
    "invoice_requests",
    "invoices",
    "metadata",
    "order_lines",
    "orders",
    "outbox",
    "payment_proofs",
    "payments",
    "promotions",
    "provider_notifications",
    "redemptions",
    "refunds",
    "subscription_history",
    "subscriptions",
    "text_key",
    "unapplied_money",
]

NAMING: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: Final = MetaData(naming_convention=NAMING)
"""Every table of the adapter."""


def text_key() -> TypeEngine[str]:
    """A text column ordered by code point: ``VARCHAR COLLATE "C"`` on PostgreSQL, plain text on SQLite.

    SQLite's default BINARY collation already compares UTF-8 bytes, which is code-point order.
    """
    return String().with_variant(String(collation="C"), "postgresql")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """An instant: ``timestamptz`` on PostgreSQL, naive UTC on SQLite; always read back aware, in UTC.

    Raises ``ValidationError`` (D2) when asked to store a naive datetime.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Convert to UTC; drop the (then constant) offset where the database cannot keep it."""
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValidationError("must be time-zone-aware; a naive datetime is refused", rule="D2", value=value)
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:  # noqa: ARG002
        """Read back as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class _SqliteNumeric(Numeric[Decimal]):
    """NUMERIC with no float conversion: SQLite keeps an exact text when a number would not round-trip."""

    def bind_processor(self, dialect: Dialect) -> None:  # noqa: ARG002
        """Pass the value through (the decorator binds decimal text)."""
        return

    def result_processor(self, dialect: Dialect, coltype: object) -> None:  # noqa: ARG002
        """Pass the value through (the decorator reads it as a ``Decimal``)."""
        return


class Amount(TypeDecorator[Decimal]):
    """An exact amount: NUMERIC on both databases, read back as a ``Decimal``.

    PostgreSQL's NUMERIC is exact. SQLite has no decimal type: the amount is bound as decimal text, which
    SQLite's NUMERIC affinity stores as a number only when the conversion is lossless, else as the text.
    The JSON document remains the source of truth; these columns serve queries and reports.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """NUMERIC without float conversion on SQLite; the plain exact NUMERIC elsewhere."""
        return dialect.type_descriptor(_SqliteNumeric() if dialect.name == "sqlite" else Numeric())

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Decimal | str | None:
        """Bind decimal text on SQLite, the ``Decimal`` itself elsewhere."""
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:  # noqa: ARG002
        """Read back as a ``Decimal`` (SQLite may hand an int, a float that round-trips, or text)."""
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


def _document() -> Column[Any]:
    return Column("document", JSON(none_as_null=True), nullable=False)


def _version() -> Column[int]:
    return Column("version", Integer, nullable=False)


customers: Final = Table(
    "customers",
    metadata,
    Column("id", text_key(), primary_key=True),
    _version(),
    Column("name", text_key(), nullable=False),
    Column("folded_name", text_key(), nullable=False),
    Column("tax_code", text_key(), nullable=False),
    Column("business_code", text_key(), nullable=True, index=True),
    Column("accountant_id", text_key(), nullable=True, index=True),
    _document(),
    UniqueConstraint("tax_code"),
    Index(None, "name", "id"),
)

subscriptions: Final = Table(
    "subscriptions",
    metadata,
    Column("id", text_key(), primary_key=True),
    _version(),
    Column("customer_id", text_key(), nullable=False, index=True),
    Column("product_code", text_key(), nullable=False),
    Column("state", String(32), nullable=False),
    Column("next_due_at", UtcDateTime(), nullable=True),
    Column("history_length", Integer, nullable=False),
    # The product of a free trial, else NULL: one trial per company and product, ever (S12); NULLs never collide.
    Column("trial_of", text_key(), nullable=True),
    # When the time-driven step set the subscription aside, else NULL: staff list these (held_back).
    Column("held_back_since", UtcDateTime(), nullable=True),
    _document(),
    Index(None, "next_due_at", "id"),
    Index(None, "customer_id", "trial_of", unique=True),
    Index(None, "held_back_since", "id"),
)

subscription_history: Final = Table(
    "subscription_history",
    metadata,
    Column("subscription_id", text_key(), ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("event", String(32), nullable=False),
    _document(),
    PrimaryKeyConstraint("subscription_id", "position"),
)

orders: Final = Table(
    "orders",
    metadata,
    Column("id", text_key(), primary_key=True),
    _version(),
    Column("kind", String(32), nullable=False),
    Column("customer_id", text_key(), nullable=True, index=True),
    Column("state", String(32), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("pay_by", UtcDateTime(), nullable=True),
    Column("grand_total", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("transfer_reference", String(16), nullable=False, index=True),
    Column("remind_at", UtcDateTime(), nullable=True),  # the next payment reminder due (O8), else NULL
    _document(),
    Index(None, "state", "pay_by"),
    Index(None, "state", "remind_at"),
)

order_lines: Final = Table(
    "order_lines",
    metadata,
    Column("order_id", text_key(), ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("customer_id", text_key(), nullable=False, index=True),
    Column("subscription_id", text_key(), nullable=True, index=True),
    Column("kind", String(16), nullable=False),
    Column("code", text_key(), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Amount(), nullable=False),
    Column("base", Amount(), nullable=False),
    Column("taxable", Amount(), nullable=False),
    Column("vat", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    _document(),
    PrimaryKeyConstraint("order_id", "position"),
)

promotions: Final = Table(
    "promotions",
    metadata,
    Column("code_key", text_key(), primary_key=True),
    Column("code", text_key(), nullable=False),
    _document(),
)

redemptions: Final = Table(
    "redemptions",
    metadata,
    Column("order_id", text_key(), nullable=False),
    Column("code_key", text_key(), nullable=False),
    Column("code", text_key(), nullable=False),
    Column("customer_id", text_key(), nullable=False),
    Column("state", String(16), nullable=False),
    Column("reserved_at", UtcDateTime(), nullable=False),
    Column("settled_at", UtcDateTime(), nullable=True),
    _document(),
    PrimaryKeyConstraint("order_id", "code_key"),
    Index(None, "code_key", "customer_id"),
)

payments: Final = Table(
    "payments",
    metadata,
    Column("id", text_key(), primary_key=True),
    _version(),
    Column("order_id", text_key(), nullable=False),
    Column("state", String(16), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("amount", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    _document(),
    Index(None, "order_id", "started_at"),
)

payment_proofs: Final = Table(
    "payment_proofs",
    metadata,
    Column("id", text_key(), primary_key=True),
    _version(),
    Column("order_id", text_key(), nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    _document(),
)

provider_notifications: Final = Table(
    "provider_notifications",
    metadata,
    Column("provider", text_key(), nullable=False),
    Column("event_id", text_key(), nullable=False),
    Column("order_id", text_key(), nullable=False, index=True),
    Column("processed_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("provider", "event_id"),
)

unapplied_money: Final = Table(
    "unapplied_money",
    metadata,
    Column("id", text_key(), primary_key=True),
    _version(),
    Column("source", text_key(), nullable=False),
    Column("reference", text_key(), nullable=False),
    Column("state", String(16), nullable=False),
    Column("customer_id", text_key(), nullable=True, index=True),
    Column("order_id", text_key(), nullable=True),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("amount", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    _document(),
    UniqueConstraint("source", "reference"),
    Index(None, "state", "received_at"),
)

# Money given back (Y8), listed by order, customer, payment and transfer reference, and by state for the
# scheduler's sweep of refunds still requested. Migration 0009.
refunds: Final = Table(
    "refunds",
    metadata,
    Column("id", text_key(), primary_key=True),
    _version(),
    Column("kind", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("customer_id", text_key(), nullable=True, index=True),
    Column("order_id", text_key(), nullable=True, index=True),
    Column("payment_id", text_key(), nullable=True, index=True),
    Column("unapplied_id", text_key(), nullable=True),
    Column("reference", text_key(), nullable=True, index=True),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("amount", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    _document(),
    Index(None, "state", "requested_at", "id"),  # the scheduler's sweep of refunds still requested
)

invoices: Final = Table(
    "invoices",
    metadata,
    Column("order_id", text_key(), nullable=False),
    Column("part", Integer, nullable=False),
    Column("series", text_key(), nullable=False),
    Column("number", text_key(), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("grand_total", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    _document(),
    PrimaryKeyConstraint("order_id", "part"),
)

# The invoices fulfilled orders asked for (O7), pending until issued; the retry step reads the due ones by
# (state, next_attempt_at). Migration 0005.
invoice_requests: Final = Table(
    "invoice_requests",
    metadata,
    Column("order_id", text_key(), nullable=False),
    Column("part", Integer, nullable=False),
    _version(),
    Column("state", String(16), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    _document(),
    PrimaryKeyConstraint("order_id", "part"),
    Index(None, "state", "next_attempt_at"),
)

# The decreases refunds of invoiced orders ask for (Y8), pending until the adjusting invoice is issued; the
# retry step reads the due ones by (state, next_attempt_at). Migration 0010.
invoice_adjustments: Final = Table(
    "invoice_adjustments",
    metadata,
    Column("refund_id", text_key(), nullable=False),
    Column("part", Integer, nullable=False),
    Column("order_id", text_key(), nullable=False, index=True),
    _version(),
    Column("state", String(16), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    _document(),
    PrimaryKeyConstraint("refund_id", "part"),
    Index(None, "state", "next_attempt_at"),
)

outbox: Final = Table(
    "outbox",
    metadata,
    Column("id", text_key(), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("subject_id", text_key(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_attempt_at", UtcDateTime(), nullable=True),
    Column("last_error", String, nullable=True),
    Column("sent_at", UtcDateTime(), nullable=True),
    _document(),
    Index(None, "state", "next_attempt_at"),
)

idempotency_keys: Final = Table(
    "idempotency_keys",
    metadata,
    Column("scope", text_key(), nullable=False),
    Column("key", text_key(), nullable=False),
    Column("fingerprint", String, nullable=False),
    Column("outcome", String, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("scope", "key"),
)

# The reference e-invoice adapter's numbering (subscription_core_adapters.einvoice.sql_store): the next number of each
# series, locked while an invoice takes it, and the invoices with their documents. A series' numbers are
# the primary key, so none is used twice; an order's part is unique, so none is invoiced twice (I1).
einvoice_series: Final = Table(
    "einvoice_series",
    metadata,
    Column("series", text_key(), primary_key=True),
    Column("next_number", Integer, nullable=False),
)

einvoice_documents: Final = Table(
    "einvoice_documents",
    metadata,
    Column("series", text_key(), ForeignKey("einvoice_series.series"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("order_id", text_key(), nullable=False),
    Column("part", Integer, nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("grand_total", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("xml", LargeBinary, nullable=False),
    Column("html", String, nullable=False),
    PrimaryKeyConstraint("series", "number"),
    UniqueConstraint("order_id", "part"),
)

# Adjusting and replacement invoices (Y8): numbered in the same series as the invoices (the series' row
# hands out their numbers too), keyed by their own idempotency key, each naming the invoice it corrects.
# ``replaces`` is set on a replacement only ("1C26TAA/12"): unique, so an invoice is replaced at most once.
einvoice_corrections: Final = Table(
    "einvoice_corrections",
    metadata,
    Column("key", text_key(), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("order_id", text_key(), nullable=False),
    Column("part", Integer, nullable=False),
    Column("original_series", text_key(), nullable=False),
    Column("original_number", Integer, nullable=False),
    Column("replaces", text_key(), nullable=True, unique=True),
    Column("series", text_key(), ForeignKey("einvoice_series.series"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("grand_total", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("xml", LargeBinary, nullable=False),
    Column("html", String, nullable=False),
    UniqueConstraint("series", "number"),
    Index(None, "original_series", "original_number"),
)
