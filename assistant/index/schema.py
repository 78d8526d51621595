"""The catalog's tables, as SQLAlchemy Core metadata (the latest revision; Alembic migrations get there).

Column types are today's SQLite ones; on PostgreSQL the ids sort bytewise (``COLLATE "C"``, as SQLite's
BINARY does), so "in id order" means the same thing on both, and floats are double precision.
"""

from __future__ import annotations

from sqlalchemy import (
    REAL,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine

__all__ = ["metadata", "articles", "chunks", "quotes", "signatures", "copies", "meta", "changes", "in_flight", "Id",
           "Double"]

Id: TypeEngine[str] = Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
Double: TypeEngine[float] = REAL().with_variant(postgresql.DOUBLE_PRECISION(), "postgresql")

metadata = MetaData()


def _article_ref() -> Column[str]:
    return Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False)


articles = Table(
    "articles", metadata,
    Column("id", Id, primary_key=True),
    Column("title", Text, nullable=False),
    Column("url", Text),
    Column("source", Text),
    Column("published", Text),
    Column("byline", Text),
    Column("origin", Text),
    Column("content_hash", Text, nullable=False),
    Column("text_hash", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("ingested_at", Text, nullable=False),
    Column("writer", BigInteger),  # revision 0002: who wrote a pending row (see assistant.index.writers)
    Index("articles_text_hash", "text_hash"),
)

chunks = Table(
    "chunks", metadata,
    Column("id", Id, primary_key=True),
    _article_ref(),
    Column("idx", Integer, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Index("chunks_article", "article_id"),
)

quotes = Table(
    "quotes", metadata,
    _article_ref(),
    Column("speaker", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("direct", Integer, nullable=False),
    Index("quotes_article", "article_id"),
)

signatures = Table(
    "signatures", metadata,
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("sig", LargeBinary, nullable=False),
)

copies = Table(
    "copies", metadata,
    _article_ref(),
    Column("copy_id", Id, nullable=False),
    Column("url", Text),
    Column("source", Text),
    Column("published", Text),
    Column("origin", Text),
    Column("similarity", Double, nullable=False),
    PrimaryKeyConstraint("article_id", "copy_id"),
)

meta = Table(
    "meta", metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

changes = Table(  # revision 0003: which articles each generation touched (see assistant.index.changelog)
    "changes", metadata,
    Column("generation", BigInteger, nullable=False),
    Column("article_id", Id, nullable=False),
    Column("op", Text, nullable=False),
    Index("changes_generation", "generation"),
)

in_flight = Table(  # revision 0004: vectors a writer is adding or removing (see assistant.index.inflight)
    "in_flight", metadata,
    Column("writer", BigInteger, nullable=False),
    Column("chunk_id", Id, nullable=False),
    Column("article_id", Id, nullable=False),
    PrimaryKeyConstraint("writer", "chunk_id"),
    Index("in_flight_chunk", "chunk_id"),
)
