"""Errors as JSON problems: ``{"type", "title", "status", "detail"}``."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from assistant.errors import NewsdeskError

__all__ = ["problem", "newsdesk_error_handler"]


def problem(status: int, kind: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, headers=headers,
                        content={"type": kind, "title": "newsdesk error", "status": status, "detail": detail})


async def newsdesk_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NewsdeskError)
    return problem(exc.http_status, type(exc).__name__, str(exc))
