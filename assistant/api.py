"""HTTP API (FastAPI). Routes translate errors into JSON problems and call the core, nothing more."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from assistant import __version__
from assistant.errors import NewsdeskError, NotFoundError
from assistant.models import Answer
from assistant.openai_compat import MODEL_NAME, ChatRequest, complete, complete_stream
from assistant.service import MAX_QUESTION_CHARS, Newsdesk
from assistant.store import Filters

__all__ = ["create_app", "AskRequest"]


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


def _filters(since: dt.date | None, until: dt.date | None, sources: list[str] | None) -> Filters:
    return Filters.between(since, until, sources or ())


def _sse(first: str | Answer, rest: Iterator[str | Answer]) -> Iterator[str]:
    """Server-sent events: ``event: delta`` with {"text"}, then ``event: answer`` with the Answer."""
    def encode(item: str | Answer) -> str:
        if isinstance(item, Answer):
            return f"event: answer\ndata: {item.model_dump_json()}\n\n"
        return f"event: delta\ndata: {json.dumps({'text': item}, ensure_ascii=False)}\n\n"

    yield encode(first)
    try:
        for item in rest:
            yield encode(item)
    except NewsdeskError as exc:
        yield f"event: error\ndata: {json.dumps({'detail': str(exc), 'status': exc.http_status})}\n\n"


def _presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key")


def _problem_response(status: int, kind: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, headers=headers,
                        content={"type": kind, "title": "newsdesk error", "status": status, "detail": detail})


def create_app(newsdesk: Newsdesk, *, with_page: bool = True) -> FastAPI:
    """The API at /v1 and /healthz, with the chat page mounted at / unless ``with_page`` is False."""
    app = FastAPI(title="newsdesk", version=__version__, description="Ask questions about your news stories.")

    settings = newsdesk.settings
    keys = settings.api_key_set

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Any:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_body_bytes:
            return _problem_response(413, "PayloadTooLarge",
                                     f"request body over {settings.max_body_bytes // 2**20} MiB")
        path = request.url.path
        if keys and (path.startswith("/v1/") or path in ("/docs", "/openapi.json", "/redoc")):
            if request.method != "OPTIONS" and _presented_key(request) not in keys:
                return _problem_response(401, "Unauthorized", "a valid API key is required "
                                         "(Authorization: Bearer KEY or X-API-Key: KEY)",
                                         {"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "X-API-Key"])

    @app.exception_handler(NewsdeskError)
    async def _problem(request: Request, exc: NewsdeskError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.http_status,
            content={"type": type(exc).__name__, "title": "newsdesk error", "status": exc.http_status,
                     "detail": str(exc)},
        )

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "mode": newsdesk.mode,
                "chunks": newsdesk.store.chunk_count()}

    @app.post("/v1/ask", response_model=Answer, responses={200: {"content": {"text/event-stream": {}}}})
    def ask(body: AskRequest) -> Any:
        history = [(m.role, m.content) for m in body.history]
        filters = _filters(body.since, body.until, body.sources)
        if not body.stream:
            return newsdesk.ask(body.question, history=history, filters=filters, as_of=body.as_of)
        events = newsdesk.ask_stream(body.question, history=history, filters=filters, as_of=body.as_of)
        first = next(events)  # errors before the first byte still get a proper status code
        return StreamingResponse(_sse(first, events), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.get("/v1/search")
    def search(
        q: str = Query(min_length=1, max_length=MAX_QUESTION_CHARS),
        k: int = Query(8, ge=1, le=50),
        since: dt.date | None = None,
        until: dt.date | None = None,
        source: list[str] | None = Query(None),
    ) -> dict[str, Any]:
        passages = newsdesk.search(q, k, _filters(since, until, source))
        return {"query": q, "results": [p.to_dict() for p in passages]}

    @app.get("/v1/stats")
    def stats() -> dict[str, Any]:
        return newsdesk.store.stats()

    @app.post("/v1/chat/completions", responses={200: {"content": {"text/event-stream": {}}}})
    def chat_completions(body: ChatRequest) -> Any:
        """OpenAI-compatible: model "newsdesk"; ``stream: true`` answers as OpenAI-format SSE chunks."""
        if body.stream:
            return StreamingResponse(complete_stream(newsdesk, body), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})
        return complete(newsdesk, body)

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "newsdesk"}]}

    @app.get("/v1/articles")
    def list_articles(limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
        return {"articles": newsdesk.store.list_articles(limit, offset), "limit": limit, "offset": offset}

    @app.post("/v1/articles")
    async def add_articles(request: Request) -> dict[str, Any]:
        """Ingest articles: a JSON object or list ({title, text, url, published, source, byline}), or a
        multipart upload of files (any format `newsdesk ingest` reads)."""
        from assistant.ingest_edge import ingest_request

        return await ingest_request(newsdesk, request)

    @app.delete("/v1/articles/{article_id}")
    def delete_article(article_id: str) -> dict[str, Any]:
        if not newsdesk.store.delete_articles([article_id]):
            raise NotFoundError(f"no article with id {article_id!r}")
        return {"deleted": article_id}

    if with_page:
        import gradio as gr

        from assistant.web import PAGE_CSS, build_page

        auth = (lambda _user, password: password in keys) if keys else None
        app = gr.mount_gradio_app(app, build_page(newsdesk), path="/", footer_links=[], css=PAGE_CSS, auth=auth,
                                  auth_message="Sign in with any user name and an API key as the password.")
    return app
