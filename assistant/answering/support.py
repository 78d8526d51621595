"""How likely a retrieved sentence is to hold the answer: the extractive answerer's choice of sentence
and its refusal.

A logistic regression over the features below, trained on RealTime QA 2023 questions only by
``benchmarks/train_support.py``, which writes ``support.json`` beside this module (weights already
scaled for raw features, the threshold, and the cross-validated figures it was chosen by). Below the
threshold the answer is a refusal: on 2023 the answers it lets through are right about twice as often
as the ones it holds back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assistant.answering.logistic import LogisticModel, load_logistic
from assistant.models import Passage
from assistant.question.parse import QuestionInfo

__all__ = ["FEATURES", "SentenceFacts", "load_support", "support_features", "MODEL_PATH"]

MODEL_PATH = Path(__file__).with_name("support.json")
KINDS = ("how_many", "when", "where", "who", "which", "what", "other")
FEATURES = (
    "bias", "coverage", "context_coverage", "type_bonus", "new_name", "rank", "passage_score", "lead", "length",
    "number", "entities", "title_coverage", "novel", "coverage_sq", "coverage_x_type",
    *(f"coverage_{kind}" for kind in KINDS),
)
LEAD_CHARS = 400  # a sentence this near the top of its story is in the lede
_NUMBER = re.compile(r"\b\d[\d,.]*\b")


@dataclass(frozen=True)
class SentenceFacts:
    """What the answerer already knows of a sentence when it scores it."""

    text: str
    terms: set[str]
    passage: Passage
    passage_rank: int
    offset: int  # in the article
    coverage: float  # of the question, by the sentence's own words
    context_coverage: float  # by the sentence and its story's headline
    title_coverage: float
    type_bonus: float
    new_name: bool


def support_features(info: QuestionInfo, s: SentenceFacts, q_terms: set[str], top_score: float) -> dict[str, float]:
    """The features of one sentence, by name (see :data:`FEATURES`). Its story's date is not one: when
    a story is too old to answer is the freshness rule's business (:mod:`assistant.answering.freshness`),
    and an archive's stories are all old."""
    entities = (sum(e in s.terms for e in info.entities) / len(info.entities)) if info.entities else 1.0
    kind = info.kind if info.kind in KINDS else "other"
    features = {
        "bias": 1.0, "coverage": s.coverage, "context_coverage": s.context_coverage, "type_bonus": s.type_bonus,
        "new_name": float(s.new_name), "rank": 1.0 / (1 + s.passage_rank),
        "passage_score": (s.passage.score or 0.0) / (top_score or 1.0),
        "lead": float(s.offset < LEAD_CHARS),
        "length": min(len(s.text.split()), 80) / 40, "number": float(bool(_NUMBER.search(s.text))),
        "entities": entities, "title_coverage": s.title_coverage,
        "novel": len(s.terms - q_terms) / max(len(s.terms), 1),
        "coverage_sq": s.coverage * s.coverage, "coverage_x_type": s.coverage * s.type_bonus,
    }
    features.update({f"coverage_{k}": s.coverage * float(kind == k) for k in KINDS})
    return features


@cache
def load_support(path: Path = MODEL_PATH) -> LogisticModel:
    return load_logistic(path, FEATURES, "answer-support")
