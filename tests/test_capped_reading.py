"""Reading files under the size cap, counted after decompression: a small .gz that expands to far more
than the cap is refused having held no more than a chunk of it, a plain file over the cap is refused
unread, a pipe is read no further than the cap; the CLI says so in one line and ingests the rest."""

from __future__ import annotations

import gzip
import os
import random
import threading
import tracemalloc
import zlib
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import TooLargeError
from ingest.capped import CHUNK_BYTES, iter_chunks
from ingest.sources import estimate_records, read_path

from .conftest import SAMPLE

MiB = 2**20


def gzip_bomb(path: Path, expanded: int, byte: bytes = b"a") -> Path:
    """A .gz of ``expanded`` bytes of one repeated byte, written without holding them (a few hundred KB)."""
    block = byte * MiB
    with gzip.open(path, "wb", compresslevel=9) as out:
        for _ in range(expanded // MiB):
            out.write(block)
    return path


def test_a_gzip_bomb_is_refused_holding_no_more_than_a_chunk(tmp_path: Path) -> None:
    bomb = gzip_bomb(tmp_path / "bomb.txt.gz", 96 * MiB)
    assert bomb.stat().st_size < MiB
    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError, match=r"expands to more than 32 MiB when decompressed"):
            list(read_path(bomb, max_bytes=32 * MiB))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * CHUNK_BYTES, f"held {peak / MiB:.1f} MiB to refuse a bomb under a 32 MiB cap"
    seen = 0
    with pytest.raises(TooLargeError):
        for chunk in iter_chunks(bomb, 32 * MiB):
            seen += len(chunk)
    assert seen <= 32 * MiB  # a caller never sees more than the cap


def test_a_file_that_fits_is_read_whole_and_broken_gzip_is_an_ingest_error(tmp_path: Path) -> None:
    lines = tmp_path / "fits.jsonl.gz"
    lines.write_bytes(gzip.compress(b'{"title": "Harbour", "text": "The harbour reopened."}\n' * 3))
    assert len(list(read_path(lines, max_bytes=MiB))) == 3
    assert estimate_records(lines, MiB) == 3
    corrupt = tmp_path / "corrupt.txt.gz"  # a valid header, then garbage in the deflate stream
    corrupt.write_bytes(gzip.compress(b"Some text. " * 1000)[:20] + random.Random(0).randbytes(2000))
    with pytest.raises(Exception) as caught:
        list(read_path(corrupt))
    assert type(caught.value).__name__ == "IngestError" and "broken gzip data" in str(caught.value)
    assert not isinstance(caught.value, zlib.error)


def test_a_plain_file_over_the_cap_is_refused_unread(tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as f:
        f.truncate(20 * 2**30)  # 20 GiB, sparse: reading it whole would take minutes and all the memory
    with pytest.raises(TooLargeError, match=r"file is 20,480 MiB, over the 200 MiB cap"):
        list(read_path(huge))


def test_a_pipe_is_read_no_further_than_the_cap(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.txt"
    os.mkfifo(fifo)
    written = []

    def write() -> None:
        try:
            with fifo.open("wb") as out:
                for _ in range(64):
                    out.write(b"The harbour reopened on Thursday. " * 30_000)  # ~1 MB a time
                    written.append(1)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    with pytest.raises(TooLargeError, match="over the 2 MiB cap"):
        list(read_path(fifo, max_bytes=2 * MiB))
    writer.join(timeout=30)
    assert len(written) < 64  # the reader stopped; the writer was not drained to the end


def test_the_cli_refuses_a_bomb_in_one_line_and_ingests_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_MAX_FILE_BYTES", str(8 * MiB))
    folder = tmp_path / "in"
    folder.mkdir()
    gzip_bomb(folder / "bomb.txt.gz", 64 * MiB)
    (folder / "kursk.txt").write_bytes(SAMPLE.read_bytes())
    code = main(["--data-dir", str(tmp_path / "d"), "ingest", "--no-progress", str(folder)])
    out, err = capsys.readouterr()
    assert code == 4
    assert out.startswith("partial: 1 added")
    assert err.splitlines() == [f"  failed: {folder / 'bomb.txt.gz'}: expands to more than 8 MiB when decompressed, "
                                "over the 8 MiB cap on a file's size (NEWSDESK_MAX_FILE_BYTES)"]
