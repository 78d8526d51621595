"""The ingest pipeline: files -> raw docs -> articles -> chunks (+ quotes) -> vectors -> the index.

A broken input is reported and skipped; everything else in the batch is ingested. Articles are
written in batches through :meth:`Index.add_many`, whose protocol keeps the index consistent if the
process is killed at any moment (a re-run then finishes the job). With ``workers`` > 1 the cleaning,
chunking and embedding run in worker processes and this process decides and writes (see
:mod:`ingest.parallel`); the decisions and the writes are the same ones (:mod:`ingest.batches`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from assistant.config import Settings
from assistant.errors import IngestError, InputError
from assistant.index import Index
from assistant.models import Article
from ingest.batches import Batch, Run, embed, plan, write
from ingest.chunking import chunk_article
from ingest.documents import doc_to_article
from ingest.fetch import fetch_url, is_url
from ingest.parallel import ingest_in_workers
from ingest.progress import PROGRESS_LINE_EVERY_S, ProgressLines, progress_bar, tick
from ingest.quotes import RULES, extract_quotes
from ingest.report import IngestReport
from ingest.sources import FieldMap, RawDoc, estimate_records, iter_files, read_path

__all__ = ["IngestReport", "ingest_paths", "ingest_articles", "doc_to_article"]

BATCH_CHUNKS = 256


def _flush(batch: Batch, run: Run, embedder: Embeddings) -> None:
    if batch.items:
        todo = plan(batch, run.store)
        write(todo, embed(embedder, todo.todo), run)


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
    run = Run(store, report)
    batch = Batch()
    for item in articles:
        if isinstance(item, IngestError):
            report.fail(item)
            continue
        article = item
        replacing = run.decide(article, batch.hashes, batch.by_text_hash)
        if replacing is None:
            continue
        chunks = chunk_article(article, settings.chunk_tokens, settings.chunk_overlap_tokens)
        if not chunks:
            report.empty += 1
            continue
        batch.add(article, chunks, extract_quotes(article), replacing=replacing)
        if batch.n_chunks >= BATCH_CHUNKS:
            _flush(batch, run, embedder)
            batch = Batch()
    _flush(batch, run, embedder)
    run.finish()


def _docs_from_files(
    files: list[Path | str], field_map: FieldMap | None, report: IngestReport, bar: tqdm | ProgressLines | None,
    settings: Settings,
) -> Iterator[RawDoc | IngestError]:
    """Every document of every file, in order, or the error that stands for an input that can't be read."""
    for path in files:
        report.files += 1
        docs = fetch_url(path, settings, field_map) if isinstance(path, str) else \
            read_path(path, field_map, max_bytes=settings.max_file_bytes)
        try:
            for doc in docs:
                tick(bar, report)
                error = doc.fields.get("__error__")
                yield error if isinstance(error, IngestError) else doc
        except IngestError as exc:
            tick(bar, report)
            yield exc


def _articles(docs: Iterable[RawDoc | IngestError], report: IngestReport) -> Iterator[Article | IngestError]:
    for doc in docs:
        if isinstance(doc, IngestError):
            yield doc
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


def _refuse_more_than(limit: int, files: list[Path | str], field_map: FieldMap | None, settings: Settings) -> None:
    """InputError when the files hold more than ``limit`` records. Counted before anything is written, and
    reading stops at the first record past the limit, so a refused upload leaves nothing half-ingested."""
    n = 0
    for path in files:
        docs = iter([path]) if isinstance(path, str) else read_path(path, field_map, max_bytes=settings.max_file_bytes)
        try:
            for _ in docs:
                n += 1
                if n > limit:
                    raise InputError(f"at most {limit:,} articles per request, and the upload holds more "
                                     "(nothing was ingested): split it")
        except IngestError:
            continue  # reported when the files are read for the ingest itself


def ingest_paths(
    paths: list[Path | str],
    store: Index,
    embedder: Embeddings,
    settings: Settings,
    *,
    field_map: FieldMap | None = None,
    progress: bool | Literal["lines"] = True,
    workers: int = 1,
    max_records: int | None = None,
) -> IngestReport:
    """Ingest files, folders and http(s) URLs. Returns the report; never raises for a bad input.

    ``progress``: True draws a bar (for a terminal), "lines" prints a plain line every
    ``PROGRESS_LINE_EVERY_S`` seconds (for a log), False nothing. ``workers`` > 1: clean, chunk and embed
    in that many processes, each with the embedding model the settings name (``embedder`` is then unused).
    ``max_records``: refuse (InputError, before writing anything) files that hold more records than that."""
    started = time.perf_counter()
    report = IngestReport()
    urls = [p for p in paths if isinstance(p, str) and is_url(p)]
    local = [Path(p) for p in paths if not (isinstance(p, str) and is_url(p))]
    for p in local:
        if not p.exists():
            report.failed.append({"source": str(p), "reason": "no such file or folder"})
    files: list[Path | str] = [*iter_files([p for p in local if p.exists()]), *urls]
    if max_records is not None:
        _refuse_more_than(max_records, files, field_map, settings)
    store.requote(RULES, extract_quotes, progress=progress is True)  # a collection built under older rules
    total = sum(estimate_records(f, settings.max_file_bytes) if isinstance(f, Path) else 1
                for f in files) if progress else None
    bar = progress_bar(progress, total, label="ingest", unit="articles", report=report,
                       every_s=PROGRESS_LINE_EVERY_S)  # read here, so a test can shorten it
    try:
        docs = _docs_from_files(files, field_map, report, bar, settings)
        if workers > 1:
            ingest_in_workers(docs, store, settings, report, workers, BATCH_CHUNKS)
        else:
            ingest_articles(_articles(docs, report), store, embedder, settings, report)
    finally:
        bar.close()
    store.lexical_index()  # rebuild now, so the first question doesn't pay for it
    report.elapsed_s = time.perf_counter() - started
    return report
