"""What a reader sees on the chat page, measured in a real headless Chromium: answer text that stands
out from its bubble (WCAG AA, light and dark), and no label floating over the conversation."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.http.app import create_app
from assistant.service import Newsdesk

from .test_browser import chromium_page

pytestmark = pytest.mark.slow

# The contrast of every piece of text in the last answer bubble against the bubble, as the eye gets
# it: the text colour blended over the background by its alpha and every ancestor's opacity.
CONTRAST_JS = """
() => {
  const rgba = (c) => { const v = c.match(/[\\d.]+/g).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
  const lum = (c) => { const f = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
                       return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const background = (el) => { for (; el; el = el.parentElement) { const c = rgba(getComputedStyle(el).backgroundColor);
                                if (c[3] > 0) return c; } return [255, 255, 255, 1]; };
  const opacity = (el) => { let o = 1; for (; el; el = el.parentElement) o *= parseFloat(getComputedStyle(el).opacity);
                            return o; };
  const bubbles = document.querySelectorAll('#chat .message.bot');
  const bubble = bubbles[bubbles.length - 1];
  const out = [];
  const walker = document.createTreeWalker(bubble, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement, fg = rgba(getComputedStyle(el).color), bg = background(el);
    const a = fg[3] * opacity(el);
    const seen = [0, 1, 2].map((i) => fg[i] * a + bg[i] * (1 - a));
    const [hi, lo] = [lum(seen), lum(bg)].sort((x, y) => y - x);
    out.push({text: n.textContent.trim().slice(0, 40), ratio: (hi + 0.05) / (lo + 0.05), alpha: a});
  }
  return out;
}
"""

# Text-bearing elements positioned over the scrolling message area (a floating label, say).
FLOATING_JS = """
() => {
  const area = document.querySelector('#chat .bubble-wrap') || document.querySelector('#chat');
  const box = area.getBoundingClientRect();
  const out = [];
  for (const el of document.querySelectorAll('#chat *')) {
    const cs = getComputedStyle(el);
    if (!['absolute', 'fixed', 'sticky'].includes(cs.position) || cs.visibility === 'hidden' || cs.display === 'none') continue;
    if (!el.innerText || !el.innerText.trim() || area.contains(el) && el.closest('.message')) continue;
    const r = el.getBoundingClientRect();
    if (r.width && r.height && r.bottom > box.top && r.top < box.bottom && r.right > box.left && r.left < box.right)
      out.push(el.innerText.trim().slice(0, 40));
  }
  return out;
}
"""


def _ask(page: Any, question: str) -> None:
    """Ask on the page and wait for the final answer (its [1] links to the first source)."""
    asked = page.locator("#chat .message.bot").count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.wait_for_function("""n => { const bots = document.querySelectorAll('#chat .message.bot');
        return bots.length > n && bots[bots.length - 1].querySelector("a[href='#source-1']"); }""",
                           arg=asked, timeout=60_000)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_answer_text_is_readable_on_its_bubble(seed_desk: Newsdesk, scheme: str) -> None:
    with chromium_page(create_app(seed_desk), viewport={"width": 1300, "height": 900}, color_scheme=scheme) as (page, url):
        page.goto(url + "/")
        _ask(page, "what did Tykhyi say about occupation?")
        assert page.evaluate("document.body.classList.contains('dark')") == (scheme == "dark")  # Gradio's theme
        pieces = page.evaluate(CONTRAST_JS)
    assert any("Tykhyi" in p["text"] for p in pieces), pieces
    for piece in pieces:
        assert piece["alpha"] == 1, f"{scheme}: answer text drawn see-through (grey): {piece}"
        assert piece["ratio"] >= 4.5, f"{scheme}: contrast under WCAG AA: {piece}"


def test_no_label_floats_over_the_conversation(seed_desk: Newsdesk) -> None:
    with chromium_page(create_app(seed_desk), viewport={"width": 1300, "height": 900}) as (page, url):
        page.goto(url + "/")
        for question in ("what did Tykhyi say about occupation?", "What did the Russian Defense Ministry say?",
                         "How many settlements do Ukrainian forces control?"):
            _ask(page, question)
        page.locator("#chat .bubble-wrap").evaluate("el => { el.scrollTop = el.scrollHeight / 2; }")
        floating = page.evaluate(FLOATING_JS)
    assert floating == []
