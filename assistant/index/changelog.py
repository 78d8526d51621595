"""The catalog's change log: which articles each generation wrote or deleted.

Every write that bumps the catalog generation records, in the same transaction, the ids of the articles
it touched (``changes`` rows of that generation). A process that derived something from the catalog at
generation g (the lexical index, the chunk dates) catches up by re-reading just those articles: what
they are now is the truth, so applying a change twice, or one that a rebuild already saw, is harmless.
Generations serialise on the ``meta`` row the bump updates, so a reader that sees generation g sees every
change up to g committed. The log keeps the last :data:`KEEP` generations; a reader further behind
rebuilds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Integer, Text, cast, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from assistant.index.schema import changes, meta

__all__ = ["Changes", "bump", "since", "insert_for", "KEEP"]

KEEP = 20_000  # generations of log kept (one per ingest batch or delete)


def insert_for(db: Connection, table: Any) -> Any:
    """INSERT with the dialect's ``ON CONFLICT`` (the same API on SQLite and PostgreSQL)."""
    return (postgresql.insert if db.dialect.name == "postgresql" else sqlite.insert)(table)


@dataclass(frozen=True)
class Changes:
    """The articles changed after some generation, up to ``generation`` (the catalog's, when read)."""

    generation: int
    article_ids: list[str]


def bump(db: Connection, article_ids: Iterable[str], op: str) -> int:
    """Move the generation on by one, log the articles under it (``op``: 'ready' or 'delete'), forget
    generations older than :data:`KEEP`. Returns the new generation."""
    stmt = insert_for(db, meta).values(key="generation", value="1")
    stmt = stmt.on_conflict_do_update(
        index_elements=[meta.c.key], set_={"value": cast(cast(meta.c.value, Integer) + 1, Text)})
    generation = int(db.execute(stmt.returning(meta.c.value)).scalar_one())
    ids = sorted(set(article_ids)) or [""]  # "": a bump that touched no article still has its row
    db.execute(changes.insert(), [{"generation": generation, "article_id": i, "op": op} for i in ids])
    if generation > KEEP and generation % 100 == 0:
        db.execute(delete(changes).where(changes.c.generation <= generation - KEEP))
    return generation


def current(db: Connection) -> int:
    value = db.execute(select(meta.c.value).where(meta.c.key == "generation")).scalar()
    return int(value) if value is not None else 0


def since(db: Connection, generation: int) -> Changes | None:
    """The articles changed after ``generation``, or None when the log cannot say (it was trimmed, or
    that generation is from before the log existed, or from another catalog)."""
    now = current(db)
    if now == generation:
        return Changes(now, [])
    if now < generation:
        return None
    rows = db.execute(select(changes.c.generation, changes.c.article_id)
                      .where(changes.c.generation > generation, changes.c.generation <= now)).all()
    if len({g for g, _ in rows}) != now - generation:  # every bump logs at least one article
        return None
    return Changes(now, sorted({a for _, a in rows if a}))
