"""``newsdesk serve``: claim the port first, then load, then say where the page is and serve."""

from __future__ import annotations

import errno
import socket

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.service import open_newsdesk

__all__ = ["serve", "bind"]


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or a one-line :class:`ConfigError` saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restart over TIME_WAIT
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} is in use on {host}; stop what holds it or choose another with "
                              "--port or NEWSDESK_PORT") from None
        if exc.errno == errno.EACCES:
            raise ConfigError(f"not allowed to listen on port {port} (ports below 1024 need privileges); "
                              "choose another with --port or NEWSDESK_PORT") from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def serve(settings: Settings, host: str | None, port: int | None) -> int:
    import uvicorn

    from assistant.http.app import create_app

    host, port = host or settings.host, port if port is not None else settings.port
    settings = settings.model_copy(update={"host": host, "port": port})  # the app answers to the bound name
    sock = bind(host, port)
    try:
        nd = open_newsdesk(settings)
        nd.store.recover()
        nd.warm_up()
        stop_following = nd.follow()  # other replicas' (and `newsdesk ingest`'s) writes show up here
        server = uvicorn.Server(uvicorn.Config(create_app(nd), log_level="warning"))
        shown = f"[{host}]" if ":" in host else host
        print(f"newsdesk: serving the chat page on http://{shown}:{port}/ ({nd.mode} answers; API docs at /docs)",
              flush=True)
        try:
            server.run(sockets=[sock])
        finally:
            stop_following()
    finally:
        sock.close()
    return 0
