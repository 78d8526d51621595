"""Hybrid retrieval: Chroma dense search + BM25 lexical search, fused by reciprocal rank, with
date/source filters and a per-article cap so one long story cannot fill the context."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TypeVar

from langchain_core.embeddings import Embeddings

from assistant.config import Settings
from assistant.index import Filters, Index
from assistant.models import Passage
from assistant.question import Question, TimeFrame
from assistant.question.timeframe import day_before
from assistant.retrieval.rerank import PoolContext, load_reranker, reranked

__all__ = ["HybridSearch", "RRF_K", "effective_filters", "capped"]

T = TypeVar("T")

RRF_K = 60
UNDATED_IN_WINDOW = 0.7  # an undated story can still answer a "last week" question, after dated ones
LATEST_WEIGHT = 2.0  # recency weight for "latest", "recently", "now" questions


def effective_filters(explicit: Filters, timeframe: TimeFrame | None, as_of: dt.date | None) -> Filters:
    """Explicit filters win; else the question's time window (undated kept); never after ``as_of``."""
    if explicit.dated:
        until = explicit.until
        if as_of and (until is None or until > as_of):
            until = as_of
        return replace(explicit, until=until)
    since = timeframe.since if timeframe else None
    until = timeframe.until if timeframe else None
    if as_of and (until is None or until > as_of):
        until = as_of
    if since is None and until is None:
        return explicit
    return Filters(since=since, until=until, sources=explicit.sources, include_undated=True)


class HybridSearch:
    """Dense + lexical retrieval over a :class:`Index`."""

    def __init__(self, store: Index, embedder: Embeddings, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.last_timings: dict[str, float] = {}

    def search(
        self, question: Question, k: int | None = None, filters: Filters | None = None, *,
        per_article_cap: int | None = None,
    ) -> list[Passage]:
        """The k best passages for ``question`` (its standalone text), best first.

        ``filters`` are strict (explicit --since/--until/--source). ``timeframe`` (read from the
        question) is a strong preference (``settings.window_weight``): stories inside its window rank
        first, a story just outside it can still answer when nothing inside does, undated stories come
        after the window's. With ``window_weight`` 0 the window is strict (undated stories kept, ranked
        lower). Newer stories rank higher for a "latest" question, and mildly
        (``settings.recency_weight``) for one with no time words. The learned reranker
        (:mod:`assistant.retrieval.rerank`) then orders the best ``settings.rerank_pool`` of them.
        Nothing published after ``as_of`` is returned.
        """
        k = k or self.settings.top_k
        pool, ctx = self.candidates(question, filters, max(4 * k, 40, self.settings.rerank_pool))
        t0 = time.perf_counter()
        if self.settings.rerank_pool > 0:
            head = reranked(load_reranker(), ctx, pool[: self.settings.rerank_pool])
            pool = head + pool[self.settings.rerank_pool:]
        out = capped(pool, k, per_article_cap or self.settings.per_article_cap, lambda p: p.article_id)
        self.last_timings["rerank_ms"] = (time.perf_counter() - t0) * 1000
        return out

    def candidates(self, question: Question, filters: Filters | None, n_pool: int) -> tuple[list[Passage], PoolContext]:
        """The best ``n_pool`` fused candidates (date preference applied, strict filters kept), best first,
        each with its fused ``score`` and raw ``scores``; and what the reranker needs to know of the search."""
        query, timeframe, as_of = question.standalone, question.timeframe, question.as_of
        explicit = filters or Filters()
        window = self.preferred_window(timeframe, explicit)
        filters = effective_filters(explicit, None if window else timeframe, as_of)
        recency = self._recency_weight(timeframe, filters)
        n = self.settings.candidates
        t0 = time.perf_counter()
        vector = self.embedder.embed_query(query)
        t1 = time.perf_counter()
        lists = [self._ranked(query, vector, n, filters)]
        # the window's own best, which a search of everything may not reach; with no window, the best of
        # the last days before as_of when the question is about now (a recent story must get a chance)
        near = window or (self._present(as_of) if recency and not explicit.dated else None)
        if near is not None:
            inside = effective_filters(explicit, near, as_of)
            lists.append(self._ranked(query, vector, n, replace(inside, include_undated=False)))
        t2 = time.perf_counter()

        fused, parts = _fuse(lists)
        ordered = sorted(fused, key=lambda c: -fused[c])
        passages = self.store.passages(ordered[:n_pool])
        reference = as_of or dt.date.today()
        for cid, p in passages.items():
            fused[cid] *= self._date_preference(p, window, filters, recency, reference)
        pool = [passages[cid] for cid in sorted(passages, key=lambda c: -fused[c])
                if filters.accepts(passages[cid].published, passages[cid].source)]
        for p in pool:
            p.score, p.scores = fused[p.chunk_id], parts[p.chunk_id]
        self.last_timings = {
            "embed_ms": (t1 - t0) * 1000,
            "search_ms": (t2 - t1) * 1000,
            "fuse_ms": (time.perf_counter() - t2) * 1000,
        }
        ctx = PoolContext(question, self.store.lexical_index().idf, about_now=bool(recency), window=window)
        return pool, ctx

    def _recency_weight(self, timeframe: TimeFrame | None, filters: Filters) -> float:
        """"latest" weighs recency strongly; a question with no time words mildly (settings.recency_weight);
        a question with a window ("last week", "in 2023") not at all: the window already says when."""
        if timeframe and timeframe.recent:
            return LATEST_WEIGHT
        if (timeframe is None or timeframe.empty) and not filters.since:
            return self.settings.recency_weight
        return 0.0

    def _date_preference(self, p: Passage, window: TimeFrame | None, filters: Filters, recency: float,
                         reference: dt.date) -> float:
        """The factor a passage's date multiplies its fused score by: inside the preferred window (fading
        outside it), undated in a dated search, or newer for a question about now."""
        if window is not None:
            gap = window.days_outside(p.published)
            if gap is None:
                return 1.0
            return 1.0 + self.settings.window_weight * math.exp(-gap / self.settings.window_days)
        if p.published is None and filters.dated:
            return UNDATED_IN_WINDOW
        if recency and p.published is not None:
            age = max((reference - p.published).days, 0)
            return 1.0 + recency * math.exp(-age / self.settings.recency_days)
        return 1.0

    def present_frame(self, question: Question, explicit: Filters | None) -> TimeFrame | None:
        """The days a question about now is to be answered from (``settings.present_days`` before
        ``as_of``): for a question with no time window of its own, one asking for the latest, or one whose
        window lies within those days ("this week", "since Monday"), with no explicit dates, of a
        collection that holds stories from those days. A question about the past ("in 2019") has none;
        nor does an archive that ends years before ``as_of``: it is asked about its own latest stories."""
        window = question.timeframe if question.timeframe is not None and question.timeframe.window else None
        if explicit and explicit.dated:
            return None
        present = self._present(question.as_of)
        if present is None or (window is not None and not _within(window, present)):
            return None
        recent = Filters(since=present.since, until=present.until).day_mask(self.store.chunk_days().days)
        return present if recent is not None and bool(recent.any()) else None

    def _present(self, as_of: dt.date | None) -> TimeFrame | None:
        """The days a question about now is drawn from (``settings.present_days`` before ``as_of``)."""
        if as_of is None or self.settings.present_days <= 0:
            return None
        return TimeFrame(since=day_before(as_of, self.settings.present_days), until=as_of)

    def preferred_window(self, timeframe: TimeFrame | None, explicit: Filters | None) -> TimeFrame | None:
        """The question's time window when it is a preference rather than a filter: it has one, no
        explicit dates were given (those are strict), and ``settings.window_weight`` is not 0."""
        if (timeframe is None or not timeframe.window or (explicit is not None and explicit.dated)
                or self.settings.window_weight <= 0):
            return None
        return timeframe

    def _ranked(
        self, query: str, vector: list[float], n: int, filters: Filters
    ) -> Ranked:
        dense = self.store.dense_search(vector, n, filters)
        lexical = self.store.lexical_search(query, n * (1 if not filters.sources else 4), filters)
        return dense, lexical


Ranked = tuple[list[tuple[str, float]], list[tuple[str, float]]]  # (dense, lexical) (chunk id, score) lists


def _within(window: TimeFrame, present: TimeFrame) -> bool:
    """Does ``window`` lie inside ``present`` (a window open at its start, "until March", does not)?"""
    assert present.since is not None
    return window.since is not None and window.since >= present.since


def capped(ranked: Iterable[T], k: int, cap: int, story: Callable[[T], str]) -> list[T]:
    """The first k of ``ranked``, at most ``cap`` from one story (``story`` names an item's story)."""
    out: list[T] = []
    per_article: dict[str, int] = defaultdict(int)
    for item in ranked:
        if per_article[story(item)] < cap:
            per_article[story(item)] += 1
            out.append(item)
            if len(out) >= k:
                break
    return out


def _fuse(lists: list[Ranked]) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Reciprocal rank fusion of dense and lexical ranks over everything, and each chunk's raw scores.
    A chunk of the second list (the window's own search) that a retriever did not rank among the first
    list's counts as ranked just after them."""
    fused: dict[str, float] = defaultdict(float)
    parts: dict[str, dict[str, float]] = defaultdict(dict)
    for which in (0, 1):  # dense, lexical
        ranks: dict[str, int] = {}
        for i, ranked in enumerate(lists):
            offset = len(lists[0][which]) if i else 0
            for rank, (cid, value) in enumerate(ranked[which]):
                if cid not in ranks:
                    ranks[cid] = offset + rank
                    parts[cid]["dense" if which == 0 else "lexical"] = value
        for cid, rank in ranks.items():
            fused[cid] += 1.0 / (RRF_K + rank + 1)
    return fused, parts
