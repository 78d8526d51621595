"""What the kill -9 tests of updates and deletes share: two versions of a small collection, a real
`newsdesk` subprocess held at the start line (so a kill lands in its work, not in its imports), and a
fresh reader's check that every story is whole: listed, in exactly one of its versions (text, chunks and
vectors of the same one), found by BM25 and by dense search, with the catalog, Chroma and BM25 agreeing."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import NotFoundError
from assistant.index import Filters, Index
from assistant.index.catalog import Catalog
from ingest.documents import doc_to_article
from ingest.sources import read_path

from .conftest import make_settings

WORDS = ("council budget river bridge school election harbour storm vaccine court minister tariff "
         "railway drought festival museum strike protest reactor satellite").split()

# Runs the real CLI once the test says "go" (imports done), with BATCH_CHUNKS from argv[1]: small batches
# give an update many batch boundaries, so a kill at a random moment lands inside the write protocol often.
HELD = ("import sys\n"
        "import assistant.cli, chromadb, ingest.pipeline\n"
        "ingest.pipeline.BATCH_CHUNKS = int(sys.argv[1])\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
        "sys.exit(assistant.cli.main(sys.argv[2:]))\n")


def codeword(i: int) -> str:
    """A word no other story has, in story ``i``'s headline (so BM25 finds exactly it)."""
    letters = "".join("bcdfghjklmnpqrstvwxz"[int(d)] for d in f"{i:03d}")
    return f"zork{letters}"


def write_versions(root: Path, n: int, edited: int, seed: int = 7) -> tuple[Path, Path]:
    """Folders ``old`` and ``new`` of ``n`` stories each; the first ``edited`` differ (a sentence rewritten,
    every third one also a sentence shorter)."""
    rng = random.Random(seed)
    old, new = [], []
    for i in range(n):
        sentences = [f"The {rng.choice(WORDS)} in town {i} saw {rng.randint(2, 900)} people on day {j}, "
                     "officials said." for j in range(rng.randint(8, 24))]
        record = {"title": f"Story {i} {codeword(i)}", "url": f"https://news.example/{i}", "source": "Example Wire",
                  "published": f"2024-0{1 + i % 9}-1{i % 10}", "text": " ".join(sentences)}
        old.append(record)
        if i < edited:
            changed = list(sentences)
            changed[len(changed) // 2] = f"Revised figures for town {i} came in on Tuesday, the mayor said."
            if i % 3 == 0:
                changed.pop()
            record = {**record, "text": " ".join(changed)}
        new.append(record)
    folders = root / "old", root / "new"
    for folder, records in zip(folders, (old, new), strict=True):
        folder.mkdir(parents=True)
        (folder / "stories.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folders


def versions_of(*folders: Path) -> dict[str, dict[str, str]]:
    """Article id -> {text: content hash} of each version the folders hold, as ingest reads them."""
    out: dict[str, dict[str, str]] = {}
    for folder in folders:
        for path in sorted(folder.iterdir()):
            for doc in read_path(path):
                article = doc_to_article(doc)
                assert article is not None
                out.setdefault(article.id, {})[article.text] = article.content_hash
    return out


def env_for(catalog_url: str | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NEWSDESK_EMBED_THREADS": "1"}
    if catalog_url:
        env["NEWSDESK_DATABASE_URL"] = catalog_url
    return env


@dataclass
class Held:
    """A `newsdesk` process that has done its imports and waits for :meth:`go`."""

    proc: subprocess.Popen[str]

    @classmethod
    def start(cls, data: Path, catalog_url: str | None, batch_chunks: int, *args: str) -> Held:
        proc = subprocess.Popen([sys.executable, "-c", HELD, str(batch_chunks), "--data-dir", str(data), *args],
                                env=env_for(catalog_url), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        return cls(proc)

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def kill_after(self, seconds: float) -> bool:
        """SIGKILL it ``seconds`` from now unless it ended first; whether it was killed."""
        try:
            self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            return True
        return False

    def kill_after_commits(self, catalog: Catalog, commits: int, seconds: float, in_flight: bool = False) -> bool:
        """SIGKILL it ``seconds`` after it has committed ``commits`` writes (the catalog's generation moved
        that often: an ingest's batches, a delete) and, with ``in_flight``, has then begun another one (the
        catalog lists articles being written), so the kill lands in the middle of its writes."""
        start, deadline = catalog.generation(), time.monotonic() + 120
        while self.proc.poll() is None and (catalog.generation() < start + commits
                                            or in_flight and not catalog.pending_ids()):
            assert time.monotonic() < deadline, "the ingest wrote nothing for two minutes"
            time.sleep(0.005)
        return self.kill_after(seconds)


@contextmanager
def fresh_index(data: Path, catalog_url: str | None) -> Iterator[Index]:
    """An Index as a new process would open it: embedded Chroma caches a collection's state per process
    (it is one process's store), so its cache is dropped first, then the Index is closed with it."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    store = Index(make_settings(data, database_url=catalog_url))
    try:
        yield store
    finally:
        store.close()
        SharedSystemClient.clear_system_cache()


def _ready_chunks(store: Index, article_id: str) -> list[str]:
    return [cid for cid, _ in store.embedding_texts(article_id)]


def check_whole(data: Path, catalog_url: str | None, versions: dict[str, dict[str, str]],
                gone: set[str] = frozenset(), settled: bool = False) -> dict[str, str]:  # type: ignore[assignment]
    """With a fresh reader: every story of ``versions`` but those in ``gone`` is there and whole, in one of
    its versions; each of ``gone`` is either whole or entirely absent. The catalog's chunks are exactly
    BM25's and each has its vector; ``settled`` (after a recovery): Chroma holds nothing else either.
    Returns article id -> the text each present story has."""
    with fresh_index(data, catalog_url) as store:
        listed = {a["id"] for a in store.list_articles(limit=100_000)}
        lost = sorted(set(versions) - gone - listed)
        assert not lost, f"{len(lost)} of {len(versions)} stories are not visible, e.g. {lost[:3]}"
        every_chunk = set(store.catalog.chunk_ids())
        ready = {cid for cid, _ in store.embedding_texts()}
        bm25 = set(store.lexical_index().ids)
        chroma = set(store.vectors.ids())
        assert every_chunk == ready == bm25, "the catalog's chunks and BM25's differ"
        missing = ready - chroma
        assert not missing, f"{len(missing)} ready chunks have no vector, e.g. {sorted(missing)[:3]}"
        if settled:
            assert chroma == ready, f"{len(chroma - ready)} vectors in Chroma belong to no story"
        texts = {}
        for article_id in sorted(set(versions) & listed):
            texts[article_id] = _whole(store, article_id, versions[article_id])
        for article_id in sorted(gone - listed):
            with_prefix = {c for c in every_chunk if c.startswith(f"{article_id}-")}
            assert not with_prefix, f"{article_id} is half deleted: chunks left in the catalog"
            try:
                store.article_text(article_id)
            except NotFoundError:
                continue
            raise AssertionError(f"{article_id} is half deleted: not listed but its text is still stored")
        return texts


def _whole(store: Index, article_id: str, versions: dict[str, str]) -> str:
    """One story is one of its versions: text, content hash and chunk ids agree, BM25 finds it by its
    headline's word, and a dense search with its first chunk's vector finds that chunk."""
    text = store.article_text(article_id)
    assert text in versions, f"{article_id} holds a text that is none of its versions"
    content_hash = store.article_hash(article_id)
    assert content_hash == versions[text], f"{article_id}: its text and its stored hash are of other versions"
    chunks = _ready_chunks(store, article_id)
    assert chunks and all(c.startswith(f"{article_id}-{content_hash[:8]}-") for c in chunks), (
        f"{article_id}: chunks of another version than its text: {chunks}")
    word = store.article_meta(article_id).title.split()[-1]
    hits = [cid for cid, _ in store.lexical_search(word, 3)]
    assert hits and hits[0] in chunks, f"BM25 does not find {article_id} by {word!r}"
    first = sorted(chunks)[0]
    vector = store.vectors.get([first])[first]
    dense = [cid for cid, _ in store.dense_search(vector.tolist(), 5, Filters())]
    assert first in dense, f"dense search does not find {article_id}'s chunk {first}"
    return text
