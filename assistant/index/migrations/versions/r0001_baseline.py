"""Baseline: the catalog schema as newsdesk created it before migrations (a catalog made then is
stamped at this revision when it first opens, not created again).

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assistant.index.schema import Double, Id

__all__ = ["revision", "down_revision", "upgrade", "downgrade"]

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def _article_ref() -> sa.Column[str]:
    return sa.Column("article_id", Id, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", Id, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        *(sa.Column(name, sa.Text) for name in ("url", "source", "published", "byline", "origin")),
        *(sa.Column(name, sa.Text, nullable=False)
          for name in ("content_hash", "text_hash", "text", "state", "ingested_at")),
    )
    op.create_index("articles_text_hash", "articles", ["text_hash"])
    op.create_table(
        "chunks",
        sa.Column("id", Id, primary_key=True),
        _article_ref(),
        *(sa.Column(name, sa.Integer, nullable=False) for name in ("idx", "start", "end")),
    )
    op.create_index("chunks_article", "chunks", ["article_id"])
    op.create_table(
        "quotes",
        _article_ref(),
        sa.Column("speaker", sa.Text, nullable=False),
        *(sa.Column(name, sa.Integer, nullable=False) for name in ("start", "end", "direct")),
    )
    op.create_index("quotes_article", "quotes", ["article_id"])
    op.create_table(
        "signatures",
        sa.Column("article_id", Id, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("sig", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "copies",
        _article_ref(),
        sa.Column("copy_id", Id, nullable=False),
        *(sa.Column(name, sa.Text) for name in ("url", "source", "published", "origin")),
        sa.Column("similarity", Double, nullable=False),
        sa.PrimaryKeyConstraint("article_id", "copy_id"),
    )
    op.create_table("meta", sa.Column("key", sa.Text, primary_key=True), sa.Column("value", sa.Text, nullable=False))


def downgrade() -> None:
    for table in ("meta", "copies", "signatures", "quotes", "chunks", "articles"):
        op.drop_table(table)
