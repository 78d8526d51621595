"""A story's rows changed in one catalog transaction: a new version swapped in whole, or the story deleted.

The catalog holds only complete versions: an update does not touch the version readers see until the
transaction that replaces it (article row, chunks, quotes, signature) with the new one, whose vectors are
already in Chroma. The chunk ids the replaced or deleted version used are recorded in the same
transaction as the writer's vectors in flight (:mod:`assistant.index.inflight`), to be removed from
Chroma afterwards. Articles go in id order, and each article row is locked before its chunks are read,
so concurrent writers of one story queue on its row: the last to commit leaves its version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, delete, select

from assistant.index import inflight
from assistant.index.changelog import insert_for
from assistant.index.schema import articles, chunks, copies, quotes, signatures
from assistant.models import Article, Chunk, Quote

__all__ = ["replace", "retire", "quote_rows"]


def quote_rows(found: Iterable[Quote]) -> list[dict[str, Any]]:
    """Rows of the quotes table for ``found``."""
    return [{"article_id": q.article_id, "speaker": q.speaker, "start": q.start, "end": q.end,
             "direct": int(q.direct)} for q in found]


def replace(db: Connection, article: Article, article_chunks: Sequence[Chunk], article_quotes: Sequence[Quote],
            writer: int, now: str) -> None:
    """Make this version of the article the one readers see (new or replacing); the chunk ids only the
    version it replaces used become ``writer``'s to remove from Chroma."""
    _upsert_article(db, article, now)  # locks the row first
    old = set(db.scalars(select(chunks.c.id).where(chunks.c.article_id == article.id)))
    for table in (chunks, quotes, signatures, copies):
        db.execute(delete(table).where(table.c.article_id == article.id))
    if article_chunks:
        db.execute(chunks.insert(), [
            {"id": c.id, "article_id": c.article_id, "idx": c.index, "start": c.start, "end": c.end}
            for c in article_chunks])
    if article_quotes:
        db.execute(quotes.insert(), quote_rows(article_quotes))
    if article.minhash is not None:
        db.execute(signatures.insert().values(article_id=article.id, sig=article.minhash.astype(np.uint64).tobytes()))
    new = [c.id for c in article_chunks]
    inflight.landed(db, writer, new)
    inflight.add(db, writer, [(cid, article.id) for cid in sorted(old - set(new))])


def _upsert_article(db: Connection, article: Article, now: str) -> None:
    row = {
        "id": article.id, "title": article.title, "url": article.url, "source": article.source,
        "published": article.published_iso, "byline": article.byline, "origin": article.origin,
        "content_hash": article.content_hash, "text_hash": article.text_hash, "text": article.text,
        "state": "ready", "ingested_at": now, "writer": None,
    }
    stmt = insert_for(db, articles).values(row)
    db.execute(stmt.on_conflict_do_update(
        index_elements=[articles.c.id], set_={k: stmt.excluded[k] for k in row if k != "id"}))


def retire(db: Connection, writer: int, article_ids: Sequence[str]) -> int:
    """Delete these articles (chunks, quotes, copies cascade), their chunk ids becoming ``writer``'s to
    remove from Chroma. Returns how many existed."""
    found = list(db.scalars(select(articles.c.id).where(articles.c.id.in_(article_ids))
                            .order_by(articles.c.id).with_for_update()))
    if not found:
        return 0
    inflight.add(db, writer, db.execute(select(chunks.c.id, chunks.c.article_id)
                                        .where(chunks.c.article_id.in_(found))).tuples().all())
    db.execute(delete(articles).where(articles.c.id.in_(found)))
    return len(found)
