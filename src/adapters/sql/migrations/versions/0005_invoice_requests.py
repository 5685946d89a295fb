"""The invoices fulfilled orders asked for, kept pending until the issuer has issued them (O7, I3).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Self-contained on purpose, like 0001: the column types are spelled out here rather than imported from
``subscription_core_adapters.sql.schema``, so that a later change of the code never changes what this revision builds.
No row is filled in: an order fulfilled before this revision had its invoices issued during its fulfilment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(name: str) -> sa.Column[Any]:
    # Code-point order on PostgreSQL whatever the database's collation (SQLite's BINARY already is).
    return sa.Column(name, sa.String().with_variant(sa.String(collation="C"), "postgresql"), nullable=False)


def _instant(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _int(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer(), nullable=False)


def upgrade() -> None:
    """Create ``invoice_requests``, indexed by state and retry time for the retry step."""
    op.create_table(
        "invoice_requests",
        _key("order_id"),
        _int("part"),
        _int("version"),
        sa.Column("state", sa.String(length=16), nullable=False),
        _instant("requested_at"),
        _instant("next_attempt_at"),
        sa.Column("document", sa.JSON(none_as_null=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "part", name=op.f("pk_invoice_requests")),
    )
    op.create_index(
        op.f("ix_invoice_requests_state_next_attempt_at"),
        "invoice_requests",
        ["state", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    """Drop the index and the table."""
    op.drop_index(op.f("ix_invoice_requests_state_next_attempt_at"), table_name="invoice_requests")
    op.drop_table("invoice_requests")
