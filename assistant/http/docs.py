"""The API docs (/docs: Swagger UI, /redoc: ReDoc) served with their assets from an installed package.

FastAPI's default pages load Swagger UI and ReDoc from a CDN (and ReDoc's fonts from Google), so
offline they are blank, and online each visit tells a third party. The same files ship inside the
``fastapi-offline`` package; we serve only its static folder, as FastAPI's "self-hosting" recipe does.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_PATH", "add_local_docs"]

ASSETS_PATH = "/docs-assets"
# The docs pages may load nothing from elsewhere (ReDoc's footer, for one, links its logo from a CDN).
SAME_ORIGIN_ONLY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                    "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; font-src 'self' data:")


def _same_origin(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = SAME_ORIGIN_ONLY
    return page


def _assets_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def add_local_docs(app: FastAPI) -> None:
    """Routes for /docs and /redoc on an app made with ``docs_url=None, redoc_url=None``."""
    app.mount(ASSETS_PATH, StaticFiles(directory=_assets_dir()), name="docs-assets")
    title = f"{app.title} API"
    favicon = f"{ASSETS_PATH}/favicon.png"

    @app.api_route("/docs", methods=["GET", "HEAD"], include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _same_origin(get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=title,
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=favicon, oauth2_redirect_url="/docs/oauth2-redirect",
        ))

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.api_route("/redoc", methods=["GET", "HEAD"], include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _same_origin(get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json", title=title,
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js", redoc_favicon_url=favicon, with_google_fonts=False,
        ))
