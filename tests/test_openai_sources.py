"""The OpenAI route's Sources list is Markdown for the clients that render it: a stored title, outlet or
link holding HTML or Markdown (a hostile feed's) shows as text, never as a tag, an image or a link."""

from __future__ import annotations

from markdown_it import MarkdownIt

from assistant.http.openai_shapes import sources_block, strip_sources
from assistant.models import Citation

HOSTILE_TITLE = "<img src=x onerror=alert(1)> ![pixel](https://evil.example/p.png) [click](javascript:alert(2)) **big**"


def _citation(n: int, **fields: str | None) -> Citation:
    base: dict[str, object] = {"n": n, "article_id": f"a{n}", "chunk_id": f"c{n}", "title": "Plain title",
                               "url": None, "source": "AP", "published": "2024-08-12", "quote": "q"}
    return Citation.model_validate({**base, **fields})


def _render(markdown: str) -> str:
    return MarkdownIt("commonmark").render(markdown)


def test_hostile_fields_render_as_text() -> None:
    block = sources_block([
        _citation(1, title=HOSTILE_TITLE, source="<b>Evil</b> & Co_", url="https://news.example/a b<c>\"d"),
        _citation(2, title="Second\nline", url="javascript:alert(3)"),
    ])
    html = _render(block)
    assert "<img" not in html and "<b>" not in html and "<strong>" not in html
    assert 'href="javascript' not in html
    assert html.count("<a ") == 1  # only the story's own http link
    assert 'href="https://news.example/a%20b%3Cc%3E%22d"' in html
    # what a reader sees is the stored text itself
    assert "&lt;img src=x onerror=alert(1)&gt; ![pixel](https://evil.example/p.png)" in html
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co_" in html
    lines = block.strip().split("\n")
    assert lines[0] == "Sources:" and len(lines) == 3  # a title's newline does not break the list
    assert lines[2] == "[2] AP, 2024-08-12, “Second line”"  # no javascript: link at all


def test_plain_sources_unchanged_and_still_stripped_from_history() -> None:
    block = sources_block([_citation(1, url="https://news.example/story_1"), _citation(2)])
    assert block == ("\n\nSources:\n[1] AP, 2024-08-12, “Plain title”, <https://news.example/story_1>\n"
                     "[2] AP, 2024-08-12, “Plain title”")
    assert strip_sources("The answer [1]." + block) == "The answer [1]."
