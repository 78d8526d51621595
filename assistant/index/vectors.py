"""Dense vectors in Chroma (embedded, or a ``chroma run`` server), and the dense search strategy.

Chroma's filtered queries cost ~1 s at 130k chunks (a metadata scan per query) against a few ms
unfiltered, so a date window is handled here with the chunk dates the caller passes in: a window
that holds every chunk costs nothing extra; a small one (a day, a week) is searched exactly over
its own vectors; otherwise an unfiltered result is over-fetched (more as the window's share
shrinks) and filtered. Chroma's ``where`` is the fallback when none survive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.errors import IndexError_
from assistant.index.catalog import Item
from assistant.index.filters import Filters, day_number

__all__ = ["Vectors", "ChunkDays"]

DENSE_OVERFETCH = 2000  # most unfiltered HNSW neighbours to post-filter by date (~18 ms at 130k chunks)
DENSE_SURVIVORS = 3  # over-fetch so that about this many times k neighbours fall inside the window
EXACT_WINDOW = 500  # a window of at most this many chunks is searched exactly (~40 ms to fetch 500 vectors)

Hits = list[tuple[str, float]]


@dataclass
class ChunkDays:
    """Ready chunk ids (in id order) and their stories' days, as of one catalog generation."""

    generation: int
    ids: list[str]
    days: np.ndarray

    def __post_init__(self) -> None:
        self.rows = {cid: row for row, cid in enumerate(self.ids)}


class Vectors:
    """One Chroma collection; opened on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._collection: Any = None
        self._opening = threading.Lock()
        self._count: tuple[int, int] = (-1, 0)  # (generation, Chroma count): count() costs ~15 ms at 130k

    @property
    def collection(self) -> Any:
        """The collection, opened once: concurrent first requests wait for one opening (two clients made
        at once for one path race inside chromadb and one of them fails)."""
        if self._collection is None:
            with self._opening:
                if self._collection is None:
                    self._collection = self._open()
        return self._collection

    def _open(self) -> Any:
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

    # -- writing ------------------------------------------------------------------------------

    def upsert(self, items: Sequence[Item]) -> None:
        ids: list[str] = []
        embeddings: list[np.ndarray] = []
        metadatas: list[dict[str, Any]] = []
        for article, chunks, vectors, _ in items:
            for chunk, vector in zip(chunks, vectors, strict=True):
                ids.append(chunk.id)
                embeddings.append(vector)
                metadatas.append({"article_id": article.id, "idx": chunk.index,
                                  "published_day": day_number(article.published), "source": article.source or ""})
        step = 2000
        for lo in range(0, len(ids), step):
            self.collection.upsert(
                ids=ids[lo : lo + step],
                embeddings=np.asarray(embeddings[lo : lo + step], dtype=np.float32),
                metadatas=metadatas[lo : lo + step],
            )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        """Remove these chunks' vectors (ids Chroma does not have are skipped)."""
        for lo in range(0, len(chunk_ids), 500):
            self.collection.delete(ids=list(chunk_ids[lo : lo + 500]))

    # -- reading ------------------------------------------------------------------------------

    def get(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks (those Chroma has)."""
        got = self.collection.get(ids=chunk_ids, include=["embeddings"])
        return {cid: np.asarray(v, dtype=np.float32) for cid, v in zip(got["ids"], got["embeddings"], strict=True)}

    def ids(self) -> list[str]:
        return list(self.collection.get(include=[])["ids"])

    def count(self, generation: int | None = None) -> int:
        """How many vectors; cached per catalog generation when one is given."""
        if generation is None:
            return int(self.collection.count())
        if self._count[0] != generation:
            self._count = (generation, int(self.collection.count()))
        return self._count[1]

    def search(self, vector: Sequence[float], k: int, filters: Filters, dates: ChunkDays,
               only_sources: Callable[[Hits, Filters], Hits]) -> Hits:
        """(chunk id, cosine similarity) best first, inside the filters' window (see module docstring).
        ``only_sources`` keeps the hits from the filters' outlets (the catalog knows them)."""
        n = self.count(dates.generation)
        if n == 0:
            return []
        mask = filters.day_mask(dates.days)
        inside = n if mask is None else int(np.count_nonzero(mask))
        if inside == 0:
            return []
        if not filters.sources and (mask is None or inside == len(mask)):
            return self.query(vector, min(k, n), None)
        if mask is not None and inside <= EXACT_WINDOW:
            window = [dates.ids[i] for i in np.flatnonzero(mask)]
            return only_sources(self._exact_query(vector, window), filters)[:k]
        share = inside / max(len(mask), 1) if mask is not None else 1.0
        fetch = int(min(max(k * DENSE_SURVIVORS / share * (4 if filters.sources else 1), 4 * k), DENSE_OVERFETCH, n))
        hits = self.query(vector, fetch, None)
        if mask is not None:  # a chunk the catalog doesn't date counts as undated
            rows = dates.rows
            hits = [(cid, sim) for cid, sim in hits if (mask[rows[cid]] if cid in rows else filters.include_undated)]
        hits = only_sources(hits, filters)
        if hits or fetch >= n:
            return hits[:k]
        return self.query(vector, min(k, n), filters.chroma_where())  # nothing survived: ask Chroma

    def _exact_query(self, vector: Sequence[float], chunk_ids: list[str]) -> Hits:
        """Cosine similarity of ``vector`` to each of a few chunks, best first (no index involved)."""
        got = self.collection.get(ids=chunk_ids, include=["embeddings"])
        if not got["ids"]:
            return []
        matrix = np.asarray(got["embeddings"], dtype=np.float32)
        query = np.asarray(vector, dtype=np.float32)
        sims = matrix @ query / np.maximum(np.linalg.norm(matrix, axis=1) * np.linalg.norm(query), 1e-12)
        order = np.argsort(-sims, kind="stable")
        return [(got["ids"][i], float(sims[i])) for i in order]

    def query(self, vector: Sequence[float], k: int, where: dict[str, Any] | None) -> Hits:
        """Chroma's own nearest neighbours, optionally with its metadata filter."""
        result = self.collection.query(query_embeddings=[list(vector)], n_results=k, where=where,
                                       include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(result["ids"][0], result["distances"][0], strict=True)]
