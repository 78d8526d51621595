"""A limit on failed page sign-ins per client address: guessing API keys at the page's login form.

The page's login (Gradio's ``POST /login``) checks the password against the API keys as fast as requests
come. Each client address may fail ``login_failures`` times in ``login_window_s`` (a sliding window);
after that every try from it is answered 429 until its oldest failure leaves the window. A try counts as
a failure from the moment it starts and is taken back only when it succeeds, so that a burst of
concurrent guesses gets no more tries than one after another. The table keeps at most ``MAX_CLIENTS``
addresses, the least recently seen dropped first, so a flood of addresses costs bounded memory.

Behind a proxy every client has the proxy's address unless uvicorn is told to trust its
``X-Forwarded-For`` (``--forwarded-allow-ips``); the limit then applies to all of them together.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.http.problems import problem

__all__ = ["FailureWindow", "LoginLimit", "LOGIN_PATHS", "MAX_CLIENTS"]

LOGIN_PATHS = frozenset({"/login", "/login/"})
MAX_CLIENTS = 10_000


class FailureWindow:
    """Recent failures per client: at most ``limit`` within ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float, *, max_clients: int = MAX_CLIENTS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window_s, self.max_clients, self.clock = limit, window_s, max_clients, clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def _recent(self, client: str) -> deque[float]:
        times = self._seen.get(client)
        if times is None:
            times = self._seen[client] = deque(maxlen=self.limit)
            while len(self._seen) > self.max_clients:
                self._seen.popitem(last=False)
        self._seen.move_to_end(client)
        cutoff = self.clock() - self.window_s
        while times and times[0] <= cutoff:
            times.popleft()
        return times

    def wait_s(self, client: str) -> float:
        """Seconds until ``client`` may try again; 0 when it may now."""
        times = self._recent(client)
        if len(times) < self.limit:
            return 0.0
        return max(times[0] + self.window_s - self.clock(), 0.0)

    def add(self, client: str) -> float:
        """Count a try as a failure; returns its time, to :meth:`forgive` it if it succeeds."""
        now = self.clock()
        self._recent(client).append(now)
        return now

    def forgive(self, client: str, when: float) -> None:
        times = self._seen.get(client)
        if times is not None and when in times:
            times.remove(when)


class LoginLimit:
    """ASGI middleware around the page: applies a :class:`FailureWindow` to ``POST /login``."""

    def __init__(self, app: ASGIApp, limit: int, window_s: float) -> None:
        self.app = app
        self.window = FailureWindow(limit, window_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in LOGIN_PATHS:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.window.wait_s(client)
        if wait > 0:
            seconds = math.ceil(wait)
            response = problem(429, "TooManyRequests", f"too many failed sign-ins from this address; try again "
                               f"in {seconds} s", headers={"Retry-After": str(seconds)})
            await response(scope, receive, send)
            return
        tried = self.window.add(client)

        async def send_and_judge(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                self.window.forgive(client, tried)
            await send(message)

        await self.app(scope, receive, send_and_judge)
