"""The API docs and the chat page work offline: Chromium loads every file from the server itself."""

from __future__ import annotations

import pytest

from assistant.http.app import create_app
from assistant.service import Newsdesk

from .test_browser import chromium_page

pytestmark = pytest.mark.slow


def test_docs_list_the_operations_with_nothing_fetched_elsewhere(seed_desk: Newsdesk) -> None:
    elsewhere: list[str] = []  # requests to other hosts, unless the page's policy stopped them in the browser
    with chromium_page(create_app(seed_desk)) as (page, url):
        page.on("requestfinished", lambda r: None if r.url.startswith(url) else elsewhere.append(r.url))
        page.on("requestfailed", lambda r: None if r.url.startswith(url) or "csp" in (
            r.failure or "") else elsewhere.append(f"{r.url} ({r.failure})"))
        page.goto(url + "/docs")
        page.locator(".opblock-summary-path", has_text="/v1/ask").first.wait_for(timeout=30_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert {"/v1/ask", "/v1/chat/completions", "/v1/articles"} <= {p.strip() for p in paths}

        page.goto(url + "/redoc")
        page.get_by_text("/v1/chat/completions").first.wait_for(timeout=30_000)

        page.goto(url + "/")
        page.locator("#question textarea").wait_for(timeout=30_000)
        page.wait_for_load_state("networkidle")
        assert [u for u in elsewhere if not u.startswith(("data:", "blob:"))] == []
