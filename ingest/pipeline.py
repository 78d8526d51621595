"""The ingest pipeline: files -> raw docs -> articles -> chunks (+ quotes) -> vectors -> the index.

A broken input is reported and skipped; everything else in the batch is ingested. Articles are
written in batches through :meth:`Index.add_many`, whose protocol keeps the index consistent if the
process is killed at any moment (a re-run then finishes the job).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

import numpy as np
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from assistant.config import Settings
from assistant.errors import IngestError
from assistant.index import Index
from assistant.models import Article, Chunk, Quote, embedding_text
from ingest.chunking import chunk_article
from ingest.clean import html_fragment_to_text, html_to_article
from ingest.dedupe import NearDuplicates, signature
from ingest.fetch import fetch_url, is_url
from ingest.metadata import build_article, split_header
from ingest.quotes import extract_quotes
from ingest.sources import FieldMap, RawDoc, estimate_records, iter_files, read_path

__all__ = ["IngestReport", "ingest_paths", "ingest_articles", "doc_to_article"]

BATCH_CHUNKS = 256
PROGRESS_LINE_EVERY_S = 30.0
MAX_ARTICLE_CHARS = 2_000_000


@dataclass
class IngestReport:
    """What an ingest run did, per outcome; ``failed`` lists each input that could not be used."""

    files: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    near_duplicates: int = 0
    empty: int = 0
    chunks: int = 0
    embedded: int = 0  # chunk texts sent to the embedder
    reused: int = 0  # chunk texts whose vectors were reused (unchanged chunks, repeated text)
    failed: list[dict[str, str]] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def status(self) -> str:
        if not self.failed:
            return "ok"
        done = self.added + self.updated + self.unchanged + self.duplicates + self.near_duplicates
        return "partial" if done else "failed"

    def to_dict(self) -> dict[str, Any]:
        done = self.added + self.updated
        return {
            "status": self.status,
            "files": self.files,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "near_duplicates": self.near_duplicates,
            "empty": self.empty,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "reused_vectors": self.reused,
            "failed": self.failed,
            "elapsed_s": round(self.elapsed_s, 3),
            "articles_per_s": round(done / self.elapsed_s, 2) if self.elapsed_s else None,
        }


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


class _Batch:
    def __init__(self) -> None:
        self.items: list[tuple[Article, list[Chunk], list[Quote], bool]] = []
        self.n_chunks = 0
        self.by_text_hash: dict[str, str] = {}
        self.hashes: dict[str, str] = {}  # article id -> content hash, for repeats within the batch

    def add(self, article: Article, chunks: list[Chunk], quotes: list[Quote], replacing: bool) -> None:
        if article.id in self.hashes:  # changed again within one batch: the later version wins
            old = next(item for item in self.items if item[0].id == article.id)
            self.items.remove(old)
            self.n_chunks -= len(old[1])
            self.by_text_hash.pop(old[0].text_hash, None)
            replacing = old[3]  # only the store's state decides added vs updated
        self.hashes[article.id] = article.content_hash
        self.items.append((article, chunks, quotes, replacing))
        self.n_chunks += len(chunks)
        self.by_text_hash[article.text_hash] = article.id


def _flush(batch: _Batch, store: Index, embedder: Embeddings, report: IngestReport) -> None:
    if not batch.items:
        return
    texts = [embedding_text(a.title, c.text, c.index) for a, chunks, _, _ in batch.items for c in chunks]
    known: dict[str, np.ndarray] = {}
    for article, _, _, replacing in batch.items:
        if replacing:  # unchanged chunks of an edited article keep their vectors
            known.update(store.stored_vectors(article.id))
    todo = [t for t in dict.fromkeys(texts) if t not in known]
    if todo:
        if hasattr(embedder, "embed_array"):
            fresh = embedder.embed_array(todo)
        else:
            fresh = np.asarray(embedder.embed_documents(todo), dtype=np.float32)
        known.update(zip(todo, fresh, strict=True))
    report.embedded += len(todo)
    report.reused += len(texts) - len(todo)
    vectors = np.stack([known[t] for t in texts])  # every batched article has at least one chunk
    rows = []
    offset = 0
    for article, chunks, quotes, _ in batch.items:
        rows.append((article, chunks, vectors[offset : offset + len(chunks)], quotes))
        offset += len(chunks)
    store.add_many(rows)
    for _, chunks, _, replacing in batch.items:
        report.chunks += len(chunks)
        if replacing:
            report.updated += 1
        else:
            report.added += 1


def ingest_articles(
    articles: Iterable[Article | IngestError],
    store: Index,
    embedder: Embeddings,
    settings: Settings,
    report: IngestReport,
) -> None:
    """Index articles (skipping unchanged ones, exact and near duplicates); errors are recorded.

    A duplicate is not indexed again; it is recorded as a copy of the article already stored, so the
    outlets that carried a syndicated story are all known."""
    store.recover()  # a crashed earlier run's half-written articles are removed, so they are ingested again
    batch = _Batch()
    near = NearDuplicates()
    near.load(store.signatures())
    copies: list[tuple[str, Article, float]] = []
    for item in articles:
        if isinstance(item, IngestError):
            report.failed.append({"source": item.source, "reason": item.reason})
            continue
        article = item
        stored_hash = batch.hashes.get(article.id) or store.article_hash(article.id)
        if stored_hash == article.content_hash:
            report.unchanged += 1
            continue
        if stored_hash is None:
            twin = store.find_by_text_hash(article.text_hash) or batch.by_text_hash.get(article.text_hash)
            if twin and twin != article.id:
                report.duplicates += 1
                copies.append((twin, article, 1.0))
                continue
            article.minhash = signature(article.text)
            match = near.match(article.minhash, exclude=article.id)
            if match:
                report.near_duplicates += 1
                copies.append((match[0], article, match[1]))
                continue
            near.add(article.id, article.minhash)
        chunks = chunk_article(article, settings.chunk_tokens, settings.chunk_overlap_tokens)
        if not chunks:
            report.empty += 1
            continue
        batch.add(article, chunks, extract_quotes(article), replacing=stored_hash is not None)
        if batch.n_chunks >= BATCH_CHUNKS:
            _flush(batch, store, embedder, report)
            batch = _Batch()
    _flush(batch, store, embedder, report)
    store.add_copies(copies)


def _articles_from_files(
    files: list[Path | str], field_map: FieldMap | None, report: IngestReport, bar: tqdm | _ProgressLines | None,
    settings: Settings,
) -> Iterator[Article | IngestError]:
    for path in files:
        report.files += 1
        docs = fetch_url(path, settings, field_map) if isinstance(path, str) else read_path(path, field_map)
        try:
            for doc in docs:
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


def _tick(bar: tqdm | _ProgressLines | None, report: IngestReport) -> None:
    if bar is None:
        return
    bar.update(1)
    if bar.n % 25 == 0:
        bar.set_postfix(files=report.files, chunks=report.chunks, failed=len(report.failed), refresh=False)


class _ProgressLines:
    """Progress for a log, not a terminal (cron, ``> ingest.log``): a plain line every ``every_s``
    seconds and one at the end, instead of a bar redrawn with carriage returns."""

    def __init__(self, total: int | None, report: IngestReport, every_s: float | None = None,
                 stream: TextIO | None = None) -> None:
        self.n = 0
        self.total = total
        self.report = report
        self.every_s = PROGRESS_LINE_EVERY_S if every_s is None else every_s
        self.stream = stream or sys.stderr
        self.started = self.last = time.monotonic()

    def update(self, k: int = 1) -> None:
        self.n += k
        now = time.monotonic()
        if now - self.last >= self.every_s:
            self.last = now
            self._line(now)

    def set_postfix(self, **_: Any) -> None:
        pass

    def close(self) -> None:
        self._line(time.monotonic(), done=True)

    def _line(self, now: float, done: bool = False) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = self.n / elapsed
        of = f"/{self.total:,}" if self.total else ""
        left = ""
        if not done and self.total and rate > 0 and self.n < self.total:
            left = f", about {_duration((self.total - self.n) / rate)} left"
        r = self.report
        print(f"ingest: {self.n:,}{of} articles read, {r.chunks:,} chunks, {len(r.failed)} failed, "
              f"{rate:.1f} articles/s, {_duration(elapsed)} elapsed{left}", file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def ingest_paths(
    paths: list[Path | str],
    store: Index,
    embedder: Embeddings,
    settings: Settings,
    *,
    field_map: FieldMap | None = None,
    progress: bool | Literal["lines"] = True,
) -> IngestReport:
    """Ingest files, folders and http(s) URLs. Returns the report; never raises for a bad input.

    ``progress``: True draws a bar (for a terminal), "lines" prints a plain line every
    ``PROGRESS_LINE_EVERY_S`` seconds (for a log), False nothing."""
    started = time.perf_counter()
    report = IngestReport()
    urls = [p for p in paths if isinstance(p, str) and is_url(p)]
    local = [Path(p) for p in paths if not (isinstance(p, str) and is_url(p))]
    for p in local:
        if not p.exists():
            report.failed.append({"source": str(p), "reason": "no such file or folder"})
    files: list[Path | str] = [*iter_files([p for p in local if p.exists()]), *urls]
    total = sum(estimate_records(f) if isinstance(f, Path) else 1 for f in files) if progress else None
    bar: tqdm | _ProgressLines
    if progress == "lines":
        bar = _ProgressLines(total, report)
    else:
        bar = tqdm(total=total, unit="article", desc="ingest", disable=not progress, dynamic_ncols=True)
    try:
        ingest_articles(_articles_from_files(files, field_map, report, bar, settings), store, embedder, settings,
                        report)
    finally:
        bar.close()
    store.lexical_index()  # rebuild now, so the first question doesn't pay for it
    report.elapsed_s = time.perf_counter() - started
    return report
