"""Two `newsdesk ingest` processes at once, with overlapping input, against one PostgreSQL catalog
(tests/pg.py) and one `chroma run` server: the same stories in both, exact duplicates (same text, another
URL) and near duplicates (another headline, one sentence changed) split across them. Each pair is decided
at the start of both runs and committed only at their end, so both processes decide "new" at the same
moment; every story must still end up stored once, the other copy recorded, and the catalog, Chroma and
the BM25 index must agree. Once with one process each, once with one of them on two workers."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.index import Index
from assistant.index.catalog import Catalog

from .conftest import make_settings
from .test_replicas import chroma_url  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow

PAIRS = 3  # exact pairs, and as many near pairs
SHARED = 3  # the same record in both inputs
FILLER = 22  # stories of each input's own, after the pairs: one batch, so both commit at their end
WORDS = [f"{a}{b}" for a in ("bar", "cor", "del", "fen", "gal", "hor", "lum", "mir", "nor", "pel", "ros", "tan")
         for b in ("ado", "ium", "ent", "oria", "ville", "stead", "mark", "wick", "ford", "holm", "by", "ton")]


def _sentences(rng: random.Random, n: int) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(n)]


def _story(key: str, sentences: list[str], title: str | None = None) -> dict[str, str]:
    return {"title": title or f"Story {key}", "text": " ".join(sentences), "url": f"https://news.example/{key}",
            "source": "Example Wire", "published": "2024-05-14"}


def _inputs(folder: Path) -> dict[str, list[tuple[str, str]]]:
    """Writes a.jsonl and b.jsonl; returns the pairs {"exact"|"near": [(url in a, url in b)]}."""
    rng = random.Random(14)
    a, b, pairs = [], [], {"exact": [], "near": []}
    for i in range(PAIRS):
        text = _sentences(rng, 30)
        a.append(_story(f"exact-{i}-a", text))
        b.append(_story(f"exact-{i}-b", text, f"Story exact {i}, as another outlet ran it"))
        text = _sentences(rng, 30)
        a.append(_story(f"near-{i}-a", text))
        b.append(_story(f"near-{i}-b", text[:10] + _sentences(rng, 1) + text[11:], f"Near {i}, rewritten"))
        pairs["exact"].append((f"https://news.example/exact-{i}-a", f"https://news.example/exact-{i}-b"))
        pairs["near"].append((f"https://news.example/near-{i}-a", f"https://news.example/near-{i}-b"))
    for i in range(SHARED):
        story = _story(f"shared-{i}", _sentences(rng, 20))
        a.append(story)
        b.append(story)
    a += [_story(f"a-{i}", _sentences(rng, 40)) for i in range(FILLER)]
    b += [_story(f"b-{i}", _sentences(rng, 40)) for i in range(FILLER)]
    folder.mkdir()
    for name, stories in (("a", a), ("b", b)):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(s) + "\n" for s in stories))
    return pairs


def _env(data_dir: Path, pg_url: str, chroma: str) -> dict[str, str]:
    return {**os.environ, "NEWSDESK_DATA_DIR": str(data_dir), "NEWSDESK_DATABASE_URL": pg_url,
            "NEWSDESK_CHROMA_URL": chroma, "NEWSDESK_EMBED_THREADS": "1"}


@pytest.mark.parametrize("workers_of_a", [1, 2])
def test_two_ingests_with_overlapping_input_store_every_story_once(
    tmp_path: Path, pg_url: str, chroma_url: str, workers_of_a: int,  # noqa: F811 - the fixture
) -> None:
    pairs = _inputs(tmp_path / "news")
    catalog = Catalog(pg_url)
    assert catalog.generation() == 0  # migrated before the race, so neither process waits for the other's migration
    catalog.close()
    runs = [subprocess.Popen([sys.executable, "-m", "assistant.cli", "ingest", str(tmp_path / "news" / f"{name}.jsonl"),
                              "--json", "--no-progress", "--workers", str(workers)],
                             env=_env(tmp_path / name, pg_url, chroma_url), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for name, workers in (("a", workers_of_a), ("b", 1))]
    reports = []
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
        reports.append(json.loads(out))
    assert sum(r["duplicates"] for r in reports) == PAIRS
    assert sum(r["near_duplicates"] for r in reports) == PAIRS

    store = Index(make_settings(tmp_path / "check", database_url=pg_url, chroma_url=chroma_url))
    urls = [a["url"] for a in store.list_articles(limit=1000)]
    assert len(urls) == len(set(urls)) == SHARED + 2 * PAIRS + 2 * FILLER  # each story exactly once
    by_url = {a["url"]: a["id"] for a in store.list_articles(limit=1000)}
    for kind, found in pairs.items():
        for pair in found:
            [kept] = [u for u in pair if u in by_url]  # one of the two is stored, the other is its copy
            [copy] = store.copies_of(by_url[kept])
            assert copy["url"] == next(u for u in pair if u != kept)
            assert (copy["similarity"] == 1.0) == (kind == "exact") and copy["similarity"] >= 0.8
    assert store.stats()["syndicated_copies"] == 2 * PAIRS

    catalog_chunks = set(store.catalog.chunk_ids())
    assert catalog_chunks == set(store.vectors.ids()) == set(store.lexical_index().ids)
    assert store.catalog.pending_ids() == []
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "stats", "--json"], capture_output=True, text=True,
                          env=_env(tmp_path / "a", pg_url, chroma_url), timeout=120, check=True)
    stats = json.loads(done.stdout)
    assert stats["chunks"] == stats["vectors"] == len(catalog_chunks)
    assert stats["articles"] == len(urls)
