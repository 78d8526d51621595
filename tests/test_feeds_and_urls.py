"""RSS/Atom feeds, and ingest by URL from a real HTTP server on 127.0.0.1 (private addresses refused
unless allowed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

from assistant.config import Settings
from assistant.errors import IngestError
from assistant.index import Index
from assistant.index.embeddings import LocalMiniLM
from ingest.fetch import check_host
from ingest.pipeline import doc_to_article, ingest_paths
from ingest.sources import read_path

from .conftest import ServerThread, make_settings

RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Harbour Gazette</title>
<item><title>Storm closes harbour</title><link>https://gazette.example/storm</link>
<pubDate>Tue, 13 Aug 2024 09:00:00 GMT</pubDate><author>Ann Reporter</author>
<description><![CDATA[<p>The harbour in Portsmouth closed on Tuesday as a storm moved in.</p><p>Ferries were cancelled, the port authority said.</p>]]></description></item>
<item><title>Harbour reopens</title><link>https://gazette.example/reopen</link>
<description>The harbour reopened on Thursday after the storm passed, officials said.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title>
<entry><title>Council votes</title><link href="https://wire.example/council"/><updated>2024-08-15T10:00:00Z</updated>
<content type="html">&lt;p&gt;The city council voted 7-2 to repair the bridge, the mayor said.&lt;/p&gt;</content></entry></feed>"""

PAGE = "<html><head><title>Bridge repair approved</title></head><body><article><h1>Bridge repair approved</h1>" + \
    "".join(f"<p>The council approved the bridge repair on Monday, sentence {i} of the story.</p>" for i in range(6)) + \
    "</article></body></html>"


def test_rss_and_atom_entries(tmp_path: Path) -> None:
    (tmp_path / "feed.rss").write_text(RSS)
    (tmp_path / "wire.atom").write_text(ATOM)
    rss = [doc_to_article(d) for d in read_path(tmp_path / "feed.rss")]
    assert [a.title for a in rss if a] == ["Storm closes harbour", "Harbour reopens"]
    first = rss[0]
    assert first is not None
    assert first.url == "https://gazette.example/storm" and first.source == "Harbour Gazette"
    assert first.published is not None and first.published.isoformat() == "2024-08-13"
    assert first.byline == "Ann Reporter"
    assert "<p>" not in first.text and "Ferries were cancelled" in first.text
    assert rss[1] is not None and rss[1].published is None  # no date in the feed: unknown
    atom = [doc_to_article(d) for d in read_path(tmp_path / "wire.atom")]
    assert atom[0] is not None and atom[0].published is not None and "voted 7-2" in atom[0].text


def _site() -> FastAPI:
    app = FastAPI()

    @app.get("/story")
    def story() -> HTMLResponse:
        return HTMLResponse(PAGE)

    @app.get("/feed")
    def feed() -> Response:
        return Response(RSS, media_type="application/rss+xml")

    @app.get("/moved")
    def moved() -> Response:
        return Response(status_code=302, headers={"location": "/story"})

    @app.get("/huge")
    def huge() -> Response:
        return Response("x" * 3_000_000, media_type="text/plain")

    return app


def test_url_ingest_refuses_private_addresses_by_default(tmp_path: Path, embedder: LocalMiniLM) -> None:
    settings = make_settings(tmp_path / "d")
    with ServerThread(_site()) as site:
        report = ingest_paths([f"{site.url}/story"], Index(settings), embedder, settings, progress=False)
    assert report.status == "failed"
    assert "refusing a private, loopback or link-local address (127.0.0.1)" in report.failed[0]["reason"]
    with pytest.raises(IngestError, match="169.254.169.254"):
        check_host("http://169.254.169.254/latest/meta-data/", allow_private=False)
    with pytest.raises(IngestError, match="only http"):
        check_host("file:///etc/passwd", allow_private=True)


def test_url_ingest_pages_feeds_redirects_and_caps(tmp_path: Path, embedder: LocalMiniLM) -> None:
    settings: Settings = make_settings(tmp_path / "d", allow_private_urls=True, fetch_max_bytes=1_000_000)
    store = Index(settings)
    with ServerThread(_site()) as site:
        report = ingest_paths([f"{site.url}/story", f"{site.url}/feed", f"{site.url}/moved", f"{site.url}/huge"],
                              store, embedder, settings, progress=False)
    data = report.to_dict()
    assert data["added"] == 3, data  # the page, and the feed's two entries
    assert data["unchanged"] == 1  # /moved redirects to /story: the same article
    assert [f["reason"] for f in data["failed"]] == ["response is over the 1 MB cap"]
    titles = sorted(a["title"] for a in store.list_articles())
    assert titles == ["Bridge repair approved", "Harbour reopens", "Storm closes harbour"]
