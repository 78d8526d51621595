"""Server-sent events for ``/v1/ask``: ``delta`` pieces ({"text"}), then ``answer`` (the Answer)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from assistant.errors import NewsdeskError
from assistant.http.problems import INTERNAL_DETAIL, logger
from assistant.service import Delta, Final

__all__ = ["sse_events"]


def _encode(event: Delta | Final) -> str:
    if isinstance(event, Final):
        return f"event: answer\ndata: {event.answer.model_dump_json()}\n\n"
    return f"event: delta\ndata: {json.dumps({'text': event.text}, ensure_ascii=False)}\n\n"


def sse_events(first: Delta | Final, rest: Iterator[Delta | Final]) -> Iterator[str]:
    """The stream as SSE text; an error after the first byte becomes an ``error`` event (a bug's logged)."""
    yield _encode(first)
    try:
        for event in rest:
            yield _encode(event)
    except NewsdeskError as exc:
        yield f"event: error\ndata: {json.dumps({'detail': str(exc), 'status': exc.http_status})}\n\n"
    except Exception as exc:  # a bug after the first byte: too late for a 500, so the error event says it
        logger.error("500 in an answer's stream: %s: %s", type(exc).__name__, exc, exc_info=exc)
        yield f"event: error\ndata: {json.dumps({'detail': INTERNAL_DETAIL, 'status': 500})}\n\n"
