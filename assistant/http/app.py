"""The HTTP app: wiring only. Routes live in ``routes_*``; errors become JSON problems, or OpenAI's error
object on the OpenAI-compatible routes (``problems``)."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant import __version__
from assistant.errors import NewsdeskError
from assistant.http import methods, routes_articles, routes_ask, routes_openai
from assistant.http.auth import make_guard
from assistant.http.docs import add_local_docs
from assistant.http.limits import BodyLimit
from assistant.http.login_limit import LoginLimit
from assistant.http.origin import OriginGuard, policy_from
from assistant.http.problems import (
    http_error_handler,
    internal_error_handler,
    newsdesk_error_handler,
    validation_error_handler,
)
from assistant.service import Newsdesk

__all__ = ["create_app"]


def create_app(newsdesk: Newsdesk, *, with_page: bool = True) -> FastAPI:
    """The API at /v1 and /healthz, with the chat page mounted at / unless ``with_page`` is False."""
    app = FastAPI(title="newsdesk", version=__version__, description="Ask questions about your news stories.",
                  docs_url=None, redoc_url=None)  # served from local files by add_local_docs
    add_local_docs(app)
    app.state.newsdesk = newsdesk
    settings = newsdesk.settings
    app.middleware("http")(make_guard(settings))
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "X-API-Key"])
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)  # counts every body's bytes as read
    if settings.api_key_set and with_page:
        app.add_middleware(LoginLimit, limit=settings.login_failures, window_s=settings.login_window_s)
    app.add_middleware(OriginGuard, policy=policy_from(settings))  # added last: the outermost
    app.add_exception_handler(NewsdeskError, newsdesk_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, internal_error_handler)  # last resort: a JSON 500, logged

    @app.api_route("/healthz", methods=["GET", "HEAD"])  # HEAD: what uptime probes send
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "mode": newsdesk.mode, "chunks": newsdesk.chunk_count()}

    for module in (routes_ask, routes_openai, routes_articles):
        app.include_router(module.router)
    app.include_router(methods.router)  # after the API's routes: 405 and 404 as problems, not the page's 404
    if with_page:
        return _with_page(app, newsdesk)
    return app


def _with_page(app: FastAPI, newsdesk: Newsdesk) -> FastAPI:
    import gradio as gr

    from assistant.web import PAGE_CSS, build_page

    keys = newsdesk.settings.api_key_set
    auth = (lambda _user, password: any(hmac.compare_digest(password.encode(), k.encode()) for k in keys)) if keys else None
    # show_error=False: an unexpected error's text (paths, library internals) stays in the server's log;
    # the page's own messages (gr.Error) are shown either way.
    mounted: FastAPI = gr.mount_gradio_app(app, build_page(newsdesk), path="/", footer_links=[], css=PAGE_CSS,
                                           auth=auth, show_error=False, max_file_size=newsdesk.settings.max_body_bytes,
                                           auth_message="Sign in with any user name and an API key as the password.")
    return mounted
