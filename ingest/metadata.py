"""Article metadata from what a document carries: title, published date, byline, outlet, URL; and ids.

Dates are never invented: a missing or unparseable date stays ``None`` ("unknown").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from assistant.models import Article
from assistant.text import normalize_quote, without_surrogates
from ingest.clean import clean_text

__all__ = ["parse_date", "canonical_url", "build_article", "split_header", "outlet_from_text"]

_HEADER = re.compile(
    r"^\s*(date|published|updated|by|author|authors|byline|source|publisher|outlet|url|link)\s*:\s*(.*?)\s*$",
    re.IGNORECASE,
)
_HEADER_KEYS = {
    "date": "published", "published": "published", "updated": "published", "by": "byline", "author": "byline",
    "authors": "byline", "byline": "byline", "source": "source", "publisher": "source", "outlet": "source",
    "url": "url", "link": "url",
}
_BY_LINE = re.compile(r"^\s*by\s+([A-Z][\w.'’-]+(?:\s+(?:and\s+)?[A-Z][\w.'’-]+){0,5})\s*$")

_AGENCIES = {
    "the associated press": "The Associated Press", "associated press": "The Associated Press",
    "ap": "The Associated Press", "reuters": "Reuters", "agence france-presse": "Agence France-Presse",
    "afp": "Agence France-Presse", "bloomberg": "Bloomberg", "bbc news": "BBC News", "cnn": "CNN",
    "npr": "NPR", "the guardian": "The Guardian", "the new york times": "The New York Times",
}
_DATELINE_AGENCY = re.compile(r"^[A-Z][A-Za-z .,'-]{1,60}\((AP|Reuters|AFP)\)\s*[—–-]", re.MULTILINE)


def parse_date(value: Any) -> dt.date | None:
    """A date from ISO strings, common written forms or timestamps; None when there isn't one."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    from dateutil import parser

    try:
        parsed = parser.parse(text, fuzzy=False, default=dt.datetime(1900, 1, 1))
    except (ValueError, OverflowError, parser.ParserError):
        return None
    if parsed.year == 1900 or not 1800 < parsed.year < 2200:
        return None  # no year in the text: unknown, not guessed
    day: dt.date = parsed.date()
    return day


def canonical_url(url: str | None) -> str | None:
    """Lower-case scheme and host, no fragment, no tracking parameters, no trailing slash."""
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # "http://[::1": not a URL, so the article has none (it was a ValueError out of ingest)
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    query = "&".join(
        q for q in parts.query.split("&") if q and not q.lower().startswith(("utm_", "fbclid", "gclid", "ref="))
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def split_header(text: str) -> tuple[dict[str, str], str]:
    """Take a leading title line and ``Key: value`` header lines off a plain-text article."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fields: dict[str, str] = {}
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines):
        first = lines[i].strip()
        is_title = first.startswith("#") or (len(first) <= 200 and not first.endswith((".", "!", "?", "”", '"')))
        if is_title and not _HEADER.match(first):
            fields["title"] = first.lstrip("#").strip()
            i += 1
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        m = _HEADER.match(line)
        if m:
            key = _HEADER_KEYS[m.group(1).lower()]
            if m.group(2):
                fields.setdefault(key, m.group(2))
            i += 1
            continue
        by = _BY_LINE.match(line)
        if by and "byline" not in fields:
            fields["byline"] = by.group(1)
            i += 1
            continue
        break
    return fields, "\n".join(lines[i:])


def outlet_from_text(body: str) -> tuple[str | None, str]:
    """An agency sign-off line at the end ("The Associated Press") or dateline "(AP) —": (outlet, body)."""
    lines = body.rstrip().split("\n")
    last = lines[-1].strip().strip("—–-").strip() if lines else ""
    outlet = _AGENCIES.get(last.lower().rstrip("."))
    if outlet:
        return outlet, "\n".join(lines[:-1]).rstrip()
    m = _DATELINE_AGENCY.search(body[:500])
    if m:
        return _AGENCIES[m.group(1).lower()], body
    return None, body


def _hash(*parts: str | None) -> str:
    return hashlib.sha256("\x00".join(p or "" for p in parts).encode()).hexdigest()


def text_fingerprint(text: str) -> str:
    return _hash(normalize_quote(text).lower())


def build_article(
    text: str, fields: dict[str, Any], origin: str, *, record: int | None = None
) -> Article | None:
    """Clean text and metadata into an Article; None when nothing is left after cleaning.

    Identity: the canonical URL when there is one; else the file (and record number) it came from.
    A lone surrogate (a JSON "\\ud800", half a character; a byte of a file name that is not UTF-8) becomes
    U+FFFD, as the API stores it: such a str cannot be encoded, and was a UnicodeEncodeError out of the ingest.
    """
    text = without_surrogates(text)
    fields = {k: without_surrogates(v) if isinstance(v, str) else v for k, v in fields.items()}
    body = clean_text(text)
    source = fields.get("source")
    outlet, body = outlet_from_text(body)
    source = str(source).strip() if source else outlet
    if not body.strip():
        return None
    url = canonical_url(fields.get("url"))
    if not source and url:
        source = _outlet_from_url(url)
    published = parse_date(fields.get("published"))
    title = str(fields.get("title") or "").strip() or _title_from_body(body)
    byline = str(fields["byline"]).strip() if fields.get("byline") else None
    identity = "url:" + url if url else f"file:{Path(origin).resolve()}#{record or 0}"
    article_id = hashlib.sha1(identity.encode("utf-8", "surrogateescape")).hexdigest()[:16]  # a name's own bytes
    origin = without_surrogates(origin)  # as shown and stored: a file name that is not UTF-8 gets U+FFFD
    return Article(
        id=article_id,
        title=title,
        text=body,
        url=url,
        source=source,
        published=published,
        byline=byline,
        origin=origin if record is None else f"{origin}#{record}",
        content_hash=_hash(title, body, url, source, published.isoformat() if published else None, byline),
        text_hash=text_fingerprint(body),
    )


def _outlet_from_url(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def _title_from_body(body: str) -> str:
    first = body.strip().split("\n", 1)[0]
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "…"
