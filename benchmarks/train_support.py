"""Train the answer-support model (a logistic regression over sentence features) on RealTime QA 2023.

    python -m benchmarks.train_support --data-dir DIR --questions ../shared/data/realtimeqa/questions-2023.jsonl

DIR is an index of the 2023 articles (as for ``benchmarks.train_scorer``). Each question is read and
searched as the answerer would, with its own date as the reference date; every sentence of its
passages is labelled by whether it contains a gold answer. Five-fold cross-validation over questions
reports, at each threshold, how many questions the best sentence would answer and how often it is
right; then the model is refit on all questions and written, with ``--threshold``, to
``assistant/answering/support.json``. Only 2023 questions may be used here: 2024 is for reporting.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from assistant.answering.support import FEATURES, MODEL_PATH
from assistant.config import Settings
from assistant.question import read_question
from assistant.service import Newsdesk, open_newsdesk
from benchmarks.evaluation import contains_answer, load_questions
from benchmarks.train_scorer import fit_standardised, logistic_body, training_args, write_model

__all__ = ["main"]

Group = tuple[np.ndarray, np.ndarray, np.ndarray]  # features, sentence holds a gold, headline + sentence does
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)


def _group(desk: Newsdesk, q: dict[str, Any]) -> Group | None:
    asked = read_question(q["question"], as_of=dt.date.fromisoformat(q["date"]))
    if not asked.info.terms:
        return None
    passages = desk.search_engine.search(asked, desk.settings.top_k)
    cands = desk.extractive.scored_sentences(asked.info, passages, asked.as_of)
    if not cands:
        return None
    golds = [g for g in q.get("answers", []) if g]
    x = np.asarray([[c.features[f] for f in FEATURES] for c in cands], dtype=np.float64)
    y = np.asarray([contains_answer(c.text, golds) for c in cands], dtype=np.float64)
    shown = np.asarray([contains_answer(f"{c.passage.title} {c.text}", golds) for c in cands], dtype=np.float64)
    return x, y, shown


def _fit(groups: list[Group]) -> np.ndarray:
    return fit_standardised(np.vstack([g[0] for g in groups]), np.concatenate([g[1] for g in groups]))


def _cross_validated(groups: list[Group], n_questions: int, folds: int = 5) -> list[dict[str, float]]:
    order = np.random.default_rng(0).permutation(len(groups))
    best: list[tuple[float, float]] = []  # (probability, right) of each question's best sentence
    for k in range(folds):
        test = set(order[k::folds].tolist())
        w = _fit([g for i, g in enumerate(groups) if i not in test])
        for i in sorted(test):
            p = 1.0 / (1.0 + np.exp(-np.clip(groups[i][0] @ w, -30, 30)))
            top = int(np.argmax(p))
            best.append((float(p[top]), float(groups[i][2][top])))
    rows = []
    for t in THRESHOLDS:
        kept = [right for p, right in best if p >= t]
        rows.append({"threshold": t, "answered": round(len(kept) / n_questions, 3),
                     "recall": round(sum(kept) / n_questions, 3),
                     "precision": round(sum(kept) / max(len(kept), 1), 3)})
    return rows


def main(argv: list[str] | None = None) -> int:
    args = training_args(__doc__, argv, threshold=0.1, out=MODEL_PATH)
    desk = open_newsdesk(Settings(data_dir=args.data_dir))
    questions = list(load_questions(args.questions, args.limit))
    groups = [g for g in (_group(desk, q) for q in questions) if g is not None]
    curve = _cross_validated(groups, len(questions))
    w = _fit(groups)
    trained_on = {"answerable": len(groups), "sentences": int(sum(len(g[1]) for g in groups)),
                  "positives": int(sum(g[1].sum() for g in groups))}
    write_model(args, logistic_body(FEATURES, w), trained_on, curve)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
