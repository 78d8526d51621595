"""The LLM path: a LangChain (LCEL) chain over any OpenAI-compatible endpoint, then grounding.

``prompt | ChatOpenAI | StrOutputParser`` produces text with [n] markers; :func:`ground` then keeps
only what the sources support: markers must name a given source, quoted spans must occur verbatim
in the cited source (or are re-anchored to the source that has them), uncited sentences are dropped,
and an answer with nothing verifiable left is a refusal.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableLambda

from assistant.citations import MARKER, citation_for
from assistant.config import Settings
from assistant.errors import LLMError
from assistant.models import Citation, Passage
from assistant.prompts import render
from assistant.text import find_verbatim, normalize_quote, sentences, terms

__all__ = ["LLMAnswerer", "ground", "ground_stream", "Grounder", "make_chat_model", "REFUSAL_TOKEN", "REFUSAL_TEXT"]

REFUSAL_TOKEN = "NOT_IN_SOURCES"
REFUSAL_TEXT = "The stories I have don't say."
_QUOTED = re.compile(r"[“\"]([^”\"]{8,})[”\"]")


def make_chat_model(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        api_key=settings.openai_api_key or "not-needed",
        base_url=settings.openai_base_url,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
    )


def format_sources(passages: list[Passage]) -> str:
    blocks = []
    for n, p in enumerate(passages, 1):
        header = f'<source id="{n}" title="{_attr(p.title)}" outlet="{_attr(p.source or "unknown")}" ' \
                 f'date="{p.published_iso or "unknown"}">'
        blocks.append(f"{header}\n{_SOURCE_TAG.sub('‹', p.text)}\n</source>")
    return "\n".join(blocks)


_SOURCE_TAG = re.compile(r"<(?=\s*/?\s*sources?\b)", re.IGNORECASE)  # an article must not open or close a block


def _attr(value: str) -> str:
    return value.replace('"', "'").replace("<", "(").replace(">", ")")


class LLMAnswerer:
    """Answers with an OpenAI-compatible chat model, then grounds the answer in the passages."""

    def __init__(self, settings: Settings, llm: BaseChatModel | None = None) -> None:
        self.settings = settings
        self.llm = llm or make_chat_model(settings)

    def _messages(self, question: str, passages: list[Passage], today: dt.date) -> list[Any]:
        prompts = self.settings.prompts_dir
        return [
            SystemMessage(render(prompts, "system")),
            HumanMessage(render(prompts, "answer", today=today.isoformat(), sources=format_sources(passages),
                                question=question)),
        ]

    def chain(self, today: dt.date) -> Runnable[dict[str, Any], str]:
        """LCEL: {question, passages} -> messages -> chat model -> text."""
        to_messages: RunnableLambda[dict[str, Any], list[Any]] = RunnableLambda(
            lambda x: self._messages(x["question"], x["passages"], today)
        )
        return to_messages | self.llm | StrOutputParser()

    def answer(
        self, question: str, passages: list[Passage], today: dt.date | None = None
    ) -> tuple[str, list[Citation], bool]:
        if not passages:
            return REFUSAL_TEXT, [], True
        try:
            raw = self.chain(today or dt.date.today()).invoke({"question": question, "passages": passages})
        except Exception as exc:  # openai raises many types; the user needs one clear message
            raise LLMError(f"the LLM at {self.settings.openai_base_url or 'api.openai.com'} failed: {exc}") from exc
        return ground(raw, passages)

    def stream(
        self, question: str, passages: list[Passage], today: dt.date | None = None
    ) -> Iterator[str | tuple[str, list[Citation], bool]]:
        """Verified sentences as the model writes them, then the final (text, citations, refused)."""
        if not passages:
            yield REFUSAL_TEXT, [], True
            return
        yield from ground_stream(self._deltas(question, passages, today), passages)

    def _deltas(self, question: str, passages: list[Passage], today: dt.date | None) -> Iterator[str]:
        try:
            yield from self.chain(today or dt.date.today()).stream({"question": question, "passages": passages})
        except Exception as exc:
            raise LLMError(f"the LLM at {self.settings.openai_base_url or 'api.openai.com'} failed: {exc}") from exc

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        """A standalone question from a follow-up and the conversation so far."""
        if not history:
            return question
        lines = "\n".join(f"{role}: {text}" for role, text in history[-6:])
        prompt = render(self.settings.prompts_dir, "condense", history=lines, question=question)
        try:
            result = self.llm.invoke([HumanMessage(prompt)])
        except Exception as exc:
            raise LLMError(f"the LLM failed while rewriting the question: {exc}") from exc
        text = result.content if isinstance(result, AIMessage) else str(result)
        text = str(text).strip().strip('"').split("\n")[0].strip()
        return text or question


def _best_sentence(passage: Passage, claim: str, span: str | None) -> tuple[int, int]:
    """The sentence of the passage (article offsets) that best supports ``claim``."""
    claim_terms = set(terms(claim))
    best, best_score = None, -1.0
    for a, b in sentences(passage.text):
        sent = passage.text[a:b]
        if span and find_verbatim(span, sent):
            return passage.start + a, passage.start + b
        score = len(claim_terms & set(terms(sent))) / (1 + len(claim_terms))
        if score > best_score:
            best, best_score = (a, b), score
    assert best is not None
    return passage.start + best[0], passage.start + best[1]


_MARKER_AFTER_STOP = re.compile(r"([.!?…][”\"’']?)((?:\s*\[\d{1,3}\])+)")


def _markers_inside(text: str) -> str:
    """ "... fact. [1] Next" -> "... fact [1]. Next": keep each marker inside its sentence."""
    return _MARKER_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), text)


class Grounder:
    """Checks an LLM answer sentence by sentence against the passages it was given.

    ``feed`` returns the sentence as it may be shown (markers renumbered, a misattributed quote
    re-anchored) or None when it must be dropped: a quote found in no source, no valid citation.
    Used whole by :func:`ground` and incrementally while streaming.
    """

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.citations: list[Citation] = []
        self._order: dict[tuple[int, int, int], int] = {}

    def feed(self, sentence: str) -> str | None:
        passages = self.passages
        cited = [int(m) - 1 for m in MARKER.findall(sentence) if 0 < int(m) <= len(passages)]
        spans = [m.group(1) for m in _QUOTED.finditer(sentence)]
        for span in spans:
            holders = [i for i, p in enumerate(passages) if find_verbatim(span, p.text)]
            if not holders:
                return None  # a quote that is in no source
            if not set(cited) & set(holders):
                cited = [holders[0]]  # re-anchor to the source that does contain it
        bare = MARKER.sub("", sentence).strip()
        if not cited or len(normalize_quote(bare)) < 3 or REFUSAL_TOKEN in bare:
            return None
        numbers = []
        for i in dict.fromkeys(cited):
            span = next((x for x in spans if find_verbatim(x, passages[i].text)), None)
            start, end = _best_sentence(passages[i], bare, span)
            key = (i, start, end)
            if key not in self._order:
                self._order[key] = len(self.citations) + 1
                p = passages[i]
                self.citations.append(citation_for(self._order[key], p, p.text[start - p.start : end - p.start]))
            numbers.append(self._order[key])
        bare = re.sub(r"\s+([.,;:!?])", r"\1", bare)
        return bare + " " + "".join(f"[{n}]" for n in numbers)


def ground(raw: str, passages: list[Passage]) -> tuple[str, list[Citation], bool]:
    """Keep only verifiable sentences of an LLM answer; renumber and build citations."""
    text = raw.strip()
    if not text or text.startswith(REFUSAL_TOKEN):
        return REFUSAL_TEXT, [], True
    text = _markers_inside(text)
    grounder = Grounder(passages)
    kept = [s for s in (grounder.feed(text[a:b]) for a, b in sentences(text)) if s]
    if not kept:
        return REFUSAL_TEXT, [], True
    return " ".join(kept), grounder.citations, False


def ground_stream(deltas: Iterator[str], passages: list[Passage]) -> Iterator[str | tuple[str, list[Citation], bool]]:
    """Ground a token stream as it arrives: yields each verified sentence (as text to show) and,
    last, the final (text, citations, refused)."""
    grounder = Grounder(passages)
    buffer = ""
    kept: list[str] = []
    for delta in deltas:
        buffer = _markers_inside(buffer + delta)
        spans = list(sentences(buffer))
        for a, b in spans[:-1]:
            shown = grounder.feed(buffer[a:b])
            if shown:
                kept.append(shown)
                yield shown + " "
        if len(spans) > 1:
            buffer = buffer[spans[-1][0] :]
    tail = buffer.strip()
    if tail and not tail.startswith(REFUSAL_TOKEN):
        for a, b in sentences(tail):
            shown = grounder.feed(tail[a:b])
            if shown:
                kept.append(shown)
                yield shown
    if not kept:
        yield REFUSAL_TEXT, [], True
    else:
        yield " ".join(kept), grounder.citations, False
