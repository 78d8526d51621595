"""How long a new article takes to become searchable on a replica whose lexical index is large.

    python -m benchmarks.lexical_catchup [--articles 8800] [--database-url postgresql://...]

Synthesises a catalog of ~13 chunks an article (Zipf-distributed words, as news text roughly is; the
2024 corpus is ~8.8k articles, ~112k chunks), builds the lexical index once (what a rebuild costs), then
writes one article through a second catalog connection (another replica) and times, on the first: the
catch-up from the change log until a search finds it, a delete until it is gone, and query latency with
and without a delta. Prints JSON. No Chroma: the lexical side is what a change used to rebuild.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.index.catalog import Catalog, Item
from assistant.index.lexical_live import LexicalIndex
from assistant.index.vectors import ChunkDays
from assistant.models import Article, Chunk

__all__ = ["main"]

CHUNKS_PER_ARTICLE = 13
WORDS_PER_CHUNK = 130


def _vocabulary(rng: np.random.Generator, size: int = 40_000) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return np.array(["".join(rng.choice(letters, rng.integers(4, 10))) for _ in range(size)])


def _article(n: int, words: np.ndarray, rng: np.random.Generator, extra: str = "") -> Item:
    ranks = np.minimum(rng.zipf(1.15, CHUNKS_PER_ARTICLE * WORDS_PER_CHUNK), len(words)) - 1
    pieces = [" ".join(words[ranks[i * WORDS_PER_CHUNK:(i + 1) * WORDS_PER_CHUNK]]) + "." for i in range(CHUNKS_PER_ARTICLE)]
    pieces[0] = f"{extra} {pieces[0]}".strip()
    text, chunks, start = "", [], 0
    for i, piece in enumerate(pieces):
        text += piece + "\n\n"
        chunks.append(Chunk(id=f"s{n:06d}-{i:04d}", article_id=f"s{n:06d}", index=i, text=piece, start=start,
                            end=start + len(piece)))
        start = len(text)
    article = Article(id=f"s{n:06d}", title=f"Story {n} {words[ranks[0]]}", text=text,
                      published=dt.date(2024, 1, 1) + dt.timedelta(days=n % 366),
                      content_hash=f"c{n}", text_hash=f"t{n}")
    return article, chunks, np.zeros((len(chunks), 1), dtype=np.float32), []


def _fill(catalog: Catalog, articles: int, words: np.ndarray, rng: np.random.Generator) -> None:
    for lo in range(0, articles, 200):
        items = [_article(n, words, rng) for n in range(lo, min(lo + 200, articles))]
        catalog.write_pending(items)
        catalog.mark_ready(items)


def _until(condition: Any, timeout_s: float = 120.0) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError("condition not met")
    return time.perf_counter() - started


def _query_ms(index: LexicalIndex, queries: list[str]) -> float:
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(q, 40, lambda days: None)
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2)


def run(articles: int, database_url: str | None, folder: Path) -> dict[str, Any]:
    rng = np.random.default_rng(14)
    words = _vocabulary(rng)
    location: Path | str = database_url or folder / "catalog.sqlite3"
    replica_a, replica_b = Catalog(location), Catalog(location)
    t = time.perf_counter()
    _fill(replica_b, articles, words, rng)
    fill_s = time.perf_counter() - t
    index = LexicalIndex(folder / "lexical", replica_a)
    t = time.perf_counter()
    index.at(replica_a.generation())
    build_s = time.perf_counter() - t
    queries = [" ".join(words[rng.integers(0, 3000, 4)]) for _ in range(30)]
    plain_ms = _query_ms(index, queries)

    new = _article(articles + 1, words, rng, extra="zeppelinharbour")
    t0 = time.perf_counter()
    replica_b.write_pending([new])
    replica_b.mark_ready([new])
    written_s = time.perf_counter() - t0

    def found() -> bool:
        hits = index.at(replica_a.generation()).search("zeppelinharbour", 5, lambda days: None)
        return bool(hits) and hits[0][0].startswith(new[0].id)

    searchable_s = _until(found) + written_s
    delta_ms = _query_ms(index, queries)
    t = time.perf_counter()
    _, generation, ids, days = index.rows()
    ChunkDays(generation, ids, days)  # what the dense side's date windows rebuild per change
    dates_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    replica_b.remove([new[0].id])
    _until(lambda: not index.at(replica_a.generation()).search("zeppelinharbour", 5, lambda d: None))
    gone_total_s = time.perf_counter() - t
    t = time.perf_counter()
    replica_a.generation()
    poll_ms = (time.perf_counter() - t) * 1000
    for c in (replica_a, replica_b):
        c.close()
    return {
        "catalog": "postgresql" if database_url else "sqlite", "articles": articles,
        "chunks": index.delta.main.n, "fill_s": round(fill_s, 1), "full_rebuild_s": round(build_s, 2),
        "one_article_searchable_s": round(searchable_s, 3), "write_s": round(written_s, 3),
        "one_delete_gone_s": round(gone_total_s, 3), "generation_poll_ms": round(poll_ms, 2),
        "chunk_dates_refresh_ms": round(dates_ms, 1), "query_ms_median_no_delta": plain_ms,
        "query_ms_median_with_delta": delta_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=8800)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL database (default: SQLite in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsdesk-catchup-") as folder:
        print(json.dumps(run(args.articles, args.database_url, Path(folder)), indent=2))


if __name__ == "__main__":
    main()
