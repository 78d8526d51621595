"""A two-turn conversation on the chat page, in a real headless Chromium: the follow-up "who said that?"
is read against the first answer, as the CLI chat and the API read it (Gradio 6 hands the conversation
back as lists of message parts, not strings)."""

from __future__ import annotations

import pytest

from assistant.http.app import create_app
from assistant.service import Newsdesk
from assistant.web import message_text

from .test_browser import chromium_page

pytestmark = pytest.mark.slow


def test_message_text_reads_every_shape_gradio_sends() -> None:
    assert message_text("plain") == "plain"
    assert message_text([{"type": "text", "text": "first\nline"}, {"type": "file", "file": {"path": "/x"}}]) == "first\nline"
    assert message_text({"type": "text", "text": "one"}) == "one"
    assert message_text(None) == "" and message_text([{"text": 3}]) == ""


def test_who_said_that_follows_the_conversation(seed_desk: Newsdesk) -> None:
    first_q, follow_up = "How many settlements do Ukrainian forces control?", "who said that?"
    expected = seed_desk.ask(follow_up, history=[("user", first_q), ("assistant", seed_desk.ask(first_q).answer)])
    assert "Syrskyi" in expected.answer  # what the CLI chat and the API say
    with chromium_page(create_app(seed_desk), viewport={"width": 1300, "height": 900}) as (page, url):
        page.goto(url + "/")
        page.locator("#question textarea").fill(first_q)
        page.locator("#ask").click()
        page.locator("#chat strong", has_text="74 settlements").first.wait_for(timeout=60_000)
        page.locator("#question textarea").fill(follow_up)
        page.locator("#ask").click()
        answers = page.locator("#chat [data-testid='bot']")
        answers.nth(1).get_by_text("as reported by").first.wait_for(timeout=60_000)  # "SPEAKER, as reported by ..."
        assert answers.count() == 2
        last = answers.nth(1).inner_text()
        assert "Syrskyi" in last and "Tykhyi" not in last
