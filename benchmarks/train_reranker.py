"""Train the passage reranker (gradient-boosted trees over the fused candidates) on RealTime QA 2023.

    pip install 'newsdesk[train]'   # LightGBM: training only; retrieval reads the trees with numpy
    python -m benchmarks.train_reranker --data-dir DIR --questions ../shared/data/realtimeqa/questions-2023.jsonl

DIR is an index of the 2023 articles (as for ``benchmarks.train_scorer``). Each question is read and
searched as newsdesk would (its own date as the reference date, the reranker off), and each of the best
``settings.rerank_pool`` fused candidates is graded: 2 when it holds a gold answer in a story of the 30
days before the question, 1 when it holds one in another story, else 0 (trained on the plain label, the
trees learn that old stories often hold the answer's words, and the answerer's freshness rule then
refuses them; on the fresh label alone, plain hits fall). Five-fold cross-validation
over questions prints chunk hit@1/5/10 and fresh hit@1/5/10 (the gold in a story of the 30 days before
the question) after the per-article cap, for the fused order and the reranked one; then the model is
refit on all questions and written to ``assistant/retrieval/reranker.json``. Only 2023 questions may be
used here: 2024 is for reporting.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.answering.trees import flatten_lightgbm
from assistant.config import Settings
from assistant.question import read_question
from assistant.retrieval.hybrid import capped
from assistant.retrieval.rerank import FEATURES, MODEL_PATH, pool_features
from assistant.service import Newsdesk, open_newsdesk
from benchmarks.evaluation import STALE_DAYS, contains_answer, load_questions
from benchmarks.train_scorer import training_args, write_model

__all__ = ["main", "RERANK_PARAMS"]

# Small trees, few of them: the file stays small and ranking 40 passages takes about a millisecond.
RERANK_PARAMS = {"objective": "lambdarank", "num_leaves": 15, "learning_rate": 0.05, "min_data_in_leaf": 50,
                 "lambdarank_truncation_level": 10, "eval_at": [5], "num_threads": 2, "deterministic": True,
                 "seed": 0, "verbose": -1}
RERANK_ROUNDS = 200
KS = (1, 5, 10)


@dataclass
class Pool:
    """One question's candidates: features, labels (holds a gold; and in a fresh story), story ids."""

    x: np.ndarray
    gold: np.ndarray
    fresh: np.ndarray
    stories: list[str]


def _pool(desk: Newsdesk, q: dict[str, Any], size: int) -> Pool | None:
    asked = read_question(q["question"], as_of=dt.date.fromisoformat(q["date"]))
    pool, ctx = desk.search_engine.candidates(asked, None, size)
    pool = pool[:size]
    if len(pool) < 2:
        return None
    golds = [g for g in q.get("answers", []) if g]
    gold = np.asarray([contains_answer(p.text, golds) for p in pool], dtype=np.float64)
    fresh = np.asarray([p.published is not None and 0 <= (asked.as_of - p.published).days <= STALE_DAYS
                        for p in pool], dtype=np.float64) * gold
    x = np.asarray([[row[f] for f in FEATURES] for row in pool_features(ctx, pool)], dtype=np.float64)
    return Pool(x, gold, fresh, [p.article_id for p in pool])


def _hits(pools: list[Pool], scores: list[np.ndarray], n_questions: int, cap: int) -> dict[str, float]:
    """Chunk and fresh hit@k over ``n_questions`` (questions with no pool count as misses)."""
    out: dict[str, float] = {}
    for label in ("gold", "fresh"):
        for k in KS:
            hit = sum(bool(getattr(p, label)[_top(p, s, cap, k)].any()) for p, s in zip(pools, scores, strict=True))
            out[f"{'chunk' if label == 'gold' else 'fresh'}@{k}"] = round(hit / n_questions, 4)
    out["in_pool"] = round(sum(bool(p.gold.any()) for p in pools) / n_questions, 4)
    return out


def _top(pool: Pool, scores: np.ndarray, cap: int, k: int) -> list[int]:
    """The candidates retrieval would return by ``scores``: the best k, at most ``cap`` from one story."""
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    return capped(order, k, cap, lambda i: pool.stories[i])


def _fit(pools: list[Pool]) -> Any:
    try:
        import lightgbm
    except ImportError:
        raise SystemExit("training the reranker needs LightGBM: pip install 'newsdesk[train]'") from None
    data = lightgbm.Dataset(np.vstack([p.x for p in pools]), np.concatenate([p.gold + p.fresh for p in pools]),
                            group=[len(p.gold) for p in pools], feature_name=list(FEATURES))
    return lightgbm.train(RERANK_PARAMS, data, RERANK_ROUNDS)


def _cross_validated(pools: list[Pool], folds: int = 5) -> list[np.ndarray]:
    """Each question's candidate scores under a model fitted without its fold."""
    order = np.random.default_rng(0).permutation(len(pools))
    scores: list[np.ndarray] = [np.zeros(0)] * len(pools)
    for k in range(folds):
        test = set(order[k::folds].tolist())
        model = _fit([p for i, p in enumerate(pools) if i not in test])
        for i in test:
            scores[i] = model.predict(pools[i].x)
    return scores


def main(argv: list[str] | None = None) -> int:
    args = training_args(__doc__, argv, threshold=0.0, out=MODEL_PATH)
    settings = Settings(data_dir=args.data_dir)
    desk = open_newsdesk(settings)
    questions = list(load_questions(args.questions, args.limit))
    size = settings.rerank_pool or 40
    pools = [p for p in (_pool(desk, q, size) for q in questions) if p is not None]
    fused = [-np.arange(len(p.gold), dtype=np.float64) for p in pools]
    cap = settings.per_article_cap
    figures = {"fused": _hits(pools, fused, len(questions), cap),
               "reranked": _hits(pools, _cross_validated(pools), len(questions), cap)}
    print(json.dumps({"cross_validated_5_fold": figures}, indent=1))
    model = _fit(pools)
    body = {"features": list(FEATURES), "params": {**RERANK_PARAMS, "rounds": RERANK_ROUNDS},
            "trees": flatten_lightgbm(model.dump_model())}
    trained_on = {"questions_with_pool": len(pools), "candidates": int(sum(len(p.gold) for p in pools)),
                  "positives": int(sum(p.gold.sum() for p in pools)), "pool": size}
    write_model(args, body, trained_on, [{"fused": figures["fused"], "reranked": figures["reranked"]}])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
