"""One reading of a question, done once and passed on: retrieval, both answerers and the
out-of-window note all use the same :class:`Question`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from assistant.question.followup import about_the_answer, carry_over
from assistant.question.parse import QuestionInfo, analyze
from assistant.question.timeframe import TimeFrame, read_timeframe, strip_time_words

__all__ = ["Question", "read_question"]

Condense = Callable[[str, list[tuple[str, str]]], str]


@dataclass(frozen=True)
class Question:
    """A question as newsdesk understands it.

    ``text`` is what was asked; ``standalone`` the follow-up rewritten to stand alone (or ``text``);
    ``info`` its kind, terms, names and speaker (of the standalone text; for matching content, time
    words are left out except in a 'what did X say' question, whose speaker may be a name like
    'Theresa May'); ``timeframe`` the time it asks about, relative to ``as_of``."""

    text: str
    standalone: str
    as_of: dt.date
    info: QuestionInfo
    timeframe: TimeFrame

    @property
    def rewritten(self) -> bool:
        return self.standalone != self.text


def read_question(
    text: str, history: list[tuple[str, str]] | None = None, as_of: dt.date | None = None,
    *, condense: Condense | None = None,
) -> Question:
    """Read ``text`` in the light of the conversation so far (``history``: (role, text) pairs).

    A follow-up is rewritten into a standalone question by ``condense`` (the LLM) when given, else by
    carrying over the previous question's names and time frame."""
    as_of = as_of or dt.date.today()
    standalone = text
    if history:
        if condense is not None:
            standalone = condense(text, history)
        else:
            replies = [t for role, t in history if role == "assistant"]
            standalone = (about_the_answer(text, replies[-1] if replies else None)
                          or carry_over(text, [t for role, t in history if role == "user"], as_of))
    info = analyze(standalone)
    if info.kind != "say":  # match content on the question without its time words
        content = analyze(strip_time_words(standalone))
        info = dataclasses.replace(info, text=standalone, terms=content.terms or info.terms,
                                   entities=content.entities)
    return Question(text=text, standalone=standalone, as_of=as_of, info=info,
                    timeframe=read_timeframe(standalone, as_of))
