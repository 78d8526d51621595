"""changes: the articles each catalog generation wrote or deleted, so a serving replica brings its
lexical index up to date from the log instead of rebuilding it (see assistant.index.changelog).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assistant.index.schema import Id

__all__ = ["revision", "down_revision", "upgrade", "downgrade"]

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("generation", sa.BigInteger, nullable=False),
        sa.Column("article_id", Id, nullable=False),
        sa.Column("op", sa.Text, nullable=False),
    )
    op.create_index("changes_generation", "changes", ["generation"])


def downgrade() -> None:
    op.drop_index("changes_generation", "changes")
    op.drop_table("changes")
