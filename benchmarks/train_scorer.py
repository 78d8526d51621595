"""Train the short-answer scorer (gradient-boosted trees over candidate features) on RealTime QA 2023.

    pip install 'newsdesk[train]'   # LightGBM: training only; answering reads the trees with numpy
    python -m benchmarks.train_scorer --data-dir DIR --questions ../shared/data/realtimeqa/questions-2023.jsonl

DIR is an index of the 2023 articles (``newsdesk --data-dir DIR ingest articles-2023.jsonl.gz``, or the
subset a tuning run used). Each question is read and searched as the answerer would (its own date as
the reference date); every candidate mined from its passages is labelled by whether it matches a gold
answer (SQuAD token F1 >= 0.5). Five-fold cross-validation over questions gives the figures at each
threshold; then the model is refit on all of them and written, with the threshold and those figures, to
``assistant/answering/short_answer.json``. Only 2023 questions may be used here: 2024 is for reporting.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answering.candidates import FEATURES, Candidate, could_answer, mine
from assistant.answering.short_answer import MODEL_PATH, TYPED
from assistant.answering.trees import flatten_lightgbm
from assistant.config import Settings
from assistant.question import read_question
from assistant.service import Newsdesk, open_newsdesk
from benchmarks.evaluation import load_questions, token_f1

__all__ = ["main", "fit_logistic", "fit_standardised", "training_args", "write_model", "TREE_PARAMS"]

MATCH_F1 = 0.5
# Chosen on 2023 by cross-validation (see docs/how-it-works.md, "A short answer first"); small trees, few of them, so
# the model file stays small and scoring a question's candidates takes about a millisecond.
TREE_PARAMS = {"objective": "binary", "num_leaves": 7, "learning_rate": 0.05, "min_data_in_leaf": 100,
               "num_threads": 2, "deterministic": True, "seed": 0, "verbose": -1}
TREE_ROUNDS = 200


def _question_rows(desk: Newsdesk, q: dict[str, Any]) -> tuple[list[Candidate], list[str]] | None:
    asked = read_question(q["question"], as_of=dt.date.fromisoformat(q["date"]))
    if asked.info.answer_type not in TYPED:
        return None
    passages = desk.search_engine.search(asked, desk.settings.top_k)
    support = {(s.passage.article_id, s.start): s.score
               for s in desk.extractive.scored_sentences(asked.info, passages, asked.as_of)}
    cands = [c for c in mine(asked.info, passages, desk.extractive.coverage_for(asked.info), asked.as_of, support)
             if could_answer(c)]
    return cands, [g for g in q.get("answers", []) if g]


def training_args(doc: str | None, argv: list[str] | None, *, threshold: float, out: Path) -> argparse.Namespace:
    """The training scripts' command line (an index, 2023 questions, a limit, the threshold, where the
    model goes); 2024 questions are refused: they are kept for reporting."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="an index of RealTime QA 2023 articles")
    parser.add_argument("--questions", type=Path, required=True, help="RealTime QA 2023 questions JSONL")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--threshold", type=float, default=threshold, help="the least probability to answer with")
    parser.add_argument("--out", type=Path, default=out)
    args = parser.parse_args(argv)
    if "2024" in args.questions.name:
        parser.error("train on 2023 questions only; 2024 is kept for reporting")
    return args


def write_model(args: argparse.Namespace, body: dict[str, Any], trained_on: dict[str, int],
                curve: list[dict[str, Any]]) -> None:
    """The model file (``body``: its weights or trees; the threshold, what it was trained on, its
    cross-validated figures) to ``args.out``; the same less a tree model's trees to stdout."""
    model = {
        **body,
        "threshold": args.threshold,
        "trained_on": {"questions": args.questions.name, **trained_on},
        "cross_validated_5_fold": curve,
    }
    args.out.write_text(json.dumps(model, separators=(",", ":") if "trees" in model else None,
                                   indent=None if "trees" in model else 1) + "\n", encoding="utf-8")
    print(json.dumps({"wrote": str(args.out), **{k: v for k, v in model.items() if k != "trees"}}, indent=1))


def logistic_body(features: tuple[str, ...], w: np.ndarray) -> dict[str, Any]:
    return {"weights": {name: round(float(v), 5) for name, v in zip(features, w, strict=True)}}


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 3000, lr: float = 0.5) -> np.ndarray:
    """Weights of an L2-regularised logistic regression (full-batch gradient descent; the bias, column 0,
    is not regularised)."""
    w = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], l2 / len(y))
    reg[0] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        w -= lr * (x.T @ (p - y) / len(y) + reg * w)
    return w


def fit_standardised(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Logistic weights for raw features: fitted on standardised columns (column 0 is the bias), then
    scaled back, the bias absorbing the means, so the product applies them to features as computed."""
    mean, scale = x.mean(0), x.std(0) + 1e-9
    mean[0], scale[0] = 0.0, 1.0
    w = fit_logistic((x - mean) / scale, y)
    raw = w / scale
    raw[0] = w[0] - float((w[1:] * mean[1:] / scale[1:]).sum())
    return raw  # type: ignore[no-any-return]


def _matrix(groups: list[tuple[list[Candidate], list[str]]]) -> tuple[np.ndarray, np.ndarray]:
    rows = [[c.features[f] for f in FEATURES] for cands, _ in groups for c in cands]
    labels = [float(token_f1(c.text, golds) >= MATCH_F1) for cands, golds in groups for c in cands]
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES)), np.asarray(labels)


def _fit_trees(x: np.ndarray, y: np.ndarray) -> Any:
    try:
        import lightgbm
    except ImportError:
        raise SystemExit("training the scorer needs LightGBM: pip install 'newsdesk[train]'") from None
    return lightgbm.train(TREE_PARAMS, lightgbm.Dataset(x, y, feature_name=list(FEATURES)), TREE_ROUNDS)


def _top1(groups: list[tuple[list[Candidate], list[str]]], model: Any) -> list[tuple[float, float]]:
    """(probability, F1 with the gold) of each question's best candidate."""
    out = []
    for cands, golds in groups:
        if not cands:
            out.append((0.0, 0.0))
            continue
        p = model.predict(np.asarray([[c.features[f] for f in FEATURES] for c in cands]))
        best = int(np.argmax(p))
        out.append((float(p[best]), token_f1(cands[best].text, golds)))
    return out


def _cross_validated(groups: list[tuple[list[Candidate], list[str]]], folds: int = 5) -> list[tuple[float, float]]:
    """Each question's best candidate (probability, F1) under a model fitted without its fold."""
    order = np.random.default_rng(0).permutation(len(groups))
    out: list[tuple[float, float]] = []
    for k in range(folds):
        test = set(order[k::folds].tolist())
        x, y = _matrix([g for i, g in enumerate(groups) if i not in test])
        out += _top1([groups[i] for i in sorted(test)], _fit_trees(x, y))
    return out


def _curve(top: list[tuple[float, float]]) -> list[dict[str, float]]:
    """Short-answer F1 over all typed questions, and over those answered, at each threshold."""
    rows = []
    for t in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
        kept = [f1 for p, f1 in top if p >= t]
        rows.append({"threshold": t, "coverage": round(len(kept) / max(len(top), 1), 3),
                     "f1_all": round(sum(kept) / max(len(top), 1), 3),
                     "f1_answered": round(sum(kept) / max(len(kept), 1), 3)})
    return rows


def main(argv: list[str] | None = None) -> int:
    args = training_args(__doc__, argv, threshold=0.1, out=MODEL_PATH)
    desk = open_newsdesk(Settings(data_dir=args.data_dir))
    groups = [g for g in (_question_rows(desk, q) for q in load_questions(args.questions, args.limit)) if g]
    held = _curve(_cross_validated(groups))
    x_all, y_all = _matrix(groups)
    trees = flatten_lightgbm(_fit_trees(x_all, y_all).dump_model())
    trained_on = {"typed_questions": len(groups), "candidates": len(y_all), "positives": int(y_all.sum())}
    body = {"features": list(FEATURES), "params": {**TREE_PARAMS, "rounds": TREE_ROUNDS}, "trees": trees}
    write_model(args, body, trained_on, held)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
