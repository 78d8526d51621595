"""SIGKILL a real `newsdesk ingest` that updates most stories, at random moments of its update batches,
several times; and a real `newsdesk delete` after an interrupted update. After every kill a fresh reader
sees every story, each in exactly its old or its new version, and the catalog, Chroma and BM25 agree;
the next writer (a one-file ingest from another folder) loses nothing; the full update then completes.
On both catalogs: embedded SQLite, and PostgreSQL (where a killed writer's lock dies with it).

The seed of the kill moments comes from ``NEWSDESK_CRASH_SEED``; the figures are printed (``-s``)."""

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
from assistant.index.embeddings import LocalMiniLM
from ingest.batches import Batch, Run, embed, plan
from ingest.chunking import chunk_article
from ingest.documents import doc_to_article
from ingest.pipeline import ingest_paths
from ingest.quotes import extract_quotes
from ingest.report import IngestReport
from ingest.sources import read_path

from .crash_kit import Held, check_whole, codeword, env_for, fresh_index, versions_of, write_versions

pytestmark = pytest.mark.slow

STORIES = 60
EDITED = 48
KILLS = 8
DELETE_KILLS = 6
SEED = int(os.environ.get("NEWSDESK_CRASH_SEED", "2027"))  # read on import: each test's environment is emptied
BATCH_CHUNKS = 4  # 1-2 stories a batch in the killed runs: ~25 batches of ~0.3 s an update, a third in writes


def _location(data: Path, catalog_url: str | None) -> Path | str:
    return catalog_url or data / "catalog.sqlite3"


def _ingest(data: Path, catalog_url: str | None, embedder: LocalMiniLM, *paths: Path) -> dict[str, int]:
    with fresh_index(data, catalog_url) as store:
        return ingest_paths(list(paths), store, embedder, store.settings, progress=False).to_dict()


def _one_more(root: Path, n: int) -> Path:
    """Another folder with one new story (the next writer after a kill)."""
    folder = root / f"extra-{n}"
    folder.mkdir()
    (folder / "one.json").write_text(json.dumps({
        "title": f"Extra story {codeword(500 + n)}", "url": f"https://news.example/extra-{n}", "published": "2024-10-01",
        "text": f"The extra story number {n} says the ferry to the island ran late on Monday, the captain said."}))
    return folder


def test_killed_updates_lose_no_story(tmp_path: Path, catalog_url: str | None, embedder: LocalMiniLM) -> None:
    old, new = write_versions(tmp_path / "news", STORIES, EDITED)
    versions = versions_of(old, new)
    data = tmp_path / "data"
    assert _ingest(data, catalog_url, embedder, old)["added"] == STORIES
    rng = random.Random(SEED)
    killed = in_batch = in_flight = 0
    extras: dict[str, dict[str, str]] = {}
    for round_ in range(KILLS):
        folder = (new, old)[round_ % 2]  # back and forth: every round has most stories to update
        held = Held.start(data, catalog_url, BATCH_CHUNKS, "ingest", str(folder), "--json", "--no-progress")
        catalog = Catalog(_location(data, catalog_url))
        catalog.generation()  # opened before the run starts
        held.go()
        mode = rng.random()
        if mode < 0.3:  # at any moment of its run
            was_killed = held.kill_after(rng.uniform(0.2, 6.0))
        elif mode < 0.65:  # at a random moment of a batch, after a few
            was_killed = held.kill_after_commits(catalog, rng.randint(1, 6), rng.uniform(0.0, 0.4))
        else:  # at a random moment of a batch's write protocol (its first pending row, or later)
            was_killed = held.kill_after_commits(catalog, rng.randint(0, 6), rng.uniform(0.0, 0.08), in_flight=True)
        in_batch += was_killed and mode >= 0.3
        in_flight += bool(catalog.pending_ids())  # the kill landed between the steps of a write
        catalog.close()
        killed += was_killed
        check_whole(data, catalog_url, {**versions, **extras})
        report = _ingest(data, catalog_url, embedder, _one_more(tmp_path, round_))
        assert report["added"] == 1, report
        extras.update(versions_of(tmp_path / f"extra-{round_}"))
        check_whole(data, catalog_url, {**versions, **extras}, settled=True)
    print(f"\nupdate kills ({'postgresql' if catalog_url else 'sqlite'}, seed {SEED}): {killed} killed "
          f"({in_batch} timed inside a batch, {in_flight} left a write in flight) of {KILLS} runs, "
          f"{STORIES} stories, 0 lost")
    assert killed >= KILLS // 2, "the updates finished too fast to be killed"

    done = subprocess.run([sys.executable, "-m", "assistant.cli", "--data-dir", str(data), "ingest", str(new),
                           "--json", "--no-progress"], env=env_for(catalog_url), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    texts = check_whole(data, catalog_url, {**versions_of(new), **extras}, settled=True)
    assert len(texts) == STORIES + KILLS
    with fresh_index(data, catalog_url) as store:
        assert store.catalog.pending_ids() == []


def test_a_killed_delete_after_an_interrupted_update_loses_nothing_else(
    tmp_path: Path, catalog_url: str | None, embedder: LocalMiniLM,
) -> None:
    """An update stopped between its steps (its writer gone, as after a kill -9), then `newsdesk delete` of
    a few stories, killed at random moments or left to finish: the stories it was asked to delete are each
    whole or gone, every other story is whole in its old or new version."""
    old, new = write_versions(tmp_path / "news", STORIES, EDITED)
    versions = versions_of(old, new)
    data = tmp_path / "data"
    assert _ingest(data, catalog_url, embedder, old)["added"] == STORIES
    _interrupt_an_update(data, catalog_url, embedder, new)
    check_whole(data, catalog_url, versions)
    rng = random.Random(SEED)
    ids = sorted(versions)
    asked: set[str] = set()
    killed = committed = in_flight = 0
    for round_ in range(DELETE_KILLS):
        wanted = ids[round_ * 3 : round_ * 3 + 3]
        asked.update(wanted)
        held = Held.start(data, catalog_url, 256, "delete", *wanted)
        catalog = Catalog(_location(data, catalog_url))
        start = catalog.generation()
        held.go()
        if round_ % 2:  # at any moment of its run ...
            killed += held.kill_after(rng.uniform(0.0, 2.5))
        else:  # ... or just after its catalog transaction
            killed += held.kill_after_commits(catalog, 1, rng.uniform(0.0, 0.1))
        committed += catalog.generation() > start
        in_flight += bool(set(catalog.pending_ids()) & set(wanted))
        catalog.close()
        texts = check_whole(data, catalog_url, versions, gone=asked)
        assert set(versions) - asked <= set(texts)
    done = Held.start(data, catalog_url, 256, "delete", *sorted(asked))
    done.go()
    assert done.proc.wait(timeout=300) in (0, 3)  # 3: every one was gone already
    texts = check_whole(data, catalog_url, versions, gone=asked, settled=True)
    assert set(texts) == set(versions) - asked
    print(f"\ndelete kills ({'postgresql' if catalog_url else 'sqlite'}, seed {SEED}): {killed} killed of "
          f"{DELETE_KILLS} runs ({committed} after the delete committed, {in_flight} left vectors in flight), "
          f"{len(asked)} asked, {len(texts)} kept of {STORIES - len(asked)}, 0 lost")


def _interrupt_an_update(data: Path, catalog_url: str | None, embedder: LocalMiniLM, new: Path) -> None:
    """Steps 1 and 2 of writing the new versions (catalog, Chroma), then the writer goes away."""
    with fresh_index(data, catalog_url) as store:
        _write_steps_1_and_2(store, embedder, new)


def _write_steps_1_and_2(store: Index, embedder: LocalMiniLM, new: Path) -> None:
    settings = store.settings
    run, batch = Run(store, IngestReport()), Batch()
    for path in new.iterdir():
        for doc in read_path(path):
            article = doc_to_article(doc)
            if article is not None and run.decide(article, {}, {}) is not None:
                chunks = chunk_article(article, settings.chunk_tokens, settings.chunk_overlap_tokens)
                batch.add(article, chunks, extract_quotes(article), replacing=True)
    todo = plan(batch, store)
    known = {**todo.known, **dict(zip(todo.todo, embed(embedder, todo.todo), strict=True))}
    items, offset = [], 0
    for article, chunks, quotes, _ in batch.items:
        items.append((article, chunks, [known[t] for t in todo.texts[offset : offset + len(chunks)]], quotes))
        offset += len(chunks)
    store.catalog.write_pending(items)
    store.vectors.upsert(items)
