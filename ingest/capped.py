"""A file's bytes under a cap, counted after decompression.

A 1 MB ``.gz`` of zeros expands to 1 GiB, and a 20 MiB upload to some 20 GiB: decompressing it whole
to find that out is what the cap is for. So a compressed file is first decompressed into nothing, a
chunk at a time, counting, and refused as soon as the count passes the cap (a bomb costs one chunk of
memory, not the cap); only a file that fits is then read into memory. A file that is not a regular
file (a pipe) can be read only once: it is read up to the cap and refused past it.
"""

from __future__ import annotations

import gzip
import stat
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from assistant.errors import IngestError, TooLargeError

__all__ = ["read_capped", "iter_chunks", "COMPRESSED_SUFFIXES", "CHUNK_BYTES"]

CHUNK_BYTES = 1 << 20
COMPRESSED_SUFFIXES = (".gz",)
_BROKEN = (gzip.BadGzipFile, EOFError, zlib.error)  # BadGzipFile is an OSError: catch these first


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f}".removesuffix(".0") + " MiB" if n >= 2**20 else f"{n:,} bytes"


def _open(path: Path) -> BinaryIO | gzip.GzipFile:
    if path.suffix.lower() == ".gz":
        return gzip.GzipFile(path, "rb")
    return path.open("rb")


def iter_chunks(path: Path, max_bytes: int) -> Iterator[bytes]:
    """The file's bytes (decompressed), a chunk at a time; :class:`TooLargeError` once they pass
    ``max_bytes``, so a caller never sees more than the cap. Broken compressed data is an IngestError."""
    origin, seen = str(path), 0
    try:
        with _open(path) as stream:
            while chunk := stream.read(CHUNK_BYTES):
                seen += len(chunk)
                if seen > max_bytes:
                    raise _too_large(path, max_bytes)
                yield chunk
    except _BROKEN as exc:
        raise IngestError(origin, f"broken gzip data: {exc}") from exc
    except OSError as exc:
        raise IngestError(origin, f"cannot read: {exc.strerror or exc}") from exc


def read_capped(path: Path, max_bytes: int) -> bytes:
    """The whole file (decompressed when it is a ``.gz``), if that is at most ``max_bytes``; else
    :class:`TooLargeError`, having held no more than one chunk of a compressed file in memory."""
    origin = str(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise IngestError(origin, f"cannot read: {exc.strerror or exc}") from exc
    size = max_bytes  # a pipe says nothing of its size: read up to the cap
    if stat.S_ISREG(info.st_mode):
        compressed = path.suffix.lower() in COMPRESSED_SUFFIXES
        size = sum(map(len, iter_chunks(path, max_bytes))) if compressed else info.st_size  # a bomb stops here
        if size > max_bytes:
            raise _too_large(path, max_bytes, size)
    try:
        with _open(path) as stream:
            data = stream.read(size + 1)
    except _BROKEN as exc:
        raise IngestError(origin, f"broken gzip data: {exc}") from exc
    except OSError as exc:
        raise IngestError(origin, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise _too_large(path, max_bytes)
    if len(data) > size:
        raise IngestError(origin, "the file grew while it was read; try again")
    return data


def _too_large(path: Path, max_bytes: int, size: int | None = None) -> TooLargeError:
    cap = f"the {_mib(max_bytes)} cap on a file's size (NEWSDESK_MAX_FILE_BYTES)"
    if path.suffix.lower() in COMPRESSED_SUFFIXES:
        return TooLargeError(str(path), f"expands to more than {_mib(max_bytes)} when decompressed, over {cap}")
    if size is not None:
        return TooLargeError(str(path), f"file is {_mib(size)}, over {cap}")
    return TooLargeError(str(path), f"more than {_mib(max_bytes)}, over {cap}")
