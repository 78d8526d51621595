"""The passage reranker: it orders the fused candidates, the shipped model reads today's features, and
its training script rebuilds it from an index and 2023-style questions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from assistant.index.embeddings import LocalMiniLM
from assistant.question import read_question
from assistant.retrieval.rerank import FEATURES, MODEL_PATH, PoolContext, load_reranker, pool_features
from assistant.service import open_newsdesk

from .conftest import make_settings

QUESTION = "How many settlements do Ukrainian forces control in the Kursk region?"


def test_the_shipped_reranker_reads_todays_features() -> None:
    model = load_reranker()
    assert model.features == FEATURES
    data = json.loads(MODEL_PATH.read_text())
    assert data["trained_on"]["questions"].endswith("2023.jsonl")  # never the 2024 questions we report on
    figures = data["cross_validated_5_fold"][0]
    assert figures["reranked"]["chunk@5"] > figures["fused"]["chunk@5"]  # it was kept because it helped


def test_search_returns_the_pool_in_the_rerankers_order(seed_dir: Path, embedder: LocalMiniLM) -> None:
    """Reranked: every passage carries its reranker score and they come best first; with the reranker
    off (rerank_pool 0) the order is fusion's, and the same passages are found."""
    on = open_newsdesk(make_settings(seed_dir), embedder=embedder)
    asked = read_question(QUESTION, as_of=dt.date(2024, 8, 21))
    ranked = on.search_engine.search(asked, 3)
    scores = [p.scores["rerank"] for p in ranked]
    assert scores == sorted(scores, reverse=True) and len(ranked) == 3
    off = open_newsdesk(make_settings(seed_dir, rerank_pool=0), embedder=embedder)
    fused = off.search_engine.search(asked, 3)
    assert all("rerank" not in p.scores for p in fused)
    assert [p.score for p in fused] == sorted((p.score for p in fused), reverse=True)
    pool, _ = off.search_engine.candidates(asked, None, 40)
    assert {p.chunk_id for p in ranked} <= {p.chunk_id for p in pool}


def test_pool_features_see_the_question_in_the_passage(seed_dir: Path, embedder: LocalMiniLM) -> None:
    """The passage that names "74 settlements" covers the question and holds a number; a question
    about a name it does not use covers less of it."""
    desk = open_newsdesk(make_settings(seed_dir, rerank_pool=0), embedder=embedder)
    asked = read_question(QUESTION, as_of=dt.date(2024, 8, 21))
    pool, ctx = desk.search_engine.candidates(asked, None, 40)
    rows = pool_features(ctx, pool)
    assert set(rows[0]) == set(FEATURES)
    best = next(r for p, r in zip(pool, rows, strict=True) if "74 settlements" in p.text)
    assert best["type_match"] == 1.0 and best["coverage"] > 0.6 and best["entities"] == 1.0
    other = read_question("How many settlements does Hungary control?", as_of=dt.date(2024, 8, 21))
    again = pool_features(PoolContext(other, ctx.idf, ctx.about_now, ctx.window), pool)
    assert again[rows.index(best)]["entities"] < 1.0


def test_the_reranker_is_rebuilt_by_its_training_script(seed_dir: Path, tmp_path: Path) -> None:
    """benchmarks/train_reranker.py rebuilds reranker.json from an index and 2023-style questions written
    for the sample story (evaluation data never enters the project); the file it writes loads."""
    pytest.importorskip("lightgbm")
    from benchmarks import train_reranker

    rows = [("How many settlements do Ukrainian forces control?", "74"),
            ("Who is the commander-in-chief of Ukraine's armed forces?", "Oleksandr Syrskyi"),
            ("What did Tykhyi say about occupation?", "not interested"),
            ("How many strikes has Russia launched from the Kursk region?", "2,000"),
            ("Which region did Ukrainian forces enter in August?", "Kursk")]
    questions = tmp_path / "questions-2023-sample.jsonl"
    questions.write_text("\n".join(json.dumps({"id": str(i), "date": "2024-08-21", "question": q, "answers": [a]})
                                   for i, (q, a) in enumerate(rows)))
    out = tmp_path / "reranker.json"
    assert train_reranker.main(["--data-dir", str(seed_dir), "--questions", str(questions), "--out", str(out)]) == 0
    model = json.loads(out.read_text())
    assert model["features"] == list(FEATURES) and model["trained_on"]["positives"] >= 3
    assert set(model["cross_validated_5_fold"][0]) == {"fused", "reranked"}
    assert load_reranker(out).features == FEATURES
    with pytest.raises(SystemExit):
        train_reranker.main(["--data-dir", str(seed_dir), "--questions", str(tmp_path / "questions-2024.jsonl")])
