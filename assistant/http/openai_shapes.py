"""What the OpenAI-compatible route reads and writes, beyond the answer itself: the request body, token
usage (cl100k_base), ``max_tokens`` as a cut of the answer, and the Sources list put into ``content``.

Token counts come from :meth:`Newsdesk.count_tokens` (the bundled cl100k_base, no download). The prompt
is counted the way OpenAI counts chat input (3 tokens of framing a message, 1 more for a ``name``, 3 to
prime the reply), over the messages the client sent; the passages newsdesk reads are not the client's
prompt and are not counted. The completion is the ``content`` returned, Sources list included.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, Field

from assistant.models import Answer, Citation

__all__ = [
    "ChatMessage",
    "ChatRequest",
    "StreamOptions",
    "NewsdeskOptions",
    "Reply",
    "shape_reply",
    "sources_block",
    "strip_sources",
    "cut_to_tokens",
    "prompt_tokens",
    "usage",
]

Counter = Callable[[str], int]


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(str(part.get("text", "")) for part in self.content if part.get("type") == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    include_usage: bool = False


class NewsdeskOptions(BaseModel):
    """newsdesk's own request options (``extra_body={"newsdesk": {...}}`` in the openai client)."""

    sources_in_content: bool | None = Field(
        None, description="End the content with a Sources list (default: the server's NEWSDESK_SOURCES_IN_CONTENT).")


class ChatRequest(BaseModel):
    model: str = Field("newsdesk", max_length=200)  # echoed in the unknown-model error: bounded
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = None
    max_tokens: int | None = Field(None, ge=1, description="Cap on the answer, in cl100k_base tokens.")
    max_completion_tokens: int | None = Field(None, ge=1, description="Same as max_tokens (the newer name).")
    user: str | None = None
    newsdesk: NewsdeskOptions = Field(default_factory=NewsdeskOptions)

    @property
    def token_limit(self) -> int | None:
        limits = [n for n in (self.max_tokens, self.max_completion_tokens) if n is not None]
        return min(limits) if limits else None

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


@dataclass(frozen=True)
class Reply:
    """The answer as the OpenAI route sends it: the text (cut to the limit), the sources, the reason it ends."""

    answer: Answer
    text: str
    sources: str
    finish_reason: Literal["stop", "length"]

    @property
    def content(self) -> str:
        return self.text + self.sources


def shape_reply(answer: Answer, limit: int | None, with_sources: bool, count: Counter) -> Reply:
    """The answer cut to ``limit`` tokens (citations kept for the markers left), with its Sources list."""
    text = answer.answer if limit is None else cut_to_tokens(answer.answer, limit, count)
    cut = text != answer.answer
    if cut:
        left = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
        answer = answer.model_copy(update={"answer": text, "citations": [c for c in answer.citations if c.n in left]})
    sources = sources_block(answer.citations) if with_sources and not answer.refused else ""
    return Reply(answer, text, sources, "length" if cut else "stop")


_SENTENCE_END = re.compile(r"[.!?…][\"”’')\]]*(?:\s*\[\d+\])*(?=\s|$)")


def cut_to_tokens(text: str, limit: int, count: Counter) -> str:
    """The longest run of whole sentences (with their [n] markers) within ``limit`` tokens; whole words
    when not even the first sentence fits; never a piece of a word."""
    if count(text) <= limit:
        return text
    best = ""
    for end in (m.end() for m in _SENTENCE_END.finditer(text)):
        if count(text[:end]) > limit:
            break
        best = text[:end]
    if best:
        return best
    ends = [m.end() for m in re.finditer(r"\S+", text)]
    lo, hi = 0, len(ends)  # the first ``lo`` words fit; find the most that do
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if count(text[: ends[mid - 1]]) <= limit else (lo, mid - 1)
    return text[: ends[lo - 1]] if lo else ""


def sources_block(citations: list[Citation]) -> str:
    """The Sources list put after the answer: a blank line, ``Sources:``, then one line an article after the
    markers that cite it, ``[1][2] Outlet, 2024-08-12, “Title”, <https://...>`` (parts a story lacks left out),
    each field escaped as Markdown text."""
    by_article: dict[str, list[Citation]] = {}
    for c in citations:
        by_article.setdefault(c.article_id, []).append(c)
    lines = []
    for cited in by_article.values():
        c = cited[0]
        parts = [_md(c.source), _md(c.published), f"“{_md(c.title)}”" if c.title else None, _md_url(c.url)]
        lines.append("".join(f"[{m.n}]" for m in cited) + " " + ", ".join(p for p in parts if p))
    return "\n\nSources:\n" + "\n".join(lines) if lines else ""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>!&~])")


def _md(text: str | None) -> str | None:
    """A stored field as plain text in Markdown: clients render the content, so a title holding HTML or
    ``![img](...)`` must not become an image, a tag or a link (backslash escapes, CommonMark's own)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split())) if text else text


def _md_url(url: str | None) -> str | None:
    """An http(s) link as a Markdown autolink ``<...>``, with what could end it percent-encoded; any
    other scheme (``javascript:``) is left out."""
    if not url or not url[:8].lower().startswith(("http://", "https://")):
        return None
    return "<" + quote(url, safe="/:?#[]@!$&'()*+,;=%-._~") + ">"


_SOURCES_TAIL = re.compile(r"\n\nSources:\n(?:(?:\[\d+\])+ [^\n]*(?:\n|$))+\Z")


def strip_sources(text: str) -> str:
    """An earlier reply as history, without the Sources list this route added to it."""
    return _SOURCES_TAIL.sub("", text)


def prompt_tokens(messages: list[ChatMessage], count: Counter) -> int:
    total = 3  # the reply's priming
    for m in messages:
        total += 3 + count(m.role) + count(m.text()) + (1 + count(m.name) if m.name else 0)
    return total


def usage(prompt: int, content: str, count: Counter) -> dict[str, int]:
    completion = count(content)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
