"""The catalog: articles, chunk offsets, quotes, MinHash signatures and syndicated copies, in an
embedded SQLite file or a PostgreSQL database (see :mod:`assistant.index.database`).

It is the source of truth, and holds only complete versions of stories: a version is written, whole and
``ready``, once its vectors are stored, in the transaction that replaces the previous one (the protocol
lives in :class:`assistant.index.Index`; ``pending`` rows are left only by catalogs written before
revision 0004, and recovery removes them). The catalog generation (a row of ``meta``, so every process sharing the
database reads it) is bumped on every change, so derived indexes (BM25, chunk dates) know when they
are stale. An article is stored once because its id is the primary key and a write upserts it in a
transaction, whichever process writes. Opening is lazy: constructing a Catalog touches nothing; the
first use connects and runs the migrations.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

from assistant.errors import NotFoundError
from assistant.index import changelog, inflight, swap
from assistant.index.changelog import Changes, insert_for
from assistant.index.claims import Claims, Lost, settle
from assistant.index.database import RETRIES, WRITE, migrate, open_engine, retryable
from assistant.index.filters import day_number
from assistant.index.lexical import LexicalRows
from assistant.index.schema import articles, chunks, copies, quotes, signatures
from assistant.index.writers import Writer
from assistant.models import Article, Chunk, Passage, Quote, embedding_text

__all__ = ["Catalog", "ArticleMeta"]

Item = tuple[Article, Sequence[Chunk], np.ndarray, Sequence[Quote]]
BATCH = 500  # ids per IN (...) list


@dataclass
class ArticleMeta:
    title: str
    url: str | None
    source: str | None
    published: dt.date | None


def _batches(ids: Sequence[str]) -> Iterator[list[str]]:
    for lo in range(0, len(ids), BATCH):
        yield list(ids[lo : lo + BATCH])


def _day(published: str | None) -> int:
    return day_number(dt.date.fromisoformat(published)) if published else -1


def _lexical_select() -> Any:
    return (select(chunks.c.id, chunks.c.article_id, articles.c.title, _chunk_text(), articles.c.published)
            .select_from(_READY_CHUNKS).where(_READY))


def _chunk_text() -> Any:
    return func.substr(articles.c.text, chunks.c.start + 1, chunks.c.end - chunks.c.start)


_READY = articles.c.state == "ready"
_READY_CHUNKS = chunks.join(articles, articles.c.id == chunks.c.article_id)


class Catalog:
    """One database (an SQLite file, or PostgreSQL when given a URL); writes go through :meth:`transaction`."""

    def __init__(self, location: Path | str) -> None:
        self.location = location
        self._lock = threading.RLock()
        self._engine: Engine | None = None
        self._meta_cache: dict[str, ArticleMeta] = {}
        self.writer = Writer()

    @property
    def engine(self) -> Engine:
        """The connection pool, opened (and the schema migrated) on first use."""
        with self._lock:
            if self._engine is None:
                engine = open_engine(self.location)
                migrate(engine)
                self._engine = engine
            return self._engine

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction on a connection of its own (committed on exit, rolled back on error)."""
        engine = self.engine
        self.writer.hold(engine)
        with engine.connect().execution_options(**WRITE) as db, db.begin():
            yield db

    def _rows(self, statement: Executable) -> Sequence[Any]:  # rows (typed loosely: their width varies)
        with self.engine.connect() as db:
            return db.execute(statement).all()

    def _first(self, statement: Executable) -> Any:
        rows = self._rows(statement)
        return rows[0] if rows else None

    def generation(self) -> int:
        with self.engine.connect() as db:
            return changelog.current(db)

    def changes_since(self, generation: int) -> Changes | None:
        """The articles changed after ``generation`` (see :mod:`assistant.index.changelog`); their cached
        metadata is dropped here, or all of it when the log cannot say."""
        with self.engine.connect() as db:
            found = changelog.since(db, generation)
        self.forget(found.article_ids if found is not None else list(self._meta_cache))
        return found

    def forget(self, article_ids: Iterable[str]) -> None:
        for i in article_ids:
            self._meta_cache.pop(i, None)

    # -- writing (the protocol's catalog steps: see assistant.index.facade) -------------------------

    def write_pending(self, items: Sequence[Item]) -> None:
        """Step 1: the chunk ids of the new versions, whose vectors go to Chroma next, are recorded as this
        writer's vectors in flight. Nothing a reader sees changes."""
        with self.transaction() as db:
            inflight.add(db, self.writer.key, [(c.id, a.id) for a, article_chunks, *_ in items for c in article_chunks])

    def mark_ready(self, items: Sequence[Item], claims: Claims | None = None) -> Lost:
        """Step 3: in one transaction, each article's new version (its vectors are in Chroma) takes the
        place of the one readers saw, or is added. With ``claims``, the new articles (those with a MinHash
        signature) whose text another writer's ready article holds are not written but recorded as its
        copies (see :mod:`assistant.index.claims`); they are returned."""
        candidates = [a for a, *_ in items if a.minhash is not None]
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for attempt in itertools.count(1):
            try:
                with self.transaction() as db:
                    lost, seen = settle(db, candidates, claims) if claims is not None and candidates else ({}, -1)
                    written = sorted((item for item in items if item[0].id not in lost), key=lambda item: item[0].id)
                    for article, article_chunks, _, article_quotes in written:
                        swap.replace(db, article, article_chunks, article_quotes, self.writer.key, now)
                    changelog.bump(db, [item[0].id for item in written], "ready")
                break
            except DBAPIError as exc:
                if attempt == RETRIES or not retryable(exc):
                    raise
                time.sleep(0.05 * attempt)
        if claims is not None and seen >= 0:
            claims.seen = seen
        self.forget([a.id for a, *_ in items])
        return lost

    def remove(self, article_ids: Sequence[str]) -> int:
        """Delete the articles, in one transaction (their vectors become this writer's to remove from
        Chroma). Returns how many existed."""
        removed = 0
        with self.transaction() as db:
            for part in _batches(sorted(set(article_ids))):
                removed += swap.retire(db, self.writer.key, part)
            changelog.bump(db, article_ids, "delete")
        self.forget(article_ids)
        return removed

    def unused_vectors(self, article_ids: Sequence[str]) -> list[str]:
        """This writer's vectors in flight for these articles that nothing uses now (to remove)."""
        with self.engine.connect() as db:
            return inflight.unused(db, self.writer.key, article_ids)

    def settled(self, article_ids: Sequence[str]) -> None:
        """This writer is done with these articles' vectors in flight."""
        with self.transaction() as db:
            inflight.clear(db, self.writer.key, article_ids)

    def leftovers(self) -> tuple[list[str], set[int]]:
        """What writers that are gone (crashed, killed, or this one) left: the vectors in flight nobody
        uses, and those writers, whose rows :meth:`forget_writers` drops once the vectors are removed.
        Pending articles of a catalog written before revision 0004 are deleted here, their chunks' vectors
        among those to remove."""
        with self.engine.connect() as db:
            legacy = db.execute(select(articles.c.id, articles.c.writer).where(articles.c.state == "pending")).all()
            known = inflight.writers(db)
        gone = self.writer.abandoned(self.engine, known | {w for _, w in legacy})
        stale = sorted(i for i, w in legacy if w in gone)
        keys = {k for k in gone if k is not None} | {self.writer.key}
        if stale:
            with self.transaction() as db:
                for part in _batches(stale):
                    swap.retire(db, self.writer.key, part)
                changelog.bump(db, stale, "delete")
        with self.engine.connect() as db:
            return inflight.leftovers(db, keys), keys

    def forget_writers(self, keys: set[int]) -> None:
        with self.transaction() as db:
            inflight.forget(db, keys)

    def pending_ids(self) -> list[str]:
        """Articles with a version or vectors in flight (being written, or left by a crash)."""
        with self.engine.connect() as db:
            found = inflight.article_ids(db)
        return sorted(found | {r[0] for r in self._rows(select(articles.c.id).where(articles.c.state == "pending"))})

    def abandoned_ids(self) -> list[str]:
        """Of :meth:`pending_ids`, those whose writer is gone (crashed, killed) or is this catalog: what
        recovery settles. A live writer's in another process are left to it."""
        with self.engine.connect() as db:
            legacy = db.execute(select(articles.c.id, articles.c.writer).where(articles.c.state == "pending")).all()
            keys = inflight.writers(db)
            gone = self.writer.abandoned(self.engine, keys | {w for _, w in legacy})
            found = inflight.article_ids(db, {k for k in gone if k is not None})
        return sorted(found | {i for i, w in legacy if w in gone})

    def add_copies(self, found: Sequence[tuple[str, Article, float]]) -> None:
        """Record that each article was also carried elsewhere (a syndicated copy not indexed again)."""
        rows = {(kept, c.id): {"article_id": kept, "copy_id": c.id, "url": c.url, "source": c.source,
                               "published": c.published_iso, "origin": c.origin, "similarity": round(sim, 4)}
                for kept, c, sim in found}  # the last record of a copy wins, as INSERT OR REPLACE did
        if not rows:
            return
        with self.transaction() as db:
            kept_ids = sorted({kept for kept, _ in rows})
            existing = {i for part in _batches(kept_ids) for i in db.scalars(
                select(articles.c.id).where(articles.c.id.in_(part)).with_for_update(read=True))}
            keep = [row for (kept, _), row in rows.items() if kept in existing]
            if keep:
                stmt = insert_for(db, copies)
                db.execute(stmt.on_conflict_do_update(
                    index_elements=[copies.c.article_id, copies.c.copy_id],
                    set_={k: stmt.excluded[k] for k in ("url", "source", "published", "origin", "similarity")}),
                    keep)

    # -- reading ------------------------------------------------------------------------------

    def find_by_text_hash(self, text_hash: str) -> str | None:
        """The id of a ready article with exactly this (normalised) text, if any."""
        row = self._first(select(articles.c.id).where(articles.c.text_hash == text_hash, _READY).limit(1))
        return row[0] if row else None

    def article_hash(self, article_id: str) -> str | None:
        row = self._first(select(articles.c.content_hash).where(articles.c.id == article_id, _READY))
        return row[0] if row else None

    def embedding_texts(self, article_id: str | None = None) -> list[tuple[str, str]]:
        """(chunk id, the text its vector was made from: :func:`embedding_text`) of ready chunks, of one
        article or of all."""
        stmt = select(chunks.c.id, articles.c.title, _chunk_text(), chunks.c.idx).select_from(_READY_CHUNKS).where(_READY)
        if article_id is not None:
            stmt = stmt.where(chunks.c.article_id == article_id)
        return [(cid, embedding_text(title, text, idx)) for cid, title, text, idx in self._rows(stmt)]

    def signatures(self) -> Iterator[tuple[str, np.ndarray]]:
        """(article id, MinHash signature) of every ready article that has one."""
        stmt = select(signatures.c.article_id, signatures.c.sig).select_from(
            signatures.join(articles, articles.c.id == signatures.c.article_id)).where(_READY)
        for article_id, blob in self._rows(stmt):
            yield article_id, np.frombuffer(bytes(blob), dtype=np.uint64)

    def copies_of(self, article_id: str) -> list[dict[str, Any]]:
        c = copies.c
        rows = self._rows(select(c.copy_id, c.url, c.source, c.published, c.origin, c.similarity)
                          .where(c.article_id == article_id).order_by(c.published.asc().nulls_first()))
        keys = ("id", "url", "source", "published", "origin", "similarity")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def article_text(self, article_id: str) -> str:
        row = self._first(select(articles.c.text).where(articles.c.id == article_id))
        if row is None:
            raise NotFoundError(f"no article with id {article_id!r}")
        return str(row[0])

    def article_meta(self, article_id: str) -> ArticleMeta:
        cached = self._meta_cache.get(article_id)
        if cached is None:
            a = articles.c
            row = self._first(select(a.title, a.url, a.source, a.published).where(a.id == article_id))
            if row is None:
                raise NotFoundError(f"no article with id {article_id!r}")
            published = dt.date.fromisoformat(row[3]) if row[3] else None
            cached = ArticleMeta(row[0], row[1], row[2], published)
            self._meta_cache[article_id] = cached
        return cached

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        """Passages for chunk ids (unknown ids are left out)."""
        out: dict[str, Passage] = {}
        c = chunks.c
        for part in _batches(chunk_ids):
            rows = self._rows(select(c.id, c.article_id, c.start, c.end, _chunk_text())
                              .select_from(_READY_CHUNKS).where(c.id.in_(part), _READY))
            for chunk_id, article_id, start, end, text in rows:
                m = self.article_meta(article_id)
                out[chunk_id] = Passage(
                    chunk_id=chunk_id, article_id=article_id, text=text, start=start, end=end,
                    title=m.title, url=m.url, source=m.source, published=m.published,
                )
        return out

    def passages_for_span(self, article_id: str, start: int, end: int) -> Passage | None:
        """The first chunk of an article that contains the span [start, end)."""
        c = chunks.c
        row = self._first(select(c.id).where(c.article_id == article_id, c.start <= start, c.end >= end)
                          .order_by(c.idx).limit(1))
        return self.passages([row[0]]).get(row[0]) if row else None

    def quotes_for(self, article_ids: Iterable[str]) -> list[Quote]:
        ids = list(dict.fromkeys(article_ids))
        q = quotes.c
        out = []
        for part in _batches(ids):
            rows = self._rows(select(q.article_id, q.speaker, q.start, q.end, q.direct, articles.c.text)
                              .select_from(quotes.join(articles, articles.c.id == q.article_id))
                              .where(q.article_id.in_(part), _READY))
            out += [Quote(article_id=a, speaker=s, text=text[start:end], start=start, end=end, direct=bool(d))
                    for a, s, start, end, d, text in rows]
        return out

    def counts(self) -> dict[str, Any]:
        """Articles, chunks, date range, undated articles, copies and articles per outlet."""
        a = articles.c
        with self.engine.connect() as db:
            n, first, last, dated = db.execute(
                select(func.count(), func.min(a.published), func.max(a.published), func.count(a.published))
                .where(_READY)).one()
            n_chunks = db.execute(select(func.count()).select_from(_READY_CHUNKS).where(_READY)).scalar_one()
            n_copies = db.execute(select(func.count()).select_from(copies)).scalar_one()
            outlet, count = func.coalesce(a.source, "").label("outlet"), func.count().label("n")
            sources = db.execute(select(outlet, count).where(_READY).group_by(outlet).order_by(count.desc())).all()
        return {"articles": n, "chunks": n_chunks, "sources": {s or "unknown": k for s, k in sources},
                "published_from": first, "published_to": last, "undated_articles": n - dated,
                "syndicated_copies": n_copies}

    def list_articles(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        a = articles.c
        rows = self._rows(select(a.id, a.title, a.url, a.source, a.published, a.origin).where(_READY)
                          .order_by(func.coalesce(a.published, "").desc(), a.id).limit(limit).offset(offset))
        keys = ("id", "title", "url", "source", "published", "origin")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def ids_matching(self, *, source: str | None = None, before: dt.date | None = None) -> list[str]:
        stmt = select(articles.c.id).where(_READY)
        if source is not None:
            stmt = stmt.where(articles.c.source == source)
        if before is not None:
            stmt = stmt.where(articles.c.published.is_not(None), articles.c.published < before.isoformat())
        return [r[0] for r in self._rows(stmt)]

    def chunk_ids(self) -> list[str]:
        """Every chunk id in the catalog, ready or not (for consistency checks)."""
        return [r[0] for r in self._rows(select(chunks.c.id).order_by(chunks.c.id))]

    def lexical_texts(self, rows: LexicalRows) -> Iterator[str]:
        """Each ready chunk's headline and text, in id order, appending its id, article and day number
        to ``rows`` as it goes (a stream: the lexical build never holds every text)."""
        stmt = _lexical_select().order_by(chunks.c.id)
        with self.engine.connect().execution_options(stream_results=True, yield_per=2000) as db:
            for cid, article_id, title, text, published in db.execute(stmt):
                rows.add(cid, article_id, _day(published))
                yield f"{title}\n{text}"

    def lexical_rows(self, article_ids: Sequence[str]) -> list[tuple[str, str, int, str]]:
        """(chunk id, article id, day number, headline and text) of these articles' ready chunks, in id order."""
        out = []
        for part in _batches(sorted(article_ids)):
            for cid, article_id, title, text, published in self._rows(
                    _lexical_select().where(chunks.c.article_id.in_(part)).order_by(chunks.c.id)):
                out.append((cid, article_id, _day(published), f"{title}\n{text}"))
        return out

    def close(self) -> None:
        with self._lock:
            self.writer.release()
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
