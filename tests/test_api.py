"""The HTTP API against a real server on 127.0.0.1."""

from __future__ import annotations

import httpx

from assistant.http.app import create_app
from assistant.service import Newsdesk

from .conftest import ServerThread


def test_ask_search_health_over_http(seed_desk: Newsdesk) -> None:
    with ServerThread(create_app(seed_desk)) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            health = client.get("/healthz").json()
            assert health["status"] == "ok" and health["mode"] == "extractive" and health["chunks"] > 0

            r = client.post("/v1/ask", json={"question": "what did Tykhyi say about occupation?"})
            assert r.status_code == 200
            body = r.json()
            assert list(body) == ["question", "answer", "refused", "short_answer", "citations", "confidence", "timings_ms"]
            assert not body["refused"]
            assert any("we want to protect the lives of our people" in c["quote"] for c in body["citations"])

            r = client.post("/v1/ask", json={"question": "Who won the Super Bowl?"})
            assert r.json()["refused"] is True and r.json()["citations"] == []

            r = client.get("/v1/search", params={"q": "settlements", "k": 2})
            assert r.status_code == 200 and 1 <= len(r.json()["results"]) <= 2

            assert client.post("/v1/ask", json={"question": ""}).status_code == 422
            assert client.post("/v1/ask", json={"question": "x" * 5000}).status_code == 422
            r = client.post("/v1/ask", json={"question": "   "})
            assert r.status_code == 400 and r.json()["detail"] == "the question is empty"
            r = client.post("/v1/ask", json={"question": "q", "since": "2024-02-01", "until": "2024-01-01"})
            assert r.status_code == 400 and r.json()["detail"] == "the start date 2024-02-01 is after the end date 2024-01-01"

            page = client.get("/")
            assert page.status_code == 200 and "<html" in page.text.lower()
            assert client.get("/openapi.json").json()["info"]["title"] == "newsdesk"


def test_date_filter_excludes_undated_stories(seed_desk: Newsdesk) -> None:
    with ServerThread(create_app(seed_desk, with_page=False)) as server:
        r = httpx.post(f"{server.url}/v1/ask", json={"question": "How many settlements do Ukrainian forces control?",
                                                     "since": "2024-01-01"}, timeout=30)
        assert r.status_code == 200 and r.json()["refused"] is True


def _ask_together(url: str, n: int) -> list[int]:
    """n clients post one question each at the same instant; their HTTP statuses."""
    import threading

    start, statuses = threading.Barrier(n), []

    def ask() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            start.wait()
            statuses.append(http.post("/v1/ask", json={"question": "What did Tykhyi say?"}).status_code)

    threads = [threading.Thread(target=ask) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_concurrent_first_requests_to_a_fresh_server_all_answer(seed_dir, embedder) -> None:  # type: ignore[no-untyped-def]
    """The Chroma collection opens on first use; two requests arriving together used to open it twice,
    and chromadb failed one of them (503 "cannot open the Chroma index"). Eight at once, five times."""
    from assistant.service import open_newsdesk

    from .conftest import make_settings

    for _ in range(5):
        desk = open_newsdesk(make_settings(seed_dir), embedder=embedder)  # nothing opened yet
        with ServerThread(create_app(desk, with_page=False)) as server:
            statuses = _ask_together(server.url, 8)
        desk.store.close()
        assert statuses == [200] * 8
