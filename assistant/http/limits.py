"""The body cap: every request body counted as it is read, on every route, the page's included.

A guard that reads ``Content-Length`` is bypassed by a chunked body, which has none: 60 MiB of chat
history sent chunked went through one. This pure ASGI middleware wraps ``receive`` instead, so the cap
holds whatever the headers say. A declared length over the cap is refused before a byte is read; past
the cap, ``receive`` raises, so the route (or Starlette's and Gradio's multipart parsers) has read at
most the cap plus one chunk. Whatever the app then answers (FastAPI's "There was an error parsing the
body", a 500) is dropped for a 413 in the route's error shape (:func:`~assistant.http.problems.error_response`).
It is added to the app that mounts the page, outermost, so it sees every request that app serves.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.http.problems import error_response

__all__ = ["BodyLimit", "BodyTooLarge"]


class BodyTooLarge(Exception):
    """Raised by the wrapped ``receive`` once the body passes the cap; the middleware answers 413."""


def _size(n: int) -> str:
    return f"{n // 2**20} MiB" if n % 2**20 == 0 else f"{n:,} bytes"


class BodyLimit:
    """Refuse (413) a request whose body, declared or as read, is over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        read, over, started = 0, False, False

        async def counted_receive() -> Message:
            nonlocal read, over
            if over:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.max_bytes:
                    over = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # the app's answer to a body cut short: the 413 below replaces it
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:  # noqa: BLE001 - whatever the cut body made the app raise (wrapped or not)
            if not over:
                raise
        if over and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(scope["path"], 413, "PayloadTooLarge",
                                  f"request body over the {_size(self.max_bytes)} cap",
                                  headers={"Connection": "close"})
        await response(scope, receive, send)
