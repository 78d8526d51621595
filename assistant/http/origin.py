"""Which browsers' requests the server takes: a Host on the allow-list, an Origin of its own.

A keyless server on a laptop is reachable by every web page its user opens, through the browser:

- DNS rebinding: a page on ``evil.example`` re-points that name at 127.0.0.1 and then reads and writes
  the API as its own origin. The browser still sends ``Host: evil.example``, so the Host header is checked
  against an allow-list (the bound address, localhost, 127.0.0.1, ::1 and ``NEWSDESK_ALLOWED_HOSTS``).
- Cross-site requests (CSRF): a form or ``fetch(..., {mode: "no-cors"})`` posts ``text/plain`` or a form
  without a preflight. Every request whose ``Origin`` is not the server's own (nor one of
  ``NEWSDESK_CORS_ORIGINS``) is refused, whatever its method, so no other page can read or write, and a
  preflight from one gets no ``Access-Control-Allow-Origin`` (Gradio's own CORS answers any
  ``http://localhost:*`` origin). Without an Origin, a write is refused when ``Sec-Fetch-Site`` says
  another site sent it, or, from a browser too old for that header, when its ``Referer`` is another origin.
  Clients that are not browsers send none of these and pass.
- The API's writes take only ``application/json`` and ``multipart/form-data`` bodies: the two kinds a
  cross-site page cannot send without a preflight (multipart can, but only with an Origin, refused above).

``/healthz`` answers any Host, so that load balancers and probes that address a replica by its IP work.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.config import Settings
from assistant.http.problems import error_response

__all__ = ["OriginGuard", "OriginPolicy", "policy_from", "refusal"]

LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::", "*"})  # noqa: S104 - names, not a bind
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_BODY_TYPES = ("application/json", "multipart/form-data")
OTHER_SITE = frozenset({"cross-site", "same-site"})  # same-site includes another port of localhost
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


@dataclass(frozen=True)
class OriginPolicy:
    """Host names served (``"*"``: any) and the other origins allowed by CORS."""

    hosts: frozenset[str]
    origins: frozenset[str]


def policy_from(settings: Settings) -> OriginPolicy:
    """The bound address (unless it is every interface), the loopback names and the configured hosts."""
    hosts = set(LOCAL_NAMES)
    bound = settings.host.strip().strip("[]").lower()
    if bound not in WILDCARD_BINDS:
        hosts.add(bound)
    hosts |= {h.strip().strip("[]").lower() for h in settings.allowed_hosts.split(",") if h.strip()}
    origins = {o.strip().rstrip("/").lower() for o in settings.cors_origins.split(",") if o.strip()}
    return OriginPolicy(frozenset(hosts), frozenset(origins))


def _host_and_port(netloc: str) -> tuple[str, int | None] | None:
    """``"[::1]:7860"`` -> ``("::1", 7860)``; None for what is not a host (a bad port, userinfo, a path)."""
    if not netloc or any(c in netloc for c in "/?#@\\ "):
        return None
    try:
        parts = urlsplit("//" + netloc)
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None


def _same_origin(url: str, host: str) -> bool:
    """Whether ``url`` (an Origin or a Referer) is the origin the browser sent this request to."""
    try:
        parts = urlsplit(url)
        theirs = (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return False
    ours = _host_and_port(host)
    if not theirs[0] or ours is None:
        return False
    return theirs == (ours[0], ours[1] or DEFAULT_PORTS.get(parts.scheme.lower()))


def _origin_allowed(origin: str, host: str, policy: OriginPolicy) -> bool:
    if origin == "null":  # sandboxed frames, file: pages, data: URLs: anyone can be "null"
        return False
    return origin.rstrip("/").lower() in policy.origins or _same_origin(origin, host)


def refusal(method: str, path: str, headers: Headers, policy: OriginPolicy) -> tuple[int, str, str] | None:
    """Why this request is refused (status, kind, detail), or None to let it through."""
    host = headers.get("host", "")
    parsed = _host_and_port(host)
    if path != "/healthz" and "*" not in policy.hosts and (parsed is None or parsed[0] not in policy.hosts):
        return 400, "InvalidHost", (f"this server does not answer to the host {host!r}; add it to "
                                    "NEWSDESK_ALLOWED_HOSTS if it is this server's name")
    cross_site = (403, "CrossSiteRequest", "requests from other web pages are refused "
                  "(list a page's origin in NEWSDESK_CORS_ORIGINS to let it call the API)")
    origin = headers.get("origin")
    if origin is not None:
        if not _origin_allowed(origin, host, policy):
            return cross_site
    elif method in UNSAFE_METHODS:
        site = headers.get("sec-fetch-site")
        referer = headers.get("referer")
        if site in OTHER_SITE or (site is None and referer and not _same_origin(referer, host)):
            return cross_site
    if method in UNSAFE_METHODS and path.startswith("/v1/") and not _api_body_ok(headers):
        return 415, "UnsupportedMediaType", "send the body as application/json (or files as multipart/form-data)"
    return None


def _api_body_ok(headers: Headers) -> bool:
    content_type = headers.get("content-type")
    if content_type is None:  # no body at all (DELETE, a bare POST) needs no type
        return headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers
    return content_type.split(";")[0].strip().lower() in API_BODY_TYPES


class OriginGuard:
    """ASGI middleware: refuses what :func:`refusal` refuses, in the route's error shape, before any
    route (the API's or the page's) or any CORS middleware sees the request."""

    def __init__(self, app: ASGIApp, policy: OriginPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET") if scope["type"] == "http" else "GET"
        refused = refusal(method, scope["path"], Headers(scope=scope), self.policy)
        if refused is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # before accept: the client gets 403
        else:
            status, kind, detail = refused
            await error_response(scope["path"], status, kind, detail)(scope, receive, send)
