"""The nouns: an Article is split into Chunks; retrieval returns Passages; an Answer carries Citations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["Article", "Chunk", "Passage", "Citation", "Answer", "Quote"]


@dataclass
class Article:
    """One news story after cleaning. ``text`` is the exact text quotes are checked against."""

    id: str
    title: str
    text: str
    url: str | None = None
    source: str | None = None
    published: dt.date | None = None
    byline: str | None = None
    origin: str | None = None  # the file or URL it was read from
    content_hash: str = ""  # changes when anything stored about the article changes
    text_hash: str = ""  # normalised text only: exact duplicates share it
    minhash: Any = None  # MinHash signature (numpy uint64 array) for near-duplicate detection

    @property
    def published_iso(self) -> str | None:
        return self.published.isoformat() if self.published else None


@dataclass
class Chunk:
    """A span of an article: ``text == article.text[start:end]``."""

    id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int


def embedding_text(title: str, chunk_text: str, index: int) -> str:
    """What the embedder sees for a chunk: the headline leads the first chunk only. (On every chunk it
    cost ~8% of the tokens embedded and did no better on the 2023 tuning questions: hit@1 0.375 vs 0.408.)"""
    return f"{title}\n{chunk_text}" if index == 0 else chunk_text


@dataclass
class Quote:
    """A direct or reported statement found in an article, with who said it."""

    article_id: str
    speaker: str
    text: str  # the sentence as it stands in the article
    start: int
    end: int
    direct: bool


@dataclass
class Passage:
    """A retrieved chunk with its article's metadata and retrieval scores."""

    chunk_id: str
    article_id: str
    text: str
    start: int
    end: int
    title: str
    url: str | None
    source: str | None
    published: dt.date | None
    score: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def published_iso(self) -> str | None:
        return self.published.isoformat() if self.published else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "title": self.title,
            "article_id": self.article_id,
            "chunk_id": self.chunk_id,
            "score": round(self.score, 6),
            "scores": {k: round(v, 6) for k, v in self.scores.items()},
            "url": self.url,
            "source": self.source,
            "published": self.published_iso,
        }


class Citation(BaseModel):
    """The evidence behind one [n] marker; ``quote`` occurs verbatim in the stored article text."""

    n: int
    article_id: str
    chunk_id: str
    title: str
    url: str | None = None
    source: str | None = None
    published: str | None = Field(None, description="YYYY-MM-DD, or null when the story has no date.")
    quote: str

    @property
    def published_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.published) if self.published else None


class Answer(BaseModel):
    """What ``ask`` returns: text with [n] markers, the citations they point at, and timings."""

    question: str
    answer: str
    refused: bool
    short_answer: str | None = Field(
        None, description="The answer in brief (a name, number, date, place, yes/no), first in `answer`; it occurs "
        "verbatim in a cited quote. Null when the question asks for no such thing.")
    citations: list[Citation] = Field(default_factory=list)
    confidence: float | None = Field(None, description="How sure the answerer is of the short answer (0-1), when it "
                                     "has one.")
    timings_ms: dict[str, float] = Field(default_factory=dict)
    standalone_question: str | None = Field(
        None, exclude=True, description="The follow-up rewritten as a standalone question, when it was."
    )
