"""Errors on the wire, in the shape each client expects.

newsdesk's own routes answer JSON problems, ``{"type", "title", "status", "detail"}`` (validation errors
keep FastAPI's 422 shape, with each echoed ``input`` cut to ``MAX_ECHO_CHARS``: a 1 MB question does not
come back as a 1 MB error). Starlette's and FastAPI's own refusals (a body that is not JSON or not
multipart, a missing boundary, too many files) are problems too. The OpenAI-compatible routes
(``/v1/chat/completions``, ``/v1/models``) answer OpenAI's error object, ``{"error": {"message", "type",
"param", "code"}}``, because the ``openai`` client and LangChain read ``error.message`` for the exception
text and show a bare "Error code: 400" otherwise.
Validation errors there are 400s naming the field in ``param``, as OpenAI's are.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import InputError, NewsdeskError

__all__ = [
    "problem",
    "openai_error",
    "openai_error_body",
    "newsdesk_error_body",
    "error_response",
    "is_openai_path",
    "OpenAIRequestError",
    "newsdesk_error_handler",
    "validation_error_handler",
    "http_error_handler",
    "internal_error_handler",
    "INTERNAL_DETAIL",
    "logger",
]

OPENAI_PATHS = ("/v1/chat/completions", "/v1/models")
MAX_ECHO_CHARS = 300  # of a refused value, echoed back in a validation error
_KINDS = {413: "PayloadTooLarge"}  # else the status's phrase: 400 -> BadRequest, 404 -> NotFound
logger = logging.getLogger("assistant.http")
INTERNAL_DETAIL = "an unexpected error; it has been logged"


def is_openai_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in OPENAI_PATHS)


class OpenAIRequestError(InputError):
    """A request an OpenAI-compatible route refuses, naming the parameter at fault (``model``)."""

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None,
                 status: int = 400) -> None:
        super().__init__(message)
        self.param = param
        self.code = code
        self.http_status = status


def problem(status: int, kind: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, headers=headers,
                        content={"type": kind, "title": "newsdesk error", "status": status, "detail": detail})


def openai_error_body(status: int, message: str, param: str | None = None, code: str | None = None
                      ) -> dict[str, Any]:
    """OpenAI's error object: type "invalid_request_error" for a client's mistake, "server_error" for ours."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def openai_error(status: int, message: str, *, param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, headers=headers, content=openai_error_body(status, message, param, code))


def newsdesk_error_body(exc: NewsdeskError) -> dict[str, Any]:
    """A NewsdeskError as OpenAI's error object (also sent as an event when a stream fails midway)."""
    if isinstance(exc, OpenAIRequestError):
        return openai_error_body(exc.http_status, str(exc), exc.param, exc.code)
    return openai_error_body(exc.http_status, str(exc), None, _snake(type(exc).__name__))


def error_response(path: str, status: int, kind: str, detail: str, *, code: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The error in the shape the route's clients expect: OpenAI's on the OpenAI routes, a problem elsewhere."""
    if is_openai_path(path):
        return openai_error(status, detail, code=code or _snake(kind), headers=headers)
    return problem(status, kind, detail, headers)


async def newsdesk_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NewsdeskError)
    if is_openai_path(request.url.path) or isinstance(exc, OpenAIRequestError):
        return JSONResponse(status_code=exc.http_status, content=newsdesk_error_body(exc))
    return problem(exc.http_status, type(exc).__name__, str(exc))


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not is_openai_path(request.url.path):
        errors = [{**e, "input": _clip(e["input"])} if "input" in e else e for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request", "type": ""}
    kind, msg = first.get("type"), str(first.get("msg", "invalid")).rstrip(".")
    ctx = first.get("ctx")
    if kind == "json_invalid" and isinstance(ctx, dict):  # FastAPI's msg is "JSON decode error"; why is in ctx
        msg = f"{msg}: {ctx.get('error', 'not JSON')}"
    param = None if kind == "json_invalid" else _param(first.get("loc", ()))
    if param is None:
        return openai_error(400, f"The request body is not valid: {msg}.", code="invalid_body")
    if kind == "missing":
        return openai_error(400, f"Missing required parameter: '{param}'.", param=param,
                            code="missing_required_parameter")
    return openai_error(400, f"Invalid value for '{param}': {msg}.", param=param, code="invalid_value")


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette's and FastAPI's refusals (routing 404 and 405, a body that cannot be parsed: "There was
    an error parsing the body", "Missing boundary in multipart.") in the route's error shape."""
    assert isinstance(exc, StarletteHTTPException)
    return error_response(request.url.path, exc.status_code, _kind(exc.status_code), str(exc.detail),
                          headers=getattr(exc, "headers", None))


def _kind(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "HTTPError"
    return _KINDS.get(status) or re.sub(r"[^A-Za-z]", "", phrase.title())


def _clip(value: Any) -> Any:
    """A refused value to echo: itself when short, else the start of its text and how long it was."""
    text = value if isinstance(value, str) else json.dumps(jsonable_encoder(value), ensure_ascii=False)
    if len(text) <= MAX_ECHO_CHARS:
        return value
    return f"{text[:MAX_ECHO_CHARS]}… ({len(text):,} characters)"


async def internal_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """The last resort: an exception no other handler takes is a bug, answered as a JSON 500 in the route's
    shape (OpenAI's "server_error" on its routes) instead of Starlette's text/plain, and logged with its
    traceback (:mod:`.routing` calls it inside the API's routes; outside them, as the app's ``Exception``
    handler, Starlette re-raises afterwards and the server logs it too)."""
    logger.error("500 on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc, exc_info=exc)
    return error_response(request.url.path, 500, "InternalError", INTERNAL_DETAIL)


def _param(loc: Sequence[Any]) -> str | None:
    """``("body", "messages", 0, "role")`` -> ``messages[0].role``, as OpenAI names nested parameters."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path") else loc)
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or None


def _snake(kind: str) -> str:
    """``LLMError`` -> ``llm_error``, ``PayloadTooLarge`` -> ``payload_too_large``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", kind.rstrip("_")).lower()
