"""OpenAI-compatible chat completions over newsdesk (model "newsdesk"), so the official ``openai``
client, LangChain's ``ChatOpenAI`` and chat UIs that speak that API can ask questions unchanged.

The last user message is the question; earlier messages are the conversation. Citations come back
three times: as a Sources list at the end of ``content`` (for clients that show only the content; off
with ``newsdesk.sources_in_content: false`` or ``NEWSDESK_SOURCES_IN_CONTENT=0``), ``citations`` as a
list of URLs (as Perplexity does) and ``newsdesk.citations`` structured. Errors come in OpenAI's shape
(:mod:`.problems`); ``usage`` counts cl100k_base tokens; ``max_tokens`` cuts the answer (:mod:`.openai_shapes`).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from assistant.errors import NewsdeskError
from assistant.http.deps import Desk
from assistant.http.openai_shapes import ChatRequest, Reply, prompt_tokens, shape_reply, strip_sources, usage
from assistant.http.problems import INTERNAL_DETAIL, OpenAIRequestError, logger, newsdesk_error_body, openai_error_body
from assistant.http.routing import ApiRoute
from assistant.service import Answer, Delta, Final, Newsdesk

__all__ = ["router", "ChatRequest", "complete", "complete_stream", "MODEL_NAME"]

router = APIRouter(route_class=ApiRoute)

MODEL_NAME = "newsdesk"
MODEL_CARD = {"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "newsdesk"}


def _question_and_history(body: ChatRequest) -> tuple[str, list[tuple[str, str]]]:
    if body.model != MODEL_NAME:
        raise OpenAIRequestError(f"The model {body.model!r} does not exist; this server offers {MODEL_NAME!r}.",
                                 param="model", code="model_not_found")
    turns: list[tuple[str, str]] = [(m.role, strip_sources(m.text()) if m.role == "assistant" else m.text())
             for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1][0] != "user" or not turns[-1][1].strip():
        raise OpenAIRequestError("The last message must be a non-empty user message.", param="messages",
                                 code="invalid_value")
    return turns[-1][1], turns[:-1]


def _sources_on(desk: Newsdesk, body: ChatRequest) -> bool:
    asked = body.newsdesk.sources_in_content
    return desk.settings.sources_in_content if asked is None else asked


def _extras(answer: Answer) -> dict[str, Any]:
    return {
        "citations": [c.url for c in answer.citations if c.url],
        "newsdesk": {"refused": answer.refused, "citations": [c.model_dump() for c in answer.citations],
                     "timings_ms": answer.timings_ms},
    }


def complete(desk: Newsdesk, body: ChatRequest) -> dict[str, Any]:
    question, history = _question_and_history(body)
    answer = desk.ask(question, history=history, max_tokens=body.token_limit)
    reply = shape_reply(answer, body.token_limit, _sources_on(desk, body), desk.count_tokens)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_NAME,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content},
                     "finish_reason": reply.finish_reason}],
        "usage": usage(prompt_tokens(body.messages, desk.count_tokens), reply.content, desk.count_tokens),
        **_extras(reply.answer),
    }


def complete_stream(desk: Newsdesk, body: ChatRequest) -> Iterator[str]:
    """Validate now (so errors get a status code), then stream OpenAI-format SSE chunks: the answer's
    pieces, the Sources list as the last piece, the finish, and ``usage`` when ``include_usage`` asks."""
    question, history = _question_and_history(body)
    events = desk.ask_stream(question, history=history, max_tokens=body.token_limit)
    first = next(events)
    chunk_id, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    usage_field = {"usage": None} if body.include_usage else {}

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, extra: dict[str, Any] | None = None) -> str:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        payload = {"id": chunk_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_NAME,
                   "choices": choices, **usage_field, **(extra or {})}
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    def stream() -> Iterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        sent = ""
        try:
            for item in _pieces_then_reply(_chain(first, events), body, desk):
                if isinstance(item, str):
                    sent += item
                    yield chunk({"content": item})
                    continue
                if item.sources:
                    sent += item.sources
                    yield chunk({"content": item.sources})
                yield chunk({}, item.finish_reason, _extras(item.answer))
                if body.include_usage:
                    yield chunk(None, extra={"usage": usage(prompt_tokens(body.messages, desk.count_tokens), sent,
                                                            desk.count_tokens)})
        except NewsdeskError as exc:
            yield f"data: {json.dumps(newsdesk_error_body(exc), ensure_ascii=False)}\n\n"
        except Exception as exc:  # a bug after the first chunk: the error object as a chunk, logged
            logger.error("500 in a chat completion's stream: %s: %s", type(exc).__name__, exc, exc_info=exc)
            yield f"data: {json.dumps(openai_error_body(500, INTERNAL_DETAIL, code='internal_error'))}\n\n"
        yield "data: [DONE]\n\n"

    return stream()


def _pieces_then_reply(events: Iterator[Delta | Final], body: ChatRequest, desk: Newsdesk) -> Iterator[str | Reply]:
    """The answer's text pieces as they come, then the :class:`Reply`. With a token limit the cut needs
    the whole answer, so its pieces come once the answer is complete."""
    with_sources, limit = _sources_on(desk, body), body.token_limit
    for event in events:
        if isinstance(event, Delta):
            if limit is None:
                yield event.text
            continue
        reply = shape_reply(event.answer, limit, with_sources, desk.count_tokens)
        if limit is not None:
            yield from (m.group(0) for m in re.finditer(r"\s*\S+\s*\Z|\s*\S+", reply.text))
        yield reply


def _chain(first: Delta | Final, rest: Iterator[Delta | Final]) -> Iterator[Delta | Final]:
    yield first
    yield from rest


@router.post("/v1/chat/completions", responses={200: {"content": {"text/event-stream": {}}}})
def chat_completions(body: ChatRequest, desk: Desk) -> Any:
    """OpenAI-compatible: model "newsdesk"; ``stream: true`` answers as OpenAI-format SSE chunks."""
    if body.stream:
        return StreamingResponse(complete_stream(desk, body), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    return complete(desk, body)


@router.get("/v1/models")
def models() -> dict[str, Any]:
    return {"object": "list", "data": [MODEL_CARD]}


@router.get("/v1/models/{model_id}")
def model(model_id: str) -> dict[str, Any]:
    if model_id != MODEL_NAME:
        raise OpenAIRequestError(f"The model {model_id!r} does not exist; this server offers {MODEL_NAME!r}.",
                                 param="model", code="model_not_found", status=404)
    return MODEL_CARD
