"""The API's errors in its own terms: 405 with Allow for a wrong method, 422 naming the JSON fields for
an article that cannot be ingested; both as the problem JSON the API already uses."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from assistant.http.app import create_app
from assistant.service import Newsdesk

from .conftest import ServerThread


@pytest.mark.parametrize("with_page", [True, False])
def test_a_wrong_method_is_405_with_allow(seed_desk: Newsdesk, with_page: bool) -> None:
    with ServerThread(create_app(seed_desk, with_page=with_page)) as server, \
            httpx.Client(base_url=server.url, timeout=60) as c:
        # (the OpenAI routes answer in OpenAI's error shape: see the test below)
        for method, path, allow in [("GET", "/v1/ask", "POST"), ("PUT", "/v1/articles", "GET, POST"), ("GET", "/v1/articles/abc", "DELETE"),
                                    ("POST", "/healthz", "GET, HEAD")]:
            r = c.request(method, path)
            assert r.status_code == 405, (method, path, r.status_code, r.text[:200])
            assert r.headers["allow"] == allow
            assert r.json() == {"type": "MethodNotAllowed", "title": "newsdesk error", "status": 405,
                                "detail": f"{path} takes {allow}, not {method}"}
        r = c.get("/v1/no-such-thing")
        assert r.status_code == 404 and r.json()["type"] == "NotFound"
        assert c.post("/v1/ask", json={"question": "What did Tykhyi say?"}).status_code == 200
        assert c.get("/healthz").status_code == 200


def test_an_article_that_cannot_be_ingested_is_422_in_the_apis_terms(tmp_path: Path, seed_desk: Newsdesk) -> None:
    with ServerThread(create_app(seed_desk, with_page=False)) as server, \
            httpx.Client(base_url=server.url, timeout=60) as c:
        r = c.post("/v1/articles", json={"title": "no text", "body": ""})
        assert r.status_code == 422
        problem = r.json()
        assert set(problem) == {"type", "title", "status", "detail"} and problem["status"] == 422
        assert problem["detail"] == ('nothing was ingested: article 1 has no "text": each article needs a non-empty '
                                     '"text" string (fields: title, text, url, published, source, byline)')
        assert "--map" not in r.text and "jsonl" not in r.text
        r = c.post("/v1/articles", json=[{"title": "Harbour reopens", "text": "The harbour in Portsmouth reopened."},
                                         {"title": "no text"}, "not an object"])
        assert r.status_code == 200 and r.json()["status"] == "partial"
        assert r.json()["failed"] == [
            {"source": "article 2", "reason": 'has no "text": each article needs a non-empty "text" string '
                                              "(fields: title, text, url, published, source, byline)"},
            {"source": "article 3", "reason": "is not a JSON object with the fields title, text, url, published, "
                                              "source, byline"},
        ]


def test_wrong_method_on_an_openai_route_is_a_405_in_openais_shape(seed_desk: Newsdesk) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(create_app(seed_desk, with_page=False), base_url="http://localhost")  # a Host the app answers to
    response = client.get("/v1/chat/completions")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    error = response.json()["error"]
    assert "takes POST, not GET" in error["message"] and error["type"] == "invalid_request_error"
