"""Evaluation on RealTime QA-style questions: retrieval hit rates, MRR, answer recall/F1, latency.

Scoring follows the data's README: a gold answer string counts as found when its normalised form
(SQuAD normalisation: lower case, no punctuation, no articles, single spaces) occurs in the
normalised text; F1 is SQuAD token F1 against the best gold answer; questions ending in "except"
are skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from assistant.answering.citations import verify_answer
from assistant.config import Settings
from assistant.service import Newsdesk, open_newsdesk

__all__ = ["normalize_answer", "token_f1", "load_questions", "evaluate", "run_eval", "EvalResult"]

KS = (1, 5, 10)


def normalize_answer(text: str) -> str:
    text = text.lower()
    text = "".join(" " if ch in string.punctuation or ch in "“”‘’—–" else ch for ch in text)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def contains_answer(text: str, golds: list[str]) -> bool:
    norm = f" {normalize_answer(text)} "
    return any(g and f" {g} " in norm for g in (normalize_answer(x) for x in golds))


def token_f1(prediction: str, golds: list[str]) -> float:
    pred = normalize_answer(prediction).split()
    best = 0.0
    for gold in golds:
        gold_tokens = normalize_answer(gold).split()
        common = Counter(pred) & Counter(gold_tokens)
        same = sum(common.values())
        if same == 0 or not pred or not gold_tokens:
            continue
        precision, recall = same / len(pred), same / len(gold_tokens)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def load_questions(path: Path, limit: int | None = None) -> Iterator[dict[str, Any]]:
    n = 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            q = json.loads(line)
            if q["question"].strip().rstrip("?.").lower().endswith("except"):
                continue
            yield q
            n += 1
            if limit and n >= limit:
                return


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclass
class EvalResult:
    n: int = 0
    chunk_hits: dict[int, int] = field(default_factory=lambda: {k: 0 for k in KS})
    article_hits: dict[int, int] = field(default_factory=lambda: {k: 0 for k in KS})
    reciprocal_ranks: float = 0.0
    recall_hits: int = 0
    f1_total: float = 0.0
    words_total: int = 0
    refusals: int = 0
    citations: int = 0
    citations_verified: int = 0
    retrieval_ms: list[float] = field(default_factory=list)
    answer_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        n = max(self.n, 1)
        answered = max(self.n - self.refusals, 1)
        return {
            "questions": self.n,
            "chunk_answer_hit": {f"@{k}": round(v / n, 4) for k, v in self.chunk_hits.items()},
            "article_answer_hit": {f"@{k}": round(v / n, 4) for k, v in self.article_hits.items()},
            "mrr@10": round(self.reciprocal_ranks / n, 4),
            "answer_recall": round(self.recall_hits / n, 4),
            "answer_f1": round(self.f1_total / n, 4),
            "mean_answer_words": round(self.words_total / answered, 1),
            "refusal_rate": round(self.refusals / n, 4),
            "citations_verified": round(self.citations_verified / max(self.citations, 1), 4),
            "retrieval_ms": {"p50": round(_percentile(self.retrieval_ms, 50), 1),
                             "p95": round(_percentile(self.retrieval_ms, 95), 1)},
            "answer_ms": {"p50": round(_percentile(self.answer_ms, 50), 1),
                          "p95": round(_percentile(self.answer_ms, 95), 1)},
        }


def evaluate(
    desk: Newsdesk, questions: list[dict[str, Any]], predictions: TextIO | None = None, progress: bool = False
) -> EvalResult:
    """Ask every question with its own date as the reference date and score the results."""
    from tqdm import tqdm

    result = EvalResult()
    for q in tqdm(questions, desc="eval", unit="q", disable=not progress):
        as_of = dt.date.fromisoformat(q["date"])
        golds = [g for g in q.get("answers", []) if g]
        t0 = time.perf_counter()
        passages = desk.search(q["question"], 10, as_of=as_of)
        result.retrieval_ms.append((time.perf_counter() - t0) * 1000)
        first_hit = None
        seen_articles: list[str] = []
        article_hit_rank = None
        for rank, p in enumerate(passages, 1):
            if first_hit is None and contains_answer(p.text, golds):
                first_hit = rank
            if p.article_id not in seen_articles:
                seen_articles.append(p.article_id)
                if article_hit_rank is None and contains_answer(desk.store.article_text(p.article_id), golds):
                    article_hit_rank = len(seen_articles)
        for k in KS:
            result.chunk_hits[k] += int(first_hit is not None and first_hit <= k)
            result.article_hits[k] += int(article_hit_rank is not None and article_hit_rank <= k)
        result.reciprocal_ranks += 1.0 / first_hit if first_hit else 0.0

        t1 = time.perf_counter()
        answer = desk.ask(q["question"], as_of=as_of)
        result.answer_ms.append((time.perf_counter() - t1) * 1000)
        result.n += 1
        prediction = "" if answer.refused else answer.answer
        result.refusals += int(answer.refused)
        result.recall_hits += int(contains_answer(prediction, golds))
        result.f1_total += token_f1(prediction, golds)
        result.words_total += len(prediction.split()) if not answer.refused else 0
        result.citations += len(answer.citations)
        result.citations_verified += len(answer.citations) if not verify_answer(answer, desk.store) else 0
        if predictions is not None:
            predictions.write(json.dumps({
                "id": q["id"], "prediction": prediction,
                "citations": [c.model_dump() for c in answer.citations],
            }, ensure_ascii=False) + "\n")
    return result


def run_eval(
    settings: Settings, articles: Path, questions_file: Path, *, limit: int | None = None,
    predictions: Path = Path("predictions.jsonl"), field_map: dict[str, str] | None = None,
    progress: bool | Literal["lines"] = False,
) -> dict[str, Any]:
    """Build (or reuse) the index of ``articles`` under ``settings.data_dir``, ask every question and
    return the figures (one JSON object), writing per-question predictions."""
    desk = open_newsdesk(settings)
    report = desk.ingest([articles], field_map=field_map, progress=progress)
    questions = list(load_questions(questions_file, limit))
    with predictions.open("w", encoding="utf-8") as out:
        result = evaluate(desk, questions, out, progress=progress is True)
    return {
        "articles_file": str(articles), "questions_file": str(questions_file), "mode": desk.mode,
        "index": {"articles": desk.stats()["articles"], "chunks": desk.chunk_count(),
                  "ingest_added": report.added, "ingest_s": round(report.elapsed_s, 1)},
        **result.summary(), "predictions": str(predictions),
    }
