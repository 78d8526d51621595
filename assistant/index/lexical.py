"""The main BM25 index (bm25s) over every ready chunk as of one catalog generation, saved in the data dir.

What changed since it was built is kept beside it by :mod:`assistant.index.delta`; both are kept in
step with the catalog by :mod:`assistant.index.lexical_live`.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from assistant.text import terms

__all__ = ["LexicalRows", "Main", "build", "save", "load", "search", "idf", "lucene_idf", "K1", "B"]

K1, B = 1.5, 0.75  # bm25s's defaults (its "lucene" variant), used for chunks scored outside it


@dataclass
class LexicalRows:
    """Chunk ids, their articles and day numbers, in the order their texts are indexed."""

    ids: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    days: list[int] = field(default_factory=list)

    def add(self, chunk_id: str, article_id: str, day: int) -> None:
        self.ids.append(chunk_id)
        self.articles.append(article_id)
        self.days.append(day)


@dataclass
class Main:
    """A bm25s index (None when there were no chunks) of the ready chunks as of ``generation``, with
    each chunk's article, day and length (what scoring changes beside it needs)."""

    generation: int
    index: Any
    ids: list[str]
    articles: list[str]
    days: np.ndarray
    lengths: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)

    @cached_property
    def total_length(self) -> int:
        return int(self.lengths.sum())

    @cached_property
    def rows_of(self) -> dict[str, list[int]]:
        """Article id -> its chunks' row numbers (made on the first change)."""
        rows: dict[str, list[int]] = {}
        for row, article_id in enumerate(self.articles):
            rows.setdefault(article_id, []).append(row)
        return rows

    def posting(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, precomputed BM25 scores) of the chunks holding ``term``, or None."""
        tid = self.index.vocab_dict.get(term) if self.index is not None else None
        if tid is None:
            return None
        lo, hi = self.index.scores["indptr"][tid : tid + 2]
        return self.index.scores["indices"][lo:hi], self.index.scores["data"][lo:hi]


def build(generation: int, texts_of: Callable[[LexicalRows], Iterator[str]]) -> Main:
    """The main index of the texts ``texts_of(rows)`` streams (filling ``rows`` as it goes). Each text
    is turned into term numbers as it comes, so the corpus never sits in memory as strings (at 112k
    chunks the lists of term strings alone took ~0.3 GB)."""
    import bm25s

    rows = LexicalRows()
    vocab: dict[str, int] = {}
    docs: list[list[int]] = []
    for text in texts_of(rows):
        docs.append([vocab.setdefault(t, len(vocab)) for t in (terms(text) or [""])])
    lengths = np.asarray([len(d) for d in docs], dtype=np.int64)
    index = None
    if docs:
        vocab.setdefault("", len(vocab))  # what a document with no terms is indexed under
        index = bm25s.BM25(k1=K1, b=B)
        index.index((docs, vocab), show_progress=False)
    return Main(generation, index, rows.ids, rows.articles, np.asarray(rows.days, dtype=np.int64), lengths)


def save(directory: Path, main: Main) -> None:
    """Write atomically: a new folder, then rename over the old one."""
    tmp = directory.with_name(f"{directory.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if main.index is not None:
        main.index.save(str(tmp / "bm25"), show_progress=False)
    (tmp / "ids.json").write_text(json.dumps({
        "generation": main.generation, "ids": main.ids, "articles": main.articles,
        "days": main.days.tolist(), "lengths": main.lengths.tolist()}))
    old = directory.with_name(f"{directory.name}.old{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)


def load(directory: Path) -> Main | None:
    """The saved index (of whichever generation), or None when there is none that can be read."""
    try:
        meta = json.loads((directory / "ids.json").read_text())
        ids, articles, lengths = meta["ids"], meta["articles"], meta["lengths"]
    except (OSError, ValueError, KeyError):  # missing, torn, or saved before articles were kept
        return None
    index = None
    if ids:
        import bm25s

        try:
            index = bm25s.BM25.load(str(directory / "bm25"), show_progress=False)
        except (OSError, ValueError):
            return None
    return Main(int(meta["generation"]), index, ids, articles, np.asarray(meta["days"], dtype=np.int64),
                np.asarray(lengths, dtype=np.int64))


def search(index: Any, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(document number, BM25 score) best first; documents with score 0 (or masked out) are left out."""
    q = [t for t in terms(query) if t in index.vocab_dict]
    if not q:
        return []
    return top_k(index.get_scores(q), k, mask)


def top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    k = min(k, len(scores))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top])]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def lucene_idf(df: float, n_docs: float) -> float:
    """bm25s's IDF (the "lucene" variant), the weight its precomputed scores carry."""
    return float(np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)))


def idf(n_docs: int, df: float) -> float:
    """Inverse document frequency as the extractive answerer weighs terms; pass df 0.5 for unseen terms."""
    return float(np.log(1.0 + max(n_docs, 1) / df))

