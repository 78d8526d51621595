"""The index: an article catalog (SQLite), Chroma for dense vectors, and a BM25 lexical index.

The catalog is the source of truth. Writing an article is a three-step protocol so that a crash or
SIGKILL at any point leaves something :meth:`Store.recover` can put right:

1. catalog transaction: the article and its chunks are written with ``state='pending'``
   (a changed article's old rows are replaced in the same transaction);
2. Chroma: the article's old vectors are deleted and the new ones upserted;
3. catalog transaction: ``state='ready'`` and the catalog generation is bumped.

``recover`` deletes every pending article from Chroma and the catalog, so a re-run ingests it again.
The lexical index is derived from the ready chunks and rebuilt whenever its saved generation differs
from the catalog's, so it can never disagree with the catalog for long.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.errors import IndexError_, InputError, NotFoundError
from assistant.models import Article, Chunk, Passage, Quote, embedding_text

__all__ = ["Store", "Filters", "day_number"]

DENSE_OVERFETCH = 2000  # most unfiltered HNSW neighbours to post-filter by date (~18 ms at 130k chunks)
DENSE_SURVIVORS = 3  # over-fetch so that about this many times k neighbours fall inside the window
EXACT_WINDOW = 500  # a window of at most this many chunks is searched exactly (~40 ms to fetch 500 vectors)

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


def day_number(day: dt.date | None) -> int:
    """A date as an int YYYYMMDD for Chroma filters; -1 for unknown."""
    return day.year * 10000 + day.month * 100 + day.day if day else -1


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to a date range and/or outlets.

    Undated stories fail a date filter unless ``include_undated`` (used for time frames read from a
    question, where an undated story may still be the one that answers: it is kept, ranked lower).
    """

    since: dt.date | None = None
    until: dt.date | None = None
    sources: tuple[str, ...] = ()
    include_undated: bool = False

    @classmethod
    def between(cls, since: dt.date | None, until: dt.date | None, sources: Iterable[str] = ()) -> Filters:
        """Filters a person asked for (CLI, API, page): a reversed date range is their mistake, said so."""
        if since and until and since > until:
            raise InputError(f"the start date {since} is after the end date {until}")
        return cls(since=since, until=until, sources=tuple(sources))

    @property
    def empty(self) -> bool:
        return self.since is None and self.until is None and not self.sources

    @property
    def dated(self) -> bool:
        return self.since is not None or self.until is not None

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        window: list[dict[str, Any]] = []
        if self.since:
            window.append({"published_day": {"$gte": day_number(self.since)}})
        if self.until:
            window.append({"published_day": {"$lte": day_number(self.until)}})
        if self.until and not self.since:
            window.append({"published_day": {"$gte": 0}})
        if window:
            in_window = window[0] if len(window) == 1 else {"$and": window}
            clauses.append({"$or": [in_window, {"published_day": -1}]} if self.include_undated else in_window)
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def accepts(self, published: dt.date | None, source: str | None) -> bool:
        if self.dated and published is None and not self.include_undated:
            return False
        if self.since and published and published < self.since:
            return False
        if self.until and published and published > self.until:
            return False
        return not self.sources or source in self.sources

    def day_mask(self, days: np.ndarray) -> np.ndarray | None:
        """Boolean mask over YYYYMMDD day numbers (-1 = undated), or None when there is no window."""
        if not self.dated:
            return None
        mask = days >= 0
        if self.since:
            mask &= days >= day_number(self.since)
        if self.until:
            mask &= days <= day_number(self.until)
        if self.include_undated:
            mask |= days < 0
        return mask


@dataclass
class _ArticleMeta:
    title: str
    url: str | None
    source: str | None
    published: dt.date | None


class Store:
    """Catalog + Chroma + lexical index for one data directory (or one Chroma server collection)."""

    def __init__(self, settings: Settings, *, read_only: bool = False) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(settings.catalog_path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self._collection = self._open_chroma()
        self._lexical: Any = None
        self._lexical_ids: list[str] = []
        self._lexical_days = np.zeros(0, dtype=np.int64)
        self._lexical_rows: dict[str, int] = {}  # chunk id -> its row in _lexical_ids/_lexical_days
        self._lexical_generation = -1
        self._count: tuple[int, int] = (-1, 0)  # (generation, Chroma count): count() costs ~15 ms at 130k
        self._meta_cache: dict[str, _ArticleMeta] = {}
        if not read_only:
            self.recover()

    # -- Chroma -------------------------------------------------------------------------------

    def _open_chroma(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if self.settings.chroma_url:
                from urllib.parse import urlparse

                url = urlparse(self.settings.chroma_url)
                client = chromadb.HttpClient(
                    host=url.hostname or "127.0.0.1",
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
            else:
                client = chromadb.PersistentClient(path=str(self.settings.chroma_dir), settings=chroma_settings)
            return client.get_or_create_collection(
                self.settings.collection,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as exc:  # chromadb raises many types; the user needs the place and the reason
            where = self.settings.chroma_url or str(self.settings.chroma_dir)
            raise IndexError_(f"cannot open the Chroma index at {where}: {exc}") from exc

    # -- catalog helpers ----------------------------------------------------------------------

    @contextmanager
    def _txn(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def generation(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def _bump_generation(self, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta(key, value) VALUES('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # -- writing ------------------------------------------------------------------------------

    def find_by_text_hash(self, text_hash: str) -> str | None:
        """The id of a ready article with exactly this (normalised) text, if any."""
        row = self._db.execute(
            "SELECT id FROM articles WHERE text_hash=? AND state='ready'", (text_hash,)
        ).fetchone()
        return row[0] if row else None

    def article_hash(self, article_id: str) -> str | None:
        row = self._db.execute(
            "SELECT content_hash FROM articles WHERE id=? AND state='ready'", (article_id,)
        ).fetchone()
        return row[0] if row else None

    def add(
        self,
        article: Article,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        quotes: Sequence[Quote] = (),
    ) -> None:
        """Write (or replace) one article with its chunks, their vectors and its quotes."""
        self.add_many([(article, chunks, vectors, quotes)])

    def add_many(self, items: Sequence[tuple[Article, Sequence[Chunk], np.ndarray, Sequence[Quote]]]) -> None:
        """Write several articles with the pending -> Chroma -> ready protocol (see module docstring)."""
        if not items:
            return
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._txn() as db:
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
        ids = [a.id for a, *_ in items]
        self._chroma_delete_articles(ids)
        self._chroma_upsert(items)
        with self._txn() as db:
            db.executemany("UPDATE articles SET state='ready' WHERE id=?", [(i,) for i in ids])
            self._bump_generation(db)
        for i in ids:
            self._meta_cache.pop(i, None)

    def _chroma_upsert(self, items: Sequence[tuple[Article, Sequence[Chunk], np.ndarray, Sequence[Quote]]]) -> None:
        ids: list[str] = []
        embeddings: list[np.ndarray] = []
        metadatas: list[dict[str, Any]] = []
        for article, chunks, vectors, _ in items:
            for chunk, vector in zip(chunks, vectors, strict=True):
                ids.append(chunk.id)
                embeddings.append(vector)
                metadatas.append(
                    {
                        "article_id": article.id,
                        "idx": chunk.index,
                        "published_day": day_number(article.published),
                        "source": article.source or "",
                    }
                )
        step = 2000
        for lo in range(0, len(ids), step):
            self._collection.upsert(
                ids=ids[lo : lo + step],
                embeddings=np.asarray(embeddings[lo : lo + step], dtype=np.float32),
                metadatas=metadatas[lo : lo + step],
            )

    def _chroma_delete_articles(self, article_ids: Sequence[str]) -> None:
        for lo in range(0, len(article_ids), 500):
            self._collection.delete(where={"article_id": {"$in": list(article_ids[lo : lo + 500])}})

    def embedding_texts(self, article_id: str | None = None) -> list[tuple[str, str]]:
        """(chunk id, the text its vector was made from: :func:`embedding_text`) of ready chunks, of one
        article or of all."""
        sql = ("SELECT c.id, a.title, substr(a.text, c.start + 1, c.end - c.start), c.idx FROM chunks c "
               "JOIN articles a ON a.id = c.article_id WHERE a.state = 'ready'")
        args: tuple[str, ...] = ()
        if article_id is not None:
            sql, args = sql + " AND c.article_id = ?", (article_id,)
        return [(cid, embedding_text(title, text, idx)) for cid, title, text, idx in self._db.execute(sql, args)]

    def stored_vectors(self, article_id: str) -> dict[str, np.ndarray]:
        """The vectors of an article's current chunks keyed by the text that was embedded, so an
        edited article re-embeds only the chunks that changed."""
        rows = self.embedding_texts(article_id)
        if not rows:
            return {}
        got = self._collection.get(ids=[cid for cid, _ in rows], include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        return {text: np.asarray(by_id[cid], dtype=np.float32) for cid, text in rows if cid in by_id}

    def signatures(self) -> Iterator[tuple[str, np.ndarray]]:
        """(article id, MinHash signature) of every ready article that has one."""
        for article_id, blob in self._db.execute(
            "SELECT s.article_id, s.sig FROM signatures s JOIN articles a ON a.id = s.article_id "
            "WHERE a.state = 'ready'"
        ):
            yield article_id, np.frombuffer(blob, dtype=np.uint64)

    def add_copies(self, copies: Sequence[tuple[str, Article, float]]) -> None:
        """Record that each article was also carried elsewhere (a syndicated copy not indexed again)."""
        with self._txn() as db:
            db.executemany(
                "INSERT OR REPLACE INTO copies(article_id, copy_id, url, source, published, origin, similarity) "
                "SELECT ?,?,?,?,?,?,? WHERE EXISTS (SELECT 1 FROM articles WHERE id = ?)",
                [(kept, c.id, c.url, c.source, c.published_iso, c.origin, round(sim, 4), kept)
                 for kept, c, sim in copies],
            )

    def copies_of(self, article_id: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT copy_id, url, source, published, origin, similarity FROM copies WHERE article_id = ? "
            "ORDER BY published", (article_id,)
        ).fetchall()
        keys = ("id", "url", "source", "published", "origin", "similarity")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def delete_articles(self, article_ids: Sequence[str]) -> int:
        """Delete articles everywhere. Returns how many existed."""
        if not article_ids:
            return 0
        with self._txn() as db:
            db.executemany("UPDATE articles SET state='pending' WHERE id=?", [(i,) for i in article_ids])
        self._chroma_delete_articles(article_ids)
        with self._txn() as db:
            cursor = db.executemany("DELETE FROM articles WHERE id=?", [(i,) for i in article_ids])
            removed = cursor.rowcount  # direct deletions only, not the cascaded chunk/quote rows
            self._bump_generation(db)
        for i in article_ids:
            self._meta_cache.pop(i, None)
        return removed

    def recover(self) -> int:
        """Undo half-written articles left by a crash. Returns how many were removed."""
        pending = [r[0] for r in self._db.execute("SELECT id FROM articles WHERE state='pending'")]
        if pending:
            self._chroma_delete_articles(pending)
            with self._txn() as db:
                db.executemany("DELETE FROM articles WHERE id=?", [(i,) for i in pending])
                self._bump_generation(db)
        return len(pending)

    # -- reading ------------------------------------------------------------------------------

    def article_text(self, article_id: str) -> str:
        row = self._db.execute("SELECT text FROM articles WHERE id=?", (article_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no article with id {article_id!r}")
        return str(row[0])

    def article_meta(self, article_id: str) -> _ArticleMeta:
        meta = self._meta_cache.get(article_id)
        if meta is None:
            row = self._db.execute(
                "SELECT title, url, source, published FROM articles WHERE id=?", (article_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no article with id {article_id!r}")
            published = dt.date.fromisoformat(row[3]) if row[3] else None
            meta = _ArticleMeta(row[0], row[1], row[2], published)
            self._meta_cache[article_id] = meta
        return meta

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        """Passages for chunk ids (unknown ids are left out)."""
        out: dict[str, Passage] = {}
        for lo in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[lo : lo + 500])
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
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
        row = self._db.execute(
            "SELECT id FROM chunks WHERE article_id=? AND start<=? AND end>=? ORDER BY idx LIMIT 1",
            (article_id, start, end),
        ).fetchone()
        return self.passages([row[0]]).get(row[0]) if row else None

    def quotes_for(self, article_ids: Iterable[str]) -> list[Quote]:
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(
            f"SELECT q.article_id, q.speaker, q.start, q.end, q.direct, a.text FROM quotes q "
            f"JOIN articles a ON a.id = q.article_id WHERE q.article_id IN ({marks}) AND a.state='ready'",
            ids,
        ).fetchall()
        return [
            Quote(article_id=a, speaker=s, text=text[start:end], start=start, end=end, direct=bool(d))
            for a, s, start, end, d, text in rows
        ]

    def quotes_by_speaker(self, name: str, limit: int = 200) -> list[Quote]:
        rows = self._db.execute(
            "SELECT q.article_id, q.speaker, q.start, q.end, q.direct, a.text FROM quotes q "
            "JOIN articles a ON a.id = q.article_id WHERE a.state='ready' AND q.speaker LIKE ? LIMIT ?",
            (f"%{name}%", limit),
        ).fetchall()
        return [
            Quote(article_id=a, speaker=s, text=text[start:end], start=start, end=end, direct=bool(d))
            for a, s, start, end, d, text in rows
        ]

    def stats(self) -> dict[str, Any]:
        db = self._db
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
        size = sum(p.stat().st_size for p in self.settings.data_dir.rglob("*") if p.is_file())
        return {
            "articles": articles,
            "chunks": chunks,
            "vectors": self._collection.count(),
            "sources": {s or "unknown": n for s, n in sources},
            "published_from": first,
            "published_to": last,
            "undated_articles": undated or 0,
            "syndicated_copies": copies,
            "index_bytes": size,
            "data_dir": str(self.settings.data_dir),
            "chroma": self.settings.chroma_url or "embedded",
        }

    def list_articles(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT id, title, url, source, published, origin FROM articles WHERE state='ready' "
            "ORDER BY COALESCE(published, '') DESC, id LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        keys = ("id", "title", "url", "source", "published", "origin")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def ids_matching(
        self, *, source: str | None = None, before: dt.date | None = None
    ) -> list[str]:
        sql, args = "SELECT id FROM articles WHERE state='ready'", []
        if source is not None:
            sql += " AND source = ?"
            args.append(source)
        if before is not None:
            sql += " AND published IS NOT NULL AND published < ?"
            args.append(before.isoformat())
        return [r[0] for r in self._db.execute(sql, args)]

    def chunk_count(self) -> int:
        return int(self._collection.count())

    # -- dense search -------------------------------------------------------------------------

    def _dense_count(self, generation: int) -> int:
        if self._count[0] != generation:
            self._count = (generation, int(self._collection.count()))
        return self._count[1]

    def dense_search(self, vector: Sequence[float], k: int, filters: Filters) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first.

        Chroma's filtered queries cost ~1 s at 130k chunks (a metadata scan per query) against a few ms
        unfiltered, so a date window is handled here with the chunk dates kept with the lexical index:
        a window that holds every chunk costs nothing extra; a small one (a day, a week) is searched
        exactly over its own vectors; otherwise an unfiltered result is over-fetched (more as the
        window's share shrinks) and filtered. Chroma's ``where`` is the fallback when none survive.
        The BM25 side is filtered exactly."""
        self.lexical_index()  # keeps the chunk days current, and with them the generation
        n = self._dense_count(self._lexical_generation)
        if n == 0:
            return []
        mask = filters.day_mask(self._lexical_days)
        inside = n if mask is None else int(np.count_nonzero(mask))
        if inside == 0:
            return []
        if not filters.sources and (mask is None or inside == len(mask)):
            return self._chroma_query(vector, min(k, n), None)
        if mask is not None and inside <= EXACT_WINDOW:
            window = [self._lexical_ids[i] for i in np.flatnonzero(mask)]
            return self._only_sources(self._exact_query(vector, window), filters)[:k]
        share = inside / max(len(mask), 1) if mask is not None else 1.0
        fetch = int(min(max(k * DENSE_SURVIVORS / share * (4 if filters.sources else 1), 4 * k), DENSE_OVERFETCH, n))
        hits = self._chroma_query(vector, fetch, None)
        if mask is not None:  # a chunk the catalog doesn't date counts as undated
            rows = self._lexical_rows
            hits = [(cid, sim) for cid, sim in hits if (mask[rows[cid]] if cid in rows else filters.include_undated)]
        hits = self._only_sources(hits, filters)
        if hits or fetch >= n:
            return hits[:k]
        return self._chroma_query(vector, min(k, n), filters.chroma_where())  # nothing survived: ask Chroma

    def _only_sources(self, hits: list[tuple[str, float]], filters: Filters) -> list[tuple[str, float]]:
        if not filters.sources:
            return hits
        passages = self.passages([cid for cid, _ in hits])
        return [(cid, sim) for cid, sim in hits if cid in passages and passages[cid].source in filters.sources]

    def _exact_query(self, vector: Sequence[float], chunk_ids: list[str]) -> list[tuple[str, float]]:
        """Cosine similarity of ``vector`` to each of a few chunks, best first (no index involved)."""
        got = self._collection.get(ids=chunk_ids, include=["embeddings"])
        if not got["ids"]:
            return []
        matrix = np.asarray(got["embeddings"], dtype=np.float32)
        query = np.asarray(vector, dtype=np.float32)
        sims = matrix @ query / np.maximum(np.linalg.norm(matrix, axis=1) * np.linalg.norm(query), 1e-12)
        order = np.argsort(-sims, kind="stable")
        return [(got["ids"][i], float(sims[i])) for i in order]

    def _chroma_query(self, vector: Sequence[float], k: int, where: dict[str, Any] | None) -> list[tuple[str, float]]:
        result = self._collection.query(
            query_embeddings=[list(vector)], n_results=k, where=where, include=["distances"]
        )
        return [(cid, 1.0 - float(d)) for cid, d in zip(result["ids"][0], result["distances"][0], strict=True)]

    # -- lexical search -----------------------------------------------------------------------

    def _chunk_texts_for_lexical(self, ids: list[str], days: list[int]) -> Iterator[str]:
        """Each ready chunk's headline and text, in id order, appending its id and day number as it
        goes (a stream: the lexical build never holds every text)."""
        rows = self._db.execute(
            "SELECT c.id, a.title, substr(a.text, c.start + 1, c.end - c.start), a.published FROM chunks c "
            "JOIN articles a ON a.id=c.article_id WHERE a.state='ready' ORDER BY c.id"
        )
        for cid, title, text, published in rows:
            ids.append(cid)
            days.append(day_number(dt.date.fromisoformat(published)) if published else -1)
            yield f"{title}\n{text}"

    def lexical_index(self) -> tuple[Any, list[str]]:
        """The BM25 index over ready chunks, loaded or rebuilt to match the catalog's generation."""
        from assistant import lexical

        with self._lock:
            generation = self.generation()
            if self._lexical_generation != generation:
                loaded = lexical.load(self.settings.lexical_dir, generation)
                if loaded is None:
                    ids: list[str] = []
                    days: list[int] = []
                    index = lexical.build(self._chunk_texts_for_lexical(ids, days))
                    lexical.save(self.settings.lexical_dir, generation, index, ids, days)
                    loaded = (index, ids, days)
                self._lexical, self._lexical_ids, days = loaded
                self._lexical_days = np.asarray(days, dtype=np.int64)
                self._lexical_rows = {cid: row for row, cid in enumerate(self._lexical_ids)}
                self._lexical_generation = generation
            return self._lexical, self._lexical_ids

    def lexical_search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first, restricted to the filters' date window if any."""
        from assistant import lexical

        index, ids = self.lexical_index()
        if index is None:
            return []
        mask = filters.day_mask(self._lexical_days) if filters else None
        return [(ids[i], score) for i, score in lexical.search(index, query, k, mask)]

    def close(self) -> None:
        self._db.close()
