"""Refunds: money given back by staff, through a provider or by bank transfer (Y8).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

Self-contained, like 0004: the column types are spelled out here. Nothing stored before needs changing:
earlier versions kept no refunds, and an unapplied money document without its refund totals reads as none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXED = ("customer_id", "order_id", "payment_id", "reference")


def _key(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    # Code-point order on PostgreSQL whatever the database's collation (SQLite's BINARY already is).
    return sa.Column(name, sa.String().with_variant(sa.String(collation="C"), "postgresql"), nullable=nullable)


def upgrade() -> None:
    """Create ``refunds`` and its indexes."""
    op.create_table(
        "refunds",
        _key("id"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _key("customer_id", nullable=True),
        _key("order_id", nullable=True),
        _key("payment_id", nullable=True),
        _key("unapplied_id", nullable=True),
        _key("reference", nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("document", sa.JSON(none_as_null=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
    )
    for column in _INDEXED:
        op.create_index(op.f(f"ix_refunds_{column}"), "refunds", [column], unique=False)
    # The scheduler's sweep of refunds still requested, oldest first (RefundRepository.requested).
    op.create_index(op.f("ix_refunds_state_requested_at_id"), "refunds", ["state", "requested_at", "id"], unique=False)


def downgrade() -> None:
    """Drop ``refunds``."""
    op.drop_index(op.f("ix_refunds_state_requested_at_id"), table_name="refunds")
    for column in reversed(_INDEXED):
        op.drop_index(op.f(f"ix_refunds_{column}"), table_name="refunds")
    op.drop_table("refunds")
