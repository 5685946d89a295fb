"""Adjusting and replacement e-invoices (rule Y8): ``einvoice_corrections``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

Self-contained like 0003: the column types are spelled out here. A correction takes its number from the
same ``einvoice_series`` row as the invoices; ``replaces`` is unique, so an invoice is replaced at most once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    # Code-point order on PostgreSQL whatever the database's collation (SQLite's BINARY already is).
    return sa.Column(name, sa.String().with_variant(sa.String(collation="C"), "postgresql"), nullable=nullable)


def _int(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer(), nullable=False)


def upgrade() -> None:
    """Create ``einvoice_corrections`` and its index on the invoice corrected."""
    op.create_table(
        "einvoice_corrections",
        _key("key"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        _key("order_id"),
        _int("part"),
        _key("original_series"),
        _int("original_number"),
        _key("replaces", nullable=True),
        _key("series"),
        _int("number"),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grand_total", sa.Numeric(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("html", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series"], ["einvoice_series.series"], name=op.f("fk_einvoice_corrections_series_einvoice_series")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_einvoice_corrections")),
        sa.UniqueConstraint("series", "number", name=op.f("uq_einvoice_corrections_series_number")),
        sa.UniqueConstraint("replaces", name=op.f("uq_einvoice_corrections_replaces")),
    )
    op.create_index(
        op.f("ix_einvoice_corrections_original_series_original_number"),
        "einvoice_corrections",
        ["original_series", "original_number"],
        unique=False,
    )


def downgrade() -> None:
    """Drop ``einvoice_corrections``."""
    op.drop_index(op.f("ix_einvoice_corrections_original_series_original_number"), table_name="einvoice_corrections")
    op.drop_table("einvoice_corrections")
