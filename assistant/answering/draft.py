"""What answerers return and what answer streams carry: named types, not tuples.

An answerer (extractive or LLM) returns a :class:`Draft`; streaming, it yields :class:`Delta` pieces
(each already verified) and ends with the Draft. The service streams ``Delta`` pieces and ends with
:class:`Final` (the complete :class:`~assistant.models.Answer`); :func:`collect` reads such a stream
to its answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.models import Answer, Citation

__all__ = ["Draft", "Delta", "Final", "Event", "collect", "REFUSAL_TEXT"]

REFUSAL_TEXT = "The stories I have don't say."  # every answerer's plain refusal


@dataclass
class Draft:
    """An answerer's answer before the service checks it: text with [n] markers and its citations.

    ``short_answer`` is the answer in brief ("74 settlements", "Honda"), when the question asks for a
    name, number, date, place or yes/no; it occurs verbatim in the passage of ``short_citation``."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    short_answer: str | None = None
    confidence: float | None = None  # how sure the answerer is (0-1), when it can say
    matched_names: dict[str, str] = field(default_factory=dict)  # name asked -> name found in the stories

    @classmethod
    def refusal(cls, text: str = REFUSAL_TEXT) -> Draft:
        return cls(text=text, refused=True)


@dataclass(frozen=True)
class Delta:
    """A piece of answer text, ready to show."""

    text: str


@dataclass(frozen=True)
class Final:
    """The end of an answer stream: the complete, verified answer."""

    answer: Answer


Event = Delta | Final


def collect(events: Iterable[Delta | Final]) -> Answer:
    """The answer at the end of a stream (the pieces before it add up to its text)."""
    for event in events:
        if isinstance(event, Final):
            return event.answer
    raise RuntimeError("the answer stream ended without an answer")
