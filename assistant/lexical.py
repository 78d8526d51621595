"""BM25 lexical index (bm25s) over chunk texts, saved with the catalog generation it was built from."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.text import terms

__all__ = ["build", "save", "load", "search"]


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
