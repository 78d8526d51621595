"""Benchmark commands that print figures as JSON (edges: they drive ingest and a real server).

    newsdesk bench ingest --articles FILE --limit N [--workers N]
    newsdesk bench serve --data-dir DIR --clients 8 --duration 60 [--questions FILE]
    newsdesk bench serve --url http://replica-1:7860 --url http://replica-2:7860 --clients 8 --duration 60
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.config import Settings

__all__ = ["bench_ingest", "bench_serve", "load", "wait_until_ready"]


def wait_until_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float, log: Path | None = None) -> None:
    """Poll ``url`` until it answers 200; fail early if ``process`` exits or time runs out.

    Give a server's output a file (``log``), not a pipe: a chatty server blocks on a full pipe."""
    import httpx

    deadline = time.perf_counter() + timeout_s
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            detail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}: {detail}")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{url} not ready after {timeout_s:.0f} s")
        time.sleep(0.05)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _head(path: Path, limit: int | None, out: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        lines = [line for line in itertools.islice(f, limit) if line.strip()]
    out.write_text("".join(lines), encoding="utf-8")
    return [json.loads(line) for line in lines]


def bench_ingest(articles: Path, limit: int | None, field_map: dict[str, str] | None = None,
                 workers: int = 1) -> dict[str, Any]:
    """Pipeline vs raw embedder vs a naive LangChain pipeline, on the same articles; with ``workers`` > 1
    also the pipeline in that many worker processes, into an index of its own."""
    from assistant.index import Index
    from assistant.index.embeddings import LocalMiniLM
    from ingest.pipeline import ingest_paths

    embedder = LocalMiniLM()
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        sample = Path(tmp) / "articles.jsonl"
        records = _head(articles, limit, sample)
        settings = Settings(data_dir=Path(tmp) / "data")
        store = Index(settings)
        t0 = time.perf_counter()
        report = ingest_paths([sample], store, embedder, settings, field_map=field_map, progress=False)
        pipeline_s = time.perf_counter() - t0
        texts = [text for _, text in store.embedding_texts()]
        t1 = time.perf_counter()
        embedder.embed_array(texts)
        raw_s = time.perf_counter() - t1
        mean_tokens = statistics.mean(len(e.ids) for e in embedder._tokenizer.encode_batch(texts[:2000]))
        docs, naive_s = _naive_langchain(records, embedder, Path(tmp) / "naive")
        parallel = _ingest_in_workers(sample, Path(tmp) / "workers", field_map, workers, report.chunks / pipeline_s)

    # throughput counts input articles for both pipelines: ours stores a syndicated copy as a copy
    # (no chunks), the naive one embeds it again; both have handled it.
    n_articles = len(records)
    chunks_per_s = report.chunks / pipeline_s
    raw_per_s = len(texts) / raw_s
    naive_per_s = docs / naive_s
    return {
        "articles": n_articles,
        "stored": report.added + report.updated,
        "chunks": report.chunks,
        "failed": len(report.failed),
        "duplicates": report.duplicates + report.near_duplicates,
        "pipeline": {"seconds": round(pipeline_s, 2), "articles_per_s": round(n_articles / pipeline_s, 2),
                     "chunks_per_s": round(chunks_per_s, 2)},
        "raw_embedder": {"seconds": round(raw_s, 2), "chunks_per_s": round(raw_per_s, 2),
                         "mean_wordpiece_tokens": round(mean_tokens, 1), "model": embedder.model_id,
                         "sessions": embedder.workers},
        "pipeline_over_raw": round(chunks_per_s / raw_per_s, 3),
        "naive_langchain": {"seconds": round(naive_s, 2), "chunks": docs,
                            "articles_per_s": round(len(records) / naive_s, 2),
                            "chunks_per_s": round(naive_per_s, 2)},
        "pipeline_over_naive_articles_per_s": round((n_articles / pipeline_s) / (len(records) / naive_s), 3),
        **parallel,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def _naive_langchain(records: list[dict[str, Any]], embedder: Any, folder: Path) -> tuple[int, float]:
    """RecursiveCharacterTextSplitter 1,000/200 and ``Chroma.from_documents``: (chunks, seconds)."""
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    t0 = time.perf_counter()
    docs = splitter.split_documents(
        [Document(page_content=r.get("text") or "", metadata={"title": r.get("title") or ""}) for r in records]
    )
    Chroma.from_documents(docs, embedder, persist_directory=str(folder), collection_name="naive")
    return len(docs), time.perf_counter() - t0


def _ingest_in_workers(sample: Path, data_dir: Path, field_map: dict[str, str] | None, workers: int,
                      one_worker_chunks_per_s: float) -> dict[str, Any]:
    """The pipeline again with ``workers`` processes (each loads its own embedder), beside one worker's figure."""
    if workers < 2:
        return {}
    from assistant.index import Index
    from assistant.index.embeddings import LazyEmbeddings
    from ingest.pipeline import ingest_paths

    settings = Settings(data_dir=data_dir)
    t0 = time.perf_counter()
    report = ingest_paths([sample], Index(settings), LazyEmbeddings(settings), settings, field_map=field_map,
                          progress=False, workers=workers)  # the workers load the model; this process never does
    seconds = time.perf_counter() - t0
    chunks_per_s = report.chunks / seconds
    return {"workers": {"n": workers, "seconds": round(seconds, 2), "chunks": report.chunks,
                        "chunks_per_s": round(chunks_per_s, 2), "one_worker_chunks_per_s": round(one_worker_chunks_per_s, 2),
                        "over_one_worker": round(chunks_per_s / one_worker_chunks_per_s, 3), "cpus": os.cpu_count()}}


DEFAULT_QUESTIONS = [
    "What did Tykhyi say about occupation?",
    "How many settlements do Ukrainian forces control?",
    "What did the Russian Defense Ministry say?",
    "Who won the election?",
    "What happened with inflation?",
    "What did the president say about the economy?",
]


def _rss_peak_of(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def bench_serve(
    data_dir: Path, clients: int, duration: float, questions: list[tuple[str, str | None]], port: int
) -> dict[str, Any]:
    """Start `newsdesk serve` on 127.0.0.1, load it with concurrent /v1/ask clients, report figures.
    Each question is (text, reference date or None for today)."""
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(data_dir), "NEWSDESK_LLM_ENABLED": "false"}
    log = Path(tempfile.mkdtemp(prefix="newsdesk-bench-")) / "server.log"
    started = time.perf_counter()
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port",
                                   str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(f"{base}/healthz", server, 120, log)
        ready_s = time.perf_counter() - started
        figures = load([base], clients, duration, questions)
        return {**figures, "server_peak_rss_mb": round(_rss_peak_of(server.pid), 1), "ready_s": round(ready_s, 2)}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def load(bases: list[str], clients: int, duration: float, questions: list[tuple[str, str | None]]) -> dict[str, Any]:
    """``clients`` threads asking /v1/ask for ``duration`` seconds, client n against ``bases[n % len(bases)]``
    (running servers: one, or several replicas); answers/s, latency percentiles, errors."""
    latencies: list[float] = []
    errors: list[str] = []
    per_base = dict.fromkeys(bases, 0)
    refused = 0
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration

    def client(n: int) -> None:
        nonlocal refused
        base = bases[n % len(bases)]
        for ok, elapsed, body, error in _asking(base, questions, n, stop_at):
            with lock:
                if ok:
                    latencies.append(elapsed)
                    per_base[base] += 1
                    refused += int(bool(body and body.get("refused")))
                else:
                    errors.append(error)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    spread = {"answers_per_server": per_base} if len(bases) > 1 else {}
    return {
        "servers": len(bases),
        "clients": clients,
        "duration_s": round(wall, 1),
        "answers": len(latencies),
        "answers_per_s": round(len(latencies) / wall, 2),
        "latency_ms": {"p50": round(latencies[len(latencies) // 2], 1) if latencies else None,
                       "p95": round(latencies[int(len(latencies) * 0.95)], 1) if latencies else None},
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
        "refusal_rate": round(refused / max(len(latencies), 1), 3),
        **spread,
    }


def _asking(base: str, questions: list[tuple[str, str | None]], first: int,
            stop_at: float) -> Iterator[tuple[bool, float, dict[str, Any] | None, str]]:
    """(ok, milliseconds, answer, error) for one question after another until ``stop_at``."""
    import httpx

    with httpx.Client(base_url=base, timeout=30) as http:
        for i in itertools.count(first):
            if time.perf_counter() >= stop_at:
                return
            q, as_of = questions[i % len(questions)]
            t = time.perf_counter()
            try:
                r = http.post("/v1/ask", json={"question": q, "as_of": as_of})
            except httpx.HTTPError as exc:
                yield False, 0.0, None, repr(exc)
                continue
            elapsed = (time.perf_counter() - t) * 1000
            ok = r.status_code == 200
            yield ok, elapsed, r.json() if ok else None, "" if ok else f"HTTP {r.status_code}"
