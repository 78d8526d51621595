"""The assistant as one object: retrieve, answer (LLM or extractive), verify. Edges call this."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from assistant.answering.citations import verify_answer
from assistant.answering.draft import Delta, Draft, Final, collect
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.freshness import is_stale, not_recent
from assistant.answering.grounding import REFUSAL_TEXT
from assistant.answering.llm import LLMAnswerer
from assistant.answering.notes import outside_window_note
from assistant.config import Settings
from assistant.errors import InputError
from assistant.index import Filters, Index
from assistant.index.embeddings import LazyEmbeddings
from assistant.index.tokens import count_tokens
from assistant.models import Answer, Passage
from assistant.question import Question, read_question
from assistant.retrieval import HybridSearch, effective_filters
from assistant.text import not_utf8, without_surrogates
from ingest.pipeline import IngestReport, ingest_paths

__all__ = ["Newsdesk", "open_newsdesk", "Filters", "Answer", "Delta", "Final", "IngestReport", "MAX_QUESTION_CHARS"]

MAX_QUESTION_CHARS = 2000
log = logging.getLogger(__name__)


@dataclass
class Newsdesk:
    """Index + embedder + retrieval + answerers, wired once and shared by the CLI, API and page.

    The edges need nothing else: ask, search, ingest, delete, stats and the article list are here."""

    settings: Settings
    store: Index
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
        return self.search_engine.search(read_question(query, as_of=as_of), k, filters)

    def ask(
        self,
        question: str,
        *,
        history: list[tuple[str, str]] | None = None,
        filters: Filters | None = None,
        as_of: dt.date | None = None,
        max_tokens: int | None = None,
    ) -> Answer:
        """Answer a question from the indexed stories, with verified citations (or a refusal).

        ``history`` is the conversation so far as (role, text) pairs; a follow-up is rewritten into a
        standalone question (by the LLM, or by carrying over names and time frame without one).
        ``as_of`` is the reference date for "last week" and friends (default: today).
        ``max_tokens`` is the LLM's output limit for the answer (LLM mode; the extractive answerer has none).
        """
        return collect(self.ask_stream(question, history=history, filters=filters, as_of=as_of,
                                       max_tokens=max_tokens, deltas=False))

    def ask_stream(
        self,
        question: str,
        *,
        history: list[tuple[str, str]] | None = None,
        filters: Filters | None = None,
        as_of: dt.date | None = None,
        max_tokens: int | None = None,
        deltas: bool = True,
    ) -> Iterator[Delta | Final]:
        """Like :meth:`ask`, streaming: :class:`Delta` pieces of the answer as they are ready (each
        already verified), then :class:`Final` with the answer, whose text the pieces add up to."""
        _check_question(question)
        t0 = time.perf_counter()
        condense = self.llm_answerer.condense if self.llm_answerer else None
        asked = read_question(question, _readable(history), as_of, condense=condense)
        t1 = time.perf_counter()
        passages = self.search_engine.search(asked, self.settings.top_k, filters)
        t2 = time.perf_counter()
        streamed, llm = "", self._answering_llm(max_tokens)
        if llm and deltas:
            draft = None
            for item in llm.stream(asked.standalone, passages, asked.as_of):
                if isinstance(item, Delta):
                    streamed += item.text
                    yield item
                else:
                    draft = item
            assert draft is not None
        elif llm:
            draft = llm.answer(asked.standalone, passages, asked.as_of)
        else:
            draft = self._answer_extractively(asked, passages, filters)
        t3 = time.perf_counter()
        window = self.search_engine.preferred_window(asked.timeframe, filters)
        note = "" if draft.refused or window is None else outside_window_note(window, draft.citations, asked.as_of)
        answer = Answer(question=question, answer=draft.text + note, refused=draft.refused, citations=draft.citations,
                        short_answer=None if draft.refused else draft.short_answer,
                        confidence=None if draft.refused else draft.confidence)
        if asked.rewritten:
            answer.standalone_question = asked.standalone
        problems = verify_answer(answer, self.store)
        if problems:  # never show evidence that does not check out
            answer = Answer(question=question, answer=REFUSAL_TEXT, refused=True)
        t4 = time.perf_counter()
        if deltas and not streamed:
            yield from (Delta(piece) for piece in _pieces(answer.answer))
        elif deltas and problems:  # what was streamed did not survive the final check: say so
            yield Delta("\n\n" + answer.answer)
        elif deltas and note:
            yield Delta(note)
        answer.timings_ms = {
            "condense": round((t1 - t0) * 1000, 2),
            "retrieve": round((t2 - t1) * 1000, 2),
            "answer": round((t3 - t2) * 1000, 2),
            "verify": round((t4 - t3) * 1000, 2),
            "total": round((t4 - t0) * 1000, 2),
        }
        yield Final(answer)

    def _answer_extractively(self, asked: Question, passages: list[Passage], filters: Filters | None) -> Draft:
        """The extractive answer; for a question about now, from the present's stories or a refusal
        (see :mod:`assistant.answering.freshness`). What someone said is quoted whatever its date."""
        draft = self.extractive.answer(asked, passages)
        present = self.search_engine.present_frame(asked, filters)
        if present is None or asked.info.kind == "say" or not is_stale(draft, present):
            return draft
        strict = effective_filters(filters or Filters(), present, asked.as_of)
        recent = self.search_engine.search(asked, self.settings.top_k, replace(strict, include_undated=False))
        fresh = self.extractive.answer(asked, recent) if recent else Draft.refusal()
        return fresh if not fresh.refused else not_recent(draft, present, asked.as_of)

    def _answering_llm(self, max_tokens: int | None) -> LLMAnswerer | None:
        """The LLM answerer, its model bound to ``max_tokens`` when given (condensing stays unbounded)."""
        if self.llm_answerer is None or max_tokens is None:
            return self.llm_answerer
        # the answerer only chains and invokes its model, which a binding does as well
        bound = cast(BaseChatModel, self.llm_answerer.llm.bind(max_tokens=max_tokens))
        return LLMAnswerer(self.settings, bound)

    @staticmethod
    def count_tokens(text: str) -> int:
        """``text``'s length in cl100k_base tokens (the encoding ships with newsdesk: no download)."""
        return count_tokens(text)

    def understand(
        self, question: str, *, history: list[tuple[str, str]] | None = None, as_of: dt.date | None = None
    ) -> str:
        """The question as it will be answered: a follow-up rewritten to stand alone (see :meth:`ask`),
        else the question itself. Asking the result with no history gives the same answer, so a client
        can show it before the answer."""
        _check_question(question)
        condense = self.llm_answerer.condense if self.llm_answerer else None
        return read_question(question, _readable(history), as_of, condense=condense).standalone

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for: the BM25 index, the model's kernels,
        Chroma's vector segment (loaded on its first query: ~0.7 s at 130k chunks)."""
        self.store.lexical_index()
        self.store.dense_search(self.embedder.embed_query("warm up"), 1, Filters())

    def follow(self, interval_s: float | None = None) -> Callable[[], None]:
        """Keep this process in step with a catalog other processes write (serving replicas): every
        ``interval_s`` (default ``settings.refresh_s``) a background thread applies their changes, and
        lexical rebuilds move to a background thread. Returns the function that stops it."""
        self.store.lexical.follow_in_background()
        stop = threading.Event()
        interval = interval_s if interval_s is not None else self.settings.refresh_s

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    self.store.refresh()
                except Exception:  # a database blip must not end following; the next tick retries
                    log.warning("newsdesk: catching up with the catalog failed", exc_info=True)

        threading.Thread(target=loop, name="newsdesk-follow", daemon=True).start()
        return stop.set

    # -- the collection ------------------------------------------------------------------------

    def ingest(
        self, paths: list[Path | str], *, field_map: dict[str, str] | None = None,
        progress: bool | Literal["lines"] = False, workers: int = 1, max_records: int | None = None,
    ) -> IngestReport:
        """Add files, folders and URLs to the index (see :func:`ingest.pipeline.ingest_paths`)."""
        return ingest_paths(paths, self.store, self.embedder, self.settings, field_map=field_map, progress=progress,
                            workers=workers, max_records=max_records)

    def delete(self, ids: Sequence[str] = (), *, source: str | None = None, before: dt.date | None = None) -> int:
        """Delete articles by id, by outlet, or published before a day. Returns how many existed."""
        self.store.recover()
        wanted = list(ids)
        if source or before:
            wanted += self.store.ids_matching(source=source, before=before)
        if not wanted:
            raise InputError("nothing to delete: give article ids, --source or --before")
        return self.store.delete_articles(sorted(set(wanted)))

    def stats(self) -> dict[str, Any]:
        """What the index holds and where, the embedding model and the answer mode."""
        model = self.settings.embedding_model
        if model == "local":
            model = f"all-MiniLM-L6-v2/{self.settings.embedding_precision} (bundled)"
        return {**self.store.stats(), "embedding_model": model, "answers": self.mode}

    def articles(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        return self.store.list_articles(limit, offset)

    def chunk_count(self) -> int:
        return self.store.chunk_count()


def _pieces(text: str) -> Iterator[str]:
    """An already-final text in word-sized pieces, for a streaming client."""
    for m in re.finditer(r"\S+\s*", text):
        yield m.group(0)


def _check_question(question: str) -> None:
    if not question or not question.strip():
        raise InputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}")
    where = not_utf8(question)
    if where:  # refused: answering a question with a character changed may answer another question
        raise InputError(f"the question is not UTF-8 text ({where}); check the terminal's or the client's encoding")


def _readable(history: list[tuple[str, str]] | None) -> list[tuple[str, str]] | None:
    """The conversation so far, any lone surrogate in it replaced (it is context, not the question: a
    page's conversation keeps the turn that was refused)."""
    return [(role, without_surrogates(text)) for role, text in history] if history else history


def open_newsdesk(settings: Settings, *, embedder: Embeddings | None = None, llm: BaseChatModel | None = None) -> Newsdesk:
    """The index under ``settings.data_dir`` (or the Chroma server) with the configured models; the
    index opens on first use."""
    store = Index(settings)
    return Newsdesk(settings=settings, store=store, embedder=embedder or LazyEmbeddings(settings), llm=llm)
