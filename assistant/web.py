"""The chat page: Gradio Blocks with a conversation and a sources panel; [n] links to source n."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import InputError, NewsdeskError
from assistant.http.page_files import REFUSED, UploadsOnlyBlocks, is_uploaded
from assistant.service import Answer, Filters, Final, Newsdesk
from assistant.text import counted

__all__ = ["build_page", "answer_markdown", "sources_html", "message_text", "PAGE_CSS"]

EXAMPLES = [
    "What did Tykhyi say about occupation?",
    "How many settlements do Ukrainian forces control?",
    "What did the Russian Defense Ministry say?",
]

# Gradio draws chat messages at opacity .8: grey text on the grey bubble. Answers are the page's
# point, so they get the theme's full text colour (14:1 or more on the bubble, light or dark). The chat's
# label is hidden (show_label=False): Gradio floats it over the messages, which scroll under it.
PAGE_CSS = """
#sources .src { border-left: 3px solid #6b7280; padding: 4px 10px; margin: 8px 0; }
#sources .src blockquote { margin: 6px 0; font-style: italic; }
#sources .src mark { background: #fde68a; color: #1f2937; }
#chat .message .prose.chatbot.md { opacity: 1; color: var(--body-text-color); }
"""


def _escape_md(text: str) -> str:
    """Article text is data: escape HTML and Markdown so nothing in it renders as markup."""
    text = html.escape(text, quote=False)
    return re.sub(r"([\\`*_{}\[\]()#+!|>~])", r"\\\1", text)


def _plain(markdown: str) -> str:
    """A chat bubble's text without our markup, for the conversation history."""
    text = re.sub(r"<sub>.*?</sub>", "", markdown, flags=re.S)
    text = re.sub(r"^\*\*((?:[^*\\]|\\.)+)\*\*", r"\1", text)  # the short answer's bold
    text = re.sub(r"\[\\\[(\d+)\\\]\]\(#source-\d+\)", r"[\1]", text)
    return html.unescape(re.sub(r"\\(.)", r"\1", text)).strip()


def message_text(content: Any) -> str:
    """A chat message's text as Gradio 6 hands it back: a string, or a list of parts such as
    ``{"type": "text", "text": ...}`` (files and other parts carry no text for the conversation)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content["text"]) if isinstance(content.get("text"), str) else ""
    if isinstance(content, (list, tuple)):
        return "\n".join(filter(None, (message_text(part) for part in content)))
    return ""


_AFTER_SHORT = re.compile(r"^((?:\s*\[\d{1,3}\])*)\s*[.:]?\s*")


def answer_markdown(answer: Answer) -> str:
    """The answer for the chat bubble: text escaped, each [n] a link to source n in the panel; a short
    answer ("74 settlements") stands out as a first line of its own, in bold."""
    text = _escape_md(answer.answer)
    short = answer.short_answer
    if short and answer.answer.startswith(short):
        rest = answer.answer[len(short):]
        m = _AFTER_SHORT.match(rest)
        markers, rest = (m.group(1).strip(), rest[m.end():]) if m else ("", rest)
        text = f"**{_escape_md(short)}**{' ' + _escape_md(markers) if markers else ''}\n\n{_escape_md(rest)}"
    text = re.sub(r"\\\[(\d{1,3})\\\]", lambda m: f"[\\[{m.group(1)}\\]](#source-{m.group(1)})", text)
    stories: dict[str, list[str]] = {}
    for c in answer.citations:
        label = f"{_escape_md(c.title)} — {_escape_md(c.source or 'unknown outlet')}, {c.published or 'date unknown'}"
        stories.setdefault(label, []).append(f"\\[{c.n}\\]")
    if stories:
        text += "\n\n<sub>" + "; ".join(f"{' '.join(ns)} {label}" for label, ns in stories.items()) + "</sub>"
    return text


def sources_html(answer: Answer | None) -> str:
    if answer is None or not answer.citations:
        return "<p><em>Sources appear here with the passages quoted.</em></p>"
    parts = []
    for c in answer.citations:
        title = html.escape(c.title)
        link = f'<a href="{html.escape(c.url)}" target="_blank" rel="noopener">{title}</a>' if c.url else title
        parts.append(
            f'<div class="src" id="source-{c.n}"><b>[{c.n}]</b> {link}<br>'
            f"<small>{html.escape(c.source or 'unknown outlet')} · {html.escape(c.published or 'date unknown')}</small>"
            f"<blockquote><mark>{html.escape(c.quote)}</mark></blockquote></div>"
        )
    return "\n".join(parts)


def stats_markdown(newsdesk: Newsdesk) -> str:
    st = newsdesk.stats()
    span = "no dated stories"
    if st["published_from"]:
        span = st["published_from"] if st["published_to"] == st["published_from"] else \
            f"{st['published_from']} to {st['published_to']}"
    return (f"**{counted(st['articles'], 'story')}**, **{counted(st['chunks'], 'passage')}**, "
            f"{counted(len(st['sources']), 'outlet')}; {span}; {st['undated_articles']:,} undated. "
            f"Answers: {newsdesk.mode}.")


def _date_or_none(value: str | None) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not a date like 2024-08-13") from None


Chat = list[dict[str, Any]]


def _responder(newsdesk: Newsdesk) -> Callable[..., Iterator[tuple[str, Chat, str]]]:
    """The Ask handler: streams the answer into the conversation, then its sources into the panel."""

    def respond(
        message: str, chat: Chat, since: str, until: str, sources: list[str] | None
    ) -> Iterator[tuple[str, Chat, str]]:
        chat = list(chat or [])
        if not message or not message.strip():
            yield "", chat, sources_html(None)
            return
        history = [(m["role"], _plain(message_text(m.get("content")))) for m in chat][-8:]
        chat.append({"role": "user", "content": _escape_md(message)})
        chat.append({"role": "assistant", "content": "…"})
        shown = ""
        try:
            filters = Filters.between(_date_or_none(since), _date_or_none(until), sources or ())
            for event in newsdesk.ask_stream(message, history=history, filters=filters):
                if isinstance(event, Final):
                    chat[-1] = {"role": "assistant", "content": answer_markdown(event.answer)}
                    yield "", chat, sources_html(event.answer)
                else:
                    shown += event.text
                    chat[-1] = {"role": "assistant", "content": _escape_md(shown)}
                    yield "", chat, sources_html(None)
        except NewsdeskError as exc:
            chat[-1] = {"role": "assistant", "content": f"Sorry: {_escape_md(str(exc))}"}
            yield "", chat, sources_html(None)

    return respond


def _uploader(newsdesk: Newsdesk, page: UploadsOnlyBlocks) -> Callable[[list[Any] | None], tuple[str, str, Any]]:
    """The Add-stories handler: ingests the files, then the summary, the index line and the outlets.
    Only files the browser uploaded: the page refuses others before this runs; checked here again, so that
    this handler never reads a server file whatever Gradio lets through."""

    def upload(files: list[Any] | None) -> tuple[str, str, Any]:
        if not files:
            return "No files chosen.", stats_markdown(newsdesk), gr.update()
        from assistant.http.uploads import ingest_files

        paths = [str(getattr(f, "name", f)) for f in files]
        if not all(is_uploaded(p, page.upload_file_set) for p in paths):
            raise gr.Error(REFUSED)
        try:
            report = ingest_files(newsdesk, [Path(p) for p in paths])
        except NewsdeskError as exc:
            return f"Sorry: {_escape_md(str(exc))}", stats_markdown(newsdesk), gr.update()
        failed = "".join(f"\n- {_escape_md(x['source'])}: {_escape_md(x['reason'])}" for x in report["failed"])
        summary = (f"{report['status']}: {report['added']} added, {report['updated']} updated, {report['unchanged']} "
                   f"unchanged, {counted(report['duplicates'] + report['near_duplicates'], 'duplicate')}{failed}")
        return summary, stats_markdown(newsdesk), gr.update(choices=_outlets(newsdesk))

    return upload


def _refresher(newsdesk: Newsdesk) -> Callable[[], tuple[str, Any]]:
    """The index line and the outlets as the index is now: other processes and the API add stories."""

    def refresh() -> tuple[str, Any]:
        return stats_markdown(newsdesk), gr.update(choices=_outlets(newsdesk))

    return refresh


def build_page(newsdesk: Newsdesk) -> gr.Blocks:
    """The Blocks app; the caller mounts it (see :func:`assistant.http.app.create_app`)."""
    respond, refresh = _responder(newsdesk), _refresher(newsdesk)
    with UploadsOnlyBlocks(title="newsdesk") as page:
        upload = _uploader(newsdesk, page)
        gr.Markdown("## newsdesk\nAsk about the stories in your collection. Answers quote and cite them.")
        index_line = gr.Markdown(stats_markdown(newsdesk), elem_id="index-stats")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Conversation", show_label=False, height=480, elem_id="chat", sanitize_html=True)
                box = gr.Textbox(placeholder="Ask a question about the news…", show_label=False, elem_id="question")
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="ask")
                    clear = gr.Button("New conversation")
                gr.Examples(EXAMPLES, inputs=box)
                with gr.Accordion("Filters", open=False):
                    with gr.Row():
                        since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="since")
                        until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="until")
                    outlets = gr.Dropdown(_outlets(newsdesk), multiselect=True, label="Outlets", elem_id="outlets")
                with gr.Accordion("Add stories", open=False):
                    files = gr.File(file_count="multiple", label="Files (.txt .md .html .json .jsonl .csv .rss)")
                    add = gr.Button("Add to the index")
                    added = gr.Markdown()
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                panel = gr.HTML(sources_html(None), elem_id="sources")
        inputs = [box, chatbot, since, until, outlets]
        for asked in (box.submit(respond, inputs, [box, chatbot, panel]), send.click(respond, inputs, [box, chatbot, panel])):
            asked.then(refresh, None, [index_line, outlets], show_progress="hidden", api_visibility="private")
        clear.click(lambda: ([], sources_html(None)), None, [chatbot, panel])
        add.click(upload, [files], [added, index_line, outlets])
        page.load(refresh, None, [index_line, outlets], show_progress="hidden", api_visibility="private")
    blocks: gr.Blocks = page
    return blocks


def _outlets(newsdesk: Newsdesk) -> list[str]:
    return [s for s in newsdesk.stats()["sources"] if s != "unknown"]
