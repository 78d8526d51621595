"""Chroma server mode: a real `chroma run` started by the test gives the same answers as embedded."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.index import Index
from assistant.index.embeddings import LocalMiniLM
from assistant.service import open_newsdesk
from benchmarks.bench import wait_until_ready
from ingest.pipeline import ingest_paths

from .conftest import SAMPLE, free_port, make_settings

pytestmark = pytest.mark.slow

QUESTIONS = ["what did Tykhyi say about occupation?", "How many settlements do Ukrainian forces control?",
             "What is the capital of France?"]


def _chroma_binary() -> str:
    found = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    assert Path(found).exists(), "the chroma CLI ships with chromadb"
    return found


def test_chroma_server_gives_the_same_answers_as_embedded(tmp_path: Path, embedder: LocalMiniLM) -> None:
    port = free_port()
    log = tmp_path / "chroma.log"
    with log.open("wb") as out:
        server = subprocess.Popen([_chroma_binary(), "run", "--path", str(tmp_path / "chroma-server"), "--host",
                                   "127.0.0.1", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/api/v2/heartbeat", server, 60, log)
        answers = {}
        for mode, extra in (("embedded", {}), ("server", {"chroma_url": f"http://127.0.0.1:{port}"})):
            settings = make_settings(tmp_path / mode, **extra)
            report = ingest_paths([SAMPLE], Index(settings), embedder, settings, progress=False)
            assert report.added == 1
            desk = open_newsdesk(settings, embedder=embedder)
            answers[mode] = [desk.ask(q).model_dump(exclude={"timings_ms"}) for q in QUESTIONS]
            if mode == "server":
                assert desk.store.stats()["chroma"].startswith("http://127.0.0.1")
                assert not (tmp_path / mode / "chroma").exists()  # vectors live in the server
        assert answers["server"] == answers["embedded"]
    finally:
        server.terminate()
        server.wait(timeout=20)
