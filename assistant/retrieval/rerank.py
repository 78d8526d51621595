"""Reranking the fused candidates: which retrieved passages most likely hold the answer.

Reciprocal-rank fusion knows only each retriever's rank. The reranker looks at what retrieval knows of a
passage once it has it in hand: both retrievers' raw scores, how much of the question (and of its asked
sentence) the passage and its headline cover, whether it names the question's names, whether it holds
the kind of thing asked for (a number, a date, a name the question does not use), where it sits in its
story, how old the story is on the day asked, and how many of the other candidates come from the same
story or from the same days (news about one event clusters in time).

Gradient-boosted trees over these features, trained on RealTime QA 2023 questions only by
``benchmarks/train_reranker.py`` (graded: a gold answer in a story of the 30 days before the question,
in an older story, or none), written to ``reranker.json``
beside this module and read with numpy (:mod:`assistant.answering.trees`). A missing model file is a
configuration error, as for the answerers' models.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from assistant.answering.trees import TreeModel, load_trees
from assistant.models import Passage
from assistant.question import Question, TimeFrame
from assistant.text import coverage, terms

__all__ = ["FEATURES", "MODEL_PATH", "PoolContext", "pool_features", "load_reranker", "reranked"]

MODEL_PATH = Path(__file__).with_name("reranker.json")
KINDS = ("how_many", "when", "where", "who", "which", "say", "other")
FEATURES = (
    "rank", "fused", "dense", "dense_gap", "lexical", "lexical_ratio", "dense_rank", "lexical_rank", "both",
    "coverage", "title_coverage", "context_coverage", "asked_coverage", "entities", "type_match", "new_names",
    "lead", "offset", "length", "age", "undated", "about_now", "has_window", "outside_window",
    "same_story", "same_days", "fresh_share", *(f"kind_{k}" for k in KINDS),
)
CLUSTER_DAYS = 3  # candidates published this close together are taken to be about the same events
FRESH_DAYS = 30
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_DATEISH = re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
                      r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|(?:19|20)\d\d)\b")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")


@dataclass(frozen=True)
class PoolContext:
    """What the reranker knows of the search itself: the question's term weights (idf) and whether it
    asks about now or names a window."""

    question: Question
    idf: Callable[[str], float]
    about_now: bool
    window: TimeFrame | None


def pool_features(ctx: PoolContext, pool: list[Passage]) -> list[dict[str, float]]:
    """The features of each passage of ``pool`` (fused order, best first), by name (see FEATURES)."""
    info = ctx.question.info
    weights = info.term_weights(ctx.idf)
    q_terms = list(weights)
    asked_terms = [t for t in dict.fromkeys(terms(info.asked)) if t in weights] or q_terms
    asked_set = set(q_terms)
    as_of = ctx.question.as_of
    dense_ranks, lexical_ranks = _ranks(pool, "dense"), _ranks(pool, "lexical")
    top_dense = max((p.scores.get("dense", 0.0) for p in pool), default=0.0)
    top_lexical = max((p.scores.get("lexical", 0.0) for p in pool), default=0.0) or 1.0
    top_fused = (pool[0].score or 1.0) if pool else 1.0
    stories = Counter(p.article_id for p in pool)
    days = [p.published for p in pool if p.published is not None]
    fresh_share = sum(0 <= (as_of - d).days <= FRESH_DAYS for d in days) / len(pool) if pool else 0.0
    kind = info.kind if info.kind in KINDS else "other"
    rows = []
    titles: dict[str, set[str]] = {}
    for i, p in enumerate(pool):
        text_terms = _passage_terms(p.text)
        title_terms = titles.setdefault(p.article_id, set(terms(p.title)))
        context = text_terms | title_terms
        age = (as_of - p.published).days if p.published is not None else None
        gap = ctx.window.days_outside(p.published) if ctx.window is not None else None
        dense = p.scores.get("dense", 0.0)
        row = {
            "rank": 1.0 / (1 + i), "fused": p.score / top_fused, "dense": dense, "dense_gap": top_dense - dense,
            "lexical": p.scores.get("lexical", 0.0), "lexical_ratio": p.scores.get("lexical", 0.0) / top_lexical,
            "dense_rank": dense_ranks.get(p.chunk_id, len(pool)) / len(pool),
            "lexical_rank": lexical_ranks.get(p.chunk_id, len(pool)) / len(pool),
            "both": float("dense" in p.scores and "lexical" in p.scores),
            "coverage": coverage(q_terms, weights, text_terms),
            "title_coverage": coverage(q_terms, weights, title_terms),
            "context_coverage": coverage(q_terms, weights, context),
            "asked_coverage": coverage(asked_terms, weights, context),
            "entities": (sum(e in context for e in info.entities) / len(info.entities)
                         if info.entities else 1.0),
            "type_match": _type_match(info.answer_type, p.text),
            "new_names": min(_new_names(p.text, asked_set), 10) / 10,
            "lead": float(p.start < 400), "offset": math.log1p(p.start) / 10, "length": len(p.text) / 1000,
            "age": math.log1p(max(age, 0)) if age is not None else -1.0, "undated": float(age is None),
            "about_now": float(ctx.about_now), "has_window": float(ctx.window is not None),
            "outside_window": math.log1p(gap) if gap is not None else -1.0,
            "same_story": stories[p.article_id] / len(pool),
            "same_days": (sum(abs((d - p.published).days) <= CLUSTER_DAYS for d in days) / len(pool)
                          if p.published is not None else 0.0),
            "fresh_share": fresh_share,
        }
        row.update({f"kind_{k}": float(kind == k) for k in KINDS})
        rows.append(row)
    return rows


def reranked(model: TreeModel, ctx: PoolContext, pool: list[Passage]) -> list[Passage]:
    """``pool`` in the model's order, best first; each passage's ``scores`` gains ``rerank``."""
    if len(pool) < 2:
        return pool
    scores = model.probabilities(pool_features(ctx, pool))
    for p, s in zip(pool, scores, strict=True):
        p.scores["rerank"] = float(s)
    order = np.argsort(-scores, kind="stable")
    return [pool[i] for i in order]


@cache
def load_reranker(path: Path = MODEL_PATH) -> TreeModel:
    return load_trees(path, FEATURES, "passage reranker")


def _ranks(pool: list[Passage], which: str) -> dict[str, int]:
    scored = sorted((p for p in pool if which in p.scores), key=lambda p: -p.scores[which])
    return {p.chunk_id: r for r, p in enumerate(scored)}


def _type_match(answer_type: str, text: str) -> float:
    """Does the passage hold the kind of thing asked for?"""
    if answer_type == "number":
        return float(bool(_NUMBER.search(text)))
    if answer_type == "date":
        return float(bool(_DATEISH.search(text)))
    if answer_type in ("person", "org", "place", "entity"):
        return 1.0 if _NAME.search(text) else 0.0
    return 0.5


def _new_names(text: str, asked: set[str]) -> int:
    """How many capitalised names the passage uses that the question does not (candidate answers)."""
    return sum(1 for m in _NAME.finditer(text) if not _name_terms(m.group(0)) & asked)


@lru_cache(maxsize=4096)
def _passage_terms(text: str) -> frozenset[str]:
    return frozenset(terms(text))  # a passage is often ranked again soon: the same question's retry, a follow-up


@lru_cache(maxsize=65536)
def _name_terms(name: str) -> frozenset[str]:
    return frozenset(terms(name))  # names recur across passages and questions: read each once
