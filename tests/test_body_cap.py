"""The body cap counts the bytes actually read: a chunked body (no Content-Length) over the cap is a 413 in
the route's error shape on every route, the page's uploads included, answered without waiting for the
rest of the body; a body under the cap, chunked or not, is served as before."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from assistant.http.app import create_app
from assistant.http.limits import BodyLimit
from assistant.service import Newsdesk, open_newsdesk

from .conftest import ServerThread, make_settings

pytestmark = pytest.mark.slow

CAP = 64 * 1024
PIECE = 8 * 1024


def send_chunked(port: int, path: str, pieces: Iterator[bytes], content_type: str, *,
                 finish: bool = False) -> tuple[int, dict[str, str], bytes]:
    """POST a chunked body piece by piece over a raw socket (not finished unless ``finish``: a server that
    waits for the end of the body never answers), then read the response."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        for piece in pieces:
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        if finish:
            sock.sendall(b"0\r\n\r\n")
        return _read_response(sock)


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        assert more, f"the server closed the connection without answering: {data!r}"
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        more = sock.recv(65536)
        if not more:
            break
        body += more
    return int(lines[0].split()[1]), headers, body


def over_the_cap(start: bytes = b"") -> Iterator[bytes]:
    """``start``, then filler, in pieces, until just past the cap."""
    yield start
    sent = len(start)
    while sent <= CAP:
        yield b" " * PIECE
        sent += PIECE


def multipart_start(boundary: str, filename: str) -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{filename}\"\r\n"
            "Content-Type: text/plain\r\n\r\nThe harbour reopened.").encode()


@pytest.fixture
def desk(seed_dir: Any, embedder: Any) -> Newsdesk:
    return open_newsdesk(make_settings(seed_dir, max_body_bytes=CAP), embedder=embedder)


def _problem(status: int, body: bytes) -> dict[str, Any]:
    problem: dict[str, Any] = json.loads(body)
    assert set(problem) == {"type", "title", "status", "detail"} and problem["status"] == status, problem
    return problem


def test_a_chunked_body_over_the_cap_is_413_on_the_apis_routes(desk: Newsdesk) -> None:
    with ServerThread(create_app(desk, with_page=False)) as server:
        status, _, body = send_chunked(server.port, "/v1/ask", over_the_cap(b'{"question": "What did Tykhyi say?", "x": "'),
                                       "application/json")
        assert status == 413
        assert _problem(413, body) == {"type": "PayloadTooLarge", "title": "newsdesk error", "status": 413,
                                       "detail": "request body over the 65,536 bytes cap"}
        status, _, body = send_chunked(server.port, "/v1/chat/completions", over_the_cap(
            b'{"model": "newsdesk", "messages": [{"role": "user", "content": "'), "application/json")
        assert status == 413
        error = json.loads(body)["error"]
        assert error["code"] == "payload_too_large" and "65,536 bytes" in error["message"]
        boundary = "b0undary"
        status, _, body = send_chunked(server.port, "/v1/articles", over_the_cap(multipart_start(boundary, "big.txt")),
                                       f"multipart/form-data; boundary={boundary}")
        assert status == 413 and _problem(413, body)["type"] == "PayloadTooLarge"
        assert desk.stats()["articles"] == 1  # nothing of it was ingested
        # under the cap, chunked or not, the routes answer as before
        question = json.dumps({"question": "How many settlements do Ukrainian forces control?"}).encode()
        status, _, body = send_chunked(server.port, "/v1/ask", iter([question[:20], question[20:]]),
                                       "application/json", finish=True)
        assert status == 200 and "74 settlements" in json.loads(body)["answer"]
        with httpx.Client(base_url=server.url, timeout=60) as c:
            assert c.post("/v1/ask", json={"question": "What did Tykhyi say?"}).status_code == 200
            declared = c.post("/v1/ask", content=b"x" * (CAP + 1), headers={"content-type": "application/json"})
            assert declared.status_code == 413 and declared.json()["type"] == "PayloadTooLarge"


def test_a_chunked_body_over_the_cap_is_413_on_the_pages_routes(desk: Newsdesk) -> None:
    with ServerThread(create_app(desk)) as server:
        boundary = "b0undary"
        status, _, body = send_chunked(server.port, "/gradio_api/upload", over_the_cap(multipart_start(boundary, "a.txt")),
                                       f"multipart/form-data; boundary={boundary}")
        assert status == 413 and _problem(413, body)["type"] == "PayloadTooLarge"
        status, _, body = send_chunked(server.port, "/gradio_api/queue/join", over_the_cap(b'{"data": ["'),
                                       "application/json")
        assert status == 413 and _problem(413, body)["type"] == "PayloadTooLarge"
        with httpx.Client(base_url=server.url, timeout=60) as c:  # a small upload still works
            files = {"files": ("a.txt", b"The harbour reopened.", "text/plain")}
            uploaded = c.post("/gradio_api/upload", files=files)
            assert uploaded.status_code == 200 and uploaded.json()[0].endswith("a.txt")


def test_the_cap_stops_reading_at_one_piece_past_it() -> None:
    """However long the body, the app behind the cap is handed no more than the cap and one piece."""
    pulled = 0

    async def endless() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * PIECE, "more_body": True}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        from starlette.requests import Request

        await Request(scope, receive).body()  # reads until the body ends: never, here

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/ask", "headers": [], "query_string": b""}
    asyncio.run(BodyLimit(app, CAP)(scope, endless, send))
    assert pulled == CAP // PIECE + 1
    assert sent[0]["status"] == 413 and json.loads(sent[1]["body"])["status"] == 413
