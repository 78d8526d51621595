"""``POST /v1/ask`` (JSON or server-sent events) and ``GET /v1/search``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from assistant.http.deps import Desk, filters
from assistant.http.routing import ApiRoute
from assistant.http.sse import sse_events
from assistant.service import MAX_QUESTION_CHARS, Answer

__all__ = ["router", "AskRequest"]

router = APIRouter(route_class=ApiRoute)


class Message(BaseModel):
    role: str = Field(pattern="^(user|assistant)$")
    content: str = Field(max_length=20_000)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    history: list[Message] = Field(default_factory=list, max_length=50)
    since: dt.date | None = None
    until: dt.date | None = None
    sources: list[str] = Field(default_factory=list, max_length=50)
    as_of: dt.date | None = Field(None, description="Reference date for 'last week' etc. (default today).")
    stream: bool = Field(False, description="Answer as server-sent events: 'delta' pieces, then 'answer'.")


@router.post("/v1/ask", response_model=Answer, responses={200: {"content": {"text/event-stream": {}}}})
def ask(body: AskRequest, desk: Desk) -> Any:
    history = [(m.role, m.content) for m in body.history]
    wanted = filters(body.since, body.until, body.sources)
    if not body.stream:
        return desk.ask(body.question, history=history, filters=wanted, as_of=body.as_of)
    events = desk.ask_stream(body.question, history=history, filters=wanted, as_of=body.as_of)
    first = next(events)  # errors before the first byte still get a proper status code
    return StreamingResponse(sse_events(first, events), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/v1/search")
def search(
    desk: Desk,
    q: str = Query(min_length=1, max_length=MAX_QUESTION_CHARS),
    k: int = Query(8, ge=1, le=50),
    since: dt.date | None = None,
    until: dt.date | None = None,
    source: list[str] | None = Query(None),
) -> dict[str, Any]:
    passages = desk.search(q, k, filters(since, until, source))
    return {"query": q, "results": [p.to_dict() for p in passages]}
