"""The wider API over a real server: OpenAI-compatible chat via the official client, articles,
auth, CORS and size caps."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest

from assistant.http.app import create_app
from assistant.index.embeddings import LocalMiniLM
from assistant.service import Newsdesk, open_newsdesk

from .conftest import SAMPLE, ServerThread, make_settings

TYKHYI = "we want to protect the lives of our people"


def test_openai_client_works_unchanged(seed_desk: Newsdesk) -> None:
    with ServerThread(create_app(seed_desk, with_page=False)) as server:
        client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
        assert [m.id for m in client.models.list().data] == ["newsdesk"]
        reply = client.chat.completions.create(
            model="newsdesk", messages=[{"role": "user", "content": "What did Tykhyi say about occupation?"}])
        assert TYKHYI in (reply.choices[0].message.content or "")
        extra = reply.model_extra or {}
        assert extra["citations"] == []  # the sample story has no URL
        assert any(TYKHYI in c["quote"] for c in extra["newsdesk"]["citations"])

        follow = client.chat.completions.create(model="newsdesk", messages=[
            {"role": "user", "content": "What did Tykhyi say about occupation?"},
            {"role": "assistant", "content": reply.choices[0].message.content},
            {"role": "user", "content": "what about Syrskyi?"},
        ])
        assert "Oleksandr Syrskyi" in (follow.choices[0].message.content or "")

        stream = client.chat.completions.create(
            model="newsdesk", stream=True,
            messages=[{"role": "user", "content": "How many settlements do Ukrainian forces control?"}])
        pieces, last = [], None
        for chunk in stream:
            pieces.append(chunk.choices[0].delta.content or "")
            last = chunk
        assert "74 settlements" in "".join(pieces)
        assert last is not None and last.choices[0].finish_reason == "stop"
        assert (last.model_extra or {})["newsdesk"]["citations"]

        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "hi"}])


def test_articles_can_be_added_listed_uploaded_and_deleted(tmp_path: Path, embedder: LocalMiniLM) -> None:
    desk = open_newsdesk(make_settings(tmp_path / "d"), embedder=embedder)
    with ServerThread(create_app(desk, with_page=False)) as server, httpx.Client(base_url=server.url, timeout=60) as c:
        r = c.post("/v1/articles", json=[
            {"title": "Harbour reopens", "text": "The harbour in Portsmouth reopened on Thursday, officials said.",
             "url": "https://gazette.example/harbour", "published": "2024-08-15", "source": "Gazette"},
            {"title": "no text"},
        ])
        assert r.status_code == 200
        assert r.json()["added"] == 1 and r.json()["status"] == "partial"
        assert "/tmp" not in r.text
        r = c.post("/v1/articles", files={"file": ("kursk-ap.txt", SAMPLE.read_bytes(), "text/plain")})
        assert r.json()["added"] == 1
        listed = c.get("/v1/articles").json()["articles"]
        assert {a["title"][:15] for a in listed} == {"Harbour reopens", "Russia Repels U"}
        answer = c.post("/v1/ask", json={"question": "When did the harbour in Portsmouth reopen?"}).json()
        assert answer["citations"][0]["url"] == "https://gazette.example/harbour"
        assert answer["citations"][0]["published"] == "2024-08-15"
        harbour = next(a for a in listed if a["title"] == "Harbour reopens")
        assert c.delete(f"/v1/articles/{harbour['id']}").status_code == 200
        assert c.delete(f"/v1/articles/{harbour['id']}").status_code == 404
        assert c.post("/v1/articles", content=b"{not json", headers={"content-type": "application/json"}).status_code == 400


def test_api_keys_cors_and_body_cap(seed_dir: Path, embedder: LocalMiniLM) -> None:
    settings = make_settings(seed_dir, api_keys="k1,k2", cors_origins="https://app.example", max_body_bytes=10_000)
    desk = open_newsdesk(settings, embedder=embedder)
    with ServerThread(create_app(desk)) as server, httpx.Client(base_url=server.url, timeout=60) as c:
        question = {"question": "How many settlements do Ukrainian forces control?"}
        assert c.get("/healthz").status_code == 200
        denied = c.post("/v1/ask", json=question)
        assert denied.status_code == 401 and denied.json()["type"] == "Unauthorized"
        assert c.post("/v1/ask", json=question, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.post("/v1/ask", json=question, headers={"Authorization": "Bearer k2"}).status_code == 200
        assert c.get("/v1/stats", headers={"X-API-Key": "k1"}).status_code == 200
        assert c.get("/openapi.json").status_code == 401
        # the page: nothing of the app without a key as the password
        assert c.get("/config").status_code == 401 and c.get("/gradio_api/info").status_code == 401
        assert c.post("/login", data={"username": "reader", "password": "wrong"}).status_code == 400
        assert c.post("/login", data={"username": "reader", "password": "k1"}).json() == {"success": True}
        assert c.get("/config").status_code == 200
        preflight = c.options("/v1/ask", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
        assert preflight.headers.get("access-control-allow-origin") == "https://app.example"
        big = c.post("/v1/ask", content=b"x" * 20_000, headers={"Authorization": "Bearer k1",
                                                                "content-type": "application/json"})
        assert big.status_code == 413
