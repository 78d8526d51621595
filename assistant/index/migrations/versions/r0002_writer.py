"""articles.writer: the key of the process that wrote a pending row, so recovery in one process leaves
another live writer's half-written articles alone (see assistant.index.writers).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["revision", "down_revision", "upgrade", "downgrade"]

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("writer", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("writer")
