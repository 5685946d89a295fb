"""Unapplied money: money received that no order took, kept for staff to apply or refund (Y6).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Self-contained on purpose, like 0001 and 0003: the column types are spelled out here rather than imported
from ``subscription_core_adapters.sql.schema``, so that a later change of the code never changes what this revision
builds. Nothing stored before needs changing: earlier versions recorded no unapplied money (they refused it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    # Code-point order on PostgreSQL whatever the database's collation (SQLite's BINARY already is).
    return sa.Column(name, sa.String().with_variant(sa.String(collation="C"), "postgresql"), nullable=nullable)


def upgrade() -> None:
    """Create ``unapplied_money`` with its unique ``(source, reference)`` and its indexes."""
    op.create_table(
        "unapplied_money",
        _key("id"),
        sa.Column("version", sa.Integer(), nullable=False),
        _key("source"),
        _key("reference"),
        sa.Column("state", sa.String(length=16), nullable=False),
        _key("customer_id", nullable=True),
        _key("order_id", nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("document", sa.JSON(none_as_null=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unapplied_money")),
        sa.UniqueConstraint("source", "reference", name=op.f("uq_unapplied_money_source_reference")),
    )
    op.create_index(op.f("ix_unapplied_money_customer_id"), "unapplied_money", ["customer_id"], unique=False)
    op.create_index(
        op.f("ix_unapplied_money_state_received_at"), "unapplied_money", ["state", "received_at"], unique=False
    )


def downgrade() -> None:
    """Drop ``unapplied_money``."""
    op.drop_index(op.f("ix_unapplied_money_state_received_at"), table_name="unapplied_money")
    op.drop_index(op.f("ix_unapplied_money_customer_id"), table_name="unapplied_money")
    op.drop_table("unapplied_money")
