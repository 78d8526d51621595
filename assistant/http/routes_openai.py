"""OpenAI-compatible chat completions over newsdesk (model "newsdesk"), so the official ``openai``
client and apps that speak that API can ask questions unchanged.

The last user message is the question; earlier messages are the conversation. Citations come back
twice: ``citations`` as a list of URLs (as Perplexity does) and ``newsdesk.citations`` structured.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from assistant.errors import InputError, NewsdeskError
from assistant.http.deps import Desk
from assistant.service import Answer, Delta, Final, Newsdesk

__all__ = ["router", "ChatRequest", "complete", "complete_stream", "MODEL_NAME"]

router = APIRouter()

MODEL_NAME = "newsdesk"


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(str(part.get("text", "")) for part in self.content if part.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model: str = MODEL_NAME
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
    user: str | None = None


def _question_and_history(body: ChatRequest) -> tuple[str, list[tuple[str, str]]]:
    if body.model != MODEL_NAME:
        raise InputError(f"unknown model {body.model!r}; this server offers {MODEL_NAME!r}")
    turns: list[tuple[str, str]] = [(m.role, m.text()) for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1][0] != "user" or not turns[-1][1].strip():
        raise InputError("the last message must be a non-empty user message")
    return turns[-1][1], turns[:-1]


def _extras(answer: Answer) -> dict[str, Any]:
    return {
        "citations": [c.url for c in answer.citations if c.url],
        "newsdesk": {"refused": answer.refused, "citations": [c.model_dump() for c in answer.citations],
                     "timings_ms": answer.timings_ms},
    }


def complete(desk: Newsdesk, body: ChatRequest) -> dict[str, Any]:
    question, history = _question_and_history(body)
    answer = desk.ask(question, history=history)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_NAME,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        **_extras(answer),
    }


def complete_stream(desk: Newsdesk, body: ChatRequest) -> Iterator[str]:
    """Validate now (so errors get a status code), then stream OpenAI-format SSE chunks."""
    question, history = _question_and_history(body)
    events = desk.ask_stream(question, history=history)
    first = next(events)
    chunk_id, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, extra: dict[str, Any] | None = None) -> str:
        payload = {"id": chunk_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_NAME,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **(extra or {})}
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    def stream() -> Iterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        try:
            for event in _chain(first, events):
                if isinstance(event, Final):
                    yield chunk({}, "stop", _extras(event.answer))
                else:
                    yield chunk({"content": event.text})
        except NewsdeskError as exc:
            yield f"data: {json.dumps({'error': {'message': str(exc), 'type': type(exc).__name__}})}\n\n"
        yield "data: [DONE]\n\n"

    return stream()


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
    return {"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "newsdesk"}]}
