"""The catalog (SQLite): articles, chunk offsets, quotes, MinHash signatures and syndicated copies.

It is the source of truth. An article is written ``pending`` and marked ``ready`` only once its
vectors are stored (the protocol lives in :class:`assistant.index.Index`); every read here sees
ready articles only. The catalog generation is bumped on every change, so derived indexes (BM25,
chunk dates) know when they are stale. Opening is lazy: constructing a Catalog touches nothing.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import NotFoundError
from assistant.index.filters import day_number
from assistant.models import Article, Chunk, Passage, Quote, embedding_text

__all__ = ["Catalog", "ArticleMeta"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    url TEXT,
    source TEXT,
    published TEXT,
    byline TEXT,
    origin TEXT,
    content_hash TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    state TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_text_hash ON articles(text_hash);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS quotes (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    speaker TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    direct INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS quotes_article ON quotes(article_id);
CREATE TABLE IF NOT EXISTS signatures (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    sig BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS copies (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    copy_id TEXT NOT NULL,
    url TEXT,
    source TEXT,
    published TEXT,
    origin TEXT,
    similarity REAL NOT NULL,
    PRIMARY KEY (article_id, copy_id)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

Item = tuple[Article, Sequence[Chunk], np.ndarray, Sequence[Quote]]


@dataclass
class ArticleMeta:
    title: str
    url: str | None
    source: str | None
    published: dt.date | None


class Catalog:
    """One SQLite file; thread-safe writes through :meth:`transaction`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._meta_cache: dict[str, ArticleMeta] = {}

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, opened (and the schema created) on first use."""
        with self._lock:
            if self._db is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("PRAGMA foreign_keys=ON")
                db.executescript(_SCHEMA)
                self._db = db
            return self._db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def generation(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def bump_generation(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta(key, value) VALUES('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def forget(self, article_ids: Iterable[str]) -> None:
        for i in article_ids:
            self._meta_cache.pop(i, None)

    # -- writing ------------------------------------------------------------------------------

    def write_pending(self, items: Sequence[Item]) -> None:
        """Step 1 of the write protocol: the articles (replacing old rows) with state 'pending'."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self.transaction() as db:
            for article, chunks, _, quotes in items:
                db.execute("DELETE FROM articles WHERE id=?", (article.id,))
                db.execute(
                    "INSERT INTO articles(id, title, url, source, published, byline, origin, content_hash, "
                    "text_hash, text, state, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?, 'pending', ?)",
                    (
                        article.id, article.title, article.url, article.source, article.published_iso,
                        article.byline, article.origin, article.content_hash, article.text_hash, article.text, now,
                    ),
                )
                db.executemany(
                    "INSERT INTO chunks(id, article_id, idx, start, end) VALUES (?,?,?,?,?)",
                    [(c.id, c.article_id, c.index, c.start, c.end) for c in chunks],
                )
                db.executemany(
                    "INSERT INTO quotes(article_id, speaker, start, end, direct) VALUES (?,?,?,?,?)",
                    [(q.article_id, q.speaker, q.start, q.end, int(q.direct)) for q in quotes],
                )
                if article.minhash is not None:
                    db.execute("INSERT INTO signatures(article_id, sig) VALUES (?, ?)",
                               (article.id, article.minhash.astype(np.uint64).tobytes()))

    def mark_ready(self, article_ids: Sequence[str]) -> None:
        """Step 3: the articles are complete everywhere."""
        with self.transaction() as db:
            db.executemany("UPDATE articles SET state='ready' WHERE id=?", [(i,) for i in article_ids])
            self.bump_generation(db)
        self.forget(article_ids)

    def mark_pending(self, article_ids: Sequence[str]) -> None:
        with self.transaction() as db:
            db.executemany("UPDATE articles SET state='pending' WHERE id=?", [(i,) for i in article_ids])

    def remove(self, article_ids: Sequence[str]) -> int:
        """Delete the articles' rows (chunks, quotes and copies cascade). Returns how many existed."""
        with self.transaction() as db:
            cursor = db.executemany("DELETE FROM articles WHERE id=?", [(i,) for i in article_ids])
            removed = cursor.rowcount  # direct deletions only, not the cascaded chunk/quote rows
            self.bump_generation(db)
        self.forget(article_ids)
        return removed

    def pending_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM articles WHERE state='pending'")]

    def add_copies(self, copies: Sequence[tuple[str, Article, float]]) -> None:
        """Record that each article was also carried elsewhere (a syndicated copy not indexed again)."""
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO copies(article_id, copy_id, url, source, published, origin, similarity) "
                "SELECT ?,?,?,?,?,?,? WHERE EXISTS (SELECT 1 FROM articles WHERE id = ?)",
                [(kept, c.id, c.url, c.source, c.published_iso, c.origin, round(sim, 4), kept)
                 for kept, c, sim in copies],
            )

    # -- reading ------------------------------------------------------------------------------

    def find_by_text_hash(self, text_hash: str) -> str | None:
        """The id of a ready article with exactly this (normalised) text, if any."""
        row = self.db.execute("SELECT id FROM articles WHERE text_hash=? AND state='ready'", (text_hash,)).fetchone()
        return row[0] if row else None

    def article_hash(self, article_id: str) -> str | None:
        row = self.db.execute(
            "SELECT content_hash FROM articles WHERE id=? AND state='ready'", (article_id,)
        ).fetchone()
        return row[0] if row else None

    def embedding_texts(self, article_id: str | None = None) -> list[tuple[str, str]]:
        """(chunk id, the text its vector was made from: :func:`embedding_text`) of ready chunks, of one
        article or of all."""
        sql = ("SELECT c.id, a.title, substr(a.text, c.start + 1, c.end - c.start), c.idx FROM chunks c "
               "JOIN articles a ON a.id = c.article_id WHERE a.state = 'ready'")
        args: tuple[str, ...] = ()
        if article_id is not None:
            sql, args = sql + " AND c.article_id = ?", (article_id,)
        return [(cid, embedding_text(title, text, idx)) for cid, title, text, idx in self.db.execute(sql, args)]

    def signatures(self) -> Iterator[tuple[str, np.ndarray]]:
        """(article id, MinHash signature) of every ready article that has one."""
        for article_id, blob in self.db.execute(
            "SELECT s.article_id, s.sig FROM signatures s JOIN articles a ON a.id = s.article_id "
            "WHERE a.state = 'ready'"
        ):
            yield article_id, np.frombuffer(blob, dtype=np.uint64)

    def copies_of(self, article_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT copy_id, url, source, published, origin, similarity FROM copies WHERE article_id = ? "
            "ORDER BY published", (article_id,)
        ).fetchall()
        keys = ("id", "url", "source", "published", "origin", "similarity")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def article_text(self, article_id: str) -> str:
        row = self.db.execute("SELECT text FROM articles WHERE id=?", (article_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no article with id {article_id!r}")
        return str(row[0])

    def article_meta(self, article_id: str) -> ArticleMeta:
        meta = self._meta_cache.get(article_id)
        if meta is None:
            row = self.db.execute(
                "SELECT title, url, source, published FROM articles WHERE id=?", (article_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no article with id {article_id!r}")
            published = dt.date.fromisoformat(row[3]) if row[3] else None
            meta = ArticleMeta(row[0], row[1], row[2], published)
            self._meta_cache[article_id] = meta
        return meta

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        """Passages for chunk ids (unknown ids are left out)."""
        out: dict[str, Passage] = {}
        for lo in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[lo : lo + 500])
            marks = ",".join("?" * len(part))
            rows = self.db.execute(
                f"SELECT c.id, c.article_id, c.start, c.end, substr(a.text, c.start + 1, c.end - c.start) "
                f"FROM chunks c JOIN articles a ON a.id = c.article_id "
                f"WHERE c.id IN ({marks}) AND a.state='ready'",
                part,
            ).fetchall()
            for chunk_id, article_id, start, end, text in rows:
                meta = self.article_meta(article_id)
                out[chunk_id] = Passage(
                    chunk_id=chunk_id, article_id=article_id, text=text, start=start, end=end,
                    title=meta.title, url=meta.url, source=meta.source, published=meta.published,
                )
        return out

    def passages_for_span(self, article_id: str, start: int, end: int) -> Passage | None:
        """The first chunk of an article that contains the span [start, end)."""
        row = self.db.execute(
            "SELECT id FROM chunks WHERE article_id=? AND start<=? AND end>=? ORDER BY idx LIMIT 1",
            (article_id, start, end),
        ).fetchone()
        return self.passages([row[0]]).get(row[0]) if row else None

    def quotes_for(self, article_ids: Iterable[str]) -> list[Quote]:
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT q.article_id, q.speaker, q.start, q.end, q.direct, a.text FROM quotes q "
            f"JOIN articles a ON a.id = q.article_id WHERE q.article_id IN ({marks}) AND a.state='ready'",
            ids,
        ).fetchall()
        return [
            Quote(article_id=a, speaker=s, text=text[start:end], start=start, end=end, direct=bool(d))
            for a, s, start, end, d, text in rows
        ]

    def counts(self) -> dict[str, Any]:
        """Articles, chunks, date range, undated articles, copies and articles per outlet."""
        db = self.db
        articles, first, last, undated = db.execute(
            "SELECT COUNT(*), MIN(published), MAX(published), SUM(published IS NULL) FROM articles "
            "WHERE state='ready'"
        ).fetchone()
        chunks = db.execute(
            "SELECT COUNT(*) FROM chunks c JOIN articles a ON a.id=c.article_id WHERE a.state='ready'"
        ).fetchone()[0]
        copies = db.execute("SELECT COUNT(*) FROM copies").fetchone()[0]
        sources = db.execute(
            "SELECT COALESCE(source, ''), COUNT(*) FROM articles WHERE state='ready' GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
        return {"articles": articles, "chunks": chunks, "sources": {s or "unknown": n for s, n in sources},
                "published_from": first, "published_to": last, "undated_articles": undated or 0,
                "syndicated_copies": copies}

    def list_articles(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, title, url, source, published, origin FROM articles WHERE state='ready' "
            "ORDER BY COALESCE(published, '') DESC, id LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        keys = ("id", "title", "url", "source", "published", "origin")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def ids_matching(self, *, source: str | None = None, before: dt.date | None = None) -> list[str]:
        sql, args = "SELECT id FROM articles WHERE state='ready'", []
        if source is not None:
            sql += " AND source = ?"
            args.append(source)
        if before is not None:
            sql += " AND published IS NOT NULL AND published < ?"
            args.append(before.isoformat())
        return [r[0] for r in self.db.execute(sql, args)]

    def chunk_ids(self) -> list[str]:
        """Every chunk id in the catalog, ready or not (for consistency checks)."""
        return [r[0] for r in self.db.execute("SELECT id FROM chunks ORDER BY id")]

    def chunk_days(self) -> tuple[list[str], np.ndarray]:
        """Ready chunk ids in id order and their stories' days (YYYYMMDD, -1 undated), for date windows."""
        ids: list[str] = []
        days: list[int] = []
        for cid, published in self.db.execute(
            "SELECT c.id, a.published FROM chunks c JOIN articles a ON a.id=c.article_id "
            "WHERE a.state='ready' ORDER BY c.id"
        ):
            ids.append(cid)
            days.append(day_number(dt.date.fromisoformat(published)) if published else -1)
        return ids, np.asarray(days, dtype=np.int64)

    def lexical_texts(self, ids: list[str], days: list[int]) -> Iterator[str]:
        """Each ready chunk's headline and text, in id order, appending its id and day number as it
        goes (a stream: the lexical build never holds every text)."""
        rows = self.db.execute(
            "SELECT c.id, a.title, substr(a.text, c.start + 1, c.end - c.start), a.published FROM chunks c "
            "JOIN articles a ON a.id=c.article_id WHERE a.state='ready' ORDER BY c.id"
        )
        for cid, title, text, published in rows:
            ids.append(cid)
            days.append(day_number(dt.date.fromisoformat(published)) if published else -1)
            yield f"{title}\n{text}"

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
