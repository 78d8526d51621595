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

__all__ = ["LLMAnswerer", "ground", "make_chat_model", "REFUSAL_TOKEN"]

REFUSAL_TOKEN = "NOT_IN_SOURCES"
_QUOTED = re.compile(r"[“\"]([^”\"]{8,})[”\"]")


def make_chat_model(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        api_key=settings.openai_api_key or "not-needed",  # type: ignore[arg-type]
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
        blocks.append(f"{header}\n{p.text.replace('</source>', '</ source>')}\n</source>")
    return "\n".join(blocks)


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
        to_messages = RunnableLambda(lambda x: self._messages(x["question"], x["passages"], today))
        return to_messages | self.llm | StrOutputParser()

    def answer(
        self, question: str, passages: list[Passage], today: dt.date | None = None
    ) -> tuple[str, list[Citation], bool]:
        if not passages:
            return "The stories I have don't say.", [], True
        try:
            raw = self.chain(today or dt.date.today()).invoke({"question": question, "passages": passages})
        except Exception as exc:  # openai raises many types; the user needs one clear message
            raise LLMError(f"the LLM at {self.settings.openai_base_url or 'api.openai.com'} failed: {exc}") from exc
        return ground(raw, passages)

    def stream(self, question: str, passages: list[Passage], today: dt.date | None = None) -> Iterator[str]:
        """Raw text deltas as the model produces them (ground the joined text afterwards)."""
        try:
            for part in self.chain(today or dt.date.today()).stream({"question": question, "passages": passages}):
                yield part
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


def ground(raw: str, passages: list[Passage]) -> tuple[str, list[Citation], bool]:
    """Keep only verifiable sentences of an LLM answer; renumber and build citations."""
    text = raw.strip()
    if not text or REFUSAL_TOKEN in text:
        return "The stories I have don't say.", [], True
    # "... fact. [1] Next" -> "... fact [1]. Next": keep each marker inside its sentence
    text = re.sub(r"([.!?…][”\"’']?)((?:\s*\[\d{1,3}\])+)", lambda m: m.group(2) + m.group(1), text)
    kept: list[str] = []
    order: dict[tuple[int, int, int], int] = {}  # (passage index, start, end) -> citation number
    citations: list[Citation] = []
    for a, b in sentences(text):
        sentence = text[a:b]
        cited = [int(m) - 1 for m in MARKER.findall(sentence) if 0 < int(m) <= len(passages)]
        spans = [m.group(1) for m in _QUOTED.finditer(sentence)]
        ok = True
        for span in spans:
            holders = [i for i, p in enumerate(passages) if find_verbatim(span, p.text)]
            if not holders:
                ok = False  # a quote that is in no source: drop the sentence
                break
            if not set(cited) & set(holders):
                cited = [holders[0]]  # re-anchor to the source that does contain it
        bare = MARKER.sub("", sentence).strip()
        if not ok or not cited or len(normalize_quote(bare)) < 3:
            continue
        numbers = []
        for i in dict.fromkeys(cited):
            span = next((s for s in spans if find_verbatim(s, passages[i].text)), None)
            start, end = _best_sentence(passages[i], bare, span)
            key = (i, start, end)
            if key not in order:
                order[key] = len(citations) + 1
                p = passages[i]
                quote_text = p.text[start - p.start : end - p.start]
                citations.append(citation_for(order[key], p, quote_text))
            numbers.append(order[key])
        bare = re.sub(r"\s+([.,;:!?])", r"\1", bare)
        kept.append(bare + " " + "".join(f"[{n}]" for n in numbers))
    if not kept:
        return "The stories I have don't say.", [], True
    return " ".join(kept), citations, False
