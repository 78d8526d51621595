"""Other web pages cannot act on a keyless server (issue 27, item 6), over a real server on 127.0.0.1:
no cross-site writes (text/plain, forms, another localhost port), no DNS rebinding (unknown Host
headers), no cross-origin reads or preflights unless configured; the page's and API's own clients pass."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.datastructures import Headers

from assistant.config import Settings
from assistant.http.app import create_app
from assistant.http.origin import policy_from, refusal
from assistant.index.embeddings import LocalMiniLM
from assistant.service import open_newsdesk

from .conftest import ServerThread, make_settings

pytestmark = pytest.mark.slow

STORY = {"title": "Planted story", "text": "A planted story says the harbour in Portsmouth is closed forever.",
         "source": "Planter"}
EVIL = "http://evil.example"


def _count(c: httpx.Client) -> int:
    return int(c.get("/v1/stats").json()["articles"])


def _problem(r: httpx.Response, status: int) -> dict[str, object]:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body: dict[str, object] = r.json()
    assert set(body) == {"type", "title", "status", "detail"} and body["status"] == status
    return body


def test_cross_site_writes_are_refused(seed_dir: Path, embedder: LocalMiniLM) -> None:
    desk = open_newsdesk(make_settings(seed_dir), embedder=embedder)
    with ServerThread(create_app(desk)) as server, httpx.Client(base_url=server.url, timeout=60) as c:
        import json

        before = _count(c)
        # what a form or fetch(mode: "no-cors") on any page can send without a preflight
        plain = c.post("/v1/articles", content=json.dumps(STORY), headers={"content-type": "text/plain", "origin": EVIL})
        _problem(plain, 403)
        _problem(c.post("/v1/articles", content=json.dumps(STORY), headers={"content-type": "text/plain"}), 415)
        _problem(c.post("/v1/articles", data={"title": "x", "text": "y"}), 415)
        _problem(c.post("/v1/articles", content=json.dumps(STORY).encode()), 415)  # a Blob: no type at all
        _problem(c.post("/v1/articles", json=STORY, headers={"origin": "null"}), 403)
        _problem(c.post("/v1/articles", json=STORY, headers={"sec-fetch-site": "cross-site"}), 403)
        _problem(c.post("/v1/articles", json=STORY, headers={"sec-fetch-site": "same-site"}), 403)
        _problem(c.post("/v1/articles", json=STORY, headers={"referer": EVIL + "/page"}), 403)
        assert _count(c) == before

        # a page on another port of this machine: its preflight gets no CORS answer, its DELETE is refused
        article = c.get("/v1/articles").json()["articles"][0]["id"]
        other_port = f"http://localhost:{server.port + 1}"
        preflight = c.options(f"/v1/articles/{article}", headers={
            "origin": other_port, "access-control-request-method": "DELETE"})
        assert "access-control-allow-origin" not in preflight.headers
        _problem(preflight, 403)
        _problem(c.delete(f"/v1/articles/{article}", headers={"origin": other_port}), 403)
        _problem(c.get("/config", headers={"origin": other_port}), 403)  # nor can it read the page's data
        assert _count(c) == before

        # the server's own origin, and clients that send no Origin (curl, the SDKs), pass
        own = {"origin": server.url, "sec-fetch-site": "same-origin", "referer": server.url + "/"}
        assert c.post("/v1/articles", json=STORY, headers=own).json()["added"] == 1
        assert c.post("/v1/ask", json={"question": "Is the harbour closed?"}).status_code == 200
        assert c.delete(f"/v1/articles/{article}", headers={"origin": server.url}).status_code == 200
        assert c.post("/v1/articles", files={"f": ("s.txt", b"Title\n\nSome text about a harbour.", "text/plain")},
                      headers={"sec-fetch-site": "none"}).status_code == 200


def test_unknown_host_headers_are_refused(seed_dir: Path, embedder: LocalMiniLM) -> None:
    desk = open_newsdesk(make_settings(seed_dir), embedder=embedder)
    with ServerThread(create_app(desk)) as server, httpx.Client(base_url=server.url, timeout=60) as c:
        port = server.port
        for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}", f"localhost@evil:{port}",
                     "127.0.0.1:notaport"):
            _problem(c.get("/v1/stats", headers={"host": host}), 400)
            assert c.get("/", headers={"host": host}).status_code == 400  # the page too
            assert c.post("/gradio_api/queue/join", json={}, headers={"host": host}).status_code == 400
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "LOCALHOST", "127.0.0.1"):
            assert c.get("/v1/stats", headers={"host": host}).status_code == 200, host
        assert c.get("/healthz", headers={"host": "10.1.2.3:7860"}).status_code == 200  # probes by IP


def test_allowed_hosts_and_configured_origins(seed_dir: Path, embedder: LocalMiniLM) -> None:
    settings = make_settings(seed_dir, host="0.0.0.0", allowed_hosts="news.example, [2001:db8::1]",
                             cors_origins="https://app.example")
    desk = open_newsdesk(settings, embedder=embedder)
    with ServerThread(create_app(desk)) as server, httpx.Client(base_url=server.url, timeout=60) as c:
        assert c.get("/v1/stats", headers={"host": "news.example"}).status_code == 200
        assert c.get("/v1/stats", headers={"host": "[2001:db8::1]:8080"}).status_code == 200
        assert c.get("/v1/stats", headers={"host": f"localhost:{server.port}"}).status_code == 200
        _problem(c.get("/v1/stats", headers={"host": "0.0.0.0"}), 400)  # not a name anyone browses to
        _problem(c.get("/v1/stats", headers={"host": "other.example"}), 400)
        app = {"origin": "https://app.example", "access-control-request-method": "POST"}
        preflight = c.options("/v1/ask", headers=app)
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "https://app.example"
        asked = c.post("/v1/ask", json={"question": "How many settlements?"}, headers={"origin": "https://app.example"})
        assert asked.status_code == 200 and asked.headers["access-control-allow-origin"] == "https://app.example"
        _problem(c.post("/v1/ask", json={"question": "x"}, headers={"origin": "https://evil.example"}), 403)
        # behind a TLS proxy that keeps Host: the browser's https origin is the server's own
        same = c.post("/v1/ask", json={"question": "How many settlements?"},
                      headers={"host": "news.example", "origin": "https://news.example"})
        assert same.status_code == 200
    star = make_settings(seed_dir, allowed_hosts="*")
    with ServerThread(create_app(open_newsdesk(star, embedder=embedder), with_page=False)) as server:
        assert httpx.get(server.url + "/v1/stats", headers={"host": "anything.example"}).status_code == 200


@pytest.mark.parametrize(("host", "origin", "ok"), [
    ("localhost:7860", "http://localhost:7860", True),
    ("localhost:7860", "http://localhost:7861", False),
    ("localhost:7860", "https://localhost:7860", True),   # a TLS proxy in front keeps host and port
    ("news.example", "https://news.example", True),
    ("news.example", "http://news.example:8080", False),
    ("[::1]:7860", "http://[::1]:7860", True),
    ("[::1]:7860", "http://127.0.0.1:7860", False),
    ("localhost:7860", "null", False),
    ("localhost:7860", "not a url", False),
])
def test_what_counts_as_the_same_origin(host: str, origin: str, ok: bool) -> None:
    policy = policy_from(Settings(allowed_hosts="news.example"))
    refused = refusal("POST", "/v1/ask", Headers({"host": host, "origin": origin, "content-type": "application/json"}),
                      policy)
    assert (refused is None) == ok, refused
