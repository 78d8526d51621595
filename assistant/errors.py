"""User-facing errors, translated only at the edges (CLI: message + exit code; HTTP: problem JSON).

    NewsdeskError                 anything a user can act on
    ├── ConfigError               a setting is missing or invalid
    ├── InputError                a request or argument is invalid (HTTP 400/422)
    ├── NotFoundError             an article, file or index does not exist (HTTP 404)
    ├── IngestError               one input could not be read; the batch goes on
    │   └── TooLargeError         one input is over a size cap, perhaps only once decompressed (HTTP 413)
    ├── IndexError_               the index is missing or inconsistent
    └── LLMError                  the configured LLM endpoint failed (HTTP 502)

Unexpected exceptions are not wrapped: they are bugs and should crash loudly.
"""

from __future__ import annotations

__all__ = [
    "NewsdeskError",
    "ConfigError",
    "InputError",
    "NotFoundError",
    "IngestError",
    "TooLargeError",
    "IndexError_",
    "LLMError",
]


class NewsdeskError(Exception):
    """Base class: an error whose message is meant for the user."""

    exit_code = 1
    http_status = 500


class ConfigError(NewsdeskError):
    exit_code = 2
    http_status = 500


class InputError(NewsdeskError):
    exit_code = 2
    http_status = 400


class NotFoundError(NewsdeskError):
    exit_code = 3
    http_status = 404


class IngestError(NewsdeskError):
    """One input could not be ingested; carries the path or URL it is about."""

    exit_code = 4
    http_status = 422

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class TooLargeError(IngestError):
    """One input is over a size cap (a file, or what a compressed file expands to): refused unread, so
    an upload that is nothing but such inputs is a 413, not a 422."""

    http_status = 413


class IndexError_(NewsdeskError):  # noqa: N801 - avoid shadowing the builtin IndexError
    exit_code = 5
    http_status = 503


class LLMError(NewsdeskError):
    exit_code = 6
    http_status = 502
