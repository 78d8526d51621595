"""Bodies the API cannot parse answer its documented shape: a problem (OpenAI's error object on the OpenAI
routes), never Starlette's ``{"detail": ...}`` or a text/plain 500; a validation error does not echo a
huge input back whole."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from assistant.http.app import create_app
from assistant.service import Newsdesk

from .conftest import ServerThread

pytestmark = pytest.mark.slow

PROBLEM_KEYS = {"type", "title", "status", "detail"}


@pytest.fixture
def client(seed_desk: Newsdesk) -> Iterator[httpx.Client]:
    with ServerThread(create_app(seed_desk, with_page=False)) as server, \
            httpx.Client(base_url=server.url, timeout=120) as c:
        yield c


@pytest.mark.parametrize(("label", "kwargs"), [
    ("no boundary", {"content": b"--x\r\n", "headers": {"content-type": "multipart/form-data"}}),
    ("too many files", {"files": [("files", (f"a{i}.txt", b"hello", "text/plain")) for i in range(1001)]}),
    ("a field over the part cap", {"data": {"note": "a" * 1_100_000}, "files": {"files": ("a.txt", b"x")}}),
    ("JSON nested too deeply", {"content": b"[" * 100_000 + b"]" * 100_000,
                                "headers": {"content-type": "application/json"}}),
])
def test_bodies_that_cannot_be_parsed_answer_the_problem_shape(client: httpx.Client, label: str,
                                                               kwargs: dict[str, Any]) -> None:
    r = client.post("/v1/articles", **kwargs)
    assert r.headers["content-type"] == "application/json", (label, r.status_code, r.text[:200])
    problem = r.json()
    assert set(problem) == PROBLEM_KEYS and 400 <= problem["status"] == r.status_code < 500, (label, problem)


def test_bodies_the_ask_route_cannot_parse_answer_the_problem_shape(client: httpx.Client) -> None:
    for content in (b'{"question": "\xff\xfe"}', b"[" * 100_000):  # not UTF-8; nested too deeply
        # refused as malformed JSON is (FastAPI's 422 json_invalid, the reason in ctx.error: see strict_json)
        r = client.post("/v1/ask", content=content, headers={"content-type": "application/json"})
        assert r.status_code == 422, r.text[:300]
        (error,) = r.json()["detail"]
        assert error["type"] == "json_invalid" and error["ctx"]["error"], error
        r = client.post("/v1/chat/completions", content=content, headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["message"].startswith("The request body is not valid: ")
        assert r.json()["error"]["code"] == "invalid_body"
    assert client.get("/no/such/path").json() == {"type": "NotFound", "title": "newsdesk error", "status": 404,
                                                  "detail": "Not Found"}


def test_a_validation_error_echoes_no_more_than_a_few_hundred_characters(client: httpx.Client) -> None:
    r = client.post("/v1/ask", json={"question": "x" * 1_000_000})
    assert r.status_code == 422 and len(r.content) < 2000
    error = r.json()["detail"][0]
    assert error["loc"] == ["body", "question"] and error["type"] == "string_too_long"
    assert error["input"] == "x" * 300 + "… (1,000,000 characters)"
    r = client.post("/v1/ask", json={"question": "hi", "history": [{"role": "user", "content": "y"}] * 5000})
    assert r.status_code == 422 and len(r.content) < 2000  # a long list is cut too
    r = client.post("/v1/chat/completions", json={"model": "m" * 1_000_000, "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 400 and len(r.content) < 2000 and r.json()["error"]["param"] == "model"
