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
from benchmarks.evaluation import STALE_DAYS, as_date, contains_answer, normalize_answer

__all__ = ["answer_ceiling"]


def answer_ceiling(articles: Path, questions: list[dict[str, Any]], predictions: Path | None = None
                   ) -> dict[str, Any] | None:
    """{"questions", "in_own_stories", "in_own_recent_stories"} over the questions that list their search
    results, with "answer_recall" there when ``predictions`` (eval's JSONL) is given; None when no
    question lists them."""
    listed = [q for q in questions if q.get("search_urls")]
    if not listed:
        return None
    wanted = {url for q in listed for url in q["search_urls"]}
    stories: dict[str, tuple[dt.date | None, str]] = {}
    for a in read_articles(articles):
        url = a.get("url")
        if isinstance(url, str) and url in wanted and url not in stories:
            text = f"{a.get('title') or ''} . {a.get('text') or ''}"
            stories[url] = (as_date(a.get("published")), f" {normalize_answer(text)} ")
    anywhere = recent = 0
    for q in listed:
        asked = dt.date.fromisoformat(q["date"])
        golds = [f" {g} " for g in (normalize_answer(x) for x in q.get("answers", []) if x) if g.strip()]
        found = [day for day, text in (stories[u] for u in q["search_urls"] if u in stories)
                 if (day is None or day <= asked) and any(g in text for g in golds)]
        anywhere += bool(found)
        recent += any(day is not None and (asked - day).days <= STALE_DAYS for day in found)
    n = len(listed)
    figures: dict[str, Any] = {"questions": n, "in_own_stories": round(anywhere / n, 4),
                               "in_own_recent_stories": round(recent / n, 4)}
    if predictions is not None:
        with predictions.open(encoding="utf-8") as f:
            said = {p["id"]: p["prediction"] for p in map(json.loads, filter(str.strip, f))}
        right = sum(contains_answer(said.get(q["id"]) or "", q.get("answers", [])) for q in listed)
        figures["answer_recall"] = round(right / n, 4)
    return figures
