"""SIGKILL a real `newsdesk ingest` subprocess at random moments, several times, then finish the
job: every article exactly once, and the catalog, Chroma and the BM25 index agree. On both catalogs:
embedded SQLite, and PostgreSQL (where a killed writer's session, and its lock, die with it)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.index import Index

from .conftest import make_settings

pytestmark = pytest.mark.slow

KILLS = 10
SEED = int(os.environ.get("NEWSDESK_CRASH_SEED", "1234"))  # read on import: each test's environment is emptied
ARTICLES = 300  # enough work (~25 s of embedding on 2 free cores) that every kill lands mid-ingest


def _write_articles(folder: Path, n: int) -> None:
    rng = random.Random(7)
    words = ("council budget river bridge school election harbour storm vaccine court minister tariff "
             "railway drought festival museum strike protest reactor satellite").split()
    folder.mkdir()
    lines = []
    for i in range(n):
        body = " ".join(
            f"The {rng.choice(words)} in town {i} saw {rng.randint(2, 900)} people on day {j}, officials said."
            for j in range(rng.randint(8, 40))
        )
        lines.append(json.dumps({"title": f"Story {i}", "text": body, "url": f"https://news.example/{i}",
                                 "published": f"2024-0{1 + i % 9}-1{i % 10}"}))
    (folder / "batch.jsonl").write_text("\n".join(lines) + "\n")


def _ingest_cmd(data: Path, folder: Path) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", "--data-dir", str(data), "ingest", str(folder), "--json",
            "--no-progress"]


def test_random_sigkills_leave_a_consistent_index(tmp_path: Path, catalog_url: str | None) -> None:
    folder, data = tmp_path / "news", tmp_path / "data"
    _write_articles(folder, ARTICLES)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if catalog_url:
        env["NEWSDESK_DATABASE_URL"] = catalog_url
    rng = random.Random(SEED)
    killed = 0
    for _ in range(KILLS):
        proc = subprocess.Popen(_ingest_cmd(data, folder), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 5.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
    assert killed >= KILLS // 2, "ingest finished too fast to be killed; make the batch bigger"

    done = subprocess.run(_ingest_cmd(data, folder), env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    final = json.loads(done.stdout)
    assert final["status"] == "ok"

    store = Index(make_settings(data, database_url=catalog_url))
    stats = store.stats()
    assert stats["articles"] == ARTICLES
    urls = [a["url"] for a in store.list_articles(limit=10_000)]
    assert sorted(urls) == sorted(f"https://news.example/{i}" for i in range(ARTICLES))  # each exactly once
    catalog_chunks = set(store.catalog.chunk_ids())
    chroma_chunks = set(store.vectors.ids())
    assert catalog_chunks == chroma_chunks  # no orphans either way
    lexical_ids = store.lexical_index().ids
    assert set(lexical_ids) == catalog_chunks
    pending = len(store.catalog.pending_ids())
    assert pending == 0

    again = subprocess.run(_ingest_cmd(data, folder), env=env, capture_output=True, text=True, timeout=600)
    assert json.loads(again.stdout)["unchanged"] == ARTICLES
