"""The short answer: the best-scoring candidate, when the question asks for a name, number, date or
place and the scorer is confident enough.

The scorer is a logistic regression over :data:`~assistant.answering.candidates.FEATURES`, trained on
RealTime QA 2023 questions only by ``benchmarks/train_scorer.py``, which writes ``short_answer.json``
beside this module (weights, feature names, threshold, and the figures it was chosen by).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assistant.answering.candidates import FEATURES, Candidate, Coverage, Support, could_answer, mine
from assistant.answering.logistic import LogisticModel, load_logistic
from assistant.models import Passage
from assistant.question.parse import QuestionInfo

__all__ = ["ShortAnswer", "load_scorer", "pick_short_answer", "MODEL_PATH"]

MODEL_PATH = Path(__file__).with_name("short_answer.json")
TYPED = frozenset({"number", "date", "place", "person", "org", "entity"})


@cache
def load_scorer(path: Path = MODEL_PATH) -> LogisticModel:
    return load_logistic(path, FEATURES, "short-answer")


@dataclass(frozen=True)
class ShortAnswer:
    candidate: Candidate
    confidence: float


def pick_short_answer(info: QuestionInfo, passages: list[Passage], coverage: Coverage, as_of: dt.date,
                      scorer: LogisticModel | None = None, support: Support | None = None) -> ShortAnswer | None:
    """The best candidate for a question that asks for a typed answer, or None when the question asks
    for none (why, how, what did X say) or no candidate scores above the threshold."""
    if info.answer_type not in TYPED or not passages:
        return None
    scorer = scorer or load_scorer()
    best: ShortAnswer | None = None
    for cand in mine(info, passages, coverage, as_of, support):
        if not could_answer(cand):
            continue
        p = scorer.probability(cand.features)
        cand.score = p
        if best is None or p > best.confidence:
            best = ShortAnswer(cand, p)
    if best is None or best.confidence < scorer.threshold:
        return None
    return best
