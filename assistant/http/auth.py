"""The request guard: API keys on /v1 and the docs when keys are set; refusals come in the shape of the
route's clients (:func:`~assistant.http.problems.error_response`). The body cap is :mod:`~assistant.http.limits`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response

from assistant.config import Settings
from assistant.http.problems import error_response

__all__ = ["make_guard"]

Guard = Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]
PROTECTED_DOCS = ("/docs", "/openapi.json", "/redoc")


def _presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key")


def make_guard(settings: Settings) -> Guard:
    keys = settings.api_key_set

    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if keys and (path.startswith("/v1/") or path in PROTECTED_DOCS):
            if request.method != "OPTIONS" and _presented_key(request) not in keys:
                return error_response(path, 401, "Unauthorized", "a valid API key is required "
                                      "(Authorization: Bearer KEY or X-API-Key: KEY)", code="invalid_api_key",
                                      headers={"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    return guard
