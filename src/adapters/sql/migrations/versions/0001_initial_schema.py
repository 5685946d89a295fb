"""The initial schema: every table of the SQL adapter.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Self-contained on purpose: the column types are spelled out here rather than imported from
``subscription_core_adapters.sql.schema``, so that a later change of the code never changes what this revision builds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    # Code-point order on PostgreSQL whatever the database's collation (SQLite's BINARY already is).
    return sa.Column(name, sa.String().with_variant(sa.String(collation="C"), "postgresql"), nullable=nullable)


def _instant(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _amount(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Numeric(), nullable=False)


def _text(name: str, length: int | None = None, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _int(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer(), nullable=False)


def _document() -> sa.Column[Any]:
    return sa.Column("document", sa.JSON(none_as_null=True), nullable=False)


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False)


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=op.f(f"pk_{table}"))


def _customers_and_subscriptions() -> None:
    op.create_table(
        "customers",
        _key("id"),
        _int("version"),
        _key("name"),
        _key("folded_name"),
        _key("tax_code"),
        _key("business_code", nullable=True),
        _key("accountant_id", nullable=True),
        _document(),
        _pk("customers", "id"),
        sa.UniqueConstraint("tax_code", name=op.f("uq_customers_tax_code")),
    )
    _index("customers", "accountant_id")
    _index("customers", "business_code")
    _index("customers", "name", "id")
    op.create_table(
        "subscriptions",
        _key("id"),
        _int("version"),
        _key("customer_id"),
        _key("product_code"),
        _text("state", 32),
        _instant("next_due_at", nullable=True),
        _int("history_length"),
        _document(),
        _pk("subscriptions", "id"),
    )
    _index("subscriptions", "customer_id")
    _index("subscriptions", "next_due_at", "id")
    op.create_table(
        "subscription_history",
        _key("subscription_id"),
        _int("position"),
        _instant("at"),
        _text("event", 32),
        _document(),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_history_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        _pk("subscription_history", "subscription_id", "position"),
    )


def _orders_and_promotions() -> None:
    op.create_table(
        "orders",
        _key("id"),
        _int("version"),
        _text("kind", 32),
        _key("customer_id", nullable=True),
        _text("state", 32),
        _instant("created_at"),
        _instant("pay_by", nullable=True),
        _amount("grand_total"),
        _text("currency", 3),
        _document(),
        _pk("orders", "id"),
    )
    _index("orders", "customer_id")
    _index("orders", "state", "pay_by")
    op.create_table(
        "order_lines",
        _key("order_id"),
        _int("position"),
        _key("customer_id"),
        _key("subscription_id", nullable=True),
        _text("kind", 16),
        _key("code"),
        _int("quantity"),
        _amount("unit_price"),
        _amount("base"),
        _amount("taxable"),
        _amount("vat"),
        _text("currency", 3),
        _document(),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders"), ondelete="CASCADE"
        ),
        _pk("order_lines", "order_id", "position"),
    )
    _index("order_lines", "customer_id")
    _index("order_lines", "subscription_id")
    op.create_table("promotions", _key("code_key"), _key("code"), _document(), _pk("promotions", "code_key"))
    op.create_table(
        "redemptions",
        _key("order_id"),
        _key("code_key"),
        _key("code"),
        _key("customer_id"),
        _text("state", 16),
        _instant("reserved_at"),
        _instant("settled_at", nullable=True),
        _document(),
        _pk("redemptions", "order_id", "code_key"),
    )
    _index("redemptions", "code_key", "customer_id")


def _payments_and_invoices() -> None:
    op.create_table(
        "payments",
        _key("id"),
        _int("version"),
        _key("order_id"),
        _text("state", 16),
        _instant("started_at"),
        _amount("amount"),
        _text("currency", 3),
        _document(),
        _pk("payments", "id"),
    )
    _index("payments", "order_id", "started_at")
    op.create_table(
        "payment_proofs",
        _key("id"),
        _int("version"),
        _key("order_id"),
        _text("state", 16),
        _instant("submitted_at"),
        _document(),
        _pk("payment_proofs", "id"),
    )
    _index("payment_proofs", "order_id")
    op.create_table(
        "provider_notifications",
        _key("provider"),
        _key("event_id"),
        _key("order_id"),
        _instant("processed_at"),
        _pk("provider_notifications", "provider", "event_id"),
    )
    _index("provider_notifications", "order_id")
    op.create_table(
        "invoices",
        _key("order_id"),
        _int("part"),
        _key("series"),
        _key("number"),
        _instant("issued_at"),
        _amount("grand_total"),
        _text("currency", 3),
        _document(),
        _pk("invoices", "order_id", "part"),
    )


def _outbox_and_idempotency() -> None:
    op.create_table(
        "outbox",
        _key("id"),
        _text("kind", 64),
        _text("channel", 16),
        _key("subject_id"),
        _instant("created_at"),
        _text("state", 16),
        _int("attempts"),
        _instant("next_attempt_at"),
        _instant("last_attempt_at", nullable=True),
        _text("last_error", nullable=True),
        _instant("sent_at", nullable=True),
        _document(),
        _pk("outbox", "id"),
    )
    _index("outbox", "state", "next_attempt_at")
    op.create_table(
        "idempotency_keys",
        _key("scope"),
        _key("key"),
        _text("fingerprint"),
        _text("outcome"),
        _instant("created_at"),
        _pk("idempotency_keys", "scope", "key"),
    )


def upgrade() -> None:
    """Create every table, its keys and its indexes."""
    _customers_and_subscriptions()
    _orders_and_promotions()
    _payments_and_invoices()
    _outbox_and_idempotency()


def downgrade() -> None:
    """Drop every table (dependants first)."""
    for table in (
        "idempotency_keys",
        "outbox",
        "invoices",
        "provider_notifications",
        "payment_proofs",
        "payments",
        "redemptions",
        "promotions",
        "order_lines",
        "orders",
        "subscription_history",
        "subscriptions",
        "customers",
    ):
        op.drop_table(table)
