"""One free trial per company and product (S12), and placed orders found by their next payment reminder (O8).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

``subscriptions.trial_of`` names the product of a free trial (NULL for any other subscription) under a
unique index with ``customer_id``. Rows already stored are filled in from their documents; where a company
already got several trials of one product (before the rule was enforced), only the earliest (by its
trial's start, then id) is marked, so the index can be built: the use case still sees the others.
``orders.remind_at`` is the instant of an order's next payment reminder; orders stored before reminders
existed have none to send, so it stays NULL for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def _text() -> sa.types.TypeEngine[str]:
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


def _first_trials(rows: Sequence[Any]) -> list[dict[str, str]]:
    """For each company and product, the id of its earliest trial: the rows to mark."""
    first: dict[tuple[str, str], tuple[str, str]] = {}
    for row in rows:
        trial = (row.document or {}).get("trial")
        if not trial:
            continue
        key, rank = (row.customer_id, row.product_code), (str(trial.get("start", "")), row.id)
        if key not in first or rank < first[key]:
            first[key] = rank
    return [{"sub_id": rank[1], "product": key[1]} for key, rank in first.items()]


def upgrade() -> None:
    """Add and fill ``subscriptions.trial_of`` with its unique index; add ``orders.remind_at`` with its index."""
    op.add_column("subscriptions", sa.Column("trial_of", _text(), nullable=True))
    subscriptions = sa.table(
        "subscriptions",
        sa.column("id", sa.String()),
        sa.column("customer_id", sa.String()),
        sa.column("product_code", sa.String()),
        sa.column("trial_of", sa.String()),
        sa.column("document", sa.JSON()),
    )
    if not context.is_offline_mode():  # offline, the printed SQL is for an empty table
        bind = op.get_bind()
        query = sa.select(
            subscriptions.c.id, subscriptions.c.customer_id, subscriptions.c.product_code, subscriptions.c.document
        )
        marks = _first_trials(bind.execute(query).all())
        update = (
            subscriptions.update()
            .where(subscriptions.c.id == sa.bindparam("sub_id"))
            .values(trial_of=sa.bindparam("product"))
        )
        for start in range(0, len(marks), _BATCH):
            bind.execute(update, marks[start : start + _BATCH])
    op.create_index(
        op.f("ix_subscriptions_customer_id_trial_of"), "subscriptions", ["customer_id", "trial_of"], unique=True
    )
    op.add_column("orders", sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_orders_state_remind_at"), "orders", ["state", "remind_at"], unique=False)


def downgrade() -> None:
    """Drop the indexes and the columns."""
    op.drop_index(op.f("ix_orders_state_remind_at"), table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("remind_at")
    op.drop_index(op.f("ix_subscriptions_customer_id_trial_of"), table_name="subscriptions")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("trial_of")
