"""in_flight: the chunk ids whose vectors a writer is adding to Chroma or is to remove from it, so an
update never overwrites the version readers see before the new one is complete, and recovery removes
only vectors nobody uses (see assistant.index.inflight).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assistant.index.schema import Id

__all__ = ["revision", "down_revision", "upgrade", "downgrade"]

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "in_flight",
        sa.Column("writer", sa.BigInteger, nullable=False),
        sa.Column("chunk_id", Id, nullable=False),
        sa.Column("article_id", Id, nullable=False),
        sa.PrimaryKeyConstraint("writer", "chunk_id"),
    )
    op.create_index("in_flight_chunk", "in_flight", ["chunk_id"])


def downgrade() -> None:
    op.drop_index("in_flight_chunk", "in_flight")
    op.drop_table("in_flight")
