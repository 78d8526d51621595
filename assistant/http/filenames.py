"""The name an uploaded file is saved under, made from the name the client gave it.

A client's name is data. One of 300 characters was an OSError ("File name too long": most file systems
take 255 bytes), one holding NUL a ValueError ("embedded null byte"), both 500s; a path ("../x.txt",
"..\\x.txt") must not leave the upload's folder. The saved name keeps the suffixes, which choose the
reader (``.jsonl.gz``), and as much of the rest as fits.
"""

from __future__ import annotations

import re

__all__ = ["MAX_NAME_BYTES", "safe_name"]

MAX_NAME_BYTES = 200  # UTF-8 bytes of a saved name, under the usual 255 with room for a prefix
_UNSAFE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")  # control characters, NUL, lone surrogates
_SUFFIXES = re.compile(r"(?:\.[A-Za-z0-9]{1,8}){1,3}$")


def safe_name(filename: str | None, n: int) -> str:
    """The client's file name without folders, control characters or lone surrogates, cut to
    ``MAX_NAME_BYTES`` with its suffixes kept; ``upload-<n>.txt`` when nothing is left of it."""
    name = _UNSAFE.sub("", re.split(r"[\\/]", filename or "")[-1]).strip()
    if name.strip(".") == "":
        return f"upload-{n}.txt"
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    m = _SUFFIXES.search(name)
    suffix = m.group(0) if m else ""
    room = MAX_NAME_BYTES - len(suffix)
    stem = name[: len(name) - len(suffix)].encode("utf-8")[:room].decode("utf-8", "ignore")
    return stem + suffix
