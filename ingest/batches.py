"""What an ingest run decides about each article, and how a batch of kept articles is written.

:class:`Run` holds the decisions: unchanged (same content hash as stored), exact duplicate (same text
hash as a stored or earlier article of this run), near duplicate (MinHash), or to be written: new or
replacing. A batch is written by :func:`plan` (which chunk texts need embedding; an edited article's
unchanged chunks keep their vectors) and :func:`write` (through :meth:`Index.add_many`, which checks
the new articles once more against other writers as it commits: see :mod:`assistant.index.claims`).
One process or several worker processes (:mod:`ingest.parallel`) go through the same two steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.index import Index
from assistant.index.claims import Claims
from assistant.models import Article, Chunk, Quote, embedding_text
from ingest.dedupe import NearDuplicates, signature
from ingest.report import IngestReport

__all__ = ["Batch", "Run", "Plan", "plan", "embed", "write"]


class Batch:
    """Articles to write together (about ``BATCH_CHUNKS`` chunks), in the order they were decided."""

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


class Run:
    """One ingest's decisions: the near-duplicate index (every ready article's signature when the run
    began, then the run's own), the copies found, and the articles that lost to another writer."""

    def __init__(self, store: Index, report: IngestReport) -> None:
        self.store, self.report = store, report
        self.near = NearDuplicates()
        self.claims = Claims(self.near, store.generation())  # read first: a later article is checked at commit
        self.near.load(store.signatures())
        self.copies: list[tuple[str, Article, float]] = []
        self.lost: dict[str, str] = {}  # article id -> the other writer's article that keeps its text

    def decide(self, article: Article, hashes: Mapping[str, str], texts: Mapping[str, str]) -> bool | None:
        """Whether the article replaces a stored one (True), is new (False), or is not written (None:
        unchanged or a copy). ``hashes`` and ``texts`` are what this run decided but has not written yet
        (content hash by article id, article id by text hash). A new article gets its signature."""
        stored_hash = hashes.get(article.id) or self.store.article_hash(article.id)
        if stored_hash == article.content_hash:
            self.report.unchanged += 1
            return None
        if stored_hash is not None:
            article.minhash = None  # only new articles claim their text (see assistant.index.claims)
            return True
        twin = self.store.find_by_text_hash(article.text_hash) or texts.get(article.text_hash)
        if twin and twin != article.id:
            self.report.duplicates += 1
            self.copies.append((twin, article, 1.0))
            return None
        if article.minhash is None:
            article.minhash = signature(article.text)
        match = self.near.match(article.minhash, exclude=article.id)
        if match:
            self.report.near_duplicates += 1
            self.copies.append((match[0], article, match[1]))
            return None
        self.near.add(article.id, article.minhash)
        return False

    def lose(self, article: Article, kept: str, similarity: float) -> None:
        """Another writer committed this text first: the article is one of its copies (already recorded)."""
        self.lost[article.id] = kept
        if similarity >= 1.0:
            self.report.duplicates += 1
        else:
            self.report.near_duplicates += 1

    def finish(self) -> None:
        """Record the copies found, each against the article that kept the text."""
        copies = []
        for kept, article, similarity in self.copies:
            while kept in self.lost:
                kept = self.lost[kept]
            copies.append((kept, article, similarity))
        self.store.add_copies(copies)


@dataclass
class Plan:
    """A batch about to be written: each chunk's embedding text, the vectors already known (unchanged
    chunks of edited articles), and the distinct texts still to embed."""

    batch: Batch
    texts: list[str]
    known: dict[str, np.ndarray]
    todo: list[str]


def plan(batch: Batch, store: Index) -> Plan:
    texts = [embedding_text(a.title, c.text, c.index) for a, chunks, _, _ in batch.items for c in chunks]
    known: dict[str, np.ndarray] = {}
    for article, _, _, replacing in batch.items:
        if replacing:  # unchanged chunks of an edited article keep their vectors
            known.update(store.stored_vectors(article.id))
    return Plan(batch, texts, known, [t for t in dict.fromkeys(texts) if t not in known])


def embed(embedder: Embeddings, texts: list[str]) -> np.ndarray:
    """The texts' vectors, as a float32 array in order."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    if hasattr(embedder, "embed_array"):
        return np.asarray(embedder.embed_array(texts))
    return np.asarray(embedder.embed_documents(texts), dtype=np.float32)


def write(p: Plan, fresh: np.ndarray, run: Run) -> None:
    """Write the batch with the vectors of ``p.todo`` (``fresh``, in order), and count what happened."""
    report = run.report
    known = {**p.known, **dict(zip(p.todo, fresh, strict=True))}
    report.embedded += len(p.todo)
    report.reused += len(p.texts) - len(p.todo)
    vectors = np.stack([known[t] for t in p.texts])  # every batched article has at least one chunk
    rows = []
    offset = 0
    for article, chunks, quotes, _ in p.batch.items:
        rows.append((article, chunks, vectors[offset : offset + len(chunks)], quotes))
        offset += len(chunks)
    lost = run.store.add_many(rows, run.claims)
    for article, chunks, _, replacing in p.batch.items:
        if article.id in lost:
            run.lose(article, *lost[article.id])
            continue
        report.chunks += len(chunks)
        if replacing:
            report.updated += 1
        else:
            report.added += 1
