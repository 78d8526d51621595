"""Attribution: who says what an answer quotes, in which outlet, and when.

Each quoted sentence is introduced by its story ("OUTLET (DATE), “HEADLINE”:") or by its speaker
("SPEAKER, as reported by OUTLET (DATE):"); a refusal that names an older story uses the same words.
A headline is shown as the story gives it, less a trailing " | CNN Business" or " - The Week UK" that
only names the site: the attribution already names the outlet, and those words would be said twice.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from assistant.models import Passage

__all__ = ["attribution", "headline", "UNATTRIBUTED"]

UNATTRIBUTED = "an unattributed story"  # a story whose outlet is not known
_NO_BRACKETS = str.maketrans("[]", "()")
_SITE_SUFFIX = re.compile(r"\s[|–—-]\s+((?:[^\s|–—-]+\s?){1,4}?)\s*$")  # " | CNN Business", " - The Week UK"
# what sites put after their name in a headline: "CNN Business", "The Week UK", "AP News"
_SECTIONS = frozenset({"business", "politics", "world", "news", "uk", "us", "online", "sport", "sports", "travel",
                       "health", "style", "opinion"})
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "ac", "edu"})


def attribution(p: Passage, speaker: str | None) -> str:
    """Who says what follows: "SPEAKER, as reported by OUTLET (DATE):", or the story itself, "OUTLET (DATE),
    “HEADLINE”:" (its headline says which story it is, and is often the answer in brief)."""
    when = p.published_iso or "date unknown"
    if speaker:
        return f"{speaker}, as reported by {p.source or UNATTRIBUTED} ({when}):"
    outlet = p.source or UNATTRIBUTED.capitalize()
    title = headline(p.title, p.source, p.url)
    return f"{outlet} ({when}), “{title}”:" if title else f"{outlet} ({when}):"


def headline(title: str | None, source: str | None, url: str | None) -> str:
    """``title`` on one line, without brackets ("[2]" in it would read as a citation) and without trailing
    segments that name the site the story comes from (its outlet or its web address)."""
    text = " ".join((title or "").split()).translate(_NO_BRACKETS)
    sites = _site_names(source, url)
    while (m := _SITE_SUFFIX.search(text)) and _names_site(m.group(1), sites):
        rest = text[:m.start()].rstrip()
        if not any(ch.isalnum() for ch in rest):
            break  # the headline is only the site's name: keep it
        text = rest
    return text


def _names_site(segment: str, sites: set[str]) -> bool:
    """Is a headline's last segment the site's name ("CNN", "CNN Business", "The Week UK"), or that name
    cut short ("CNN ...")? "CNN poll" or "The week ahead" are the headline's own words."""
    cut = segment.rstrip().endswith(("...", "…"))
    said = _letters(segment)
    if len(said) < 3:
        return False
    return any(said == site or (said.startswith(site) and said[len(site):] in _SECTIONS) or (cut and site.startswith(said))
               for site in sites)


def _site_names(source: str | None, url: str | None) -> set[str]:
    """The outlet's name and the name in its web address, in letters: "CNN", "cnn.com" -> cnn;
    "The Week UK" -> theweekuk; "https://www.abc.net.au/..." -> abc."""
    names = {_letters(source or ""), _domain_name(source or ""), _domain_name(_host(url))}
    return {n for n in names if len(n) >= 3}


def _host(url: str | None) -> str:
    try:
        return urlsplit(url or "").hostname or ""
    except ValueError:  # a stored link that is not a URL ("http://[broken") names no site
        return ""


def _domain_name(host: str) -> str:
    """The name a web address is registered under: "edition.cnn.com" -> cnn, "theweek.co.uk" -> theweek,
    "news.yahoo.com" -> yahoo ("" for what is not a web address)."""
    if " " in host or "." not in host:
        return ""
    labels = host.lower().split(".")[:-1]  # less the country or generic ending
    while len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
        labels.pop()  # "co" in theweek.co.uk, "net" in abc.net.au
    return _letters(labels[-1])


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())
