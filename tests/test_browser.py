"""The chat page in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from assistant.http.app import create_app
from assistant.service import Newsdesk

from .conftest import ARTIFACTS, ServerThread

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.slow


def _require_browser() -> None:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (see .ci/run)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


@contextmanager
def chromium_page(app: Any, *, extra_args: tuple[str, ...] = (), **page_options: Any) -> Iterator[tuple[Any, str]]:
    """A real server for ``app`` on 127.0.0.1 and a page of headless Debian Chromium: (page, server URL)."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with ServerThread(app) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS + list(extra_args))
        try:
            yield browser.new_page(**page_options), server.url
        finally:
            browser.close()


def test_user_example_in_the_browser(seed_desk: Newsdesk) -> None:
    with chromium_page(create_app(seed_desk), viewport={"width": 1300, "height": 900}) as (page, url):
        page.goto(url + "/")
        page.locator("#question textarea").fill("what did Tykhyi say about occupation?")
        page.locator("#ask").click()
        page.locator("#sources .src").first.wait_for(timeout=60_000)
        chat = page.locator("#chat").inner_text()
        sources = page.locator("#sources").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat-page.png"), full_page=True)
        assert "we want to protect the lives of our people" in chat
        assert "[1]" in chat
        assert "we want to protect the lives of our people" in sources
        assert "The Associated Press" in sources and "date unknown" in sources
        link = page.locator("#chat a[href='#source-1']").first
        assert link.count() == 1

        page.locator("#question textarea").fill("How many settlements do Ukrainian forces control?")
        page.locator("#ask").click()
        first = page.locator("#chat strong", has_text="74 settlements").first
        first.wait_for(timeout=60_000)  # the short answer, in bold, a paragraph of its own, first
        paragraph = first.locator("xpath=ancestor::p[1]")
        assert paragraph.inner_text().strip() == "74 settlements"
        assert "The Associated Press (date unknown)" in paragraph.locator("xpath=following-sibling::p[1]").inner_text()

        page.locator("#question textarea").fill("What is the capital of France?")
        page.locator("#ask").click()
        page.get_by_text("The stories I have don't say.").first.wait_for(timeout=60_000)


XSS = """<script>window.pwned=1;alert('title')</script> Harbour <img src=x onerror="window.pwned=2"> reopens

Date: 2024-08-15

The harbour in Portsmouth reopened on Thursday <script>window.pwned=3</script> after the storm, officials said.
"""


def test_upload_filters_and_inert_article_text(tmp_path, embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.service import open_newsdesk

    from .conftest import make_settings

    desk = open_newsdesk(make_settings(tmp_path / "d"), embedder=embedder)
    upload = tmp_path / "harbour.txt"
    upload.write_text(XSS)
    with chromium_page(create_app(desk), viewport={"width": 1300, "height": 1100}) as (page, url):
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url + "/")
        assert "0" in page.locator("#index-stats").inner_text()
        page.get_by_text("Add stories").click()
        page.locator("input[type=file]").set_input_files(str(upload))
        page.get_by_role("button", name="Add to the index").click()
        page.get_by_text("ok: 1 added").wait_for(timeout=60_000)
        assert "1" in page.locator("#index-stats").inner_text()

        page.locator("#question textarea").fill("When did the harbour in Portsmouth reopen?")
        page.locator("#ask").click()
        page.locator("#sources .src").first.wait_for(timeout=60_000)
        sources = page.locator("#sources").inner_text()
        assert "<script>" in sources and "2024-08-15" in sources  # shown as text, not run
        assert page.evaluate("window.pwned === undefined") and not dialogs
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat-page-upload.png"), full_page=True)

        page.get_by_text("Filters").click()
        page.locator("#until textarea, #until input").first.fill("2024-08-01")
        page.locator("#question textarea").fill("When did the harbour in Portsmouth reopen?")
        page.locator("#ask").click()
        page.get_by_text("The stories I have don't say.").first.wait_for(timeout=60_000)


def test_stats_and_outlets_follow_the_index(seed_desk: Newsdesk) -> None:
    """Stories added elsewhere (the API, `newsdesk ingest`) show in the index line and the Outlets filter
    when the page loads and after each answer, not only as they were when the server started."""
    import httpx

    def story(outlet: str) -> dict[str, str]:
        return {"title": f"{outlet} harbour", "text": f"The harbour reopened on Thursday, {outlet} reported.",
                "source": outlet, "url": f"https://{outlet.lower()}.example/harbour"}

    with chromium_page(create_app(seed_desk), viewport={"width": 1300, "height": 900}) as (page, url):
        page.goto(url + "/")
        stats = page.locator("#index-stats")
        stats.get_by_text("1 story").wait_for(timeout=30_000)
        assert httpx.post(url + "/v1/articles", json=story("Gazette"), timeout=60).json()["added"] == 1
        page.reload()
        stats.get_by_text("2 stories").wait_for(timeout=30_000)
        page.get_by_text("Filters").click()
        page.locator("#outlets input").first.click()
        page.get_by_role("option", name="Gazette").wait_for(timeout=30_000)
        page.keyboard.press("Escape")

        assert httpx.post(url + "/v1/articles", json=story("Courier"), timeout=60).json()["added"] == 1
        page.locator("#question textarea").fill("When did the harbour reopen?")
        page.locator("#ask").click()
        stats.get_by_text("3 stories").wait_for(timeout=60_000)  # after the answer, no reload
        page.locator("#outlets input").first.click()
        page.get_by_role("option", name="Courier").wait_for(timeout=30_000)
