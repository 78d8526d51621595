"""Uploads a hostile user sends to POST /v1/articles: a gzip bomb is refused for its decompressed size (413
when it is all there is, listed in ``failed`` beside the rest otherwise); files newsdesk cannot read are
listed with the reason, not skipped in silence; the per-request cap on articles counts the records in
files, on the page's uploads too."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.http.app import create_app
from assistant.service import Newsdesk, open_newsdesk

from .conftest import SAMPLE, ServerThread, make_settings
from .test_capped_reading import gzip_bomb

pytestmark = pytest.mark.slow

MiB = 2**20
PROBLEM_KEYS = {"type", "title", "status", "detail"}


@pytest.fixture
def desk(seed_dir: Path, embedder: Any) -> Newsdesk:
    return open_newsdesk(make_settings(seed_dir, max_file_bytes=4 * MiB, max_articles_per_request=5),
                         embedder=embedder)


@pytest.fixture
def client(desk: Newsdesk) -> Any:
    with ServerThread(create_app(desk, with_page=False)) as server, \
            httpx.Client(base_url=server.url, timeout=120) as c:
        yield c


def _articles(desk: Newsdesk) -> int:
    return int(desk.stats()["articles"])


def test_a_gzip_bomb_is_413_alone_and_listed_beside_the_rest(tmp_path: Path, desk: Newsdesk, client: httpx.Client) -> None:
    bomb = gzip_bomb(tmp_path / "bomb.txt.gz", 64 * MiB).read_bytes()  # 64 MiB of text, ~60 KB compressed
    reason = ("expands to more than 4 MiB when decompressed, over the 4 MiB cap on a file's size "
              "(NEWSDESK_MAX_FILE_BYTES)")
    r = client.post("/v1/articles", files={"files": ("bomb.txt.gz", bomb, "application/gzip")})
    assert r.status_code == 413
    assert r.json() == {"type": "PayloadTooLarge", "title": "newsdesk error", "status": 413,
                        "detail": f"nothing was ingested: bomb.txt.gz: {reason}"}
    story = b"Harbour reopens\n\nThe harbour in Portsmouth reopened on Thursday after a week of repairs, officials said."
    r = client.post("/v1/articles", files=[("files", ("bomb.txt.gz", bomb, "application/gzip")),
                                           ("files", ("harbour.txt", story, "text/plain"))])
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["added"], r.json()["files"]) == ("partial", 1, 2)
    assert r.json()["failed"] == [{"source": "bomb.txt.gz", "reason": reason}]


def test_files_newsdesk_cannot_read_are_listed_with_the_reason(desk: Newsdesk, client: httpx.Client) -> None:
    odd = [("files", ("stories.zip", b"PK\x03\x04 not really", "application/zip")),
           ("files", ("setup.exe", b"MZ\x90\x00", "application/octet-stream")),
           ("files", ("..", b"Some text.", "text/plain"))]
    r = client.post("/v1/articles", files=odd)
    assert r.status_code == 422
    problem = r.json()
    assert set(problem) == PROBLEM_KEYS and problem["type"] == "IngestError"
    reads = ".txt, .md, .markdown, .html, .htm, .json, .jsonl, .ndjson, .csv, .rss, .atom, .xml, each optionally gzipped (.gz)"
    assert problem["detail"] == (f"nothing was ingested: stories.zip: unsupported file type .zip: newsdesk reads {reads}; "
                                 f"setup.exe: unsupported file type .exe: newsdesk reads {reads}; "
                                 f"..: unsupported file type (none): newsdesk reads {reads}")
    r = client.post("/v1/articles", files=[*odd, ("files", ("kursk-ap.txt", SAMPLE.read_bytes(), "text/plain"))])
    assert r.status_code == 200 and r.json()["status"] == "partial" and r.json()["files"] == 4
    assert [f["source"] for f in r.json()["failed"]] == ["stories.zip", "setup.exe", ".."]
    assert "/tmp" not in r.text and "0000-" not in r.text
    long = "x" * 300  # a name longer than a file name may be: saved under ours, shown cut
    r = client.post("/v1/articles", files=[("files", (f"{long}.txt", b"Harbour\n\nThe harbour reopened on Thursday.", "text/plain")),
                                           ("files", (f"{long}.zip", b"PK", "application/zip"))])
    assert r.status_code == 200 and r.json()["added"] == 1
    assert r.json()["failed"][0]["source"] == "x" * 200 + "…"


def test_the_cap_on_articles_counts_the_records_of_uploaded_files(desk: Newsdesk, client: httpx.Client) -> None:
    def jsonl_gz(n: int) -> bytes:
        return gzip.compress("\n".join(json.dumps({"title": f"Story {i}", "text": f"Story number {i} happened."})
                                       for i in range(n)).encode())

    before = _articles(desk)
    r = client.post("/v1/articles", files={"files": ("many.jsonl.gz", jsonl_gz(6), "application/gzip")})
    assert r.status_code == 400
    assert r.json() == {"type": "InputError", "title": "newsdesk error", "status": 400,
                        "detail": "at most 5 articles per request, and the upload holds more (nothing was ingested): "
                                  "split it"}
    files = [("files", (f"part{i}.jsonl", b'{"title": "A", "text": "Story A happened."}\n' * 3, "application/json"))
             for i in range(2)]  # 3 + 3 records in two files
    assert client.post("/v1/articles", files=files).status_code == 400
    assert _articles(desk) == before  # nothing half-ingested
    r = client.post("/v1/articles", files={"files": ("five.jsonl.gz", jsonl_gz(5), "application/gzip")})
    assert r.status_code == 200 and r.json()["added"] == 5


def test_the_pages_upload_counts_the_records_of_its_files_too(tmp_path: Path, desk: Newsdesk) -> None:
    from assistant.http.uploads import ingest_files

    many = tmp_path / "many.jsonl"
    many.write_text("\n".join(json.dumps({"title": f"S{i}", "text": f"Story {i} happened."}) for i in range(6)))
    before = _articles(desk)
    report = ingest_files(desk, [many])
    assert report["status"] == "failed" and report["added"] == 0 and _articles(desk) == before
    assert report["failed"] == [{"source": "the upload", "reason": "at most 5 articles per request, and the upload "
                                                                   "holds more (nothing was ingested): split it"}]
