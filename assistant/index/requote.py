"""Quotes read again when the rules that find them change.

Who said what is found by rules at ingest (:mod:`ingest.quotes`), and an unchanged story is skipped when
it is ingested again, so a collection would keep the quotes of the rules it was built with. The catalog
records the version of the rules its quotes were found by (a row of ``meta``); an ingest under other
rules first reads the quotes of every ready story again (text, chunks and vectors stay as they are), a
batch per transaction, its articles locked and read inside it so a writer replacing one at the same time
cannot be undone, then records the version. Two processes doing it at once write the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import delete, select

from assistant.index.catalog import Catalog
from assistant.index.changelog import insert_for
from assistant.index.schema import articles, meta, quotes
from assistant.index.swap import quote_rows
from assistant.models import Article, Quote

__all__ = ["RULES_KEY", "requote"]

RULES_KEY = "quote_rules"
BATCH = 200
Extract = Callable[[Article], Sequence[Quote]]


def requote(catalog: Catalog, rules: str, extract: Extract, progress: bool = False) -> int:
    """Find the quotes of every ready story again with ``extract`` unless the catalog's were found by
    ``rules`` already; returns how many stories were read again."""
    from tqdm import tqdm

    with catalog.transaction() as db:
        if db.execute(select(meta.c.value).where(meta.c.key == RULES_KEY)).scalar() == rules:
            return 0
        ids = [r[0] for r in db.execute(select(articles.c.id).where(articles.c.state == "ready").order_by(articles.c.id))]
    bar = tqdm(total=len(ids), unit="article", desc="quotes (new rules)", disable=not progress or not ids)
    try:
        for i in range(0, len(ids), BATCH):
            batch = ids[i:i + BATCH]
            _requote_batch(catalog, batch, extract)
            bar.update(len(batch))
    finally:
        bar.close()
    with catalog.transaction() as db:
        stmt = insert_for(db, meta).values(key=RULES_KEY, value=rules)
        db.execute(stmt.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": rules}))
    return len(ids)


def _requote_batch(catalog: Catalog, ids: list[str], extract: Extract) -> None:
    with catalog.transaction() as db:
        rows = db.execute(select(articles.c.id, articles.c.title, articles.c.text)
                          .where(articles.c.id.in_(ids), articles.c.state == "ready")
                          .order_by(articles.c.id).with_for_update()).all()
        found = [q for article_id, title, text in rows for q in extract(Article(id=article_id, title=title, text=text))]
        db.execute(delete(quotes).where(quotes.c.article_id.in_([r[0] for r in rows])))
        if found:
            db.execute(quotes.insert(), quote_rows(found))
