"""Evaluation on RealTime QA-style questions: retrieval hit rates, MRR, answer recall/F1, short-answer F1,
stale answers, precision at coverage, latency; optionally against a naive BM25 baseline.

Scoring follows the data's README: a gold answer string counts as found when its normalised form
(SQuAD normalisation: lower case, no punctuation, no articles, single spaces) occurs in the
normalised text; F1 is SQuAD token F1 against the best gold answer; questions ending in "except"
are skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import string
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from assistant.answering.citations import verify_answer
from assistant.config import Settings
from assistant.models import Answer
from assistant.service import Newsdesk, open_newsdesk

__all__ = ["normalize_answer", "gold_keys", "contains_answer", "token_f1", "load_questions", "evaluate", "run_eval", "EvalResult",
           "is_stale", "hit_ranks", "fresh_hit_rank"]

KS = (1, 5, 10)
STALE_DAYS = 30  # an answer whose first source is older than this, on the day asked, is stale
CURVE_COVERAGES = (0.2, 0.4, 0.6, 0.8, 1.0)


def normalize_answer(text: str) -> str:
    text = text.lower()
    text = "".join(" " if ch in string.punctuation or ch in "“”‘’—–" else ch for ch in text)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def gold_keys(golds: list[str]) -> list[str]:
    """The gold answers as :func:`contains_answer` looks for them: normalised, padded to whole words."""
    return [f" {g} " for g in (normalize_answer(x) for x in golds) if g]


def contains_answer(text: str, golds: list[str]) -> bool:
    norm = f" {normalize_answer(text)} "
    return any(key in norm for key in gold_keys(golds))


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


def as_date(published: object) -> dt.date | None:
    """A story's date from its ISO string (or the date itself); None when undated or unreadable."""
    if isinstance(published, str):
        try:
            return dt.date.fromisoformat(published[:10])
        except ValueError:
            return None
    return published if isinstance(published, dt.date) else None


def is_stale(published: str | dt.date | None, asked: dt.date) -> bool:
    """Whether a source dated ``published`` was more than STALE_DAYS old on the day asked; an undated
    (or unreadable) date is not stale: we cannot tell, and guessing would punish undated sources."""
    published = as_date(published)
    return published is not None and (asked - published).days > STALE_DAYS


def fresh_hit_rank(passages: Iterable[tuple[str | dt.date | None, str]], golds: list[str], asked: dt.date) -> int | None:
    """The 1-based rank of the first passage that holds a gold answer in a story dated in the STALE_DAYS
    before the day asked (not after it); ``passages`` are (published, chunk text) best first. Plain hit@k
    counts a gold string in any story, and many answers ("Microsoft") are in years of them: this one
    counts only the current story a reader needs."""
    for rank, (published, text) in enumerate(passages, 1):
        day = as_date(published)
        if day is not None and 0 <= (asked - day).days <= STALE_DAYS and contains_answer(text, golds):
            return rank
    return None


def hit_ranks(
    passages: Iterable[tuple[str, str]], golds: list[str], article_text: Callable[[str], str]
) -> tuple[int | None, int | None]:
    """(rank of the first chunk holding a gold answer, rank of the first article holding one), 1-based;
    ``passages`` are (article id, chunk text) best first, and articles rank by first appearance."""
    first_hit = article_hit = None
    seen: list[str] = []
    for rank, (article_id, text) in enumerate(passages, 1):
        if first_hit is None and contains_answer(text, golds):
            first_hit = rank
        if article_id not in seen:
            seen.append(article_id)
            if article_hit is None and contains_answer(article_text(article_id), golds):
                article_hit = len(seen)
    return first_hit, article_hit


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


def _precision_curve(scored: list[tuple[float | None, bool]]) -> list[dict[str, float]] | None:
    """Precision over the most confident share of the answered questions (coverage is a share of the
    answered ones, not of all). Answers without a confidence (e.g. no short answer) rank last; None
    when no answer has one, as then there is no ranking to follow."""
    if all(c is None for c, _ in scored):
        return None
    ordered = sorted(scored, key=lambda s: math.inf if s[0] is None else -s[0])
    curve = []
    for coverage in CURVE_COVERAGES:
        top = ordered[:max(1, math.ceil(coverage * len(ordered) - 1e-9))]
        curve.append({"coverage": coverage, "precision": round(sum(hit for _, hit in top) / len(top), 4)})
    return curve


@dataclass
class EvalResult:
    n: int = 0
    chunk_hits: dict[int, int] = field(default_factory=lambda: {k: 0 for k in KS})
    article_hits: dict[int, int] = field(default_factory=lambda: {k: 0 for k in KS})
    fresh_hits: dict[int, int] = field(default_factory=lambda: {k: 0 for k in KS})
    reciprocal_ranks: float = 0.0
    recall_hits: int = 0
    f1_total: float = 0.0
    short_f1_total: float = 0.0
    words_total: int = 0
    refusals: int = 0
    stale_answered: int = 0
    citations: int = 0
    citations_verified: int = 0
    retrieval_ms: list[float] = field(default_factory=list)
    answer_ms: list[float] = field(default_factory=list)
    scored: list[tuple[float | None, bool]] = field(default_factory=list)  # (confidence, hit) per answered question

    def add_ranks(self, first_hit: int | None, article_hit: int | None, fresh_hit: int | None = None) -> None:
        for k in KS:
            self.chunk_hits[k] += int(first_hit is not None and first_hit <= k)
            self.article_hits[k] += int(article_hit is not None and article_hit <= k)
            self.fresh_hits[k] += int(fresh_hit is not None and fresh_hit <= k)
        self.reciprocal_ranks += 1.0 / first_hit if first_hit else 0.0

    def add_prediction(self, prediction: str, golds: list[str], *, stale: bool, confidence: float | None = None) -> bool:
        """Score one answered question; returns whether it holds a gold answer."""
        hit = contains_answer(prediction, golds)
        self.recall_hits += int(hit)
        self.f1_total += token_f1(prediction, golds)
        self.words_total += len(prediction.split())
        self.stale_answered += int(stale)
        self.scored.append((confidence, hit))
        return hit

    def summary(self) -> dict[str, Any]:
        n = max(self.n, 1)
        answered = max(self.n - self.refusals, 1)
        return {
            "questions": self.n,
            "chunk_answer_hit": {f"@{k}": round(v / n, 4) for k, v in self.chunk_hits.items()},
            "article_answer_hit": {f"@{k}": round(v / n, 4) for k, v in self.article_hits.items()},
            "fresh_chunk_answer_hit": {f"@{k}": round(v / n, 4) for k, v in self.fresh_hits.items()},
            "mrr@10": round(self.reciprocal_ranks / n, 4),
            "answer_recall": round(self.recall_hits / n, 4),
            "answer_f1": round(self.f1_total / n, 4),
            "short_answer_f1": round(self.short_f1_total / n, 4),
            "mean_answer_words": round(self.words_total / answered, 1),
            "refusal_rate": round(self.refusals / n, 4),
            "stale_rate": round(self.stale_answered / answered, 4),
            "stale_answered": self.stale_answered,
            "precision_at_coverage": {
                "coverage": round((self.n - self.refusals) / n, 4),
                "precision": round(self.recall_hits / answered, 4),
                "curve": _precision_curve(self.scored),
            },
            "citations_verified": round(self.citations_verified / max(self.citations, 1), 4),
            "retrieval_ms": {"p50": round(_percentile(self.retrieval_ms, 50), 1),
                             "p95": round(_percentile(self.retrieval_ms, 95), 1)},
            "answer_ms": {"p50": round(_percentile(self.answer_ms, 50), 1),
                          "p95": round(_percentile(self.answer_ms, 95), 1)},
        }


def _score_answer(result: EvalResult, desk: Newsdesk, answer: Answer, golds: list[str], as_of: dt.date) -> None:
    """Fold one answer into ``result``: refusals score 0 everywhere and are left out of the
    answered-only figures (words, stale, precision)."""
    result.n += 1
    result.citations += len(answer.citations)
    result.citations_verified += len(answer.citations) if not verify_answer(answer, desk.store) else 0
    if answer.refused:
        result.refusals += 1
        return
    first = answer.citations[0].published if answer.citations else None
    confidence = getattr(answer, "confidence", None)
    result.add_prediction(answer.answer, golds, stale=is_stale(first, as_of),
                          confidence=float(confidence) if confidence is not None else None)
    result.short_f1_total += token_f1(answer.short_answer or "", golds)


def _prediction_line(q: dict[str, Any], answer: Answer) -> str:
    """The predictions contract: exactly id, prediction ("" when refused), short_answer, citations."""
    return json.dumps({
        "id": q["id"],
        "prediction": "" if answer.refused else answer.answer,
        "short_answer": None if answer.refused else (answer.short_answer or None),
        "citations": [c.model_dump() for c in answer.citations],
    }, ensure_ascii=False) + "\n"


def evaluate(
    desk: Newsdesk, questions: list[dict[str, Any]], predictions: TextIO | None = None,
    progress: bool | Literal["lines"] = False,
) -> EvalResult:
    """Ask every question with its own date as the reference date and score the results; ``progress``:
    True draws a bar (for a terminal), "lines" prints a plain line now and then (for a log)."""
    result = EvalResult()
    for_each_question(questions, lambda q: _evaluate_one(desk, q, result, predictions), progress, label="eval")
    return result


def for_each_question(questions: list[dict[str, Any]], score: Callable[[dict[str, Any]], None],
                      progress: bool | Literal["lines"], *, label: str) -> None:
    """``score`` each question in turn, counting them as ``progress`` says (a bar, plain lines, nothing)."""
    from ingest.progress import progress_bar

    bar = progress_bar(progress, len(questions), label=label, unit="questions")
    try:
        for q in questions:
            score(q)
            bar.update(1)
    finally:
        bar.close()


def _evaluate_one(desk: Newsdesk, q: dict[str, Any], result: EvalResult, predictions: TextIO | None) -> None:
    """Search and ask one question, timing both, and fold it into ``result``."""
    as_of = dt.date.fromisoformat(q["date"])
    golds = [g for g in q.get("answers", []) if g]
    t0 = time.perf_counter()
    passages = desk.search(q["question"], 10, as_of=as_of)
    result.retrieval_ms.append((time.perf_counter() - t0) * 1000)
    result.add_ranks(*hit_ranks(((p.article_id, p.text) for p in passages), golds, desk.store.article_text),
                     fresh_hit_rank(((p.published, p.text) for p in passages), golds, as_of))

    t1 = time.perf_counter()
    answer = desk.ask(q["question"], as_of=as_of)
    result.answer_ms.append((time.perf_counter() - t1) * 1000)
    _score_answer(result, desk, answer, golds, as_of)
    if predictions is not None:
        predictions.write(_prediction_line(q, answer))


def run_eval(
    settings: Settings, articles: Path, questions_file: Path, *, limit: int | None = None,
    predictions: Path = Path("predictions.jsonl"), field_map: dict[str, str] | None = None,
    progress: bool | Literal["lines"] = False, baseline: bool = False,
) -> dict[str, Any]:
    """Build (or reuse) the index of ``articles`` under ``settings.data_dir``, ask every question and
    return the figures (one JSON object), writing per-question predictions. With ``baseline``, also
    score a naive BM25 pipeline on the same articles and questions, so a figure has something to beat.
    Questions that list their search results also get the share whose answer those stories hold
    (:mod:`benchmarks.ceiling`), the most answer recall could be."""
    desk = open_newsdesk(settings)
    report = desk.ingest([articles], field_map=field_map, progress=progress)
    questions = list(load_questions(questions_file, limit))
    with predictions.open("w", encoding="utf-8") as out:
        result = evaluate(desk, questions, out, progress=progress)
    figures: dict[str, Any] = {
        "articles_file": str(articles), "questions_file": str(questions_file), "mode": desk.mode,
        "index": {"articles": desk.stats()["articles"], "chunks": desk.chunk_count(),
                  "ingest_added": report.added, "ingest_s": round(report.elapsed_s, 1)},
        **result.summary(), "predictions": str(predictions),
    }
    from benchmarks.ceiling import answer_ceiling

    ceiling = answer_ceiling(articles, questions, predictions, field_map)
    if ceiling is not None:
        figures["answer_in_own_stories"] = ceiling
    if baseline:
        from benchmarks.baseline import baseline_eval

        base = baseline_eval(articles, questions, progress=progress)
        figures["baseline"] = base
        figures["vs_baseline"] = {
            "chunk_answer_hit@5": round(figures["chunk_answer_hit"]["@5"] - base["chunk_answer_hit"]["@5"], 4),
            "answer_recall": round(figures["answer_recall"] - base["answer_recall"], 4),
        }
    return figures
