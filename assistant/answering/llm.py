"""The LLM path: a LangChain (LCEL) chain over any OpenAI-compatible endpoint, then grounding.

``prompt | ChatOpenAI | StrOutputParser`` produces text with [n] markers; :mod:`.grounding` then
keeps only what the sources support.
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

from assistant.answering.draft import Delta, Draft
from assistant.answering.grounding import REFUSAL_TEXT, ground, ground_stream
from assistant.answering.prompts import render
from assistant.config import Settings
from assistant.errors import LLMError
from assistant.models import Passage

__all__ = ["LLMAnswerer", "make_chat_model", "format_sources"]



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
    ) -> Draft:
        if not passages:
            return Draft.refusal(REFUSAL_TEXT)
        try:
            raw = self.chain(today or dt.date.today()).invoke({"question": question, "passages": passages})
        except Exception as exc:  # openai raises many types; the user needs one clear message
            raise LLMError(f"the LLM at {self.settings.openai_base_url or 'api.openai.com'} failed: {exc}") from exc
        return ground(raw, passages)

    def stream(
        self, question: str, passages: list[Passage], today: dt.date | None = None
    ) -> Iterator[Delta | Draft]:
        """Verified sentences as the model writes them (:class:`Delta`), then the final :class:`Draft`."""
        if not passages:
            yield Draft.refusal(REFUSAL_TEXT)
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


