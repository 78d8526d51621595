"""`newsdesk ingest --workers N`: the same index as one process (articles, chunks, vectors, copies,
report, answers); a worker killed mid-run, or the ingest killed or interrupted, loses nothing after a
re-run, and no worker outlives its ingest."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pytest

import ingest.parallel
import ingest.pipeline
from assistant.errors import ConfigError
from assistant.index import Index
from assistant.index.embeddings import LocalMiniLM
from assistant.service import open_newsdesk
from ingest.pipeline import ingest_paths

from .conftest import SAMPLE, make_settings
from .test_crash_safety import _write_articles

pytestmark = pytest.mark.slow

TOWNS = "Portsmouth Leeds Bristol Hull Derby Exeter York Bath".split()
QUESTIONS = [("How many people did the harbour in Portsmouth see?", "2024-03-20"),
             ("What did the Ukrainian commander say about Kursk?", "2024-08-20"),
             ("What happened at the festival in York?", "2024-03-20")]


def _stories(folder: Path) -> None:
    """Several files and batches: a broken file, a record without text, one too big to be an article (the
    worker's error), an exact and a near duplicate, an article edited in a later file, the sample article
    and an HTML page."""
    rng = random.Random(3)
    folder.mkdir()
    stories = []
    for i, town in enumerate(TOWNS * 3):
        body = " ".join(f"The {rng.choice(['harbour', 'festival', 'bridge', 'school'])} in {town} saw "
                        f"{rng.randint(2, 900)} people on day {j}, officials said." for j in range(rng.randint(6, 20)))
        stories.append({"title": f"{town} story {i}", "text": body, "url": f"https://news.example/{i}",
                        "published": f"2024-03-{1 + i % 28:02d}", "source": "Gazette"})
    copy = {**stories[3], "url": "https://wire.example/3", "source": "Wire"}
    near = {**stories[5], "url": "https://wire.example/5", "title": "Rewritten",
            "text": stories[5]["text"].replace("officials said.", "officials said on Monday.", 1)}
    (folder / "1.jsonl").write_text("".join(json.dumps(s) + "\n" for s in stories[:12]) + json.dumps({"title": "x"})
                                    + "\n" + json.dumps({"title": "huge", "text": "word " * 400_001}))
    edited = {**stories[2], "text": stories[2]["text"] + " The council will meet again in April."}
    (folder / "2.jsonl").write_text("".join(json.dumps(s) + "\n" for s in [*stories[12:], copy, near, edited]))
    (folder / "3.json").write_text("{not json")
    (folder / "kursk.txt").write_text(SAMPLE.read_text())
    (folder / "4.html").write_text("<html><head><title>York festival</title></head><body><nav>Home | News</nav>"
                                   "<article><h1>York festival</h1><p>The festival in York drew 2,100 people on "
                                   "Saturday, the organisers said. It was the largest since 2019.</p></article></body></html>")


def _contents(store: Index) -> dict[str, object]:
    ids = [a["id"] for a in store.list_articles(limit=1000)]
    return {"articles": store.list_articles(limit=1000), "chunks": sorted(store.embedding_texts()),
            "copies": {i: store.copies_of(i) for i in ids}, "quotes": sorted(map(repr, store.quotes_for(ids)))}


def test_workers_build_the_index_one_process_builds(tmp_path: Path, embedder: LocalMiniLM,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _stories(tmp_path / "news")
    monkeypatch.setattr(ingest.pipeline, "BATCH_CHUNKS", 24)  # many batches in flight at once
    built = {}
    for workers in (1, 2):
        settings = make_settings(tmp_path / f"w{workers}")
        store = Index(settings)
        report = ingest_paths([tmp_path / "news"], store, embedder, settings, progress=False, workers=workers)
        built[workers] = report.to_dict(), _contents(store), store
    (one, contents_one, store_one), (two, contents_two, store_two) = built[1], built[2]
    assert {**one, "elapsed_s": 0, "articles_per_s": 0} == {**two, "elapsed_s": 0, "articles_per_s": 0}
    assert (one["status"], one["duplicates"], one["near_duplicates"], one["updated"]) == ("partial", 1, 1, 1)
    assert [f["reason"][:20] for f in one["failed"]] == ["record has no text f", "2.0 million characte", "invalid JSON: Expect"]
    assert contents_one == contents_two
    chunk_ids = [cid for cid, _ in contents_one["chunks"]]  # type: ignore[attr-defined]
    vectors_one, vectors_two = store_one.vectors.get(chunk_ids), store_two.vectors.get(chunk_ids)
    assert all(np.allclose(vectors_one[c], vectors_two[c], atol=1e-6) for c in chunk_ids)
    for question, as_of in QUESTIONS:
        answers = [open_newsdesk(s.settings, embedder=embedder).ask(question, as_of=dt.date.fromisoformat(as_of)).model_dump()
                   for s in (store_one, store_two)]
        for answer in answers:
            answer.pop("timings_ms")
        assert answers[0] == answers[1]
    again = [ingest_paths([tmp_path / "news"], s, embedder, s.settings, progress=False, workers=w).to_dict()
             for w, s in ((1, store_one), (2, store_two))]  # a re-run: nothing new (the edited story flips back)
    assert {**again[0], "elapsed_s": 0, "articles_per_s": 0} == {**again[1], "elapsed_s": 0, "articles_per_s": 0}
    assert (again[1]["added"], again[1]["unchanged"]) == (0, one["added"] - 1)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _workers_of(pid: int, n: int, timeout_s: float = 120) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [c for c in _children(pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text(errors="replace")]
        if len(found) == n:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {n} ingest workers under {pid}")


def _alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def _gone(pids: list[int], within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while any(_alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# enough that a third run still has work 6 s in: with 150 (about 450 chunks) two interrupted runs had done
# most of it, the third finished first and the Ctrl-C landed while Python was exiting (exit -2, no message)
ARTICLES = 500


def test_a_killed_worker_or_ingest_loses_nothing_after_a_rerun(tmp_path: Path) -> None:
    """SIGKILL a worker, then the ingest itself, then Ctrl-C it; a re-run then ends consistent."""
    folder, data = tmp_path / "news", tmp_path / "data"
    _write_articles(folder, ARTICLES)
    cmd = [sys.executable, "-m", "assistant.cli", "--data-dir", str(data), "ingest", str(folder), "--json",
           "--no-progress", "--workers", "2"]
    tmp = tmp_path / "tmp"  # where the workers spool their results
    tmp.mkdir()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(tmp)}

    run = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim, survivor = _workers_of(run.pid, 2)
    time.sleep(6)  # the model loaded, batches embedding
    os.kill(victim, signal.SIGKILL)
    out, err = run.communicate(timeout=120)  # the ingest notices and stops: no hang
    assert run.returncode == 4, err
    report = json.loads(out)
    assert report["failed"][-1]["source"] == "ingest worker" and "run the same command again" in report["failed"][-1]["reason"]
    assert _gone([survivor], 10)

    run = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = _workers_of(run.pid, 2)
    time.sleep(6)
    run.send_signal(signal.SIGKILL)  # the ingest itself: its workers must not live on
    run.wait()
    assert _gone(workers, 10), "orphaned ingest workers"
    assert list(tmp.glob("newsdesk-ingest-*")) == [], "the workers' spool folder is left behind"

    run = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    workers = _workers_of(run.pid, 2)
    time.sleep(6)
    assert run.poll() is None, "the ingest ended before it could be interrupted: give it more articles"
    os.killpg(run.pid, signal.SIGINT)  # Ctrl-C on a terminal: the whole process group
    out, err = run.communicate(timeout=60)
    assert (run.returncode, err) == (130, "newsdesk: interrupted\n")  # one line, no worker's traceback
    assert _gone(workers, 10)

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    store = Index(make_settings(data))
    urls = [a["url"] for a in store.list_articles(limit=1000)]
    assert sorted(urls) == sorted(f"https://news.example/{i}" for i in range(ARTICLES))  # each exactly once
    catalog_chunks = set(store.catalog.chunk_ids())
    assert catalog_chunks == set(store.vectors.ids()) == set(store.lexical_index().ids)
    assert store.catalog.pending_ids() == []
    assert list(tmp.glob("newsdesk-ingest-*")) == []


def _numbers(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _pool(tmp_path: Path, workers: int) -> ingest.parallel._Pool:
    context = multiprocessing.get_context("spawn")
    return ingest.parallel._Pool(workers, context, make_settings(tmp_path), context.Event())


def test_the_pool_survives_ctrl_c_at_start_hands_results_over_in_files_and_breaks_when_a_worker_dies(
        tmp_path: Path) -> None:
    """The pool under ``--workers``: a worker that gets Ctrl-C while it is still starting lives on (it
    starts with Ctrl-C blocked); large results come back whole and their files are removed; a worker
    killed mid-task breaks the pool at once (no hang); shutdown removes the spool."""
    pool = _pool(tmp_path, 2)
    try:
        first = pool.submit(os.getpid)
        for process in list(pool._processes.values()):  # type: ignore[attr-defined]
            os.kill(process.pid, signal.SIGINT)  # it is still importing: Python's handler is not yet replaced
        assert first.result(timeout=120) in {p.pid for p in pool._processes.values()}  # type: ignore[attr-defined]
        results = [pool.submit(_numbers, 2_000_000) for _ in range(4)]  # 16 MB each: far more than a pipe holds
        assert all(np.array_equal(r.result(timeout=120), _numbers(2_000_000)) for r in results)
        assert os.listdir(pool.spool.name) == []
        with pytest.raises(BrokenProcessPool):
            pool.submit(_die).result(timeout=120)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    assert not Path(pool.spool.name).exists()


def test_a_spool_folder_that_cannot_be_written_is_one_clear_error(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    pool = _pool(tmp_path, 1)
    try:
        shutil.rmtree(pool.spool.name)  # as a cleaner of old temp files might
        with pytest.raises(ConfigError, match="an ingest worker could not write its results under .*: set TMPDIR"):
            pool.submit(_numbers, 10).result(timeout=120)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "not-a-folder"))
    with pytest.raises(ConfigError, match="--workers needs a writable temp folder .*: set TMPDIR"):
        _pool(tmp_path, 1)
