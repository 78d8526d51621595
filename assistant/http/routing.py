"""How the API's routes run (``APIRouter(route_class=ApiRoute)``): each reads its JSON body strictly
(:mod:`.strict_json`), and an exception no handler takes, a bug, is answered where it happens, as a JSON
500 in the route's shape, logged with its traceback (:func:`~.problems.internal_error_handler`).

The app's own last resort (an ``Exception`` handler) cannot do that alone: Starlette sends its answer and
then re-raises the exception to the server, and uvicorn closes the connection, so the client's next
request on it was reset. It stays registered for what happens outside a route (middleware, the page).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

from fastapi import Request, Response
from fastapi.routing import APIRoute

from assistant.http.limits import BodyTooLarge
from assistant.http.problems import internal_error_handler
from assistant.http.strict_json import StoredTextRequest, StrictRequest

__all__ = ["ApiRoute", "StoredTextRoute"]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ApiRoute(APIRoute):
    """An API route: strict JSON bodies, and a JSON 500 for a bug, the connection kept."""

    request_class: ClassVar[type[StrictRequest]] = StrictRequest

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        request_class = self.request_class

        async def run(request: Request) -> Response:
            try:
                return await handler(request_class(request.scope, request.receive))
            except Exception as exc:
                if isinstance(exc, BodyTooLarge) or _handled(request, exc):  # the body cap answers 413; the
                    raise  # handlers of HTTPException, validation, NewsdeskError answer theirs
                return await internal_error_handler(request, exc)

        return run


class StoredTextRoute(ApiRoute):
    """For routes whose text is stored (articles): a lone surrogate becomes U+FFFD, not a refusal."""

    request_class = StoredTextRequest


def _handled(request: Request, exc: Exception) -> bool:
    """Does an exception handler of the app, other than the last resort, take ``exc``?"""
    handlers = getattr(request.app, "exception_handlers", {})
    return any(isinstance(kind, type) and kind is not Exception and isinstance(exc, kind) for kind in handlers)
