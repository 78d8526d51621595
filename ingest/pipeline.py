"""The ingest pipeline: files -> raw docs -> articles -> chunks (+ quotes) -> vectors -> the index.

A broken input is reported and skipped; everything else in the batch is ingested. Articles are
written in batches through :meth:`Store.add_many`, whose protocol keeps the index consistent if the
process is killed at any moment (a re-run then finishes the job).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from assistant.config import Settings
from assistant.errors import IngestError
from assistant.models import Article, Chunk, Quote
from assistant.store import Store
from ingest.chunking import chunk_article
from ingest.clean import html_to_article
from ingest.metadata import build_article, split_header
from ingest.quotes import extract_quotes
from ingest.sources import FieldMap, RawDoc, estimate_records, iter_files, read_path

__all__ = ["IngestReport", "ingest_paths", "ingest_articles", "doc_to_article"]

BATCH_CHUNKS = 256


@dataclass
class IngestReport:
    """What an ingest run did, per outcome; ``failed`` lists each input that could not be used."""

    files: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    empty: int = 0
    chunks: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def status(self) -> str:
        if not self.failed:
            return "ok"
        return "partial" if (self.added + self.updated + self.unchanged + self.duplicates) else "failed"

    def to_dict(self) -> dict[str, Any]:
        done = self.added + self.updated
        return {
            "status": self.status,
            "files": self.files,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "empty": self.empty,
            "chunks": self.chunks,
            "failed": self.failed,
            "elapsed_s": round(self.elapsed_s, 3),
            "articles_per_s": round(done / self.elapsed_s, 2) if self.elapsed_s else None,
        }


def doc_to_article(doc: RawDoc) -> Article | None:
    """Clean one raw document into an Article (None if nothing is left)."""
    fields = dict(doc.fields)
    text = doc.text
    if doc.html:
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


class _Batch:
    def __init__(self) -> None:
        self.items: list[tuple[Article, list[Chunk], list[Quote], bool]] = []
        self.n_chunks = 0
        self.text_hashes: set[str] = set()

    def add(self, article: Article, chunks: list[Chunk], quotes: list[Quote], replacing: bool) -> None:
        self.items.append((article, chunks, quotes, replacing))
        self.n_chunks += len(chunks)
        self.text_hashes.add(article.text_hash)


def _flush(batch: _Batch, store: Store, embedder: Embeddings, report: IngestReport) -> None:
    if not batch.items:
        return
    texts = [f"{a.title}\n{c.text}" for a, chunks, _, _ in batch.items for c in chunks]
    if hasattr(embedder, "embed_array"):
        vectors = embedder.embed_array(texts)
    else:
        vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    rows = []
    offset = 0
    for article, chunks, quotes, _ in batch.items:
        rows.append((article, chunks, vectors[offset : offset + len(chunks)], quotes))
        offset += len(chunks)
    store.add_many(rows)
    for article, chunks, _, replacing in batch.items:
        report.chunks += len(chunks)
        if replacing:
            report.updated += 1
        else:
            report.added += 1


def ingest_articles(
    articles: Iterable[Article | IngestError],
    store: Store,
    embedder: Embeddings,
    settings: Settings,
    report: IngestReport,
) -> None:
    """Index articles (skipping unchanged ones and exact duplicates); errors are recorded."""
    batch = _Batch()
    for item in articles:
        if isinstance(item, IngestError):
            report.failed.append({"source": item.source, "reason": item.reason})
            continue
        article = item
        stored_hash = store.article_hash(article.id)
        if stored_hash == article.content_hash:
            report.unchanged += 1
            continue
        if stored_hash is None:
            twin = store.find_by_text_hash(article.text_hash)
            if (twin and twin != article.id) or article.text_hash in batch.text_hashes:
                report.duplicates += 1
                continue
        chunks = chunk_article(article, settings.chunk_tokens, settings.chunk_overlap_tokens)
        if not chunks:
            report.empty += 1
            continue
        batch.add(article, chunks, extract_quotes(article), replacing=stored_hash is not None)
        if batch.n_chunks >= BATCH_CHUNKS:
            _flush(batch, store, embedder, report)
            batch = _Batch()
    _flush(batch, store, embedder, report)


def _articles_from_files(
    files: list[Path], field_map: FieldMap | None, report: IngestReport, bar: tqdm | None
) -> Iterator[Article | IngestError]:
    for path in files:
        report.files += 1
        try:
            for doc in read_path(path, field_map):
                _tick(bar, report)
                error = doc.fields.get("__error__")
                if isinstance(error, IngestError):
                    yield error
                    continue
                try:
                    article = doc_to_article(doc)
                except IngestError as exc:
                    yield exc
                    continue
                if article is None:
                    report.empty += 1
                else:
                    yield article
        except IngestError as exc:
            _tick(bar, report)
            yield exc


def _tick(bar: tqdm | None, report: IngestReport) -> None:
    if bar is None:
        return
    bar.update(1)
    if bar.n % 25 == 0:
        bar.set_postfix(files=report.files, chunks=report.chunks, failed=len(report.failed), refresh=False)


def ingest_paths(
    paths: list[Path],
    store: Store,
    embedder: Embeddings,
    settings: Settings,
    *,
    field_map: FieldMap | None = None,
    progress: bool = True,
) -> IngestReport:
    """Ingest files and folders. Returns the report; never raises for a bad input file."""
    started = time.perf_counter()
    report = IngestReport()
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        report.failed.append({"source": str(p), "reason": "no such file or folder"})
    files = list(iter_files([p for p in paths if p.exists()]))
    total = sum(estimate_records(f) for f in files) if progress else None
    bar = tqdm(total=total, unit="article", desc="ingest", disable=not progress, dynamic_ncols=True)
    try:
        ingest_articles(_articles_from_files(files, field_map, report, bar), store, embedder, settings, report)
    finally:
        bar.close()
    store.lexical_index()  # rebuild now, so the first question doesn't pay for it
    report.elapsed_s = time.perf_counter() - started
    return report
