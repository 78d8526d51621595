"""Candidate short answers mined from the retrieved passages, with the features that score them.

A candidate is a span of a passage sentence that could answer the question in brief: a number (with
its unit: "74 settlements"), a date, a quoted title, or a run of capitalised words (a name, place or
organisation). The same text seen in several sentences, stories and passages is one candidate; its
features say how well it fits the question: the kind of thing asked for, how much of the question
its sentences cover and how close it sits to the question's words, how many independent stories
carry it, how high they ranked and how recent they are.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from assistant.answering.gazetteer import classes_of
from assistant.models import Passage
from assistant.question.parse import QuestionInfo
from assistant.text import STOPWORDS, sentences, terms

__all__ = ["Candidate", "Occurrence", "mine", "is_demonym", "could_answer", "FEATURES"]

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DATE = re.compile(rf"\b{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:, \d{{4}})?\b|\b{_MONTH},? \d{{4}}\b|\b{_WEEKDAY}\b|"
                   r"\b(?:1[89]|20)\d\d\b")
_NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                 "twenty|thirty|forty|fifty|hundred|thousand|dozen|half")
_NUMBER = re.compile(r"(?<![\w.])(?:[$€£]\s?)?\d[\d,]*(?:\.\d+)?(?:\s?%| percent| (?:million|billion|trillion))?"
                     rf"(?!\w)|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_UNIT = re.compile(r"\s+((?:[a-z][a-z-]{2,}\s+){0,1}[a-z][a-z-]{2,})")
_CAPS = re.compile(r"(?:[A-Z][\w’'&.-]*|\d+)(?:\s+(?:(?:of|the|de|da|del|van|von|and|&|for|on|in)\s+)?"
                   r"(?:[A-Z][\w’'&.-]*|\d+\w*))*")
_QUOTED = re.compile(r"[“\"]([^”\"]{2,60})[”\"]")
_NAME_WORDS = frozenset({"said", "says", "told", "added", "wrote"})
_ORG_WORDS = re.compile(r"\b(?:Inc|Corp|Co|Company|University|College|Party|Council|Association|Agency|Committee|"
                        r"Department|Ministry|Bank|Group|Airlines?|Motors|Foundation|Institute|League|Club|Court|"
                        r"Commission|Administration|Network|News|Times|Post)\b\.?")
_DEMONYM = re.compile(r"(?:ian|ean|ese|ish|ic|i)s?$")  # "Ukrainian", "Chinese", "British": rarely the answer
_IRREGULAR_DEMONYMS = frozenset({"french", "dutch", "greek", "thai", "swiss", "czech", "welsh", "maltese", "basque",
                                  "western", "eastern", "northern", "southern"})
_CALENDAR = re.compile(rf"^(?:{_MONTH}|{_WEEKDAY})$")
_LEAD_WORDS = frozenset({"the", "a", "an", "but", "and", "in", "on", "at", "as", "it", "this", "that", "for", "if",
                         "when", "after", "before", "meanwhile", "however", "while", "so", "he", "she", "they", "we",
                         "i", "his", "her", "their", "its", "our", "mr", "mrs", "ms", "dr"})
_WH_WORDS = frozenset({"what", "which", "who", "whose", "where", "why", "how"})  # a headline's "What Boar's Head …"

FEATURES = (
    "bias", "type_match", "kind_number", "kind_date", "kind_quote", "kind_caps", "coverage_max", "coverage_mean",
    "near_terms", "stories", "mentions", "rank", "title", "recency", "undated", "length", "in_question",
    "org_cue", "name_cue", "place_cue", "first_mention", "multiword", "demonym", "person_name", "support",
    "has_fuller", "alias_mentions", "class_fit", "class_miss", "known_place", "window",
)
MOSTLY_ASKED = 0.5  # a candidate with more than this share of its words in the question restates it
_TYPE_KINDS = {"number": {"number"}, "date": {"date"}, "place": {"caps"}, "person": {"caps"}, "org": {"caps"},
               "entity": {"caps", "quote"}}


@dataclass
class Occurrence:
    passage_rank: int
    passage: Passage
    sentence: str
    start: int  # article offsets of the sentence
    end: int
    coverage: float
    near: float  # 1 / (1 + words between the span and the nearest question word)
    window: float = 0.0  # how much of the question the ten words either side of the span cover


@dataclass
class Candidate:
    text: str  # as written in its best sentence
    kind: str  # number | date | quote | caps
    key: str  # normalised, for merging
    occurrences: list[Occurrence] = field(default_factory=list)
    cues: dict[str, float] = field(default_factory=dict)
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0

    @property
    def best(self) -> Occurrence:
        return max(self.occurrences, key=lambda o: (o.coverage + 0.3 * o.near, -o.passage_rank))


Coverage = Callable[[set[str]], float]
Support = Mapping[tuple[str, int], float]  # (article id, sentence start) -> how likely it holds the answer


def _spans(sentence: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of candidate spans in a sentence."""
    out: list[tuple[int, int, str]] = []
    for m in _DATE.finditer(sentence):
        out.append((m.start(), m.end(), "date"))
    for m in _NUMBER.finditer(sentence):
        if not any(a <= m.start() < b for a, b, _ in out):
            end = m.end()
            unit = _UNIT.match(sentence, end)
            if unit and unit.group(1).split()[0] not in STOPWORDS:
                end = unit.start(1) + len(unit.group(1).split()[0])
            out.append((m.start(), end, "number"))
    for m in _QUOTED.finditer(sentence):
        out.append((m.start(1), m.end(1), "quote"))
    for m in _CAPS.finditer(sentence):
        words = [w for w in re.finditer(r"\S+", m.group(0))]
        if words and _asks(words[0].group(0)) and not _after_a_word(sentence, m.start()):
            words.pop(0)  # "Which Wegmans stores close …" opening a headline: Wegmans; "The Who", "in Who Framed …" stay
        while words and words[0].group(0).lower().strip("’'") in _LEAD_WORDS:
            words.pop(0)
        if not words:
            continue
        a = m.start() + words[0].start()
        text = re.split(r"[’']s\b", sentence[a:m.end()])[0].rstrip(".,’'")  # "Zelenskyy’s Telegram": Zelenskyy
        if not text or text[0].isdigit() or _CALENDAR.match(text) or any(x <= a < y for x, y, _ in out):
            continue
        out.append((a, a + len(text), "caps"))
    return out


def _asks(word: str) -> bool:
    """A question word in title case ("Which", not "WHO", the organisation)."""
    return word.lower() in _WH_WORDS and not word.isupper()


def _after_a_word(sentence: str, at: int) -> bool:
    """Does a word come before ``at`` (spaces, quotes and brackets aside), rather than the sentence's start
    or a colon, dash or full stop?"""
    return sentence[:at].rstrip(" \"“‘'([").rstrip()[-1:].isalnum()


def _near(sentence: str, a: int, b: int, q_terms: set[str]) -> float:
    tokens = list(re.finditer(r"\w[\w’'-]*", sentence))
    inside = [i for i, t in enumerate(tokens) if a <= t.start() < b]
    if not inside:
        return 0.0
    hits = [i for i, t in enumerate(tokens) if not a <= t.start() < b and set(terms(t.group(0))) & q_terms]
    if not hits:
        return 0.0
    gap = min(min(abs(i - inside[0]), abs(i - inside[-1])) for i in hits)
    return 1.0 / gap if gap else 1.0


def _window(sentence: str, a: int, b: int, width: int = 10) -> set[str]:
    """The terms of the ``width`` words before and after a span (not the span's own)."""
    before = sentence[:a].split()[-width:]
    after = sentence[b:].split()[:width]
    return set(terms(" ".join(before + after)))


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w%$€£]+", " ", text.lower()).replace(" the ", " ").split())


def mine(info: QuestionInfo, passages: list[Passage], coverage: Coverage, as_of: dt.date,
         support: Support | None = None) -> list[Candidate]:
    """Every candidate in the passages' sentences, with its features (see :data:`FEATURES`); ``support``
    is the answerer's estimate, per sentence, that it holds the answer (:mod:`.support`)."""
    q_terms = set(info.terms)
    q_low = info.text.lower()
    found: dict[str, Candidate] = {}
    seen: set[tuple[str, int]] = set()
    for rank, p in enumerate(passages):
        for a, b in sentences(p.text):
            if (p.article_id, p.start + a) in seen:
                continue
            seen.add((p.article_id, p.start + a))
            sentence = p.text[a:b]
            cov = coverage(set(terms(sentence)) | set(terms(p.title)))
            for sa, sb, kind in _spans(sentence):
                text = sentence[sa:sb].strip()
                key = _key(text)
                if not key or (kind == "caps" and key in STOPWORDS):
                    continue
                cand = found.setdefault(key, Candidate(text=text, kind=kind, key=key))
                occ = Occurrence(rank, p, sentence, p.start + a, p.start + b, cov, _near(sentence, sa, sb, q_terms),
                                 coverage(_window(sentence, sa, sb)))
                cand.occurrences.append(occ)
                _cues(cand, sentence, sa, sb)
    out = list(found.values())
    for cand in out:
        cand.features = _features(cand, info, q_terms, q_low, as_of)
        cand.features["support"] = max((support or {}).get((o.passage.article_id, o.start), 0.0)
                                       for o in cand.occurrences)
    _link_aliases(found)
    return out


def _link_aliases(found: dict[str, Candidate]) -> None:
    """A name and its surname ("Simone Biles", "Biles") are one person seen two ways: the surname alone
    learns that a fuller form is in the passages (the answer should name her in full, and it must occur
    in the cited sentence, so the two stay separate candidates), the full name how often the surname is
    mentioned on its own."""
    fuller: dict[str, list[Candidate]] = {}
    for cand in found.values():
        if _full_name(cand):
            fuller.setdefault(cand.key.rsplit(" ", 1)[1], []).append(cand)
    for cand in found.values():
        cand.features["has_fuller"] = float(cand.kind == "caps" and cand.key in fuller)
        cand.features["alias_mentions"] = 0.0
    for surname, names in fuller.items():
        short = found.get(surname)
        if short is not None and short.kind == "caps":
            for cand in names:
                cand.features["alias_mentions"] = math.log1p(len(short.occurrences))


def _full_name(cand: Candidate) -> bool:
    """A name of several words ("Simone Biles", "Kansas City Chiefs", "Bank of England"), not a pair
    ("Russia and Ukraine")."""
    return cand.kind == "caps" and " " in cand.key and not re.search(r"\s(?:and|&)\s", cand.text)


def _cues(cand: Candidate, sentence: str, a: int, b: int) -> None:
    after = sentence[b:b + 25].lower().split()
    before = sentence[max(0, a - 12):a].lower().split()
    if after and after[0].strip(",") in _NAME_WORDS:
        cand.cues["name"] = 1.0
    if before and before[-1] in {"in", "at", "from", "to", "near"}:
        cand.cues["place"] = 1.0
    if _ORG_WORDS.search(cand.text):
        cand.cues["org"] = 1.0


def _type_match(cand: Candidate, answer_type: str) -> float:
    if cand.kind not in _TYPE_KINDS.get(answer_type, set()):
        return 0.0
    if answer_type == "person":  # a person is named in two to four words
        return float(2 <= len(cand.text.split()) <= 4)
    return 1.0


def is_demonym(cand: Candidate) -> bool:
    """"Ukrainian", "Chinese", "French": an adjective, not an answer ("which country" wants "Ukraine")."""
    return cand.kind == "caps" and " " not in cand.text and (
        _DEMONYM.search(cand.text) is not None or cand.text.lower() in _IRREGULAR_DEMONYMS)


def could_answer(cand: Candidate) -> bool:
    """The question's own words are never its answer ("Sen. Ben Cardin" when it asks who replaces Ben
    Cardin), nor is an adjective; shared by the answerer and the scorer's training, so both see the same
    candidates."""
    return cand.features["in_question"] <= MOSTLY_ASKED and not is_demonym(cand)


def _features(cand: Candidate, info: QuestionInfo, q_terms: set[str], q_low: str, as_of: dt.date) -> dict[str, float]:
    occ = cand.occurrences
    best = cand.best
    stories = {o.passage.article_id for o in occ}
    published = best.passage.published
    days = (as_of - published).days if published else None
    cand_terms = set(terms(cand.text.split()[0] if cand.kind == "number" else cand.text))  # "74", not "settlements"
    in_question = len(cand_terms & q_terms) / len(cand_terms) if cand_terms else 0.0
    if cand.key in q_low or cand.text.lower() in q_low:
        in_question = 1.0
    classes = classes_of(cand.text) if cand.kind == "caps" else set()
    return {
        "bias": 1.0,
        "type_match": _type_match(cand, info.answer_type),
        "kind_number": float(cand.kind == "number"),
        "kind_date": float(cand.kind == "date"),
        "kind_quote": float(cand.kind == "quote"),
        "kind_caps": float(cand.kind == "caps"),
        "coverage_max": max(o.coverage for o in occ),
        "coverage_mean": sum(o.coverage for o in occ) / len(occ),
        "near_terms": max(o.near for o in occ),
        "window": max(o.window for o in occ),
        "stories": math.log1p(len(stories)),
        "mentions": math.log1p(len(occ)),
        "rank": 1.0 / (1 + min(o.passage_rank for o in occ)),
        "title": float(any(cand.text.lower() in o.passage.title.lower() for o in occ)),
        "recency": math.exp(-max(days, 0) / 30.0) if days is not None else 0.5,  # undated: neither
        "undated": float(days is None),
        "length": min(len(cand.text.split()), 6) / 6.0,
        "in_question": in_question,
        "org_cue": cand.cues.get("org", 0.0),
        "name_cue": cand.cues.get("name", 0.0),
        "place_cue": cand.cues.get("place", 0.0),
        "first_mention": 1.0 if min(o.start for o in occ) < 1500 else 0.0,  # in the story's lead
        "multiword": float(len(cand.text.split()) > 1),
        "demonym": float(is_demonym(cand)),
        "person_name": float(info.answer_type == "person" and cand.kind == "caps" and 2 <= len(cand.text.split()) <= 4
                             and not _ORG_WORDS.search(cand.text)),
        "class_fit": float(info.place_class is not None and info.place_class in classes),  # "which country": Japan
        "class_miss": float(info.place_class is not None and info.place_class not in classes),
        "known_place": float(bool(classes)),
    }
