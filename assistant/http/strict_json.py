"""JSON request bodies read as JSON (RFC 8259) and nothing more, with a bound on nesting.

Python's ``json`` reads more than JSON: ``NaN``, ``Infinity``, ``-Infinity``, and ``1e400`` as infinity.
No JSON client sends them on purpose, and no JSON response can carry them back: a validation error that
echoed one could not be written, a 500. It also recurses once a level, so a body nested 1,000 deep was a
RecursionError, another 500; and it decodes bytes that are not UTF-8 as UTF-16 or fails with
UnicodeDecodeError. Here a body must be UTF-8 text, numbers finite (integers at most ``MAX_DIGITS``
digits: ``int()`` of 4,301 raises ValueError), nesting at most ``MAX_DEPTH`` levels.

A lone surrogate escape (``"\\ud800"``, half of a UTF-16 pair) decodes to a str that is not text: it
cannot be encoded, so the tokenizer or the database failed on it. A question holding one is refused: the
client can resend it, and a question with a character silently changed could be answered as another
question. Stored text (an article body, ``POST /v1/articles``) keeps the article and puts U+FFFD where
the broken character was, as browsers do when they encode such a string: refusing would lose a whole
story, often a scraped one cut mid-emoji, for one character.

Every refusal is a ``json.JSONDecodeError``, which FastAPI answers as its 422 ``json_invalid`` (OpenAI's
400 on the OpenAI routes) and the articles route as a 400 problem, as for any other malformed body.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any, ClassVar

from fastapi import Request

__all__ = ["MAX_DEPTH", "MAX_DIGITS", "read_json", "StrictRequest", "StoredTextRequest"]

MAX_DEPTH = 32  # levels of arrays and objects; the API's own bodies need 5
MAX_DIGITS = 40  # of an integer: 2**63 has 19
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _Refused(ValueError):
    """What a callback of the decoder refuses, and what it was (text or a pattern), to find where it is."""

    def __init__(self, reason: str, what: str | re.Pattern[str] | None = None) -> None:
        super().__init__(reason)
        self.what = what

    def position(self, text: str) -> int:
        if isinstance(self.what, re.Pattern):
            m = self.what.search(text)
            return m.start() if m else 0
        return max(text.find(self.what), 0) if self.what else 0


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON value", name)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:40]} is out of range", text)
    return value


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _Refused(f"an integer of {len(text.lstrip('-')):,} digits is out of range", text)
    return int(text)


def read_json(body: bytes, *, replace_surrogates: bool = False) -> Any:
    """The body's JSON value; ``json.JSONDecodeError`` naming the reason when it is not JSON we take."""
    try:
        text = body.decode("utf-8-sig")  # a byte order mark is allowed to lead (RFC 8259, 8.1)
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError(f"the body is not UTF-8 (byte 0x{body[exc.start]:02X})", "", exc.start) from None
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_finite, parse_int=_integer)
    except json.JSONDecodeError:
        raise
    except _Refused as exc:
        raise json.JSONDecodeError(str(exc), text, exc.position(text)) from None
    except RecursionError:
        raise json.JSONDecodeError(f"nested more than {MAX_DEPTH} levels deep", text, 0) from None
    fix: Callable[[str], str] | None = None
    if _SURROGATE_ESCAPE.search(text):
        fix = _replaced if replace_surrogates else _refused
    try:
        return _walk(value, 1, fix)
    except _Refused as exc:
        raise json.JSONDecodeError(str(exc), text, exc.position(text)) from None


def _walk(value: Any, depth: int, fix: Callable[[str], str] | None) -> Any:
    """``value`` checked for depth, its strings (keys too) passed through ``fix``; stops at MAX_DEPTH + 1
    levels, so this recursion stays shallow however deep the body."""
    if isinstance(value, str):
        return fix(value) if fix else value
    if not isinstance(value, list | dict):
        return value
    if depth > MAX_DEPTH:
        raise _Refused(f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, list):
        return [_walk(v, depth + 1, fix) for v in value]
    return {(fix(k) if fix else k): _walk(v, depth + 1, fix) for k, v in value.items()}


def _refused(text: str) -> str:
    m = _SURROGATE.search(text)
    if m:
        raise _Refused(f"\\u{ord(m.group(0)):04x} is half of a UTF-16 surrogate pair, not a character",
                       _SURROGATE_ESCAPE)
    return text


def _replaced(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


class StrictRequest(Request):
    """A request whose ``json()`` is :func:`read_json` (what FastAPI and the routes call); the API's routes
    get one (:mod:`.routing`)."""

    replace_surrogates: ClassVar[bool] = False

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = read_json(await self.body(), replace_surrogates=self.replace_surrogates)
        return self._json


class StoredTextRequest(StrictRequest):
    """For routes whose text is stored: a lone surrogate becomes U+FFFD instead of a refusal."""

    replace_surrogates = True
