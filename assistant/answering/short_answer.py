"""The short answer: the best-scoring candidate, when the question asks for a name, number, date or
place and the scorer is confident enough.

The scorer is gradient-boosted trees over :data:`~assistant.answering.candidates.FEATURES`, trained on
RealTime QA 2023 questions only by ``benchmarks/train_scorer.py``, which writes ``short_answer.json``
beside this module (the trees, feature names, threshold, and the figures it was chosen by); they are
read and evaluated with numpy (:mod:`.trees`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assistant.answering.candidates import FEATURES, Candidate, Coverage, Support, could_answer, mine
from assistant.answering.trees import TreeModel, load_trees
from assistant.models import Passage
from assistant.question.parse import QuestionInfo

__all__ = ["ShortAnswer", "load_scorer", "pick_short_answer", "MODEL_PATH"]

MODEL_PATH = Path(__file__).with_name("short_answer.json")
TYPED = frozenset({"number", "date", "place", "person", "org", "entity"})


@cache
def load_scorer(path: Path = MODEL_PATH) -> TreeModel:
    return load_trees(path, FEATURES, "short-answer")


@dataclass(frozen=True)
class ShortAnswer:
    candidate: Candidate
    confidence: float


def pick_short_answer(info: QuestionInfo, passages: list[Passage], coverage: Coverage, as_of: dt.date,
                      scorer: TreeModel | None = None, support: Support | None = None) -> ShortAnswer | None:
    """The best candidate for a question that asks for a typed answer, or None when the question asks
    for none (why, how, what did X say) or no candidate scores above the threshold."""
    if info.answer_type not in TYPED or not passages:
        return None
    scorer = scorer or load_scorer()
    cands = [c for c in mine(info, passages, coverage, as_of, support) if could_answer(c)]
    if not cands:
        return None
    for cand, p in zip(cands, scorer.probabilities([c.features for c in cands]), strict=True):
        cand.score = float(p)
    best = max(cands, key=lambda c: c.score)  # the first of equals, as candidates are found
    if best.score < scorer.threshold:
        return None
    return ShortAnswer(best, best.score)
