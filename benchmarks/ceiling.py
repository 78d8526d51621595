"""How often the answer was there to find: the share of questions whose gold answer occurs in a story
the question's own web search returned (RealTime QA's ``search_urls``) that is in the articles file and
was published by the day the question was asked (undated stories count), and the share for which such
a story is from the STALE_DAYS before that day.

No reader of those stories can be right more often than the first share (short of an answer that
happens to occur in some other story), so ``newsdesk eval`` prints it with the answer recall of its
predictions on the same questions: a recall figure means little until one knows how much of it the
collection allows. Questions without ``search_urls`` are left out of all three.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from benchmarks.baseline import read_articles
from benchmarks.evaluation import STALE_DAYS, as_date, contains_answer, gold_keys, normalize_answer
from ingest.sources import FieldMap, record_fields

__all__ = ["answer_ceiling"]


def answer_ceiling(articles: Path, questions: list[dict[str, Any]], predictions: Path | None = None,
                   field_map: FieldMap | None = None) -> dict[str, Any] | None:
    """{"questions", "in_own_stories", "in_own_recent_stories"} over the questions that list their search
    results, with "answer_recall" there when ``predictions`` (eval's JSONL) is given; None when no
    question lists them. The articles' fields are read as ingest reads them (``field_map`` as for ingest)."""
    listed = [(q, urls) for q in questions if (urls := _urls(q))]
    if not listed:
        return None
    wanted = {url for _, urls in listed for url in urls}
    stories: dict[str, tuple[dt.date | None, str]] = {}
    for record in read_articles(articles):
        a = record_fields(record, field_map)
        url = a.get("url")
        if isinstance(url, str) and url in wanted and url not in stories:
            text = normalize_answer(f"{a.get('title') or ''} . {a.get('text') or ''}")
            stories[url] = (as_date(a.get("published")), f" {text} ")
    said = _predictions(predictions) if predictions is not None else None
    anywhere = recent = right = 0
    for q, urls in listed:
        asked = dt.date.fromisoformat(q["date"])
        answers = [x for x in q.get("answers") or [] if isinstance(x, str) and x]
        golds = gold_keys(answers)  # the stories' texts are normalised once, above
        found = [day for day, text in (stories[u] for u in urls if u in stories)
                 if (day is None or day <= asked) and any(g in text for g in golds)]
        anywhere += bool(found)
        recent += any(day is not None and (asked - day).days <= STALE_DAYS for day in found)
        right += said is not None and contains_answer(said.get(q["id"]) or "", answers)
    n = len(listed)
    figures: dict[str, Any] = {"questions": n, "in_own_stories": round(anywhere / n, 4),
                               "in_own_recent_stories": round(recent / n, 4)}
    if said is not None:
        figures["answer_recall"] = round(right / n, 4)
    return figures


def _urls(q: dict[str, Any]) -> list[str]:
    urls = q.get("search_urls")
    return [u for u in urls if isinstance(u, str) and u] if isinstance(urls, list) else []


def _predictions(path: Path) -> dict[str, str]:
    """Each question's answer text in eval's predictions JSONL ("" when refused)."""
    with path.open(encoding="utf-8") as f:
        return {p["id"]: p.get("prediction") or "" for p in map(json.loads, filter(str.strip, f))}
