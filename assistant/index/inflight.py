"""Vectors in flight: the chunk ids whose vectors a writer is adding to Chroma, or is to remove from it.

Chroma and the catalog cannot change in one transaction, so the catalog keeps a record (the ``in_flight``
table, one row per writer and chunk id) of every vector that Chroma may hold without the catalog using
it: a new version's vectors from before they are upserted until the version is in the catalog, and an
old version's vectors from the transaction that replaced or deleted it until they are removed. A chunk
id names one version of one story (:func:`ingest.chunking.chunk_article` puts the content hash in it),
so old and new vectors can stand side by side while the new ones are written.

A writer's rows are settled when it is done (:func:`unused`, then :func:`clear`); a writer that died
leaves them to recovery, which removes from Chroma every leftover vector that no chunk of the catalog
and no live writer uses (:func:`leftovers`). Nothing here is ever something a reader sees.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from sqlalchemy import Connection, delete, exists, select

from assistant.index.changelog import insert_for
from assistant.index.schema import chunks, in_flight

__all__ = ["add", "landed", "unused", "clear", "leftovers", "forget", "writers", "article_ids"]

BATCH = 500  # ids per IN (...) list


def add(db: Connection, writer: int, rows: Iterable[tuple[str, str]]) -> None:
    """Record (chunk id, article id) pairs as ``writer``'s vectors in flight (again: a no-op)."""
    values = [{"writer": writer, "chunk_id": c, "article_id": a} for c, a in rows]
    for lo in range(0, len(values), BATCH):
        stmt = insert_for(db, in_flight).on_conflict_do_nothing(index_elements=[in_flight.c.writer, in_flight.c.chunk_id])
        db.execute(stmt, values[lo : lo + BATCH])


def landed(db: Connection, writer: int, chunk_ids: Sequence[str]) -> None:
    """These chunks are the catalog's now: their vectors are no longer in flight."""
    for lo in range(0, len(chunk_ids), BATCH):
        db.execute(delete(in_flight).where(in_flight.c.writer == writer,
                                           in_flight.c.chunk_id.in_(list(chunk_ids[lo : lo + BATCH]))))


def unused(db: Connection, writer: int, article_ids: Sequence[str]) -> list[str]:
    """``writer``'s chunk ids in flight for these articles whose vectors nothing uses any more: no chunk
    of the catalog, no other writer's row."""
    other = in_flight.alias("other")
    found: set[str] = set()
    for lo in range(0, len(article_ids), BATCH):
        found.update(db.scalars(select(in_flight.c.chunk_id).where(
            in_flight.c.writer == writer, in_flight.c.article_id.in_(list(article_ids[lo : lo + BATCH])),
            ~exists().where(chunks.c.id == in_flight.c.chunk_id),
            ~exists().where(other.c.chunk_id == in_flight.c.chunk_id, other.c.writer != writer))))
    return sorted(found)


def clear(db: Connection, writer: int, article_ids: Sequence[str]) -> None:
    """``writer`` is done with these articles' vectors (the unused ones are gone from Chroma)."""
    for lo in range(0, len(article_ids), BATCH):
        db.execute(delete(in_flight).where(in_flight.c.writer == writer,
                                           in_flight.c.article_id.in_(list(article_ids[lo : lo + BATCH]))))


def leftovers(db: Connection, gone: Collection[int]) -> list[str]:
    """Chunk ids that writers in ``gone`` left in flight and that nothing uses: no chunk of the catalog,
    no row of a writer not gone. Their vectors are to be removed, then the rows (:func:`forget`)."""
    if not gone:
        return []
    other = in_flight.alias("other")
    return sorted(set(db.scalars(select(in_flight.c.chunk_id).where(
        in_flight.c.writer.in_(list(gone)),
        ~exists().where(chunks.c.id == in_flight.c.chunk_id),
        ~exists().where(other.c.chunk_id == in_flight.c.chunk_id, other.c.writer.not_in(list(gone)))))))


def forget(db: Connection, gone: Collection[int]) -> None:
    """Drop the rows of writers in ``gone`` (their unused vectors are removed)."""
    if gone:
        db.execute(delete(in_flight).where(in_flight.c.writer.in_(list(gone))))


def writers(db: Connection) -> set[int]:
    """The writers with vectors in flight."""
    return set(db.scalars(select(in_flight.c.writer).distinct()))


def article_ids(db: Connection, only: Collection[int] | None = None) -> set[str]:
    """The articles with vectors in flight (of the writers in ``only``, when given)."""
    stmt = select(in_flight.c.article_id).distinct()
    if only is not None:
        stmt = stmt.where(in_flight.c.writer.in_(list(only)))
    return set(db.scalars(stmt))
