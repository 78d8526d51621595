"""The SSRF guard of `newsdesk ingest URL`: the connection goes to the address that was checked (a DNS
answer that changes between the check and the connect cannot reach a private address), every address
that is not globally routable is refused, and an upper-case scheme is still a URL.

The resolver is the one boundary faked here (DNS can't be run offline): it answers a public address
first and 127.0.0.1 after that, as a rebinding attacker's server would; and the connection to that public
address is refused in-process, so no packet leaves the machine."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from assistant.errors import IngestError
from assistant.index import Index
from assistant.index.embeddings import LocalMiniLM
from ingest.fetch import check_host, is_url
from ingest.pipeline import ingest_paths

from .conftest import ServerThread, make_settings

STORY = ("<html><head><title>Internal memo</title></head><body><article><h1>Internal memo</h1>"
         + "".join(f"<p>The secret budget line {i} was approved by the board on Monday.</p>" for i in range(6))
         + "</article></body></html>")


def _site(seen: list[str]) -> FastAPI:
    app = FastAPI()

    @app.get("/memo")
    def memo(request: Request) -> HTMLResponse:
        seen.append(request.url.path)
        return HTMLResponse(STORY)

    return app


def test_dns_rebinding_cannot_reach_a_private_address(tmp_path: Path, embedder: LocalMiniLM,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo
    asked: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        asked.append(host)
        address = "8.8.8.8" if len(asked) == 1 else "127.0.0.1"  # public for the check, loopback after
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    real_connect = socket.create_connection
    connected: list[str] = []

    def connect(address: Any, *args: Any, **kwargs: Any) -> Any:
        connected.append(address[0])
        if address[0] == "8.8.8.8":  # no packet leaves the machine: the public server "refuses"
            raise ConnectionRefusedError(111, "Connection refused")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket, "create_connection", connect)
    seen: list[str] = []
    settings = make_settings(tmp_path / "d", fetch_timeout_s=2.0)
    with ServerThread(_site(seen)) as site:
        report = ingest_paths([f"http://rebind.example:{site.port}/memo"], Index(settings), embedder, settings,
                              progress=False)
    assert seen == []  # the private server was never reached
    assert report.status == "failed" and report.added == 0
    assert asked == ["rebind.example"]  # resolved once
    assert connected == ["8.8.8.8"]  # and the connection went to the address that was checked


@pytest.mark.parametrize("url", [
    "http://100.100.100.200/latest/meta-data/",  # shared address space (a cloud metadata address)
    "http://192.0.0.192/",  # IETF protocol assignments
    "http://[2002:c0a8:101::1]/",  # 6to4 form of 192.168.1.1
    "http://[2002:7f00:1::]/",  # 6to4 form of 127.0.0.1
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 form of 169.254.169.254
    "http://[fd00::1]/",  # unique local
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://198.18.0.1/",  # benchmarking
])
def test_addresses_that_are_not_globally_routable_are_refused(url: str) -> None:
    with pytest.raises(IngestError, match="refusing a private"):
        check_host(url, allow_private=False)


def test_public_addresses_pass_and_are_returned() -> None:
    assert [str(a) for a in check_host("http://8.8.8.8/x", allow_private=False)] == ["8.8.8.8"]
    assert [str(a) for a in check_host("HTTPS://[2001:4860:4860::8888]/", allow_private=False)] == [
        "2001:4860:4860::8888"]
    with pytest.raises(IngestError, match="not a valid URL"):
        check_host("http://8.8.8.8:99999/", allow_private=False)


def test_an_upper_case_scheme_is_a_url(tmp_path: Path, embedder: LocalMiniLM) -> None:
    assert is_url("HTTP://example.com/a") and is_url("Https://example.com/a") and not is_url("httpx.txt")
    seen: list[str] = []
    settings = make_settings(tmp_path / "d", allow_private_urls=True)
    store = Index(settings)
    with ServerThread(_site(seen)) as site:
        report = ingest_paths([f"HTTP://127.0.0.1:{site.port}/memo"], store, embedder, settings, progress=False)
    assert report.added == 1, report.to_dict()
    assert [a["url"] for a in store.list_articles()] == [f"http://127.0.0.1:{site.port}/memo"]
