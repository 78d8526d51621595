"""Strip page furniture (comment forms, share/subscribe widgets, "Related" lists) from article text."""

from __future__ import annotations

import re

__all__ = ["clean_text", "html_to_article", "html_fragment_to_text"]

# A line that is exactly one of these (case-insensitive, trailing ':' ignored) is furniture.
_FURNITURE_LINES = frozenset(
    """share post|share|share this|share this article|share on facebook|share on twitter|tweet|email|print
    |subscribe|subscribe now|sign up|newsletter|advertisement|advertise|popular|most popular|trending
    |more like this|related|related posts|related articles|related stories|read more|read next|you may also like
    |recommended|leave a reply|leave a comment|comments|post a comment|please enter your comment!
    |please enter your name here|you have entered an incorrect email address!|please enter your email address here
    |don't miss any of our update|don’t miss any of our update|follow us|skip to content|menu|search|home
    |cancel reply|save my name, email, and website in this browser for the next time i comment."""
    .replace("\n", "").split("|")
)
_FURNITURE_LINES = frozenset(x.strip() for x in _FURNITURE_LINES)

# Once one of these appears after the body has started, everything after it is furniture.
_TAIL_MARKERS = frozenset(
    "leave a reply|leave a comment|more like this|related|related posts|related articles|related stories"
    "|you may also like|read next|popular|most popular|comments|post a comment".split("|")
)

_JUNK = re.compile(r"^(spot_img)+$|^(\s*[|•·-]\s*)+$|^\W*$", re.IGNORECASE)


def _key(line: str) -> str:
    return line.strip().rstrip(":").strip().lower()


def clean_text(text: str) -> str:
    """Cleaned article text: furniture lines dropped, the tail after a furniture marker cut off,
    paragraphs kept as blank-line separated blocks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    kept: list[str] = []
    body_chars = 0
    for line in lines:
        key = _key(line)
        if key in _TAIL_MARKERS and body_chars > 400:
            break
        if key in _FURNITURE_LINES or _JUNK.match(line.strip() or "x"):
            continue
        kept.append(line.rstrip())
        body_chars += len(line)
    out = "\n".join(kept)
    out = re.sub(r"[ \t]+\n", "\n", out)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()


def html_to_article(html: str, url: str | None = None) -> dict[str, str | None]:
    """Main text and metadata of an HTML page (trafilatura): text, title, author, date, sitename, url."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, url=url, include_comments=False, include_tables=False, favor_precision=True, with_metadata=True
    )
    if doc is None:
        return {"text": None}
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = data.get("text") or ""
    # trafilatura separates paragraphs by single newlines; make them real paragraphs.
    text = re.sub(r"\n+", "\n\n", text)
    return {
        "text": text,
        "title": data.get("title"),
        "byline": data.get("author"),
        "published": data.get("date"),
        "source": data.get("sitename"),
        "url": data.get("url"),
    }


def html_fragment_to_text(fragment: str) -> str:
    """Text of an HTML fragment (a feed entry, a CMS body field): block elements become paragraphs."""
    import lxml.html

    try:
        root = lxml.html.fromstring(f"<div>{fragment}</div>")
    except (ValueError, lxml.etree.ParserError):
        return re.sub(r"<[^>]+>", " ", fragment)
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    for block in root.xpath("//p|//div|//br|//li|//h1|//h2|//h3|//h4|//blockquote"):
        block.tail = "\n\n" + (block.tail or "")
    return re.sub(r"\n{3,}", "\n\n", root.text_content()).strip()
