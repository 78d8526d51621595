"""The lexical index follows the catalog from its change log, and ranks as a full rebuild would: the
sample and synthetic articles are indexed, then articles are added, rewritten and deleted (here and
through another process's catalog); the index caught up incrementally must give the rebuilt one's
results. Chunk dates and cached article metadata follow too."""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.index import Filters, Index
from assistant.index.catalog import Catalog, Item
from assistant.index.lexical_live import LexicalIndex
from ingest.chunking import chunk_article
from ingest.pipeline import doc_to_article
from ingest.sources import read_path

from .conftest import SAMPLE, make_settings

WORDS = ("army border village drone attack minister election budget vote court ruling storm flood rescue "
         "market stocks bank inflation school strike union hospital vaccine climate summit treaty missile "
         "police protest energy grid outage wildfire harvest drought port shipping tariff festival").split()
QUERIES = ["drone attack village", "Kursk settlements Ukrainian forces", "zeppelin harbour", "inflation bank",
           "storm flood rescue hospital", "what did Tykhyi say about occupation?", "quokka festival tariff",
           "glide bombs", "election court ruling vote", "nothing-matches-this"]


def _synthetic(n: int, rng: random.Random, extra: str = "") -> tuple[str, str]:
    body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 400)))
    return f"Story {n} {rng.choice(WORDS)}", f"{body} {extra}".strip()


def _item(article_id: str, title: str, text: str, day: int) -> Item:
    from assistant.models import Article

    article = Article(id=article_id, title=title, text=text, published=dt.date(2024, 8, 1 + day % 28),
                      content_hash=f"h-{article_id}-{len(text)}", text_hash=f"t-{article_id}-{len(text)}")
    chunks = chunk_article(article, 60, 0)
    return article, chunks, np.zeros((len(chunks), 4), dtype=np.float32), []


def _sample() -> Item:
    article = doc_to_article(next(read_path(SAMPLE)))
    assert article is not None
    chunks = chunk_article(article, 60, 0)
    return article, chunks, np.zeros((len(chunks), 4), dtype=np.float32), []


def _write(catalog: Catalog, items: list[Item]) -> None:
    catalog.write_pending(items)
    catalog.mark_ready(items)


def _ranking(index: LexicalIndex, query: str) -> list[tuple[str, float]]:
    """The top 15 of 20, equal scores in id order (which of two tied chunks comes first is arbitrary)."""
    hits = index.search(query, 20, lambda days: None)
    return sorted(hits, key=lambda hit: (-round(hit[1], 3), hit[0]))[:15]


def test_an_index_caught_up_from_the_change_log_ranks_as_a_rebuilt_one(tmp_path: Path) -> None:
    rng = random.Random(14)
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    _write(catalog, [_sample(), *(_item(f"a{n:03d}", *_synthetic(n, rng), n) for n in range(60))])
    live = LexicalIndex(tmp_path / "live", catalog).at(catalog.generation())
    built_at = live.generation
    other = Catalog(tmp_path / "catalog.sqlite3")  # another process writing the same catalog
    _write(other, [_item("b000", *_synthetic(100, rng, "zeppelin harbour quokka"), 3)])
    _write(catalog, [_item("a005", "Rewritten story", "The zeppelin landed in the harbour after a storm.", 5)])
    assert other.remove(["a007", "a011"]) == 2
    _write(other, [_item(f"c{n:03d}", *_synthetic(200 + n, rng), n) for n in range(4)])
    live.at(catalog.generation())
    assert live.delta.main.generation == built_at and live.delta.size > 0  # caught up, not rebuilt
    rebuilt = LexicalIndex(tmp_path / "rebuilt", catalog).at(catalog.generation())
    assert rebuilt.delta.size == 0
    assert live.ids == rebuilt.ids == sorted(catalog.chunk_ids())
    for query in QUERIES:
        got, want = _ranking(live, query), _ranking(rebuilt, query)
        assert [cid for cid, _ in got] == [cid for cid, _ in want], query
        assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-4), query
    for term in ("zeppelin", "drone", "kursk", "unseen"):
        assert live.idf(term) == pytest.approx(rebuilt.idf(term))
    catalog.close()
    other.close()


def test_a_trimmed_log_or_a_big_change_rebuilds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(2)
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    _write(catalog, [_item(f"a{n}", *_synthetic(n, rng), n) for n in range(5)])
    live = LexicalIndex(tmp_path / "live", catalog).at(catalog.generation())
    monkeypatch.setattr("assistant.index.lexical_live.COMPACT_MIN", 8)
    _write(catalog, [_item(f"b{n}", *_synthetic(n, rng), n) for n in range(10)])  # 10 articles > 8 / 4
    live.at(catalog.generation())
    assert live.delta.size == 0 and live.delta.main.generation == catalog.generation()
    assert catalog.changes_since(0) is not None
    with catalog.transaction() as db:
        db.exec_driver_sql("DELETE FROM changes WHERE generation = 1")
    assert catalog.changes_since(0) is None
    reopened = LexicalIndex(tmp_path / "other", catalog)
    reopened.directory.mkdir()
    assert reopened.at(catalog.generation()).ids == sorted(catalog.chunk_ids())
    catalog.close()


def test_chunk_dates_and_article_metadata_follow_another_writer(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    reader, writer = Index(settings), Index(settings)
    _write(writer.catalog, [_sample()])
    article_id = reader.list_articles()[0]["id"]
    chunk_id = reader.embedding_texts(article_id)[0][0]
    assert reader.passages([chunk_id])[chunk_id].title  # cached now
    days = reader.chunk_days()
    assert sorted(days.ids) == sorted(writer.catalog.chunk_ids())
    _write(writer.catalog, [_item("late", "A late story about a zeppelin", "The zeppelin came back.", 20)])
    title, text = "A new headline", reader.article_text(article_id)
    item = _sample()
    item[0].title = title
    _write(writer.catalog, [item])
    reader.refresh()
    days = reader.chunk_days()
    assert any(cid.startswith("late-") for cid in days.ids)
    assert days.days[days.rows[next(c for c in days.ids if c.startswith("late-"))]] == 20240821
    assert reader.passages([chunk_id])[chunk_id].title == title and reader.article_text(article_id) == text
    assert [cid for cid, _ in reader.lexical_search("zeppelin", 3)][0].startswith("late-")
    window = Filters(since=dt.date(2024, 8, 21), until=dt.date(2024, 8, 21))
    assert [cid for cid, _ in reader.lexical_search("zeppelin", 3, window)][0].startswith("late-")
    writer.delete_articles(["late"])
    assert reader.lexical_search("zeppelin", 3) == []
    assert not any(cid.startswith("late-") for cid in reader.chunk_days().ids)
    reader.close()
    writer.close()


def test_a_following_desk_catches_up_by_itself(tmp_path: Path) -> None:
    from assistant.service import Newsdesk

    settings = make_settings(tmp_path / "data")
    reader, writer = Index(settings), Index(settings)
    desk = Newsdesk(settings=settings, store=reader, embedder=None)  # type: ignore[arg-type] - never embeds here
    reader.refresh()
    stop = desk.follow(0.05)
    try:
        _write(writer.catalog, [_item("late", "A late story about a zeppelin", "The zeppelin came back.", 20)])
        deadline = time.perf_counter() + 5
        while reader.lexical.generation != writer.generation():
            assert time.perf_counter() < deadline, "the follower did not catch up"
            time.sleep(0.02)
        assert any(cid.startswith("late-") for cid in reader.lexical.ids)
    finally:
        stop()
    reader.close()
    writer.close()
