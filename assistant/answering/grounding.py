"""Grounding an LLM's answer in the passages it was given, sentence by sentence.

Markers must name a given source, quoted spans must occur verbatim in the cited source (or are
re-anchored to the source that has them), uncited sentences are dropped, and an answer with nothing
verifiable left is a refusal. Works on a whole answer (:func:`ground`) or on a token stream
(:func:`ground_stream`), so streaming shows only sentences that already passed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from assistant.answering.citations import MARKER, citation_for
from assistant.answering.draft import REFUSAL_TEXT, Delta, Draft
from assistant.models import Citation, Passage
from assistant.text import find_verbatim, normalize_quote, sentences, terms

__all__ = ["Grounder", "ground", "ground_stream", "REFUSAL_TOKEN", "REFUSAL_TEXT", "split_short_answer"]

REFUSAL_TOKEN = "NOT_IN_SOURCES"
_QUOTED = re.compile(r"[“\"]([^”\"]{8,})[”\"]")
# the prompt asks for the answer in brief on a first line of its own: "Answer: 74 settlements [1]"
_SHORT_LINE = re.compile(r"^\s*\**(?:short\s+)?answer\**\s*:\**\s*(?P<short>[^\n\[]{1,80}?)\s*\.?\s*"
                         r"(?P<markers>(?:\[\d{1,3}\]\s*)*)\.?\s*(?:\n|$)", re.IGNORECASE)
SHORT_MAX_WORDS = 10


def _best_sentence(passage: Passage, claim: str, span: str | None) -> tuple[int, int]:
    """The sentence of the passage (article offsets) that best supports ``claim``."""
    claim_terms = set(terms(claim))
    best, best_score = None, -1.0
    for a, b in sentences(passage.text):
        sent = passage.text[a:b]
        if span and find_verbatim(span, sent):
            return passage.start + a, passage.start + b
        score = len(claim_terms & set(terms(sent))) / (1 + len(claim_terms))
        if score > best_score:
            best, best_score = (a, b), score
    assert best is not None
    return passage.start + best[0], passage.start + best[1]


_MARKER_AFTER_STOP = re.compile(r"([.!?…][”\"’']?)((?:\s*\[\d{1,3}\])+)")


def _markers_inside(text: str) -> str:
    """ "... fact. [1] Next" -> "... fact [1]. Next": keep each marker inside its sentence."""
    return _MARKER_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), text)


class Grounder:
    """Checks an LLM answer sentence by sentence against the passages it was given.

    ``feed`` returns the sentence as it may be shown (markers renumbered, a misattributed quote
    re-anchored) or None when it must be dropped: a quote found in no source, no valid citation.
    Used whole by :func:`ground` and incrementally while streaming.
    """

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.citations: list[Citation] = []
        self._order: dict[tuple[int, int, int], int] = {}

    def feed(self, sentence: str) -> str | None:
        passages = self.passages
        cited = [int(m) - 1 for m in MARKER.findall(sentence) if 0 < int(m) <= len(passages)]
        spans = [m.group(1) for m in _QUOTED.finditer(sentence)]
        for span in spans:
            holders = [i for i, p in enumerate(passages) if find_verbatim(span, p.text)]
            if not holders:
                return None  # a quote that is in no source
            if not set(cited) & set(holders):
                cited = [holders[0]]  # re-anchor to the source that does contain it
        bare = MARKER.sub("", sentence).strip()
        if not cited or len(normalize_quote(bare)) < 3 or REFUSAL_TOKEN in bare:
            return None
        numbers = []
        for i in dict.fromkeys(cited):
            span = next((x for x in spans if find_verbatim(x, passages[i].text)), None)
            numbers.append(self.cite(i, *_best_sentence(passages[i], bare, span)))
        bare = re.sub(r"\s+([.,;:!?])", r"\1", bare)
        return bare + " " + "".join(f"[{n}]" for n in numbers)

    def cite(self, i: int, start: int, end: int) -> int:
        """The number of the citation of passage ``i``'s text between article offsets start and end."""
        key = (i, start, end)
        if key not in self._order:
            self._order[key] = len(self.citations) + 1
            p = self.passages[i]
            self.citations.append(citation_for(self._order[key], p, p.text[start - p.start : end - p.start]))
        return self._order[key]

    def feed_short(self, text: str, markers: str) -> str | None:
        """The line that shows a short answer ("74 settlements [1]."), citing the sentence of a source it
        cites that holds it as a whole word or phrase; None (the short answer is dropped) when none does."""
        cited = [int(m) - 1 for m in MARKER.findall(markers) if 0 < int(m) <= len(self.passages)]
        pattern = re.compile(rf"(?<!\w){re.escape(normalize_quote(text))}(?!\w)")
        for i in dict.fromkeys(cited):
            p = self.passages[i]
            for a, b in sentences(p.text):
                if pattern.search(normalize_quote(p.text[a:b])):
                    return f"{text} [{self.cite(i, p.start + a, p.start + b)}]."
        return None


def split_short_answer(text: str) -> tuple[tuple[str, str] | None, str]:
    """((short answer, its markers), the rest) when ``text`` opens with an "Answer: …" line, else
    (None, text). Only a line that is whole (ends in a newline, or is all there is) is read."""
    m = _SHORT_LINE.match(text)
    if not m or len(m.group("short").split()) > SHORT_MAX_WORDS:
        return None, text
    return (m.group("short").strip(" *\"“”"), m.group("markers")), text[m.end():]


def ground(raw: str, passages: list[Passage]) -> Draft:
    """Keep only verifiable sentences of an LLM answer; renumber and build citations."""
    text = raw.strip()
    if not text or text.startswith(REFUSAL_TOKEN):
        return Draft.refusal(REFUSAL_TEXT)
    grounder = Grounder(passages)
    short, text = split_short_answer(text)
    lead = grounder.feed_short(*short) if short else None
    text = _markers_inside(text)
    kept = [s for s in (grounder.feed(text[a:b]) for a, b in sentences(text)) if s]
    if not kept and lead is None:
        return Draft.refusal(REFUSAL_TEXT)
    if lead is None or short is None:
        return Draft(" ".join(kept), grounder.citations)
    return Draft(" ".join([lead, *kept]), grounder.citations, short_answer=short[0])


def ground_stream(deltas: Iterator[str], passages: list[Passage]) -> Iterator[Delta | Draft]:
    """Ground a token stream as it arrives: yields each verified sentence (a :class:`Delta` to show)
    and, last, the final :class:`Draft`."""
    grounder = Grounder(passages)
    head, rest = _first_line(deltas)
    short, head = split_short_answer(head)
    lead = grounder.feed_short(*short) if short else None
    kept: list[str] = []
    if lead is not None:
        yield Delta(lead + " ")
    buffer = ""
    for delta in itertools.chain([head], rest):
        buffer = _markers_inside(buffer + delta)
        spans = list(sentences(buffer))
        for a, b in spans[:-1]:
            shown = grounder.feed(buffer[a:b])
            if shown:
                kept.append(shown)
                yield Delta(shown + " ")
        if len(spans) > 1:
            buffer = buffer[spans[-1][0] :]
    tail = buffer.strip()
    if tail and not tail.startswith(REFUSAL_TOKEN):
        for a, b in sentences(tail):
            shown = grounder.feed(tail[a:b])
            if shown:
                kept.append(shown)
                yield Delta(shown)
    if not kept and lead is None:
        yield Draft.refusal(REFUSAL_TEXT)
    elif lead is None or short is None:
        yield Draft(" ".join(kept), grounder.citations)
    else:
        yield Draft(" ".join([lead, *kept]), grounder.citations, short_answer=short[0])


def _first_line(deltas: Iterator[str], limit: int = 200) -> tuple[str, Iterator[str]]:
    """The stream's text up to its first newline (or ``limit`` characters, or its end), and the rest."""
    head = ""
    for delta in deltas:
        head += delta
        if "\n" in head or len(head) >= limit:
            break
    return head, deltas
