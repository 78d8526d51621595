"""Citations: build them from article spans and verify that every quote occurs in its article."""

from __future__ import annotations

import re

from assistant.index import Index
from assistant.models import Answer, Citation, Passage
from assistant.text import find_verbatim

__all__ = ["citation_for", "verify_answer", "MARKER"]

MARKER = re.compile(r"\[(\d{1,3})\]")


def citation_for(n: int, passage: Passage, quote: str) -> Citation:
    return Citation(
        n=n,
        article_id=passage.article_id,
        chunk_id=passage.chunk_id,
        title=passage.title,
        url=passage.url,
        source=passage.source,
        published=passage.published_iso,
        quote=quote,
    )


def verify_answer(answer: Answer, store: Index) -> list[str]:
    """Problems with an answer's evidence (empty list = verified): every [n] in the text has a
    citation, every citation's quote occurs verbatim in the stored article text."""
    problems: list[str] = []
    numbers = {c.n for c in answer.citations}
    for m in MARKER.finditer(answer.answer):
        if int(m.group(1)) not in numbers:
            problems.append(f"marker [{m.group(1)}] has no citation")
    for c in answer.citations:
        try:
            text = store.article_text(c.article_id)
        except Exception:  # noqa: BLE001 - a missing article is exactly the problem to report
            problems.append(f"[{c.n}] cites unknown article {c.article_id}")
            continue
        if not find_verbatim(c.quote, text):
            problems.append(f"[{c.n}] quote does not occur in article {c.article_id}")
    if answer.refused and answer.citations:
        problems.append("a refusal carries citations")
    if answer.short_answer is not None:
        if not any(find_verbatim(answer.short_answer, c.quote) for c in answer.citations):
            problems.append(f"the short answer {answer.short_answer!r} is in no cited quote")
        elif not answer.answer.startswith(answer.short_answer):
            problems.append("the answer does not start with its short answer")
    return problems
