"""One raw document (as a reader found it) into one clean Article: HTML extraction, header lines,
metadata. A pure function of the document, so ingest workers can run it anywhere."""

from __future__ import annotations

from assistant.errors import IngestError
from assistant.models import Article
from ingest.clean import html_fragment_to_text, html_to_article
from ingest.metadata import build_article, split_header
from ingest.sources import RawDoc

__all__ = ["doc_to_article", "MAX_ARTICLE_CHARS"]

MAX_ARTICLE_CHARS = 2_000_000


def doc_to_article(doc: RawDoc) -> Article | None:
    """Clean one raw document into an Article (None if nothing is left)."""
    fields = dict(doc.fields)
    text = doc.text
    if len(text) > MAX_ARTICLE_CHARS:
        where = doc.origin if doc.record is None else f"{doc.origin}#{doc.record}"
        raise IngestError(where, f"{len(text) / 1e6:.1f} million characters is not one news article "
                                 f"(limit {MAX_ARTICLE_CHARS // 1_000_000} million)")
    if doc.html and doc.record is not None:
        text = html_fragment_to_text(text)
    elif doc.html:
        extracted = html_to_article(text, url=fields.get("url"))
        if not extracted.get("text"):
            raise IngestError(doc.origin, "no article text found in the HTML")
        for key, value in extracted.items():
            if key != "text" and value and not fields.get(key):
                fields[key] = value
        text = str(extracted["text"])
    elif doc.record is None:
        header, text = split_header(text)
        for key, value in header.items():
            fields.setdefault(key, value)
    return build_article(text, fields, doc.origin, record=doc.record)
