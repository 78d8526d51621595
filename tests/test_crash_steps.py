"""A write that stops between the steps of the protocol (an exception where a kill -9 could land): readers
keep seeing every story whole, the old version until the new one is complete, and recovery keeps what
was ready. Real catalog (SQLite and PostgreSQL) and real Chroma; the failure is raised from the step."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.index import Index
from assistant.index.catalog import Item
from ingest.chunking import chunk_article
from ingest.documents import doc_to_article
from ingest.quotes import extract_quotes
from ingest.sources import read_path

from .conftest import make_settings
from .crash_kit import check_whole, fresh_index, versions_of, write_versions

STORIES, EDITED = 6, 4


class Crash(Exception):
    """Stands for the process dying at this point."""


def _items(folder: Path, store: Index) -> list[Item]:
    items = []
    for doc in read_path(folder / "stories.jsonl"):
        article = doc_to_article(doc)
        assert article is not None
        chunks = chunk_article(article, store.settings.chunk_tokens, store.settings.chunk_overlap_tokens)
        vectors = np.stack([_vector(c.text) for c in chunks])
        items.append((article, chunks, vectors, extract_quotes(article)))
    return items


def _vector(text: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    return np.random.default_rng(seed).standard_normal(16).astype(np.float32)


def _crash(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, after: bool = False) -> None:
    """Make ``owner.name`` raise :class:`Crash`, before doing its work or after it."""
    real = getattr(owner, name)

    def boom(*args: Any, **kwargs: Any) -> Any:
        if after:
            real(*args, **kwargs)
        raise Crash(name)

    monkeypatch.setattr(owner, name, boom)


@pytest.mark.parametrize(("part", "name", "after", "seen"), [
    ("vectors", "upsert", False, "old"),  # step 2 never ran
    ("vectors", "upsert", True, "old"),  # the new vectors are in Chroma, the catalog still has the old version
    ("catalog", "mark_ready", False, "old"),  # step 3 never ran
    ("chroma", "delete", False, "new"),  # the swap committed; the old vectors were not removed yet
])
def test_an_update_stopped_between_steps_keeps_the_old_version(
    tmp_path: Path, catalog_url: str | None, monkeypatch: pytest.MonkeyPatch, part: str, name: str, after: bool,
    seen: str,
) -> None:
    old, new = write_versions(tmp_path / "news", STORIES, EDITED)
    versions, data = versions_of(old, new), tmp_path / "data"
    with fresh_index(data, catalog_url) as store:
        store.add_many(_items(old, store))
        owner = {"vectors": store.vectors, "catalog": store.catalog,
                 "chroma": type(store.vectors.collection)}[part]
        with monkeypatch.context() as patch:
            _crash(patch, owner, name, after)
            with pytest.raises(Crash):
                store.add_many(_items(new, store))
        texts = check_whole(data, catalog_url, versions)
        expected = versions_of(old if seen == "old" else new)
        assert all(texts[i] in expected[i] for i in versions), f"readers should see the {seen} version"
        assert store.recover() >= 0  # the writer that failed recovers (as its next ingest does)
    assert check_whole(data, catalog_url, versions, settled=True) == texts
    with fresh_index(data, catalog_url) as store:
        store.add_many(_items(new, store))
    check_whole(data, catalog_url, versions_of(new), settled=True)


def test_a_delete_stopped_between_steps_is_whole_or_gone(
    tmp_path: Path, catalog_url: str | None, monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, _ = write_versions(tmp_path / "news", STORIES, 0)
    versions, data = versions_of(old), tmp_path / "data"
    asked = set(sorted(versions)[:2])
    with fresh_index(data, catalog_url) as store:
        store.add_many(_items(old, store))
        with monkeypatch.context() as patch:
            _crash(patch, type(store.vectors.collection), "delete")
            with pytest.raises(Crash):
                store.delete_articles(sorted(asked))
        texts = check_whole(data, catalog_url, versions, gone=asked)
        assert set(texts) >= set(versions) - asked
    with fresh_index(data, catalog_url) as store:
        store.recover()
    texts = check_whole(data, catalog_url, versions, gone=asked, settled=True)
    assert set(texts) == set(versions) - asked


def test_recovery_leaves_a_live_writers_vectors_alone(tmp_path: Path, catalog_url: str | None) -> None:
    """Recovery in one process removes what a gone writer left in flight, never a live writer's (its
    lock, a PostgreSQL advisory lock or an flock beside the SQLite file, says it is alive)."""
    old, new = write_versions(tmp_path / "news", STORIES, EDITED)
    data = tmp_path / "data"
    settings = make_settings(data, database_url=catalog_url)
    live, dead, other = Index(settings), Index(settings), Index(settings)
    try:
        live.add_many(_items(old, live))
        items = _items(new, live)
        for writer in (live, dead):  # both between steps 2 and 3
            writer.catalog.write_pending(items)
            writer.vectors.upsert(items)
        dead.close()  # the writer goes, its lock with it (as when a process is killed)
        assert other.catalog.abandoned_ids() == sorted(versions_of(new))  # the dead one's, not the live one's
        other.recover()
        assert {c.id for _, chunks, *_ in items for c in chunks} <= set(other.vectors.ids())  # still the live one's
        assert live.catalog.mark_ready(items) == {}
        live.recover()  # its own leftovers: the old versions' vectors
    finally:
        for store in (live, dead, other):
            store.close()
    check_whole(data, catalog_url, versions_of(new), settled=True)


def test_recovery_removes_a_pending_article_left_by_an_older_newsdesk(tmp_path: Path) -> None:
    """A catalog written before revision 0004 may hold a crashed writer's ``pending`` article: recovery
    deletes it and its vectors (it was never ready: readers did not see it)."""
    old, _ = write_versions(tmp_path / "news", 2, 0)
    data = tmp_path / "data"
    with fresh_index(data, None) as store:
        first, second = _items(old, store)
        store.add_many([first, second])
        with store.catalog.transaction() as db:
            db.exec_driver_sql("UPDATE articles SET state = 'pending', writer = NULL WHERE id = ?", (second[0].id,))
        assert store.catalog.abandoned_ids() == [second[0].id]
    with fresh_index(data, None) as store:
        assert store.recover() == len(second[1])
        assert store.catalog.pending_ids() == []
    check_whole(data, None, versions_of(old), gone={second[0].id}, settled=True)
