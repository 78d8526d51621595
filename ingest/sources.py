"""Readers: one file in, raw documents out. Each reader raises IngestError for input it cannot use."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.config import DEFAULT_MAX_FILE_BYTES
from assistant.errors import IngestError
from ingest.capped import COMPRESSED_SUFFIXES, iter_chunks, read_capped

__all__ = ["RawDoc", "read_path", "iter_files", "estimate_records", "records_from_text", "SUPPORTED_SUFFIXES", "FieldMap"]


@dataclass
class RawDoc:
    """A document as read, before cleaning. ``fields`` are metadata the format itself carried."""

    text: str
    origin: str
    html: bool = False
    fields: dict[str, Any] = field(default_factory=dict)
    record: int | None = None  # position in a multi-record file


# Field names other schemas use for our fields, tried in order. --map adds to the front.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "name"),
    "text": ("text", "body", "content", "article", "maintext", "description", "summary"),
    "url": ("url", "link", "canonical_url", "permalink"),
    "published": ("published", "date", "published_at", "publishedAt", "pubDate", "date_publish", "time"),
    "source": ("source", "publisher", "outlet", "site_name", "sitename"),
    "byline": ("byline", "author", "authors"),
}
FieldMap = dict[str, str]


def _pick(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = record.get(name)
        if value not in (None, "", []):
            return value
    return None


def record_fields(record: dict[str, Any], field_map: FieldMap | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, names in DEFAULT_FIELDS.items():
        if field_map and key in field_map:
            names = (field_map[key], *names)
        value = _pick(record, names)
        if isinstance(value, dict):  # e.g. {"source": {"name": "Reuters"}}
            value = value.get("name") or value.get("title")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value if v)
        if value is not None:
            out[key] = value
    return out


SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".ndjson", ".csv", ".rss",
                      ".atom", ".xml")


def _decode(data: bytes, origin: str) -> str:
    if b"\x00" in data[:8192]:
        raise IngestError(origin, "looks like a binary file, not text")
    for encoding in ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise IngestError(origin, f"not valid UTF-8 or Windows-1252 text ({exc.reason} at byte {exc.start})") from None


def _logical_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSED_SUFFIXES:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def read_path(path: Path, field_map: FieldMap | None = None, *,
              max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Iterator[RawDoc]:
    """Read one file (optionally gzip-compressed) into raw documents. A file over ``max_bytes``, counted
    after decompression, is a :class:`~assistant.errors.TooLargeError`, found without holding it whole."""
    origin = str(path)
    suffix = _logical_suffix(path)
    reader = _READERS.get(suffix)
    if reader is None:
        raise IngestError(origin, f"unsupported file type {suffix or '(none)'}: newsdesk reads "
                                  f"{', '.join(SUPPORTED_SUFFIXES)}, each optionally gzipped (.gz)")
    data = read_capped(path, max_bytes)
    if not data.strip():
        raise IngestError(origin, "empty file")
    text = _decode(data, origin)
    del data  # the text is all the readers need: don't hold the file twice
    yield from reader(text, origin, field_map)


def _read_text(text: str, origin: str, field_map: FieldMap | None) -> Iterator[RawDoc]:
    yield RawDoc(text=text, origin=origin)


def _read_html(text: str, origin: str, field_map: FieldMap | None) -> Iterator[RawDoc]:
    yield RawDoc(text=text, origin=origin, html=True)


def _records_to_docs(records: Iterator[tuple[int, Any]], origin: str, field_map: FieldMap | None) -> Iterator[RawDoc]:
    for n, record in records:
        if not isinstance(record, dict):
            raise IngestError(f"{origin}#{n}", "record is not a JSON object")
        fields = record_fields(record, field_map)
        text = fields.pop("text", None)
        if not isinstance(text, str) or not text.strip():
            raise IngestError(f"{origin}#{n}", "record has no text field (use --map text=FIELD)")
        yield RawDoc(text=text, origin=origin, fields=fields, record=n, html="<p" in text[:2000].lower())


def _read_json(text: str, origin: str, field_map: FieldMap | None) -> Iterator[RawDoc]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(origin, f"invalid JSON: {_json_reason(exc)} (line {exc.lineno}, column {exc.colno})") from exc
    if isinstance(data, dict):
        for key in ("articles", "items", "data", "results"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    records = data if isinstance(data, list) else [data]
    yield from _records_to_docs(iter(enumerate(records, 1)), origin, field_map)


def _json_reason(exc: json.JSONDecodeError) -> str:
    """The decoder's reason without its dangling position words ("Unterminated string starting at")."""
    return exc.msg.removesuffix(" at").removesuffix(" starting")


def _read_jsonl(text: str, origin: str, field_map: FieldMap | None) -> Iterator[RawDoc]:
    for n, line in enumerate(io.StringIO(text), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            yield from _records_to_docs(iter([(n, record)]), origin, field_map)
        except json.JSONDecodeError as exc:
            yield _bad(IngestError(f"{origin}#{n}", f"invalid JSON line: {_json_reason(exc)} (column {exc.colno})"))
        except IngestError as exc:
            yield _bad(exc)


def _read_csv(text: str, origin: str, field_map: FieldMap | None) -> Iterator[RawDoc]:
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
    except csv.Error as exc:
        raise IngestError(origin, f"invalid CSV: {exc}") from exc
    for n, row in enumerate(rows, 2):
        try:
            yield from _records_to_docs(iter([(n, row)]), origin, field_map)
        except IngestError as exc:
            yield _bad(exc)


def _read_feed(text: str, origin: str, field_map: FieldMap | None) -> Iterator[RawDoc]:
    """RSS/Atom: one document per entry (full content when the feed has it, else the summary)."""
    import feedparser

    feed = feedparser.parse(text)
    if not feed.entries:
        reason = getattr(feed, "bozo_exception", None)
        raise IngestError(origin, f"not an RSS/Atom feed with entries{f' ({reason})' if reason else ''}")
    site = (feed.feed.get("title") or "").strip() or None
    for n, entry in enumerate(feed.entries, 1):
        content = entry.get("content") or []
        body = max((c.get("value", "") for c in content), key=len, default="") or entry.get("summary", "")
        if not body.strip():
            yield _bad(IngestError(f"{origin}#{n}", "feed entry has no text"))
            continue
        published = None
        for key in ("published_parsed", "updated_parsed"):
            stamp = entry.get(key)
            if stamp:
                published = f"{stamp.tm_year:04d}-{stamp.tm_mon:02d}-{stamp.tm_mday:02d}"
                break
        fields = {"title": entry.get("title"), "url": entry.get("link"), "published": published,
                  "byline": entry.get("author"), "source": site}
        yield RawDoc(text=body, origin=origin, record=n, html="<" in body and ">" in body,
                     fields={k: v for k, v in fields.items() if v})


def _read_xml(text: str, origin: str, field_map: FieldMap | None) -> Iterator[RawDoc]:
    head = text[:2000].lower()
    if "<rss" in head or "<feed" in head or "<rdf" in head:
        yield from _read_feed(text, origin, field_map)
    elif "<html" in head:
        yield from _read_html(text, origin, field_map)
    else:
        raise IngestError(origin, "XML that is neither an RSS/Atom feed nor an HTML page")


def _bad(error: IngestError) -> RawDoc:
    return RawDoc(text="", origin=error.source, fields={"__error__": error})


_READERS: dict[str, Callable[[str, str, FieldMap | None], Iterator[RawDoc]]] = {
    ".txt": _read_text,
    ".md": _read_text,
    ".markdown": _read_text,
    ".html": _read_html,
    ".htm": _read_html,
    ".json": _read_json,
    ".jsonl": _read_jsonl,
    ".ndjson": _read_jsonl,
    ".csv": _read_csv,
    ".rss": _read_feed,
    ".atom": _read_feed,
    ".xml": _read_xml,
}


def estimate_records(path: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> int:
    """How many documents a file probably holds (lines for JSONL/CSV), for progress bars; counted over
    no more than ``max_bytes`` of it (decompressed), as much as ingest will read."""
    suffix = _logical_suffix(path)
    if suffix not in (".jsonl", ".ndjson", ".csv"):
        return 1
    lines, last = 0, b"\n"
    try:
        for chunk in iter_chunks(path, max_bytes):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    except IngestError:
        return 1
    lines += last != b"\n"  # a last line without its newline
    return max(lines - (1 if suffix == ".csv" else 0), 1)


def records_from_text(
    text: str, origin: str, kind: str, field_map: FieldMap | None = None, *, url: str | None = None
) -> Iterator[RawDoc]:
    """Documents from already-decoded text of a given kind (a suffix such as ".html" or ".rss")."""
    reader = _READERS.get(kind)
    if reader is None:
        raise IngestError(origin, f"unsupported content {kind}")
    if not text.strip():
        raise IngestError(origin, "empty document")
    for doc in reader(text, origin, field_map):
        if url and "url" not in doc.fields and doc.record is None:
            doc.fields["url"] = url
        yield doc


def iter_files(paths: list[Path]) -> Iterator[Path]:
    """Expand folders (recursively, hidden files skipped) into supported files, in a stable order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and not any(p.startswith(".") for p in rel.parts) and _supported(child):
                    yield child
        else:
            yield path


def _supported(path: Path) -> bool:
    return _logical_suffix(path) in SUPPORTED_SUFFIXES
