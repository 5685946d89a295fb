"""Orders get their bank-transfer reference, indexed, for statement reconciliation (Y3).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

The reference is a digest of the order id (``subscription_core.transfers.transfer_reference``), so the rows
already stored are filled in from their ids before the column becomes NOT NULL. That function is frozen by
nature (customers have typed its output into their transfers), which is why this revision may call it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from subscription_core.transfers import transfer_reference

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    """Add ``orders.transfer_reference``, fill it from the ids, make it NOT NULL and index it."""
    op.add_column("orders", sa.Column("transfer_reference", sa.String(length=16), nullable=True))
    orders = sa.table("orders", sa.column("id", sa.String()), sa.column("transfer_reference", sa.String()))
    bind = op.get_bind()
    # Offline (``alembic upgrade --sql``) there are no rows to read: the printed SQL is for an empty table.
    ids = [] if context.is_offline_mode() else [row.id for row in bind.execute(sa.select(orders.c.id))]
    update = (
        orders.update().where(orders.c.id == sa.bindparam("order_id")).values(transfer_reference=sa.bindparam("ref"))
    )
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        bind.execute(update, [{"order_id": i, "ref": transfer_reference(i)} for i in chunk])
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("transfer_reference", existing_type=sa.String(length=16), nullable=False)
    op.create_index(op.f("ix_orders_transfer_reference"), "orders", ["transfer_reference"], unique=False)


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index(op.f("ix_orders_transfer_reference"), table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("transfer_reference")
