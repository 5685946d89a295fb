"""The reference e-invoice adapter's tables: each series' next number, and the issued invoices (I1).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Self-contained on purpose, like 0001: the column types are spelled out here rather than imported from
``subscription_core_adapters.sql.schema``, so that a later change of the code never changes what this revision builds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(name: str) -> sa.Column[Any]:
    # Code-point order on PostgreSQL whatever the database's collation (SQLite's BINARY already is).
    return sa.Column(name, sa.String().with_variant(sa.String(collation="C"), "postgresql"), nullable=False)


def _int(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer(), nullable=False)


def upgrade() -> None:
    """Create ``einvoice_series`` and ``einvoice_documents``."""
    op.create_table(
        "einvoice_series",
        _key("series"),
        _int("next_number"),
        sa.PrimaryKeyConstraint("series", name=op.f("pk_einvoice_series")),
    )
    op.create_table(
        "einvoice_documents",
        _key("series"),
        _int("number"),
        _key("order_id"),
        _int("part"),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grand_total", sa.Numeric(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("html", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series"], ["einvoice_series.series"], name=op.f("fk_einvoice_documents_series_einvoice_series")
        ),
        sa.PrimaryKeyConstraint("series", "number", name=op.f("pk_einvoice_documents")),
        sa.UniqueConstraint("order_id", "part", name=op.f("uq_einvoice_documents_order_id_part")),
    )


def downgrade() -> None:
    """Drop both tables (the invoices first)."""
    op.drop_table("einvoice_documents")
    op.drop_table("einvoice_series")
