"""The HTTP API (FastAPI): ``app`` wires the routers; each ``routes_*`` module is one concern."""

from assistant.http.app import create_app

__all__ = ["create_app"]
