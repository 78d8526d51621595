"""The chat page in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import os
import shutil

import pytest

from assistant.api import create_app
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


def test_user_example_in_the_browser(seed_desk: Newsdesk) -> None:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with ServerThread(create_app(seed_desk)) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(server.url + "/")
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

            page.locator("#question textarea").fill("What is the capital of France?")
            page.locator("#ask").click()
            page.get_by_text("The stories I have don't say.").first.wait_for(timeout=60_000)
        finally:
            browser.close()
