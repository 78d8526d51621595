"""The API's answer to a path it has but not for the method asked (``GET /v1/ask``): 405 with an
``Allow`` header; to a ``/v1`` path it doesn't have: 404. Both as JSON problems (OpenAI's error
object on the OpenAI-compatible paths).

Without these routes the chat page, mounted at ``/``, takes every request no API route fully
matches, and the client gets the page's HTML 404. Include this router after the API's own."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.routing import compile_path

from assistant.http.problems import error_response

__all__ = ["router"]

router = APIRouter()
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def _allowed(request: Request) -> list[str]:
    """The methods the API takes on this path (none: the API has no such path), read off its OpenAPI
    schema, which lists every route but these."""
    allowed: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(request.url.path):
            allowed |= {method.upper() for method in operations if method.upper() in ALL_METHODS}
    return sorted(allowed)


@router.api_route("/v1/{rest:path}", methods=ALL_METHODS, include_in_schema=False)
@router.api_route("/healthz", methods=ALL_METHODS, include_in_schema=False)
def unmatched(request: Request) -> JSONResponse:
    allowed = _allowed(request)
    if not allowed:
        return error_response(request.url.path, 404, "NotFound", f"no such API path: {request.url.path} (see /docs)")
    methods = ", ".join(allowed)
    return error_response(request.url.path, 405, "MethodNotAllowed",
                          f"{request.url.path} takes {methods}, not {request.method}", headers={"Allow": methods})
