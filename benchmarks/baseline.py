"""A naive retrieval-and-answer pipeline to compare ``newsdesk eval`` against: plain BM25 (bm25s with its
own tokenizer) over fixed 1,000-character chunks, no embeddings, no recency; the answer is the first two
sentences of the top chunk, never a refusal. If newsdesk cannot beat this, its machinery is not earning
its keep.

Like newsdesk, it is asked on the question's day: a story published after that day was not there to
find (about a tenth of the RealTime QA stories postdate a question, often its follow-ups, which name the
answer), so it is left out; undated stories stay. That is its one use of dates."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from benchmarks.evaluation import EvalResult, as_date, for_each_question, fresh_hit_rank, hit_ranks, is_stale

__all__ = ["baseline_eval", "chunk_spans", "naive_answer", "read_articles"]

CHUNK_CHARS = 1000
OVERLAP_CHARS = 200
TOP_K = 10
SUMMARY_KEYS = ("questions", "chunk_answer_hit", "article_answer_hit", "fresh_chunk_answer_hit", "mrr@10", "answer_recall",
                "answer_f1", "mean_answer_words", "stale_rate", "stale_answered")


def read_articles(path: Path) -> Iterator[dict[str, Any]]:
    """Article objects from a JSONL file, gzipped when the name ends in .gz."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def chunk_spans(length: int, size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[tuple[int, int]]:
    """(start, end) of fixed-size windows over a text, each overlapping the previous by ``overlap``."""
    spans, start = [], 0
    while start < length:
        spans.append((start, min(start + size, length)))
        if start + size >= length:
            break
        start += size - overlap
    return spans


def naive_answer(chunk: str) -> str:
    """The first two sentences of a chunk, split naively on '. '."""
    parts = chunk.strip().split(". ")
    return ". ".join(parts[:2]) + ("." if len(parts) > 2 else "")


@dataclass
class _Corpus:
    """The chunks as (article number, start, end) offsets into the article texts, so chunk strings need
    not stay in memory once indexed."""

    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    published: list[str | None] = field(default_factory=list)
    spans: list[tuple[int, int, int]] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)
    chunk_days: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per chunk, its story's day; -1 undated

    def after(self, day: dt.date) -> np.ndarray:
        """Which chunks belong to a story published after ``day``."""
        return self.chunk_days > day.toordinal()

    def chunk_text(self, i: int) -> str:
        a, start, end = self.spans[i]
        return self.texts[a][start:end]

    def article_text(self, article_id: str) -> str:
        return self.texts[self.position[article_id]]


def _load(articles_path: Path) -> _Corpus:
    corpus = _Corpus()
    for n, art in enumerate(read_articles(articles_path)):
        article_id = str(art.get("id") or n)
        corpus.position[article_id] = len(corpus.ids)
        corpus.ids.append(article_id)
        corpus.texts.append(art.get("text") or "")
        corpus.published.append(art.get("published"))
        corpus.spans += [(len(corpus.ids) - 1, s, e) for s, e in chunk_spans(len(corpus.texts[-1]))]
    days = [d.toordinal() if (d := as_date(p)) else -1 for p in corpus.published]  # undated: -1, never later
    corpus.chunk_days = np.asarray([days[a] for a, _, _ in corpus.spans], dtype=np.int64)
    return corpus


def _build(corpus: _Corpus, progress: bool) -> Any:
    import bm25s

    tokens = bm25s.tokenize([corpus.chunk_text(i) for i in range(len(corpus.spans))], stopwords="en",
                            show_progress=progress)
    index = bm25s.BM25()
    index.index(tokens, show_progress=progress)
    return index


def _retrieve(index: Any, question: str, n_chunks: int, hidden: np.ndarray | None = None) -> list[int]:
    """Chunk numbers best first; chunks scoring 0, and the ``hidden`` ones (a mask), are left out."""
    import bm25s

    query = [t for t in bm25s.tokenize(question, stopwords="en", return_ids=False, show_progress=False)[0]
             if t in index.vocab_dict]
    if not query or not n_chunks:
        return []
    scores = index.get_scores(query)
    if hidden is not None:
        scores = np.where(hidden, 0.0, scores)
    k = min(TOP_K, n_chunks)
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [int(i) for i in top if scores[i] > 0]


def baseline_eval(articles_path: Path, questions: list[dict[str, Any]], *,
                  progress: bool | Literal["lines"] = False) -> dict[str, Any]:
    """Score the naive pipeline on ``questions`` (already filtered, as for ``evaluate``) with the same
    figures as newsdesk where they apply; the stale share counts the top chunk's article date.
    ``progress`` as for ``evaluate``: a bar, plain lines (for a log), or nothing."""
    t0 = time.perf_counter()
    corpus = _load(articles_path)
    index = _build(corpus, progress is True) if corpus.spans else None
    index_s = time.perf_counter() - t0
    result = EvalResult()
    for_each_question(questions, lambda q: _baseline_one(q, corpus, index, result), progress, label="baseline")
    summary = result.summary()
    return {**{key: summary[key] for key in SUMMARY_KEYS}, "retrieval_ms": summary["retrieval_ms"],
            "index": {"articles": len(corpus.ids), "chunks": len(corpus.spans), "index_s": round(index_s, 1)}}


def _baseline_one(q: dict[str, Any], corpus: _Corpus, index: Any, result: EvalResult) -> None:
    """Retrieve and answer one question on its own day, and fold it into ``result``."""
    asked = dt.date.fromisoformat(q["date"])
    golds = [g for g in q.get("answers", []) if g]
    t1 = time.perf_counter()
    top = _retrieve(index, q["question"], len(corpus.spans), corpus.after(asked)) if index is not None else []
    result.retrieval_ms.append((time.perf_counter() - t1) * 1000)
    chunks = [(corpus.ids[corpus.spans[i][0]], corpus.chunk_text(i)) for i in top]
    result.add_ranks(*hit_ranks(chunks, golds, corpus.article_text),
                     fresh_hit_rank(((corpus.published[corpus.spans[i][0]], corpus.chunk_text(i)) for i in top),
                                    golds, asked))
    first_published = corpus.published[corpus.spans[top[0]][0]] if top else None
    result.add_prediction(naive_answer(chunks[0][1]) if chunks else "", golds,
                          stale=is_stale(first_published, asked))
    result.n += 1
