"""BM25 lexical index (bm25s) over chunk texts, saved with the catalog generation it was built from."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from assistant.text import terms

__all__ = ["LexicalIndex", "build", "save", "load", "search", "idf"]


def build(texts: Iterable[str]) -> Any:
    """A BM25 index of the texts in order, or None for none. Streams: each text is turned into term
    numbers as it comes, so the whole corpus never sits in memory as strings (at 112k chunks the
    lists of term strings alone took ~0.3 GB)."""
    import bm25s

    vocab: dict[str, int] = {}
    docs: list[list[int]] = []
    for text in texts:
        docs.append([vocab.setdefault(t, len(vocab)) for t in (terms(text) or [""])])
    if not docs:
        return None
    vocab.setdefault("", len(vocab))  # what a document with no terms is indexed under
    index = bm25s.BM25()
    index.index((docs, vocab), show_progress=False)
    return index


def save(directory: Path, generation: int, index: Any, ids: list[str], days: list[int]) -> None:
    """Write atomically: a new folder, then rename over the old one."""
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if index is not None:
        index.save(str(tmp / "bm25"), show_progress=False)
    (tmp / "ids.json").write_text(json.dumps({"generation": generation, "ids": ids, "days": days}))
    old = directory.with_name(directory.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)


def load(directory: Path, generation: int) -> tuple[Any, list[str], list[int]] | None:
    """The saved index if it was built from ``generation``, else None."""
    meta_path = directory / "ids.json"
    if not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return None
    if meta.get("generation") != generation:
        return None
    ids: list[str] = meta["ids"]
    days: list[int] = meta.get("days", [-1] * len(ids))
    if not ids:
        return None, ids, days
    import bm25s

    try:
        index = bm25s.BM25.load(str(directory / "bm25"), show_progress=False)
    except (OSError, ValueError):
        return None
    return index, ids, days


def search(index: Any, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(document number, BM25 score) best first; documents with score 0 (or masked out) are left out."""
    q = [t for t in terms(query) if t in index.vocab_dict]
    if not q:
        return []
    scores = index.get_scores(q)
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top])]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def idf(index: Any, term: str) -> float:
    """Inverse document frequency of a (stemmed) term; unseen terms get the highest value."""
    n_docs = max(int(getattr(index, "scores", {}).get("num_docs", 1)), 1)
    tid = index.vocab_dict.get(term) if index is not None else None
    if tid is None:
        df = 0.5
    else:
        indptr = index.scores["indptr"]
        df = max(int(indptr[tid + 1] - indptr[tid]), 1)
    return float(np.log(1.0 + n_docs / df))


class LexicalIndex:
    """The BM25 index of one data dir, loaded or rebuilt to match the catalog's generation.

    ``texts`` streams each ready chunk's indexed text in id order, appending its id and day number
    to the lists it is given (see :meth:`assistant.index.catalog.Catalog.lexical_texts`)."""

    def __init__(self, directory: Path, texts: Callable[[list[str], list[int]], Iterator[str]]) -> None:
        self.directory = directory
        self._texts = texts
        self._lock = threading.RLock()
        self.index: Any = None
        self.ids: list[str] = []
        self.days = np.zeros(0, dtype=np.int64)
        self.generation = -1

    def at(self, generation: int) -> LexicalIndex:
        """This index as of ``generation``: loaded from disk, or rebuilt and saved when stale."""
        with self._lock:
            if self.generation != generation:
                loaded = load(self.directory, generation)
                if loaded is None:
                    ids: list[str] = []
                    days: list[int] = []
                    index = build(self._texts(ids, days))
                    save(self.directory, generation, index, ids, days)
                    loaded = (index, ids, days)
                self.index, self.ids, days = loaded
                self.days = np.asarray(days, dtype=np.int64)
                self.generation = generation
            return self

    def search(self, query: str, k: int, mask_of: Callable[[np.ndarray], np.ndarray | None]) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; ``mask_of(days)`` restricts it to a date window."""
        if self.index is None:
            return []
        return [(self.ids[i], score) for i, score in search(self.index, query, k, mask_of(self.days))]

    def idf(self, term: str) -> float:
        return idf(self.index, term) if self.index is not None else 1.0
