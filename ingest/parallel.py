"""Ingest over N worker processes (``newsdesk ingest --workers N``) on one host.

The workers do the work that scales: cleaning documents into articles, chunking, finding quotes,
MinHash signatures, and embedding (each worker loads the embedding model once). This process reads the
files, takes every decision in input order (unchanged, duplicate, near duplicate, new, replacing: the same
:class:`ingest.batches.Run` as one process) and writes each batch through :meth:`Index.add_many` in the
order it was decided, while the workers embed the next ones. So the index ends up the same as with one
process, there is one writer (embedded Chroma and SQLite need no more), and a crash anywhere is the
one-process crash: a killed worker loses only work not yet written, and the run stops (its report says
so, exit code 4) rather than go on without it; a re-run finishes the job.

Workers ignore Ctrl-C from birth (they start with it blocked) and exit by themselves if this process dies.
Results come back through files: the pool's result pipe carries only their names. All workers share that
pipe, and one killed while it wrote a large result there left half a message, which the pool then waited
to read the rest of forever (CPython's ProcessPoolExecutor; measured: one hang in eight runs that killed
a worker, one in seven that were interrupted when this process still terminated its workers). A
message of a few hundred bytes is written to a pipe whole or not at all. On Ctrl-C or an error this
process asks the workers to stop (an event they check between documents and between small slices of texts
to embed) and waits for them.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.errors import ConfigError, IngestError
from assistant.index import Index
from assistant.index.catalog import Catalog
from assistant.index.embeddings import make_embeddings
from assistant.models import Article, Chunk, Quote
from ingest.batches import Batch, Plan, Run, embed, plan, write
from ingest.chunking import chunk_article
from ingest.dedupe import signature
from ingest.documents import doc_to_article
from ingest.quotes import extract_quotes
from ingest.report import IngestReport
from ingest.sources import RawDoc

__all__ = ["ingest_in_workers", "Prepared", "DOCS_PER_TASK"]

DOCS_PER_TASK = 16  # documents sent to a worker at a time
EMBED_SLICE = 16  # texts a worker embeds between two looks at the stop event
WATCH_PARENT_S = 1.0

_worker: dict[str, Any] = {}  # a worker process's settings, stop event, spool folder, catalog (read only), embedder


@dataclass
class Prepared:
    """A cleaned article with its chunks and quotes; both None when the article looked unchanged."""

    article: Article
    chunks: list[Chunk] | None
    quotes: list[Quote] | None


Outcome = Prepared | tuple[str, str] | None  # an article, a bad input (source, reason), or nothing left


# -- in the worker processes -------------------------------------------------------------------


class _Stopped(Exception):
    """Raised in a worker when the ingest asked the workers to stop."""


def _start_worker(settings: Settings, parent: int, stop: Any, spool: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the ingest while it spawned this
    _worker["settings"], _worker["stop"], _worker["spool"] = settings, stop, spool
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    _worker["catalog"] = Catalog(settings.catalog_location)


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_PARENT_S)
    shutil.rmtree(_worker["spool"], ignore_errors=True)  # the ingest was killed: nobody else removes it
    os._exit(1)  # orphaned: the ingest that started this worker is gone


def _to_file(fn: Any, *args: Any, **kwargs: Any) -> str:
    """Run ``fn`` and write what it returns to a file in the spool; its name is the result sent back."""
    value = fn(*args, **kwargs)
    try:
        fd, path = tempfile.mkstemp(suffix=".pickle", dir=_worker["spool"])
        with os.fdopen(fd, "wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:  # a full or vanished temp folder: say so in one line, not a worker's traceback
        raise ConfigError(f"an ingest worker could not write its results under {_worker['spool']} "
                          f"({exc.strerror or exc}): set TMPDIR to a folder with room") from None
    return path


def _prepare(docs: list[RawDoc]) -> list[Outcome]:
    settings: Settings = _worker["settings"]
    out: list[Outcome] = []
    for doc in docs:
        if _worker["stop"].is_set():
            raise _Stopped
        try:
            article = doc_to_article(doc)
        except IngestError as exc:
            out.append((exc.source, exc.reason))  # sent as a tuple: the exception does not pickle
            continue
        if article is None:
            out.append(None)
            continue
        stored = _worker["catalog"].article_hash(article.id)
        if stored == article.content_hash:  # the writer decides; this only spares the work
            out.append(Prepared(article, None, None))
            continue
        if stored is None:
            article.minhash = signature(article.text)
        chunks = chunk_article(article, settings.chunk_tokens, settings.chunk_overlap_tokens)
        out.append(Prepared(article, chunks, extract_quotes(article)))
    return out


def _embed(texts: list[str]) -> np.ndarray:
    if "embedder" not in _worker:
        _worker["embedder"] = make_embeddings(_worker["settings"])
    parts = []
    for lo in range(0, len(texts), EMBED_SLICE):  # a vector does not depend on its batch (embed_batch_size 1)
        if _worker["stop"].is_set():
            raise _Stopped
        parts.append(embed(_worker["embedder"], texts[lo : lo + EMBED_SLICE]))
    return np.concatenate(parts)  # never called with no texts


# -- in the ingest process ----------------------------------------------------------------------


def ingest_in_workers(docs: Iterable[RawDoc | IngestError], store: Index, settings: Settings,
                      report: IngestReport, workers: int, batch_chunks: int) -> None:
    """Ingest ``docs`` (see the module docstring); a worker that dies ends the run as a failure."""
    store.recover()
    threads = settings.embed_threads or max(1, (os.cpu_count() or 1) // workers)
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    pool = _Pool(workers, context, settings.model_copy(update={"embed_threads": threads}), stop)
    run = Run(store, report)
    writes = _Writes(pool, run, depth=workers)
    try:
        _decide_all(_prepared(pool, docs, 2 * workers), run, settings, writes, batch_chunks)
        writes.drain()
        run.finish()
    except BrokenProcessPool:
        report.failed.append({"source": "ingest worker", "reason": (
            "a worker process died (killed?); the articles written so far are complete: run the same command "
            "again to finish")})
        run.finish()
    except BaseException:  # Ctrl-C, or a bug: the workers stop within a slice, not after the batch in progress
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _Pool(ProcessPoolExecutor):
    """The workers' pool (see the module docstring): results through a spool folder, removed at shutdown,
    and workers that start with Ctrl-C blocked, so that one pressed while a worker is still starting
    (before it ignores Ctrl-C) neither kills it nor prints its traceback; this process's Ctrl-C is only
    held back while it starts one, then delivered."""

    def __init__(self, workers: int, context: Any, settings: Settings, stop: Any) -> None:
        try:
            self.spool = tempfile.TemporaryDirectory(prefix="newsdesk-ingest-")
        except OSError as exc:
            raise ConfigError(f"--workers needs a writable temp folder for its workers' results ({exc}): "
                              "set TMPDIR") from None
        super().__init__(workers, mp_context=context, initializer=_start_worker,
                         initargs=(settings, os.getpid(), stop, self.spool.name))

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # workers are spawned in submit
        try:
            sent = super().submit(_to_file, fn, *args, **kwargs)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        result: Future[Any] = Future()
        sent.add_done_callback(partial(_from_file, result))
        return result

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        self.spool.cleanup()


def _from_file(result: Future[Any], sent: Future[str]) -> None:
    """Settle ``result`` as the worker's call ``sent`` ended: with what it wrote to its file, read and removed."""
    if sent.cancelled():
        result.cancel()
    elif (error := sent.exception()) is not None:
        result.set_exception(error)
    else:
        try:  # a callback's exception would be logged and lost, and ``result`` never settled
            value = _read_once(sent.result())
        except Exception as exc:
            result.set_exception(exc)
        else:
            result.set_result(value)


def _read_once(path: str) -> Any:
    """What a worker wrote to ``path``; the file is removed before anyone is told."""
    try:
        with open(path, "rb") as file:
            return pickle.load(file)
    finally:
        os.unlink(path)


def _decide_all(prepared: Iterator[Prepared | IngestError | None], run: Run, settings: Settings, writes: _Writes,
                batch_chunks: int) -> None:
    report = run.report
    hashes: dict[str, str] = {}  # decided by this run, written or not: content hash by article id
    texts: dict[str, str] = {}  # article id by text hash
    batch = Batch()
    for item in prepared:
        if isinstance(item, IngestError):
            report.fail(item)
            continue
        if item is None:
            report.empty += 1
            continue
        article = item.article
        replacing = run.decide(article, hashes, texts)
        if replacing is None:
            continue
        if item.chunks is None:  # it looked unchanged to the worker, but this run has another version
            item.chunks = chunk_article(article, settings.chunk_tokens, settings.chunk_overlap_tokens)
            item.quotes = extract_quotes(article)
        if not item.chunks:
            report.empty += 1
            continue
        batch.add(article, item.chunks, item.quotes or [], replacing=replacing)
        hashes[article.id], texts[article.text_hash] = article.content_hash, article.id
        if batch.n_chunks >= batch_chunks:
            writes.submit(batch)
            batch = Batch()
    writes.submit(batch)


def _prepared(pool: ProcessPoolExecutor, docs: Iterable[RawDoc | IngestError],
              window: int) -> Iterator[Prepared | IngestError | None]:
    """Each document cleaned and chunked by the workers, in input order (``window`` tasks ahead)."""
    pending: deque[tuple[list[RawDoc | IngestError], Future[list[Outcome]]]] = deque()
    group: list[RawDoc | IngestError] = []
    for doc in docs:
        group.append(doc)
        if len(group) == DOCS_PER_TASK:
            pending.append((group, pool.submit(_prepare, [d for d in group if isinstance(d, RawDoc)])))
            group = []
            while len(pending) > window or (pending and pending[0][1].done()):
                yield from _in_order(*pending.popleft())
    if group:
        pending.append((group, pool.submit(_prepare, [d for d in group if isinstance(d, RawDoc)])))
    while pending:
        yield from _in_order(*pending.popleft())


def _in_order(group: list[RawDoc | IngestError], future: Future[list[Outcome]]) -> Iterator[Prepared | IngestError | None]:
    outcomes = iter(future.result())
    for doc in group:
        if isinstance(doc, IngestError):
            yield doc
            continue
        outcome = next(outcomes)
        yield IngestError(*outcome) if isinstance(outcome, tuple) else outcome


class _Writes:
    """Batches being embedded by the workers, written here in the order they were decided."""

    def __init__(self, pool: ProcessPoolExecutor, run: Run, depth: int) -> None:
        self.pool, self.run, self.depth = pool, run, depth
        self.queue: deque[tuple[Plan, Future[np.ndarray] | None]] = deque()

    def submit(self, batch: Batch) -> None:
        edited = {a.id for a, _, _, replacing in batch.items if replacing}
        while any(edited & {a.id for a, *_ in todo.batch.items} for todo, _ in self.queue):
            self._write_oldest()  # its earlier version first: its unchanged chunks keep their vectors
        if batch.items:
            todo = plan(batch, self.run.store)
            self.queue.append((todo, self.pool.submit(_embed, todo.todo) if todo.todo else None))
        while len(self.queue) > self.depth or (self.queue and self._ready()):
            self._write_oldest()

    def _ready(self) -> bool:
        future = self.queue[0][1]
        return future is None or future.done()

    def _write_oldest(self) -> None:
        todo, future = self.queue.popleft()
        write(todo, future.result() if future else np.zeros((0, 0), dtype=np.float32), self.run)

    def drain(self) -> None:
        while self.queue:
            self._write_oldest()
