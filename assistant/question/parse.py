"""Reading a question: its kind (how many / who / when / where / which / what did X say / other),
its terms and the names it uses, and for "what did X say (about Y)" the speaker and topic."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.question.timeframe import strip_time_words
from assistant.text import STOPWORDS, terms

__all__ = ["analyze", "QuestionInfo"]

_SAY = re.compile(
    r"^\s*(?:and\s+)?what\s+(?:did|does|do|has|have|had|was|is)\s+(.+?)\s+"
    r"(?:say|said|saying|tell|told|claim|claimed|announce|announced|state|stated|think|thinks|mean|add|added|"
    r"had to say|have to say|has to say)\b(?:\s+(?:about|on|regarding|of|concerning)\s+(.+?))?\s*\??\s*$",
    re.IGNORECASE,
)
_QWORDS = {"what", "who", "whom", "whose", "when", "where", "why", "how", "which", "is", "are", "was", "were",
           "did", "does", "do", "has", "have", "can", "could", "will", "would", "should", "and", "tell", "give"}


@dataclass
class QuestionInfo:
    text: str
    kind: str  # how_many | who | when | where | which | say | other
    terms: list[str]
    entities: list[str]  # stemmed terms of capitalised words: must be present in the evidence
    speaker: str | None = None
    topic_terms: list[str] = field(default_factory=list)
    topic: str | None = None


def analyze(question: str) -> QuestionInfo:
    """Classify a question and pull out its terms, entities, and (for 'what did X say') speaker."""
    q = question.strip()
    low = q.lower()
    m = _SAY.match(q) or _SAY.match(strip_time_words(q))
    if m:
        speaker = re.sub(r"^(?:the)\s+", "", m.group(1).strip(), flags=re.I)
        topic = strip_time_words(m.group(2)) if m.group(2) else None
        return QuestionInfo(
            text=q, kind="say", terms=terms(q), entities=_entities(q), speaker=speaker,
            topic_terms=terms(topic) if topic else [], topic=topic,
        )
    last = re.split(r"(?<=[.!?])\s+", low.strip())[-1]  # quiz questions put context first
    if re.search(r"\bhow (many|much)\b", last):
        kind = "how_many"
    elif re.match(r"^\s*(who|whom|whose)\b", last) or re.search(r"\bwho\b", last):
        kind = "who"
    elif re.match(r"^\s*when\b", last) or "what date" in last or "what day" in last or "what year" in last:
        kind = "when"
    elif re.match(r"^\s*where\b", last) or re.search(r"\b(which|what) (country|city|state|place)\b", last):
        kind = "where"
    elif re.search(r"\bwhich\b|\bwhat (team|company|organization|group|party|name|brand|film|movie|book)\b", last):
        kind = "which"
    else:
        kind = "other"
    return QuestionInfo(text=q, kind=kind, terms=terms(q), entities=_entities(q))


def _entities(question: str) -> list[str]:
    tokens = re.findall(r"[A-Za-z][\w’'-]*", question)
    out = []
    for i, tok in enumerate(tokens):
        if tok[0].isupper() and (i > 0 or tok.lower() not in _QWORDS) and tok.lower() not in STOPWORDS:
            if tok.lower() in _QWORDS:
                continue
            out.extend(terms(tok))
    return list(dict.fromkeys(out))
