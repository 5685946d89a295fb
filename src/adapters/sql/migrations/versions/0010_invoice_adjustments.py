"""The adjusting invoices refunds of invoiced orders ask for, kept pending until issued (Y8, O7).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

Self-contained, like 0005: the column types are spelled out here. No row is filled in: refunds settled
before this revision asked for no adjusting invoice (staff issue those through the corrector if needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(name: str) -> sa.Column[Any]:
    # Code-point order on PostgreSQL whatever the database's collation (SQLite's BINARY already is).
    return sa.Column(name, sa.String().with_variant(sa.String(collation="C"), "postgresql"), nullable=False)


def _instant(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    """Create ``invoice_adjustments``, indexed by order, and by state and retry time for the retry step."""
    op.create_table(
        "invoice_adjustments",
        _key("refund_id"),
        sa.Column("part", sa.Integer(), nullable=False),
        _key("order_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _instant("requested_at"),
        _instant("next_attempt_at"),
        sa.Column("document", sa.JSON(none_as_null=True), nullable=False),
        sa.PrimaryKeyConstraint("refund_id", "part", name=op.f("pk_invoice_adjustments")),
    )
    op.create_index(op.f("ix_invoice_adjustments_order_id"), "invoice_adjustments", ["order_id"], unique=False)
    op.create_index(
        op.f("ix_invoice_adjustments_state_next_attempt_at"),
        "invoice_adjustments",
        ["state", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    """Drop the indexes and the table."""
    op.drop_index(op.f("ix_invoice_adjustments_state_next_attempt_at"), table_name="invoice_adjustments")
    op.drop_index(op.f("ix_invoice_adjustments_order_id"), table_name="invoice_adjustments")
    op.drop_table("invoice_adjustments")
