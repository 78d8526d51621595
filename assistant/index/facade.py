"""The index of one data directory: the catalog (source of truth), Chroma vectors and BM25.

Writing articles is a three-step protocol, so that a crash or SIGKILL at any point loses nothing that
was ready before it and readers always see each story whole, in its old version or its new one:

1. catalog transaction: the chunk ids of the new versions are recorded as this writer's vectors in
   flight (:mod:`assistant.index.inflight`); nothing a reader sees changes;
2. Chroma: the new vectors are upserted beside the old ones (a chunk id names one version of a story);
3. catalog transaction: each new version replaces the old one whole (:mod:`assistant.index.swap`), the
   old version's chunk ids are recorded as vectors to remove, and the catalog generation is bumped;

then the vectors nothing uses any more are removed from Chroma and the writer's records cleared.
Deleting is steps 3 and after: one transaction removes the stories and records their vectors, which are
removed next. Readers see the catalog's ready chunks only (dense hits are mapped through it), so vectors
in flight are never seen. ``recover`` removes the vectors that writers which are gone (crashed, killed)
left in flight and nothing uses; writers (ingest, delete) call it before they write; another live
writer's are left to it (see :mod:`assistant.index.writers`). The lexical index and the chunk dates used
for date windows are derived from the ready chunks and brought up to date whenever the catalog's
generation moves, from its change log (so several serving processes sharing one catalog follow each
other's writes: see :mod:`assistant.index.lexical_live`). Constructing an Index does nothing: the
catalog and Chroma open on first use.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.index.catalog import ArticleMeta, Catalog, Item
from assistant.index.claims import Claims, Lost
from assistant.index.filters import Filters
from assistant.index.lexical_live import LexicalIndex
from assistant.index.requote import Extract, requote
from assistant.index.vectors import ChunkDays, Hits, Vectors
from assistant.models import Article, Chunk, Passage, Quote

__all__ = ["Index"]


class Index:
    """Catalog + Chroma + lexical index for one data directory (or one Chroma server collection)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.catalog = Catalog(settings.catalog_location)
        self.vectors = Vectors(settings)
        self.lexical = LexicalIndex(settings.lexical_dir, self.catalog)
        self._dates = ChunkDays(-1, [], np.zeros(0, dtype=np.int64))
        self._dates_version = -1
        self._lock = threading.RLock()
        self._writing = threading.Lock()  # one write at a time per Index: recovery then never meets its own

    # -- writing ------------------------------------------------------------------------------

    def add(self, article: Article, chunks: Sequence[Chunk], vectors: np.ndarray, quotes: Sequence[Quote] = ()) -> None:
        """Write (or replace) one article with its chunks, their vectors and its quotes."""
        self.add_many([(article, chunks, vectors, quotes)])

    def add_many(self, items: Sequence[Item], claims: Claims | None = None) -> Lost:
        """Write several articles with the protocol of the module docstring.

        With ``claims`` (an ingest's), the new articles (those carrying a MinHash signature) are checked
        once more at step 3 against what other writers made ready meanwhile; the ones that turn out to be
        copies are recorded as such and not written: they are returned, each with the article that keeps
        its text (see :mod:`assistant.index.claims`)."""
        if not items:
            return {}
        with self._writing:
            self.catalog.write_pending(items)
            self.vectors.upsert(items)
            lost = self.catalog.mark_ready(items, claims)
            self._settle(sorted({a.id for a, *_ in items}))
        return lost

    def delete_articles(self, article_ids: Sequence[str]) -> int:
        """Delete articles everywhere. Returns how many existed."""
        if not article_ids:
            return 0
        with self._writing:
            removed = self.catalog.remove(article_ids)
            self._settle(sorted(set(article_ids)))
        return removed

    def _settle(self, article_ids: Sequence[str]) -> None:
        """Remove this writer's vectors of these articles that nothing uses now, then its records of them."""
        self.vectors.delete(self.catalog.unused_vectors(article_ids))
        self.catalog.settled(article_ids)

    def recover(self) -> int:
        """Remove what writers that are gone left in flight (another live writer's is left to it, see
        :mod:`assistant.index.writers`); what was ready stays as it was. Returns how many vectors it removed."""
        with self._writing:
            unused, writers = self.catalog.leftovers()
            self.vectors.delete(unused)
            self.catalog.forget_writers(writers)
        return len(unused)

    def add_copies(self, copies: Sequence[tuple[str, Article, float]]) -> None:
        self.catalog.add_copies(copies)

    def stored_vectors(self, article_id: str) -> dict[str, np.ndarray]:
        """The vectors of an article's current chunks keyed by the text that was embedded, so an
        edited article re-embeds only the chunks that changed."""
        rows = self.catalog.embedding_texts(article_id)
        if not rows:
            return {}
        by_id = self.vectors.get([cid for cid, _ in rows])
        return {text: by_id[cid] for cid, text in rows if cid in by_id}

    # -- reading: the catalog ------------------------------------------------------------------

    def generation(self) -> int:
        return self.catalog.generation()

    def find_by_text_hash(self, text_hash: str) -> str | None:
        return self.catalog.find_by_text_hash(text_hash)

    def article_hash(self, article_id: str) -> str | None:
        return self.catalog.article_hash(article_id)

    def embedding_texts(self, article_id: str | None = None) -> list[tuple[str, str]]:
        return self.catalog.embedding_texts(article_id)

    def signatures(self) -> Iterator[tuple[str, np.ndarray]]:
        return self.catalog.signatures()

    def copies_of(self, article_id: str) -> list[dict[str, Any]]:
        return self.catalog.copies_of(article_id)

    def article_text(self, article_id: str) -> str:
        return self.catalog.article_text(article_id)

    def article_meta(self, article_id: str) -> ArticleMeta:
        return self.catalog.article_meta(article_id)

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        return self.catalog.passages(chunk_ids)

    def passages_for_span(self, article_id: str, start: int, end: int) -> Passage | None:
        return self.catalog.passages_for_span(article_id, start, end)

    def quotes_for(self, article_ids: Iterable[str]) -> list[Quote]:
        return self.catalog.quotes_for(article_ids)

    def requote(self, rules: str, extract: Extract, progress: bool = False) -> int:
        """Read every story's quotes again when they were found by other rules (see :mod:`.requote`)."""
        return requote(self.catalog, rules, extract, progress)

    def list_articles(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        return self.catalog.list_articles(limit, offset)

    def ids_matching(self, *, source: str | None = None, before: dt.date | None = None) -> list[str]:
        return self.catalog.ids_matching(source=source, before=before)

    def stats(self) -> dict[str, Any]:
        counts = self.catalog.counts()
        size = sum(p.stat().st_size for p in self.settings.data_dir.rglob("*") if p.is_file())
        return {
            "articles": counts["articles"],
            "chunks": counts["chunks"],
            "vectors": self.vectors.count(),
            "sources": counts["sources"],
            "published_from": counts["published_from"],
            "published_to": counts["published_to"],
            "undated_articles": counts["undated_articles"],
            "syndicated_copies": counts["syndicated_copies"],
            "index_bytes": size,
            "data_dir": str(self.settings.data_dir),
            "chroma": self.settings.chroma_url or "embedded",
        }

    def chunk_count(self) -> int:
        return self.vectors.count()

    # -- search -------------------------------------------------------------------------------

    def chunk_days(self) -> ChunkDays:
        """Chunk dates for date windows: the lexical index's chunks, so they follow the catalog with it."""
        lexical = self.lexical_index()
        with self._lock:
            if self._dates_version != lexical.version:
                version, generation, ids, days = lexical.rows()
                self._dates, self._dates_version = ChunkDays(generation, ids, days), version
            return self._dates

    def refresh(self) -> None:
        """Follow the catalog now (a serving replica calls this every second, so requests rarely wait)."""
        self.chunk_days()

    def dense_search(self, vector: Sequence[float], k: int, filters: Filters) -> Hits:
        """(chunk id, cosine similarity) best first, within the filters (see :mod:`assistant.index.vectors`)."""
        return self.vectors.search(vector, k, filters, self.chunk_days(), self._only_sources)

    def _only_sources(self, hits: Hits, filters: Filters) -> Hits:
        if not filters.sources:
            return hits
        passages = self.passages([cid for cid, _ in hits])
        return [(cid, sim) for cid, sim in hits if cid in passages and passages[cid].source in filters.sources]

    def lexical_index(self) -> LexicalIndex:
        """The BM25 index over ready chunks, as of the catalog's generation (or later)."""
        return self.lexical.at(self.catalog.generation())

    def lexical_search(self, query: str, k: int, filters: Filters | None = None) -> Hits:
        """(chunk id, BM25 score) best first, restricted to the filters' date window if any."""
        return self.lexical_index().search(query, k, lambda days: filters.day_mask(days) if filters else None)

    def close(self) -> None:
        self.catalog.close()
