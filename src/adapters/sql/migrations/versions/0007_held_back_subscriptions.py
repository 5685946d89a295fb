"""Subscriptions the time-driven step set aside: when, indexed, for staff to list them (issue 14).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

No subscription stored before this revision was set aside: the column starts NULL everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``subscriptions.held_back_since`` and its index."""
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("held_back_since", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        op.f("ix_subscriptions_held_back_since_id"), "subscriptions", ["held_back_since", "id"], unique=False
    )


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index(op.f("ix_subscriptions_held_back_since_id"), table_name="subscriptions")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("held_back_since")
