"""Text helpers shared by ingest and answering: words, light stemming, sentences, normalisation."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator

__all__ = ["terms", "stem", "sentences", "normalize_quote", "STOPWORDS", "find_verbatim", "counted", "term_match",
           "coverage", "not_utf8", "without_surrogates"]

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves s t don didn doesn isn wasn weren won say said says tell
    told happen happened happening many much latest news recent recently week last yesterday today
    according""".split()
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A deliberately light stemmer (plurals, -ing, -ed, -ation, -ian, -ly) that keeps names recognisable:
    occupation/occupying -> occup, Ukraine/Ukrainian -> ukrain, controls/controlling -> control."""
    w = word
    if len(w) <= 3 or not w.isalpha():
        return w
    for suffix, repl in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: len(w) - len(suffix)] + repl
            break
    if len(w) > 4 and w[-1] in "eyi":
        w = w[:-1]
    if len(w) > 4 and w[-1] == w[-2] and w[-1] not in "aeious":
        w = w[:-1]
    return w


_SUFFIXES = (
    ("ational", ""), ("ations", ""), ("ation", ""), ("ians", ""), ("ian", ""), ("ings", ""), ("ing", ""),
    ("edly", ""), ("ied", "y"), ("ies", "y"), ("ed", ""), ("ly", ""), ("sses", "ss"), ("ss", "ss"),
    ("ia", ""), ("es", "e"), ("s", ""),
)


def words(text: str) -> list[str]:
    """Lower-cased words, possessives removed, accents kept."""
    out = []
    for m in _WORD.finditer(text.lower()):
        w = m.group(0).replace("’", "'")
        if w.endswith("'s"):
            w = w[:-2]
        out.append(w)
    return out


def terms(text: str) -> list[str]:
    """Index/search terms: stemmed words without stopwords (numbers kept)."""
    return list(_terms(text))


@functools.lru_cache(maxsize=8192)
def _terms(text: str) -> tuple[str, ...]:
    # One answer reads the same few hundred texts (passages, sentences, titles) about four times over
    # (reranking, candidates, support, grounding): 2,085 calls for 504 texts a question on 2024's
    # questions. Bounded, so an ingest's stream of chunks cannot grow it.
    return tuple(stem(w) for w in words(text) if w not in STOPWORDS)


# Sentence splitting with character offsets. Rules, not a model: break after . ! ? (and closing quotes)
# before an upper-case letter, digit or opening quote; never after common abbreviations; always at
# paragraph breaks.
_ABBREV = frozenset(
    "mr mrs ms dr prof sen rep gov gen col lt sgt capt st jr sr inc ltd co corp vs etc no jan feb mar apr "
    "jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m mt ft".split()
)
# (a "[1]" after a full stop is a citation marker that belongs to the sentence before, not a new one)
_BOUNDARY = re.compile(r"""([.!?…]+["”’')\]]*)(\s+)(?=["“‘'(]?[A-Z0-9À-Ý]|\[[A-Za-z])""")


def sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Yield (start, end) offsets of sentences in ``text[start:end]``, whitespace trimmed."""
    end = len(text) if end is None else end
    for para_start, para_end in _paragraphs(text, start, end):
        cursor = para_start
        for m in _BOUNDARY.finditer(text, para_start, para_end):
            token = text[max(para_start, m.start() - 12) : m.start()].split()
            prev = token[-1].lower().rstrip(".") if token else ""
            if prev in _ABBREV or (len(prev) == 1 and prev.isalpha()):
                continue
            yield from _trimmed(text, cursor, m.end(1))
            cursor = m.end(2)
        yield from _trimmed(text, cursor, para_end)


def _paragraphs(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    cursor = start
    for m in re.finditer(r"\n\s*\n|\n(?=\s*[-*•] )", text[start:end]):
        yield cursor, start + m.start()
        cursor = start + m.end()
    yield cursor, end


def _trimmed(text: str, a: int, b: int) -> Iterator[tuple[int, int]]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        yield a, b


_QUOTE_MAP = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'", "′": "'",
                            "–": "-", "—": "-", "\u00a0": " "})


def normalize_quote(text: str) -> str:
    """Whitespace collapsed, typographic quotes and dashes made plain, NFC: for verbatim checks."""
    text = unicodedata.normalize("NFC", text).translate(_QUOTE_MAP)
    return re.sub(r"\s+", " ", text).strip()


def term_match(term: str, bag: set[str]) -> float:
    """1 for the term itself, 0.7 for a word sharing its first five letters (Ukraine/Ukrainians), else 0."""
    if term in bag:
        return 1.0
    if len(term) >= 5:
        prefix = term[:5]
        if any(len(other) >= 5 and other[:5] == prefix for other in bag):
            return 0.7
    return 0.0


def coverage(q_terms: list[str], weights: dict[str, float], bag: set[str] | frozenset[str]) -> float:
    """How much of a question's terms (by weight, e.g. idf) a bag of terms holds, 0-1: each term counts
    as :func:`term_match` scores it (the bag's five-letter prefixes are gathered once, not searched for
    every term that is missing: this runs for every sentence and passage of every answer)."""
    total = sum(weights[t] for t in q_terms) or 1.0
    held = 0.0
    prefixes: set[str] | None = None
    for t in q_terms:
        if t in bag:
            held += weights[t]
        elif len(t) >= 5:
            if prefixes is None:
                prefixes = {other[:5] for other in bag if len(other) >= 5}
            if t[:5] in prefixes:
                held += weights[t] * 0.7
    return held / total


def find_verbatim(needle: str, haystack: str) -> bool:
    """Does ``needle`` occur in ``haystack`` once whitespace and quote styles are normalised?"""
    n = normalize_quote(needle)
    return bool(n) and n in normalize_quote(haystack)


_IRREGULAR = {"story": "stories", "copy": "copies"}


_SURROGATE = re.compile("[\ud800-\udfff]")


def not_utf8(text: str) -> str | None:
    """Where ``text`` is not UTF-8 text, or None when it is all text. Python holds a byte that was not
    UTF-8 in a command-line argument or an input line as a lone surrogate (U+DC80 to U+DCFF), and a JSON
    "\\ud800" decodes to one; such a str cannot be encoded, so the tokenizer and the databases fail on it."""
    m = _SURROGATE.search(text)
    if m is None:
        return None
    code = ord(m.group(0))
    what = f"byte 0x{code - 0xDC00:02X}" if 0xDC80 <= code <= 0xDCFF else f"lone surrogate U+{code:04X}"
    return f"{what} at character {m.start() + 1}"


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, as a browser encodes such a string."""
    return _SURROGATE.sub("\ufffd", text)


def counted(n: int, noun: str) -> str:
    """A count with its noun in the right number: "1 outlet", "3 outlets", "2 stories", "1,204 chunks"."""
    return f"{n:,} {noun if n == 1 else _IRREGULAR.get(noun, noun + 's')}"
