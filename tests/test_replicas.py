"""Stateless serving replicas: two real `newsdesk serve` processes share one PostgreSQL catalog (tests/pg.py)
and one `chroma run` server, all on 127.0.0.1. A story ingested through one is answerable on the other
within 5 s; deleted through the other, it is gone from the first within 5 s; both report the same stats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from assistant.index import Index
from assistant.index.embeddings import LocalMiniLM
from benchmarks.bench import wait_until_ready
from ingest.pipeline import ingest_paths

from .conftest import SAMPLE, free_port, make_settings
from .test_chroma_server import _chroma_binary

pytestmark = pytest.mark.slow

STORY = {
    "title": "Lighthouse festival in Zanzibar draws record crowd",
    "text": "The Zanzibar lighthouse festival drew 4,300 visitors on Saturday, the organisers said. "
            "Festival director Amina Juma said the crowd was the largest since the event began in 2009. "
            "Boats from Pemba and Dar es Salaam ferried visitors to the old lighthouse at Chumbe.",
    "url": "https://news.example/zanzibar-lighthouse-festival",
    "source": "Example Wire",
    "published": "2024-08-24",
}
QUESTION = "How many visitors did the Zanzibar lighthouse festival draw?"


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    port, log = free_port(), tmp_path / "chroma.log"
    with log.open("wb") as out:
        server = subprocess.Popen([_chroma_binary(), "run", "--path", str(tmp_path / "chroma-server"), "--host",
                                   "127.0.0.1", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/api/v2/heartbeat", server, 60, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)


def _env(data_dir: Path, pg_url: str, chroma_url: str) -> dict[str, str]:
    return {**os.environ, "NEWSDESK_DATA_DIR": str(data_dir), "NEWSDESK_DATABASE_URL": pg_url,
            "NEWSDESK_CHROMA_URL": chroma_url, "NEWSDESK_LLM_ENABLED": "false"}


@pytest.fixture
def replicas(tmp_path: Path, pg_url: str, chroma_url: str, embedder: LocalMiniLM) -> Iterator[list[tuple[str, dict[str, str]]]]:
    """Two replicas (base URL, environment) over a catalog that holds the sample."""
    settings = make_settings(tmp_path / "ingest", database_url=pg_url, chroma_url=chroma_url)
    assert ingest_paths([SAMPLE], Index(settings), embedder, settings, progress=False).added == 1
    servers, out = [], []
    try:
        for name in ("a", "b"):
            port, env = free_port(), _env(tmp_path / name, pg_url, chroma_url)
            log = tmp_path / f"{name}.log"
            with log.open("wb") as sink:
                server = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1",
                                           "--port", str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT)
            servers.append(server)
            wait_until_ready(f"http://127.0.0.1:{port}/healthz", server, 180, log)
            out.append((f"http://127.0.0.1:{port}", env))
        yield out
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def _articles_found(base: str, query: str) -> set[str]:
    hits = httpx.get(f"{base}/v1/search", params={"q": query, "k": 5}, timeout=30).json()["results"]
    return {h["article_id"] for h in hits if h["title"] == STORY["title"]}


def _within(seconds: float, condition: Callable[[], bool]) -> float:
    started = time.perf_counter()
    while not condition():
        assert time.perf_counter() - started < seconds, f"not within {seconds} s"
        time.sleep(0.1)
    return time.perf_counter() - started


def _stats(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "stats", "--json"], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return {k: v for k, v in json.loads(done.stdout).items() if k not in ("data_dir", "index_bytes")}


def test_a_story_written_through_one_replica_is_answered_by_the_other(
    replicas: list[tuple[str, dict[str, str]]],
) -> None:
    (a, env_a), (b, env_b) = replicas
    assert not _articles_found(b, QUESTION)
    report = httpx.post(f"{a}/v1/articles", json=STORY, timeout=120).json()
    assert report["added"] == 1
    _within(5, lambda: bool(_articles_found(b, QUESTION)))
    answer = httpx.post(f"{b}/v1/ask", json={"question": QUESTION, "as_of": "2024-08-26"}, timeout=60).json()
    assert "4,300" in answer["answer"] and answer["citations"][0]["title"] == STORY["title"]
    [article_id] = _articles_found(b, QUESTION)
    assert _stats(env_a) == _stats(env_b)
    assert _stats(env_a)["articles"] == 2

    assert httpx.delete(f"{b}/v1/articles/{article_id}", timeout=60).json() == {"deleted": article_id}
    _within(5, lambda: not _articles_found(a, QUESTION))
    answer = httpx.post(f"{a}/v1/ask", json={"question": QUESTION, "as_of": "2024-08-26"}, timeout=60).json()
    assert all(c["title"] != STORY["title"] for c in answer["citations"])
    assert _stats(env_a) == _stats(env_b)
    assert _stats(env_b)["articles"] == 1

