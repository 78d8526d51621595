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
    """``title`` on one line, without brackets ("[2]" in it would read as a citation) and without a
    trailing segment that names the site the story comes from (its outlet or its web address)."""
    text = " ".join((title or "").split()).translate(_NO_BRACKETS)
    m = _SITE_SUFFIX.search(text)
    if m and m.start() > 0 and _names_site(m.group(1), source, url):
        return text[:m.start()].rstrip()
    return text


def _names_site(segment: str, source: str | None, url: str | None) -> bool:
    """Does a headline's last segment ("CNN Business", "The Week UK", "CNN ...") name the story's site?"""
    said = _letters(segment)
    sites = {_letters(source or "")} | _domain_names(source or "") | _domain_names(_host(url))
    return len(said) >= 3 and any(len(site) >= 3 and (said.startswith(site) or site.startswith(said)) for site in sites)


def _host(url: str | None) -> str:
    try:
        return urlsplit(url or "").hostname or ""
    except ValueError:  # a stored link that is not a URL ("http://[broken") names no site
        return ""


def _domain_names(host: str) -> set[str]:
    """The names in a web address, less its ending: "edition.cnn.com" -> cnn, edition; "theweek.co.uk" -> theweek."""
    if " " in host or "." not in host:
        return set()
    return {_letters(label) for label in host.lower().split(".")[:-1] if label != "www"}


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())
