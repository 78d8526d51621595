"""Failed page sign-ins are limited per client address (issue 27, item 8), over a real server on 127.0.0.1,
concurrent guesses included; the table of addresses stays bounded."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from assistant.http.app import create_app
from assistant.http.login_limit import FailureWindow
from assistant.index.embeddings import LocalMiniLM
from assistant.service import open_newsdesk

from .conftest import ServerThread, make_settings

pytestmark = pytest.mark.slow


def _login(url: str, password: str) -> httpx.Response:
    return httpx.post(url + "/login", data={"username": "reader", "password": password}, timeout=30)


def test_failed_logins_are_limited(tmp_path: Path, embedder: LocalMiniLM) -> None:
    settings = make_settings(tmp_path / "d", api_keys="k1", login_failures=5, login_window_s=30.0)
    desk = open_newsdesk(settings, embedder=embedder)
    with ServerThread(create_app(desk)) as server:
        assert _login(server.url, "k1").json() == {"success": True}  # a success is not counted
        with ThreadPoolExecutor(10) as pool:  # 30 guesses at once, as the report's 30 in 0.16 s
            statuses = sorted(r.status_code for r in pool.map(lambda n: _login(server.url, f"guess{n}"), range(30)))
        assert statuses == [400] * 5 + [429] * 25, statuses
        refused = _login(server.url, "k1")  # the right key too: the address is waiting
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        body = refused.json()
        assert body["type"] == "TooManyRequests" and body["status"] == 429 and set(body) == {"type", "title", "status", "detail"}
        assert _login(server.url, "wrong").status_code == 429
    quick = make_settings(tmp_path / "d", api_keys="k1", login_failures=2, login_window_s=2.0)
    with ServerThread(create_app(open_newsdesk(quick, embedder=embedder))) as server:
        assert [_login(server.url, "wrong").status_code for _ in range(3)] == [400, 400, 429]
        time.sleep(2.1)  # the window slides past the failures
        assert _login(server.url, "k1").json() == {"success": True}


def test_the_window_counts_per_address_and_stays_bounded() -> None:
    now = [0.0]
    window = FailureWindow(3, 60.0, max_clients=100, clock=lambda: now[0])
    for _ in range(3):
        window.add("10.0.0.1")
    assert window.wait_s("10.0.0.1") == 60.0 and window.wait_s("10.0.0.2") == 0.0
    now[0] = 30.0
    assert window.wait_s("10.0.0.1") == 30.0
    tried = window.add("10.0.0.3")
    window.forgive("10.0.0.3", tried)
    assert window.wait_s("10.0.0.3") == 0.0
    now[0] = 60.5
    assert window.wait_s("10.0.0.1") == 0.0
    for n in range(10_000):
        window.add(f"192.0.2.{n}")
    assert len(window) == 100
