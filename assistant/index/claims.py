"""Exactly once across writers: which article keeps a text, decided where the write commits.

An ingest decides "new, exact duplicate or near duplicate" against the ready articles it can see and
the ones it wrote itself. Two writers (processes, hosts) ingesting the same story at the same moment
both see nothing and both decide "new". So the decision is taken again at step 3 of the write protocol
(see :mod:`assistant.index.facade`), inside the transaction that marks the articles ready and under
one lock for every writer (a PostgreSQL advisory transaction lock; SQLite's ``BEGIN IMMEDIATE`` already
lets one writer in at a time): a new article whose text another ready article already holds, or which is
a near duplicate of an article another writer made ready since this one last looked, does not become
ready. It is recorded as a copy of that article, in the same transaction, and is not written; its
vectors, still in flight, are removed afterwards (a crash in between leaves them to recovery: see
:mod:`assistant.index.inflight`). The first writer to commit keeps the text; the check costs one indexed
query an article and the signatures written since.

Only articles that carry a MinHash signature are checked: the ones an ingest wrote as new. Replacing an
article keeps its id, and the primary key already stores it once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from sqlalchemy import Connection, func, select

from assistant.index import changelog
from assistant.index.changelog import insert_for
from assistant.index.schema import articles, copies, signatures
from assistant.models import Article

__all__ = ["Claims", "NearIndex", "Lost", "settle", "DEDUPE_LOCK"]

DEDUPE_LOCK = 0x64757065  # "dupe": one deciding writer at a time per PostgreSQL database
Lost = dict[str, tuple[str, float]]  # article id -> (the article that keeps its text, similarity)


class NearIndex(Protocol):
    """A writer's near-duplicate index (``ingest.dedupe.NearDuplicates``)."""

    def add(self, article_id: str, sig: np.ndarray) -> None: ...

    def match(self, sig: np.ndarray, exclude: str | None = None) -> tuple[str, float] | None: ...


@dataclass
class Claims:
    """What one ingest knows: ``near`` holds the signature of every ready article up to generation
    ``seen`` (and the ingest's own); :func:`settle` brings both up to date."""

    near: NearIndex
    seen: int = 0


def settle(db: Connection, candidates: Sequence[Article], claims: Claims) -> tuple[Lost, int]:
    """Under the dedupe lock, in the transaction about to mark ``candidates`` ready: the ones another
    ready article already holds (see the module docstring), and the generation ``claims`` has now seen
    (to store in it once the transaction commits). Their copy rows are written here."""
    if db.dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(DEDUPE_LOCK)))
    batch = {a.id for a in candidates}
    fresh = set()
    for article_id, sig in _signatures_since(db, claims.seen):
        if article_id not in batch:
            claims.near.add(article_id, sig)
            fresh.add(article_id)
    seen = changelog.current(db)
    lost: Lost = {}
    for article in sorted(candidates, key=lambda a: a.id):
        twin = db.scalar(select(articles.c.id).where(articles.c.text_hash == article.text_hash,
                                                     articles.c.state == "ready", articles.c.id != article.id).limit(1))
        if twin is not None:
            lost[article.id] = (twin, 1.0)
            continue
        match = claims.near.match(article.minhash, exclude=article.id)
        if match and match[0] in fresh:  # older ones were seen when this article was decided
            lost[article.id] = match
    if lost:
        _record_copies(db, {a.id: a for a in candidates}, lost)
    return lost, seen


def _signatures_since(db: Connection, generation: int) -> Iterator[tuple[str, np.ndarray]]:
    """Signatures of the ready articles changed after ``generation`` (all of them when the log can't say)."""
    stmt = select(signatures.c.article_id, signatures.c.sig).select_from(
        signatures.join(articles, articles.c.id == signatures.c.article_id)).where(articles.c.state == "ready")
    found = changelog.since(db, generation)
    if found is None:
        parts = [stmt]
    else:
        ids = found.article_ids
        parts = [stmt.where(signatures.c.article_id.in_(ids[lo : lo + 500])) for lo in range(0, len(ids), 500)]
    for part in parts:
        for article_id, blob in db.execute(part):
            yield article_id, np.frombuffer(bytes(blob), dtype=np.uint64)


def _record_copies(db: Connection, by_id: dict[str, Article], lost: Lost) -> None:
    rows = [{"article_id": kept, "copy_id": i, "url": by_id[i].url, "source": by_id[i].source,
             "published": by_id[i].published_iso, "origin": by_id[i].origin, "similarity": round(sim, 4)}
            for i, (kept, sim) in sorted(lost.items())]
    stmt = insert_for(db, copies)
    db.execute(stmt.on_conflict_do_update(
        index_elements=[copies.c.article_id, copies.c.copy_id],
        set_={k: stmt.excluded[k] for k in ("url", "source", "published", "origin", "similarity")}), rows)
