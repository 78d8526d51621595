"""Follow-up questions without an LLM: carry the previous question's names and time frame over.

"and what did Syrskyi say?" after "what happened in Kursk last week?" becomes
"what did Syrskyi say about Kursk last week?"; "what did he say?" after "what did Tykhyi say?" becomes
"what did Tykhyi say?".

A question about the previous answer itself ("who said that?") is about the passage that answer cites
first, not about its keywords: it becomes "who said “<that sentence>”?", which the answerer resolves
to the speaker the sentence is attributed to (see :func:`quoted_statement`).
"""

from __future__ import annotations

import datetime as dt
import re

from assistant.question.parse import analyze
from assistant.question.timeframe import read_timeframe
from assistant.text import sentences

__all__ = ["carry_over", "is_follow_up", "about_the_answer", "cited_statement", "quoted_statement"]

_LEAD = re.compile(r"^\s*(?:and|also|but|so|ok(?:ay)?|then)[,\s]+", re.IGNORECASE)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\??\s*$", re.IGNORECASE)
_PRONOUNS = re.compile(r"\b(he|she|they|him|her|them|his|their|it|that|there|this)\b", re.IGNORECASE)
_QWORDS = {"what", "who", "when", "where", "why", "how", "which", "did", "does", "do", "is", "are", "was",
           "were", "and", "also", "but", "so", "then", "ok", "okay", "i", "the", "a", "an"}


def _entities(question: str) -> list[str]:
    """Capitalised words and runs of them ("Kursk", "Oleksandr Syrskyi"), question words excluded."""
    runs = re.findall(r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*", question)
    out = []
    for run in runs:
        words = [w for w in run.split() if w.lower() not in _QWORDS]
        if words:
            out.append(" ".join(words))
    return out


def is_follow_up(question: str) -> bool:
    q = question.strip()
    if _LEAD.match(q) or _WHAT_ABOUT.match(q):
        return True
    return bool(_PRONOUNS.search(q)) and not _entities(q) or len(q.split()) <= 3


def carry_over(question: str, previous: list[str], as_of: dt.date | None = None) -> str:
    """A standalone version of ``question`` given the user's earlier questions (most recent last)."""
    if not previous or not is_follow_up(question):
        return question
    prev = previous[-1]
    as_of = as_of or dt.date.today()
    prev_info, cur_info = analyze(prev), analyze(question)
    about = _WHAT_ABOUT.match(question)
    if about and prev_info.kind == "say" and prev_info.speaker:
        # "what about Syrskyi?" after "what did Tykhyi say about X?": same question, new speaker
        return prev.replace(prev_info.speaker, about.group(1).strip(), 1)
    core = _LEAD.sub("", question).strip().rstrip("?").strip()
    if about:
        core = f"{prev.rstrip('?').strip()} {about.group(1).strip()}"
    if cur_info.kind == "say" and cur_info.speaker and _PRONOUNS.fullmatch(cur_info.speaker.strip()):
        if prev_info.speaker:
            core = re.sub(rf"\b{re.escape(cur_info.speaker)}\b", prev_info.speaker, core, count=1)
    have = core.lower()
    carried = [e for e in _entities(prev) if e.lower() not in have and e != prev_info.speaker]
    time_phrase = read_timeframe(prev, as_of).phrase
    if read_timeframe(core, as_of).phrase or time_phrase == "latest":
        time_phrase = None
    extra = " ".join(carried)
    if extra:
        core += f" about {extra}" if cur_info.kind == "say" and not cur_info.topic else f" ({extra})"
    if time_phrase:
        core += f" {time_phrase}"
    return core + "?"


_WHO_SAID_THAT = re.compile(
    r"\s*(?:(?:and|so|but|ok(?:ay)?),?\s+)?(?:who|whom)\s+(?:said|says|say|told|wrote|claimed|stated|announced|"
    r"made|gave|is quoted saying|was quoted saying)\s+(?:that|this|it|so|those words|these words)"
    r"(?:\s+(?:claim|statement|quote|figure|update))?\s*[?.!]*\s*", re.IGNORECASE)
_MARKER = re.compile(r"\s*\[\d{1,3}\]")
# how answers attribute what follows: "OUTLET (DATE), “TITLE”:", "SPEAKER, as reported by OUTLET (DATE):"
_ATTRIBUTION = re.compile(r"^.*?\((?:date unknown|\d{4}-\d{2}-\d{2})\)(?:, “[^”]*”)?:\s+", re.DOTALL)
_WHO_SAID_QUOTED = re.compile(r"\s*who\s+said\s+[“\"](.+)[”\"]\s*\??\s*", re.IGNORECASE | re.DOTALL)


def cited_statement(answer: str) -> str | None:
    """The sentence an answer cites first (the text just before its first [n] marker, without the
    attribution that introduces it), or None when the answer cites nothing."""
    marker = _MARKER.search(answer)
    if marker is None:
        return None
    before = answer[: marker.start()].rsplit("\n", 1)[-1].strip()
    attributed = _ATTRIBUTION.match(before)
    if attributed:
        before = before[attributed.end():]
    else:
        spans = list(sentences(before))
        before = before[spans[-1][0]: spans[-1][1]] if spans else before
    return before.strip() or None


def about_the_answer(question: str, last_answer: str | None) -> str | None:
    """"who said that?" after an answer: "who said “<the sentence it cites first>”?"; None for any
    other question, or when the previous answer cites nothing."""
    if not last_answer or not _WHO_SAID_THAT.fullmatch(question):
        return None
    statement = cited_statement(last_answer)
    return f"who said “{statement}”?" if statement else None


def quoted_statement(question: str) -> str | None:
    """The statement a 'who said “…”?' question asks about, or None for any other question."""
    m = _WHO_SAID_QUOTED.fullmatch(question)
    return m.group(1).strip() if m else None
