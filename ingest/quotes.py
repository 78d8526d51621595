"""Who said what: direct and reported speech with its speaker, found by rules over sentences.

Handles the shapes news uses most: “...,” Tykhyi said / was quoted as saying / he added; “...,” said foreign
minister Anna Berg; Syrskyi said that ...; X, stating that ...; according to (a statement from) the Russian
Defense Ministry, ...
Pronouns and "the ministry" resolve to the most recent matching speaker; surnames to the full name.
"""

from __future__ import annotations

import re

from assistant.models import Article, Quote
from assistant.text import sentences

__all__ = ["RULES", "extract_quotes"]

# The version of these rules. Change it with the rules: a collection's next ingest then reads the quotes of
# its stored stories again (assistant.index.requote), or it would keep the quotes of the old rules.
RULES = "2"  # 2: a speaker after a lower-case title ("said foreign minister Anna Berg")

_VERBS = (
    r"said|says|added|adds|stated|stating|noted|noting|told|explained|stressed|emphasized|emphasizing|"
    r"highlighted|clarified|warned|announced|claimed|insisted|wrote|tweeted|declared|argued|asserted|"
    r"confirmed|denied|acknowledged|reiterated|reaffirmed|reaffirming|expressed|urged|called|vowed|"
    r"promised|admitted|suggested|predicted|revealed|was quoted as saying|were quoted as saying|"
    r"is quoted as saying|went on to say|continued"
)
_NAME_WORD = r"(?:[A-Z][\w’'.-]*[\w]|[A-Z])"
# (a joiner is a word of its own: "\s+(?:of)?\s*" let runs of spaces split two ways, exponential in the words)
_NAME = rf"{_NAME_WORD}(?:\s+(?:(?:of|de|van|von|al|bin)\s+)?{_NAME_WORD})*"
_ROLE = r"(?:\s+(?:spokesman|spokeswoman|spokesperson|ministry|official|officials|office|minister))?"
_PRONOUN = r"\b(he|she|they|the ministry|the spokesman|the spokeswoman|the official|the minister|the statement)\b"

_AUX = r"(?:(?:also|later|then|has|have|had|was|were|previously|repeatedly)\s+)*"
_SPEAKER_VERB = re.compile(rf"({_NAME}{_ROLE})(?:,[^,]{{1,80}},)?\s+{_AUX}(?:{_VERBS})\b")
# "Oleksandr Syrskyi provided an update ..., stating that ..."
_SPEAKER_PARTICIPLE = re.compile(
    rf"({_NAME}{_ROLE})\s+[a-z][^.;“”\"A-Z]{{0,160}}?,\s+(?:stating|saying|adding|noting|telling|warning|arguing)\b"
)
_VERB_SPEAKER = re.compile(rf"[,”\"]\s*(?:{_VERBS})\s+((?:the\s+)?{_NAME}{_ROLE})")
# "…,” said foreign minister Anna Berg / the company's chief executive, Tim Cook / surgeon Dr. James Andrews:
# after a plain speech verb (what follows "told" or "warned" is who was told), one to four lower-case words
# of title, then a name that ends the clause. Not a clause ("said that the Minister …"), a preposition's
# object ("said a man from Ohio"), a place as an adjective ("said one Rehoboth Beach resident"), or an
# abbreviation ("said his No. 1 issue", "Gov. Nikki Haley" cut at "Gov").
_PLAIN_SPEECH = r"said|says|added|adds|wrote|writes|explained|noted|recalled|admitted"
_NOT_TITLE = (  # words that begin a clause, a time or a prepositional phrase, not a title
    "that in on at to of for with when while after before as if it this there was is he she they we you and but "
    "because so who which what how why where would will could can by from across outside inside including "
    "representing toward towards near into over under about against among between through during without within"
).replace(" ", "|")
_LOWER_TITLE = rf"(?:(?:(?!(?:{_NOT_TITLE})\b)[a-z][\w’'-]*|CEO|CFO|COO|CTO),?\s+){{1,4}}"
_ABBREVIATIONS = (
    r"Dr|Capt|Cmdr|Adm|Maj|Cpl|Sgt|Lt|Col|Gen|Det|Gov|Sen|Rep|Mr|Mrs|Ms|Prof|St|No|Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec"
)
_ABBREVIATED = rf"(?:(?:{_ABBREVIATIONS})\.\s+)?"
_VERB_TITLE_SPEAKER = re.compile(
    rf"[,”\"]\s*(?:{_PLAIN_SPEECH})\s+(?:the\s+)?{_LOWER_TITLE}{_ABBREVIATED}(?!(?:{_ABBREVIATIONS})\.)({_NAME})"
    r"(?=\s*(?:[,;:]|[.!?][\"”’)]*\s*$|$)|\s+(?:on|in|at|after|before|during|last|this|when|to)\b)"
)
_ACCORDING = re.compile(
    rf"[Aa]ccording to (?:a |an |the )?(?:statement |report |post |video )?(?:from |by |of )?(?:the )?({_NAME}{_ROLE})"
)
_PRONOUN_VERB = re.compile(rf"{_PRONOUN}\s+(?:also\s+)?(?:{_VERBS})\b", re.IGNORECASE)
_AFTER_QUOTE = (_VERB_SPEAKER, _VERB_TITLE_SPEAKER)  # read over the whole sentence, quote included
_QUOTED = re.compile(r"[“\"]([^”\"]{12,})[”\"]")

_NOT_NAMES = frozenset(
    "The A An In On At But And Meanwhile However Moreover Also This That These Those It Its Monday Tuesday "
    "Wednesday Thursday Friday Saturday Sunday January February March April May June July August September "
    "October November December Date According".split()
)
_TITLES = re.compile(
    r"^(?:(?:U\.S\.|U\.K\.|Former|Acting|Deputy|Vice|President|Prime|Minister|Foreign|Defense|Secretary|"
    r"Chancellor|Sen\.|Senator|Rep\.|Gov\.|Governor|Gen\.|General|Commander|Mayor|Chief|Spokesman|Dr\.|Mr\.|"
    r"Mrs\.|Ms\.|Pope|King|Queen|Prince|National|Security|Advisor|Adviser)\s+)+"
)


def _clean_name(raw: str) -> str | None:
    name = raw.strip().strip(",")
    words = name.split()
    while words and words[0] in _NOT_NAMES:
        words = words[1:]
    name = " ".join(words)
    stripped = _TITLES.sub("", name)
    if stripped and stripped[0].isupper():
        name = stripped
    if not name or name.split()[0] in _NOT_NAMES:
        return None
    return name


def _resolve(name: str, known: list[str]) -> str:
    """A surname alone resolves to the full name met earlier in the article."""
    if " " not in name:
        for full in reversed(known):
            if full.split()[-1] == name and full != name:
                return full
    return name


def _pronoun_target(pronoun: str, known: list[str]) -> str | None:
    p = pronoun.lower()
    if p in ("he", "she", "they"):
        people = [k for k in known if " " in k and not re.search(r"Ministry|Office|Government", k)]
        return people[-1] if people else (known[-1] if known else None)
    word = p.split()[-1]
    for k in reversed(known):
        if word in k.lower():
            return k
    return known[-1] if known else None


def extract_quotes(article: Article) -> list[Quote]:
    """Statements in the article with their speakers, in article order."""
    text = article.text
    known: list[str] = []
    out: list[Quote] = []
    for a, b in sentences(text):
        sentence = text[a:b]
        quoted = _QUOTED.search(sentence)
        outside = _QUOTED.sub(" ", sentence) if quoted else sentence
        speaker = None
        for pattern in (_VERB_SPEAKER, _ACCORDING, _SPEAKER_VERB, _SPEAKER_PARTICIPLE, _VERB_TITLE_SPEAKER):
            for m in pattern.finditer(sentence if pattern in _AFTER_QUOTE else outside):
                name = _clean_name(m.group(1))
                if name:
                    speaker = _resolve(name, known)
                    break
            if speaker:
                break
        if speaker is None:
            pronoun = _PRONOUN_VERB.search(outside)
            if pronoun:
                speaker = _pronoun_target(pronoun.group(1), known)
        if speaker is None:
            continue
        if speaker not in known or known[-1] != speaker:
            known = [k for k in known if k != speaker] + [speaker]
        out.append(Quote(article_id=article.id, speaker=speaker, text=sentence, start=a, end=b,
                         direct=quoted is not None))
    return out
