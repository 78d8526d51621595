"""The assistant as one object: retrieve, answer (LLM or extractive), verify. Edges call this."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from assistant.chain import REFUSAL_TEXT, LLMAnswerer
from assistant.citations import verify_answer
from assistant.config import Settings
from assistant.embeddings import make_embeddings
from assistant.errors import InputError
from assistant.extractive import ExtractiveAnswerer
from assistant.followup import carry_over
from assistant.models import Answer, Citation, Passage
from assistant.retrieval import HybridSearch
from assistant.store import Filters, Store
from assistant.timeframe import TimeFrame, read_timeframe

__all__ = ["Newsdesk", "open_newsdesk"]

MAX_QUESTION_CHARS = 2000


@dataclass
class Newsdesk:
    """Store + embedder + retrieval + answerers, wired once and shared by the CLI, API and page."""

    settings: Settings
    store: Store
    embedder: Embeddings
    llm: BaseChatModel | None = None

    def __post_init__(self) -> None:
        self.search_engine = HybridSearch(self.store, self.embedder, self.settings)
        self.extractive = ExtractiveAnswerer(self.store, self.embedder)
        self.llm_answerer = LLMAnswerer(self.settings, self.llm) if (self.llm or self.settings.llm_configured) else None

    @property
    def mode(self) -> str:
        return "llm" if self.llm_answerer else "extractive"

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None, *, as_of: dt.date | None = None
    ) -> list[Passage]:
        _check_question(query)
        as_of = as_of or dt.date.today()
        return self.search_engine.search(query, k, filters, as_of=as_of, timeframe=read_timeframe(query, as_of))

    def ask(
        self,
        question: str,
        *,
        history: list[tuple[str, str]] | None = None,
        filters: Filters | None = None,
        as_of: dt.date | None = None,
    ) -> Answer:
        """Answer a question from the indexed stories, with verified citations (or a refusal).

        ``history`` is the conversation so far as (role, text) pairs; a follow-up is rewritten into a
        standalone question (by the LLM, or by carrying over names and time frame without one).
        ``as_of`` is the reference date for "last week" and friends (default: today).
        """
        final = None
        for event in self.ask_stream(question, history=history, filters=filters, as_of=as_of, deltas=False):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    def ask_stream(
        self,
        question: str,
        *,
        history: list[tuple[str, str]] | None = None,
        filters: Filters | None = None,
        as_of: dt.date | None = None,
        deltas: bool = True,
    ) -> Iterator[str | Answer]:
        """Like :meth:`ask`, streaming: text pieces of the answer as they are ready (each already
        verified), then the final :class:`Answer`. Its ``answer`` text is what the pieces add up to."""
        _check_question(question)
        as_of = as_of or dt.date.today()
        t0 = time.perf_counter()
        standalone = self.standalone_question(question, history or [])
        t1 = time.perf_counter()
        timeframe = read_timeframe(standalone, as_of)
        passages = self.search_engine.search(standalone, self.settings.top_k, filters, as_of=as_of,
                                             timeframe=timeframe)
        t2 = time.perf_counter()
        streamed = ""
        if self.llm_answerer and deltas:
            result = None
            for item in self.llm_answerer.stream(standalone, passages, as_of):
                if isinstance(item, str):
                    streamed += item
                    yield item
                else:
                    result = item
            assert result is not None
            text, citations, refused = result
        else:
            if self.llm_answerer:
                text, citations, refused = self.llm_answerer.answer(standalone, passages, as_of)
            else:
                text, citations, refused = self.extractive.answer(standalone, passages)
        t3 = time.perf_counter()
        note = "" if refused else self._outside_window_note(timeframe, filters, citations, as_of)
        text += note
        answer = Answer(question=question, answer=text, refused=refused, citations=citations)
        if standalone != question:
            answer.standalone_question = standalone
        problems = verify_answer(answer, self.store)
        if problems:  # never show evidence that does not check out
            answer = Answer(question=question, answer=REFUSAL_TEXT, refused=True)
        t4 = time.perf_counter()
        if deltas and not streamed:
            yield from _pieces(answer.answer)
        elif deltas and problems:  # what was streamed did not survive the final check: say so
            yield "\n\n" + answer.answer
        elif deltas and note:
            yield note
        answer.timings_ms = {
            "condense": round((t1 - t0) * 1000, 2),
            "retrieve": round((t2 - t1) * 1000, 2),
            "answer": round((t3 - t2) * 1000, 2),
            "verify": round((t4 - t3) * 1000, 2),
            "total": round((t4 - t0) * 1000, 2),
        }
        yield answer

    def _outside_window_note(
        self, timeframe: TimeFrame, filters: Filters | None, citations: list[Citation], as_of: dt.date
    ) -> str:
        """A question's own window is a preference (``settings.window_weight``): when none of the
        stories cited lies inside it, the answer ends by saying so."""
        window = self.search_engine.preferred_window(timeframe, filters)
        if not citations or window is None:
            return ""
        if any(window.days_outside(c.published_date) == 0 for c in citations):
            return ""
        since = window.since.isoformat() if window.since else None
        until = min(window.until or as_of, as_of).isoformat()
        span = f"{since} to {until}" if since else f"up to {until}"
        what = _CALENDAR_WORD.sub(lambda m: m.group(0).capitalize(), timeframe.phrase or "in that time")
        return f"\n\n(None of these stories is dated {what}, {span}: they are the best matches from other dates.)"

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for: the BM25 index, the model's kernels,
        Chroma's vector segment (loaded on its first query: ~0.7 s at 130k chunks)."""
        self.store.lexical_index()
        self.store.dense_search(self.embedder.embed_query("warm up"), 1, Filters())

    def standalone_question(self, question: str, history: list[tuple[str, str]]) -> str:
        if not history:
            return question
        if self.llm_answerer:
            return self.llm_answerer.condense(question, history)
        return carry_over(question, [text for role, text in history if role == "user"])


_CALENDAR_WORD = re.compile(r"\b(?:" + "|".join(n.lower() for n in (*calendar.month_name[1:], *calendar.day_name))
                            + r")\b")


def _pieces(text: str) -> Iterator[str]:
    """An already-final text in word-sized pieces, for a streaming client."""
    for m in re.finditer(r"\S+\s*", text):
        yield m.group(0)


def _check_question(question: str) -> None:
    if not question or not question.strip():
        raise InputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}")


def open_newsdesk(settings: Settings, *, embedder: Embeddings | None = None, llm: BaseChatModel | None = None) -> Newsdesk:
    """Open the index under ``settings.data_dir`` (or the Chroma server) with the configured models."""
    store = Store(settings)
    return Newsdesk(settings=settings, store=store, embedder=embedder or make_embeddings(settings), llm=llm)
