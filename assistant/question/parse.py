"""Reading a question: its kind (how many / who / when / where / which / what did X say / other),
its terms and the names it uses, and for "what did X say (about Y)" the speaker and topic."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.question.timeframe import strip_time_words
from assistant.text import STOPWORDS, terms

__all__ = ["analyze", "QuestionInfo", "asked_part", "answer_type", "place_class"]

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
    asked: str = ""  # the sentence that asks (quiz questions put context sentences first)
    answer_type: str = "none"  # number | date | place | person | org | list | entity | yes_no | none
    place_class: str | None = None  # "which country" -> country, "which state" -> us_state

    def term_weights(self, idf: Callable[[str], float]) -> dict[str, float]:
        """The question's terms (in order, once each) and their weights: idf, names 1.5 times (they carry
        the question)."""
        weights = {t: idf(t) for t in dict.fromkeys(self.terms)}
        for e in self.entities:
            if e in weights:
                weights[e] *= 1.5
        return weights


def analyze(question: str) -> QuestionInfo:
    """Classify a question and pull out its terms, entities, and (for 'what did X say') speaker."""
    q = question.strip()
    m = _SAY.match(q) or _SAY.match(strip_time_words(q))
    if m:
        speaker = re.sub(r"^(?:the)\s+", "", m.group(1).strip(), flags=re.I)
        topic = strip_time_words(m.group(2)) if m.group(2) else None
        return QuestionInfo(
            text=q, kind="say", terms=terms(q), entities=_entities(q), speaker=speaker,
            topic_terms=terms(topic) if topic else [], topic=topic, asked=q,
        )
    asked = asked_part(q)
    last = asked.lower()
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
    return QuestionInfo(text=q, kind=kind, terms=terms(q), entities=_entities(q), asked=asked,
                        answer_type=answer_type(asked), place_class=place_class(asked))


_ASKING = re.compile(r"\b(?:who|whom|whose|what|which|when|where|how|why)\b|\?\s*$|^\s*(?:true or false|is|are|was|"
                     r"were|did|does|do|has|have|had|will|can|could|should)\b", re.IGNORECASE)


def asked_part(question: str) -> str:
    """The sentence that asks: the last one with a question word or mark ("Prince Harry published his
    memoir this week. What is the book titled?" -> "What is the book titled?")."""
    parts = [p for p in re.split(r"(?<=[.!?:])\s+(?=[A-Z“\"])", question.strip()) if p.strip()]
    for part in reversed(parts):
        if _ASKING.search(part):
            return part.strip()
    return question.strip()


_NOUN = r"(?:\w+\s+){0,2}"
_HOW_MEASURE = r"how (?:many|much|old|long|far|tall|big|often|strong|fast|high|deep|heavy|large|low)\b"
# "what TV show", "what holiday", "what rocket": a named thing (a title, a name), not an explanation
_THINGS = (r"(?:show|film|movie|series|book|novel|song|album|holiday|event|variant|rocket|species|animal|breed|game|"
           r"sport|product|device|gadget|word|term|phrase|drug|vaccine|virus|disease|law|bill|ship|aircraft|plane|"
           r"vehicle|car|model|food|foodstuff|dish|drink|award|prize|festival|tournament|contest|competition|race|"
           r"programme|program|project|mission|operation|storm|hurricane|language|character|role|nickname|title|"
           r"exhibition|exhibit|painting|artwork|play|musical|franchise|sequel|trophy|medal|policy|treaty|deal|"
           r"agreement|scheme|initiative|campaign|slogan|hashtag|emoji|honou?r|name)s?\b")
_TYPES: list[tuple[str, re.Pattern[str]]] = [
    ("number", re.compile(r"\b" + _HOW_MEASURE + r"|\bwhat (?:percentage|percent|number|amount|share|proportion|age|"
                          r"score)\b|\bby how\b|\b(?:magnitude|final score|death toll|age limit)\b", re.I)),
    ("date", re.compile(r"^\s*when\b|\b(?:what|which) (?:date|day|year|month|decade|century)\b|\bin what year\b",
                        re.I)),
    ("place", re.compile(r"^\s*where\b|\b(?:what|which) " + _NOUN + r"(?:country|countries|city|cities|state|states|"
                         r"nation|region|province|town|place|island|continent|county|capital|territory|park|"
                         r"river|lake|mountain|airport|neighborhood)\b", re.I)),
    ("person", re.compile(r"^\s*(?:who|whom|whose)\b|\bwho\b|\b(?:what|which) " + _NOUN + r"(?:person|man|woman|"
                          r"politician|actor|actress|singer|player|athlete|celebrity|ceo|leader|official|president|"
                          r"senator|rapper|author|coach|star|musician|billionaire|candidate|lawmaker|judge|"
                          r"governor|minister|pope|king|queen|prince|princess|artist|comedian|director)\b", re.I)),
    ("org", re.compile(r"\b(?:what|which) " + _NOUN + r"(?:company|companies|team|teams|organization|group|party|brand|"
                       r"network|agency|airline|automaker|carmaker|retailer|bank|university|college|school|club|"
                       r"firm|union|league|band|nonprofit|publication|newspaper|magazine|website|app|manufacturer|"
                       r"platform|chain|restaurant|store|studio|streamer|service|body|government|department|"
                       r"court|committee|tech giant|giant|maker|startup)\b", re.I)),
    ("list", re.compile(r"^\s*(?:what|which) (?:\w+ )?\w+s (?:did|do|does|have|has|had|were|are|will|could)\b", re.I)),
    ("yes_no", re.compile(r"^\s*(?:true or false|is|are|was|were|did|does|do|has|have|had|will|can|could|should)\b|"
                          r"\btrue or false\b", re.I)),
    ("entity", re.compile(r"\bwhich\b|\b(?:called|named|titled|renamed|dubbed|nicknamed|name of)\b|"
                          r"\bwhat (?:is|was|are|were) (?:the|its|their|his|her) (?:new |official )?(?:name|title)\b|"
                          r"\bwhat (?:is|was) it\b|\bwhat\s*(?:[?:]?\s*$|,)|"
                          r"\bwhat " + _NOUN + _THINGS, re.I)),
]
_WHY_OR_HOW = re.compile(r"^\s*(?:why|how)\b", re.I)
_MEASURE_FIRST = re.compile(r"^\s*" + _HOW_MEASURE, re.I)


def answer_type(asked: str) -> str:
    """What kind of thing the asked sentence wants: a number, date, place, person, organisation, another
    named thing, yes/no, or none (why / how / what did X say / what happened)."""
    if _WHY_OR_HOW.match(asked) and not _MEASURE_FIRST.match(asked):
        return "none"
    for name, pattern in _TYPES:
        if pattern.search(asked):
            return name
    return "none"


_COUNTRY = re.compile(r"\b(?:what|which) " + _NOUN + r"(?:country|countries|nation|nations)\b", re.I)
_US_STATE = re.compile(r"\b(?:what|which) (?:of the (?:following )?)?(?:(?:US|U\.S\.|American|southern|northern|"
                       r"western|eastern|midwestern|swing|battleground|red|blue) )?states?\b", re.I)


def place_class(asked: str) -> str | None:
    """The class of place the asked sentence wants, where a list of them exists: "which European
    country" -> country, "which US state" -> us_state ("which Indian state" -> None)."""
    if _COUNTRY.search(asked):
        return "country"
    if _US_STATE.search(asked):
        return "us_state"
    return None


def _entities(question: str) -> list[str]:
    tokens = re.findall(r"[A-Za-z][\w’'-]*", question)
    out = []
    for i, tok in enumerate(tokens):
        if tok[0].isupper() and (i > 0 or tok.lower() not in _QWORDS) and tok.lower() not in STOPWORDS:
            if tok.lower() in _QWORDS:
                continue
            out.extend(terms(tok))
    return list(dict.fromkeys(out))
