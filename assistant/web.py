"""The chat page: Gradio Blocks with a conversation and a sources panel; [n] links to source n."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.errors import NewsdeskError
from assistant.models import Answer
from assistant.service import Newsdesk

__all__ = ["build_page", "answer_markdown", "sources_html", "PAGE_CSS"]

EXAMPLES = [
    "What did Tykhyi say about occupation?",
    "How many settlements do Ukrainian forces control?",
    "What did the Russian Defense Ministry say?",
]

PAGE_CSS = """
#sources .src { border-left: 3px solid #6b7280; padding: 4px 10px; margin: 8px 0; }
#sources .src blockquote { margin: 6px 0; font-style: italic; }
#sources .src mark { background: #fde68a; }
"""


def _escape_md(text: str) -> str:
    """Article text is data: escape HTML and Markdown so nothing in it renders as markup."""
    text = html.escape(text, quote=False)
    return re.sub(r"([\\`*_{}\[\]()#+!|>~])", r"\\\1", text)


def _plain(markdown: str) -> str:
    """A chat bubble's text without our markup, for the conversation history."""
    text = re.sub(r"<sub>.*?</sub>", "", markdown, flags=re.S)
    text = re.sub(r"\[\\\[(\d+)\\\]\]\(#source-\d+\)", r"[\1]", text)
    return html.unescape(re.sub(r"\\(.)", r"\1", text)).strip()


def answer_markdown(answer: Answer) -> str:
    """The answer for the chat bubble: text escaped, each [n] a link to source n in the panel."""
    text = _escape_md(answer.answer)
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


def build_page(newsdesk: Newsdesk) -> gr.Blocks:
    """The Blocks app; the caller mounts it (see :func:`assistant.api.create_app`)."""

    def respond(message: str, chat: list[dict[str, Any]]) -> Iterator[tuple[str, list[dict[str, Any]], str]]:
        chat = list(chat or [])
        if not message or not message.strip():
            yield "", chat, sources_html(None)
            return
        history = [(m["role"], _plain(str(m.get("content", "")))) for m in chat][-8:]
        chat.append({"role": "user", "content": _escape_md(message)})
        chat.append({"role": "assistant", "content": "…"})
        shown = ""
        try:
            for event in newsdesk.ask_stream(message, history=history):
                if isinstance(event, Answer):
                    chat[-1] = {"role": "assistant", "content": answer_markdown(event)}
                    yield "", chat, sources_html(event)
                else:
                    shown += event
                    chat[-1] = {"role": "assistant", "content": _escape_md(shown)}
                    yield "", chat, sources_html(None)
        except NewsdeskError as exc:
            chat[-1] = {"role": "assistant", "content": f"Sorry: {_escape_md(str(exc))}"}
            yield "", chat, sources_html(None)

    with gr.Blocks(title="newsdesk") as page:
        gr.Markdown("## newsdesk\nAsk about the stories in your collection. Answers quote and cite them.")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Conversation", height=480, elem_id="chat", sanitize_html=True)
                box = gr.Textbox(placeholder="Ask a question about the news…", show_label=False, elem_id="question")
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="ask")
                    clear = gr.Button("New conversation")
                gr.Examples(EXAMPLES, inputs=box)
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                panel = gr.HTML(sources_html(None), elem_id="sources")
        box.submit(respond, [box, chatbot], [box, chatbot, panel])
        send.click(respond, [box, chatbot], [box, chatbot, panel])
        clear.click(lambda: ([], sources_html(None)), None, [chatbot, panel])
    return page
