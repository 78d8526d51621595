"""The extractive answerer: with no LLM, answer with the retrieved sentences that answer the
question, attributed (who said it, outlet, date) and cited; refuse when the stories don't cover it.

It reads the question's type (how many / who / when / where / what did X say / other), its terms
and named entities; scores each sentence of the retrieved passages by idf-weighted term coverage
with light fuzzy matching and a bonus for the kind of fact asked for; and refuses when a named
entity is absent or coverage is too low.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.answering.attribution import attribution
from assistant.answering.citations import citation_for
from assistant.answering.draft import Draft
from assistant.answering.short_answer import ShortAnswer, pick_short_answer
from assistant.answering.support import SentenceFacts, load_support, support_features
from assistant.index import Index
from assistant.models import Citation, Passage, Quote
from assistant.question import Question
from assistant.question.followup import quoted_statement
from assistant.question.parse import QuestionInfo
from assistant.text import coverage, sentences, term_match, terms

__all__ = ["ExtractiveAnswerer"]

MIN_COVERAGE = 0.35  # "what did X say about Y": the least coverage of the topic by a quote or its story
ENTITY_SHARE = 0.5  # of the names in a question that names three or more
LIST_BONUS = 0.15
# A sentence holding this much of the question's words is an answer whatever the support model says: it
# learned from long quiz questions, and a short plain one ("Who expressed concern over the situation?")
# looks unlike them. On 1,429 RealTime QA 2023 questions this floor changes one answer.
WHOLE_QUESTION = 0.8
WORD_BUDGET = 60  # a further sentence joins an answer only while it stays within this many words
WHO_SAID_COVERAGE = 0.6  # "who said “…”?": a quote must hold this much of the statement (by idf weight)

_NUMBER = re.compile(r"\b\d[\d,.]*\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                     r"dozen|dozens|hundred|hundreds|thousand|thousands|million|millions|billion)\b", re.I)
_DATEISH = re.compile(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|"
                      r"April|May|June|July|August|September|October|November|December|yesterday|today|"
                      r"(?:19|20)\d\d|last (?:week|month|year)|this (?:week|month|year))\b")
_PLACE = re.compile(r"\b(?:in|at|near|from|to)\s+(?:the\s+)?[A-Z][a-z]+")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+\b")
_NAME_ANYWHERE = re.compile(r"\b[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*")


@dataclass
class _Candidate:
    passage_rank: int
    passage: Passage
    start: int  # offsets in the article text
    end: int
    text: str
    score: float
    coverage: float
    speaker: str | None = None
    features: dict[str, float] = field(default_factory=dict)


class ExtractiveAnswerer:
    """Answers from retrieved passages by selecting, attributing and citing sentences."""

    def __init__(self, store: Index, embedder: Embeddings | None = None, max_sentences: int = 2) -> None:
        self.store = store
        self.embedder = embedder
        self.max_sentences = max_sentences

    # -- scoring ------------------------------------------------------------------------------

    def _weights(self, q_terms: list[str]) -> dict[str, float]:
        lexical = self.store.lexical_index()
        return {t: lexical.idf(t) for t in q_terms}

    def _sentences(self, passages: list[Passage]) -> list[tuple[int, Passage, int, int, str]]:
        out = []
        seen: set[tuple[str, int]] = set()
        for rank, p in enumerate(passages):
            for a, b in sentences(p.text):
                key = (p.article_id, p.start + a)
                if key in seen:
                    continue
                seen.add(key)
                out.append((rank, p, p.start + a, p.start + b, p.text[a:b]))
        return out

    # -- answering ----------------------------------------------------------------------------

    def answer(self, question: Question, passages: list[Passage]) -> Draft:
        """The answer with [n] markers and its citations, or a refusal. Time words are left to
        retrieval's date window; the sentences are matched on the rest of the question."""
        info = question.info
        if not passages or not info.terms:
            return Draft.refusal()
        statement = quoted_statement(info.text)
        if statement:  # "who said “…”?": the speaker the stories attribute that sentence to
            said = self._answer_who_said(statement, passages)
            if said is not None:
                return said
        if info.kind == "say" and info.speaker:
            said = self._answer_say(info, passages)
            if said is not None:
                return said
            if not info.speaker.lower().startswith(("you", "i ", "we ", "it ")):
                return Draft.refusal(f"The stories I have don't quote {info.speaker}.")
        return self._answer_general(info, passages, question.as_of)

    def term_weights(self, info: QuestionInfo) -> tuple[list[str], dict[str, float]]:
        """The question's terms and their weights (idf; names count 1.5 times: they carry the question)."""
        weights = info.term_weights(self.store.lexical_index().idf)
        return list(weights), weights

    def coverage_for(self, info: QuestionInfo) -> Callable[[set[str]], float]:
        """How much of the question (by weight) a bag of terms covers."""
        q_terms, weights = self.term_weights(info)
        return lambda bag: coverage(q_terms, weights, bag)

    def scored_sentences(self, info: QuestionInfo, passages: list[Passage], as_of: dt.date) -> list[_Candidate]:
        """Every sentence of the passages, scored by how likely it holds the answer (the support model
        over its coverage of the question, the kind of fact it states, its story's rank and date), best
        first; each keeps its features (``benchmarks/train_support.py`` learns from them)."""
        q_terms, weights = self.term_weights(info)
        asked = set(q_terms)
        titles = {p.article_id: set(terms(p.title)) for p in passages}
        top = (passages[0].score or 1.0) if passages else 1.0
        model = load_support()
        cands: list[_Candidate] = []
        for rank, p, a, b, text in self._sentences(passages):
            bag, title = set(terms(text)), titles[p.article_id]
            facts = SentenceFacts(
                text, bag, p, rank, a, coverage=coverage(q_terms, weights, bag),
                context_coverage=coverage(q_terms, weights, bag | title),
                title_coverage=coverage(q_terms, weights, title), type_bonus=self._type_bonus(info, text),
                new_name=info.kind in ("who", "which", "where") and _new_name(text, q_terms))
            features = support_features(info, facts, asked, top)
            cands.append(_Candidate(rank, p, a, b, text, model.probability(features), facts.coverage,
                                    features=features))
        cands.sort(key=lambda c: -c.score)
        return cands

    def _answer_general(self, info: QuestionInfo, passages: list[Passage], as_of: dt.date) -> Draft:
        cands = self.scored_sentences(info, passages, as_of)
        threshold = load_support().threshold
        if (not cands or (cands[0].score < threshold and cands[0].coverage < WHOLE_QUESTION)
                or not self._entities_present(info, [cands[0].passage])):
            return Draft.refusal()
        best = cands[0]
        support = {(c.passage.article_id, c.start): c.score for c in cands}
        short = pick_short_answer(info, passages, self.coverage_for(info), as_of, support=support)
        if short is not None:
            return self._compose_short(short, best)
        chosen = [best]
        for c in cands[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if c.score >= max(0.85 * best.score, threshold) and not _overlaps(c, chosen):
                chosen.append(c)
        composed = self._compose_within_budget(chosen)
        composed.confidence = best.score
        return composed

    def _compose_short(self, short: ShortAnswer, best: _Candidate) -> Draft:
        """"74 settlements. OUTLET (DATE), “HEADLINE”: the sentence that says so [1]", then
        the sentence most likely to answer (``best``) when it is another one and the attributed sentences
        stay within WORD_BUDGET, as in a general answer: when the short answer is wrong, the right one is
        often there."""
        occ = short.candidate.best
        chosen = [_Candidate(occ.passage_rank, occ.passage, occ.start, occ.end, occ.sentence, short.confidence, 0.0)]
        if not _overlaps(best, chosen):
            chosen.append(best)
        composed = self._compose_within_budget(chosen)
        return Draft(f"{short.candidate.text}. {composed.text}", composed.citations, short_answer=short.candidate.text,
                     confidence=short.confidence)

    def _compose_within_budget(self, chosen: list[_Candidate]) -> Draft:
        """The attributed sentences, the last ones dropped while the answer has more than WORD_BUDGET words
        (the first always stays)."""
        composed = self._compose(chosen, lead=None)
        while len(chosen) > 1 and len(composed.text.split()) > WORD_BUDGET:
            chosen = chosen[:-1]
            composed = self._compose(chosen, lead=None)
        return composed

    def _answer_say(self, info: QuestionInfo, passages: list[Passage]) -> Draft | None:
        assert info.speaker is not None
        quotes = self._speaker_quotes(info.speaker, passages)
        if not quotes:
            return None  # nobody by that name is quoted in what was retrieved
        by_article = {p.article_id: (rank, p) for rank, p in reversed(list(enumerate(passages)))}
        topic = info.topic_terms
        weights = self._weights(topic) if topic else {}
        sims = self._topic_similarity(info.topic, quotes) if topic else None
        scored: list[tuple[float, Quote]] = []
        best_topical = 0.0
        story_coverage: dict[str, float] = {}  # per article: several quotes often share one story
        for i, q in enumerate(quotes):
            rank = by_article[q.article_id][0]
            topical = 0.0
            if topic:
                in_quote = coverage(topic, weights, set(terms(q.text)))
                if q.article_id not in story_coverage:
                    story = set(terms(by_article[q.article_id][1].title))
                    story |= set(terms(self.store.article_text(q.article_id)))
                    story_coverage[q.article_id] = coverage(topic, weights, story)
                in_story = story_coverage[q.article_id]
                topical = in_quote + 0.5 * in_story + (0.5 * float(sims[i]) if sims is not None else 0.0)
                best_topical = max(best_topical, in_quote, in_story)
            scored.append((topical + (0.3 if q.direct else 0.0) + 0.02 / (1 + rank), q))
        if topic and best_topical < MIN_COVERAGE:
            return Draft.refusal(f"The stories quote {quotes[0].speaker}, but not about {info.topic}.")
        scored.sort(key=lambda x: -x[0])
        picked: list[Quote] = []
        for _, q in scored:
            if len(picked) >= 3:
                break
            if q.direct or len([x for x in picked if not x.direct]) < 1:
                picked.append(q)
        picked.sort(key=lambda q: (by_article[q.article_id][0], q.start))
        chosen = []
        for q in picked:
            p = self._passage_containing(q, passages)
            chosen.append(_Candidate(by_article[q.article_id][0], p, q.start, q.end, q.text, 1.0, 1.0, q.speaker))
        draft = self._compose(chosen, lead=picked[0].speaker)
        if not set(terms(info.speaker)) <= set(terms(picked[0].speaker)):  # a misspelt or partial name: say whom
            draft.matched_names[info.speaker] = picked[0].speaker
            draft.text += f"\n\n(“{info.speaker}” read as {picked[0].speaker}.)"
        return draft

    def _answer_who_said(self, statement: str, passages: list[Passage]) -> Draft | None:
        """The quote (direct or reported) in the retrieved stories that best covers ``statement``,
        led by its speaker; None when no quote covers most of it."""
        words = list(dict.fromkeys(terms(statement)))
        if not words:
            return None
        weights = self._weights(words)
        quotes = self.store.quotes_for(dict.fromkeys(p.article_id for p in passages))
        scored = [(coverage(words, weights, set(terms(q.text))), q) for q in quotes]
        if not scored:
            return None
        covered, quote = max(scored, key=lambda x: x[0])
        if covered < WHO_SAID_COVERAGE:
            return None
        rank = next(i for i, p in enumerate(passages) if p.article_id == quote.article_id)
        passage = self._passage_containing(quote, passages)
        draft = self._compose([_Candidate(rank, passage, quote.start, quote.end, quote.text, 1.0, covered,
                                          quote.speaker)], lead=quote.speaker)
        if quote.speaker in quote.text:  # the short answer must occur in the cited quote
            draft.short_answer = quote.speaker
        return draft

    def _speaker_quotes(self, asked: str, passages: list[Passage]) -> list[Quote]:
        """Quotes in the retrieved articles whose speaker best matches the name asked about."""
        asked_terms = set(terms(asked))
        if not asked_terms:
            return []
        best: list[Quote] = []
        best_score = 0.0
        for q in self.store.quotes_for(p.article_id for p in passages):
            speaker_terms = set(terms(q.speaker))
            score = sum(any(_same_name(a, s) for s in speaker_terms) for a in asked_terms) / len(asked_terms)
            if score > best_score:
                best, best_score = [q], score
            elif score == best_score and score > 0:
                best.append(q)
        return best if best_score >= 0.5 or (best and len(asked_terms) == 1) else []

    def _topic_similarity(self, topic: str | None, quotes: list[Quote]) -> np.ndarray | None:
        if not topic or self.embedder is None:
            return None
        vectors = np.asarray(self.embedder.embed_documents([topic] + [q.text for q in quotes]), dtype=np.float32)
        return vectors[1:] @ vectors[0]  # type: ignore[no-any-return]

    def _passage_containing(self, q: Quote, passages: list[Passage]) -> Passage:
        for p in passages:
            if p.article_id == q.article_id and p.start <= q.start and q.end <= p.end:
                return p
        # the quote lies outside the retrieved chunk: cite the chunk of the article that holds it
        base = next(p for p in passages if p.article_id == q.article_id)
        hits = self.store.passages_for_span(q.article_id, q.start, q.end)
        return hits or base

    @staticmethod
    def _type_bonus(info: QuestionInfo, text: str) -> float:
        """Does the sentence state the kind of fact asked for (a number, a date, a place, a name, or for
        "what weapons did ..", an enumeration)?"""
        kind = info.kind
        if info.answer_type == "list" and text.count(",") >= 3:
            return LIST_BONUS
        if kind == "how_many":
            return 0.15 if _NUMBER.search(text) else 0.0
        if kind == "when":
            return 0.15 if _DATEISH.search(text) else 0.0
        if kind == "where":
            return 0.1 if _PLACE.search(text) else 0.0
        if kind == "who":
            return 0.1 if _NAME.search(text) else 0.0
        return 0.0

    @staticmethod
    def _entities_present(info: QuestionInfo, passages: list[Passage]) -> bool:
        """Are most of the names the question uses in the evidence? (All of them when it names one
        or two: "the capital of France" needs France.)"""
        if not info.entities:
            return True
        bag: set[str] = set()
        for p in passages:
            bag |= set(terms(p.title)) | set(terms(p.text))
        found = sum(term_match(e, bag) > 0 for e in info.entities)
        needed = len(info.entities) if len(info.entities) <= 2 else ENTITY_SHARE * len(info.entities)
        return found >= needed

    def _compose(self, chosen: list[_Candidate], lead: str | None) -> Draft:
        citations: list[Citation] = []
        numbers: dict[tuple[str, int, int], int] = {}
        groups: list[tuple[str, list[str]]] = []
        for c in chosen:
            key = (c.passage.article_id, c.start, c.end)
            if key not in numbers:
                numbers[key] = len(citations) + 1
                citations.append(citation_for(numbers[key], c.passage, c.text))
            intro = attribution(c.passage, lead)
            piece = f"{c.text} [{numbers[key]}]"
            if groups and groups[-1][0] == intro:
                groups[-1][1].append(piece)
            else:
                groups.append((intro, [piece]))
        text = "\n\n".join(f"{intro} {' '.join(pieces)}" for intro, pieces in groups)
        return Draft(text, citations)


def _new_name(text: str, q_terms: list[str]) -> bool:
    """Does the sentence name someone or something the question does not (a candidate answer)?"""
    asked = set(q_terms)
    for m in _NAME_ANYWHERE.finditer(text):
        if m.start() == 0 and " " not in m.group(0):
            continue  # a sentence's first word is capitalised anyway
        if not set(terms(m.group(0))) & asked:
            return True
    return False


def _same_name(asked: str, known: str) -> bool:
    """One name term for another, forgiving a typo or transliteration: "tykhy" for "Tykhyi", "zelensky" for
    "Zelenskyy", "syrsky" for "Syrskyi" (edit similarity of at least 0.8 on words of four letters or more)."""
    if asked == known:
        return True
    if min(len(asked), len(known)) < 4 or asked[0] != known[0]:
        return False
    return difflib.SequenceMatcher(None, asked, known).ratio() >= 0.8


def _overlaps(c: _Candidate, chosen: list[_Candidate]) -> bool:
    return any(c.passage.article_id == o.passage.article_id and c.start < o.end and o.start < c.end for o in chosen)
