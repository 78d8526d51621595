"""Errors, not tracebacks: each mistake a user can make ends with one line on stderr and the exit code
the README promises (2 bad input or configuration, 3 not found); and a readable ``newsdesk stats``."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main

from .conftest import ROOT, SAMPLE


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> str:
    assert err.startswith("newsdesk: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_a_bad_setting_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NEWSDESK_PORT", "abc")
    code, out, err = _run(capsys, "serve")
    assert code == 2 and out == ""
    assert "NEWSDESK_PORT='abc'" in _one_line(err)


def _unwritable(tmp_path: Path) -> list[Path]:
    """Places no one can make an index folder in, root included."""
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    return [a_file / "index", Path("/proc/newsdesk-index")]


@pytest.mark.parametrize("command", [["stats"], ["ingest", str(SAMPLE)], ["search", "Kursk"]])
def test_a_data_dir_that_is_a_file_or_cannot_be_written(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        command: list[str]) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    code, _, err = _run(capsys, "--data-dir", str(a_file), *command)
    assert code == 2
    assert f"the data folder {a_file} is a file, not a folder" in _one_line(err)
    for place in _unwritable(tmp_path):
        code, _, err = _run(capsys, "--data-dir", str(place), *command)
        assert code == 2
        assert f"cannot write to the data folder {place}: " in _one_line(err)


def test_a_busy_port_is_named_and_nothing_claims_to_serve(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        result = subprocess.run([sys.executable, "-m", "assistant.cli", "--data-dir", str(tmp_path / "d"), "serve",
                                 "--port", str(port)], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2
    assert "serving" not in result.stdout
    assert f"port {port} is in use" in _one_line(result.stderr)


@pytest.mark.parametrize("k", ["0", "-3"])
def test_search_needs_at_least_one_passage(tmp_path: Path, capsys: pytest.CaptureFixture[str], k: str) -> None:
    code, out, err = _run(capsys, "--data-dir", str(tmp_path / "d"), "search", "-k", k, "Kursk")
    assert (code, out) == (2, "")
    assert f"-k {k}: " in _one_line(err)


def test_a_missing_path_is_not_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--data-dir", str(tmp_path / "d"), "ingest", "/no/such/path")
    assert (code, out) == (3, "")
    assert _one_line(err) == "newsdesk: error: /no/such/path: no such file or folder\n"
    code, _, err = _run(capsys, "--data-dir", str(tmp_path / "d"), "ingest", str(SAMPLE), str(tmp_path / "nope"))
    assert code == 3 and "nope: no such file or folder" in err  # checked before anything is ingested
    _, out, _ = _run(capsys, "--data-dir", str(tmp_path / "d"), "stats", "--json")
    assert json.loads(out)["articles"] == 0


def test_stats_reads_as_a_summary_and_as_json(seed_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--data-dir", str(seed_dir), "stats")
    assert code == 0
    lines = out.splitlines()
    assert re.fullmatch(r"1 article, \d+ chunks, from 1 outlet: The Associated Press \(1\)", lines[0]), out
    assert lines[1] == "Published: no dated stories (1 article undated)"
    assert lines[2].startswith(f"Index: {seed_dir} (") and "embedded Chroma" in lines[2]
    assert "Embedding model: all-MiniLM-L6-v2/int8 (bundled)" in lines
    assert "Answers: extractive" in lines
    assert "None" not in out and "{" not in out
    code, out, _ = _run(capsys, "--data-dir", str(seed_dir), "stats", "--json")
    stats = json.loads(out)
    assert stats["articles"] == 1 and stats["sources"] == {"The Associated Press": 1}
    assert stats["embedding_model"] == "all-MiniLM-L6-v2/int8 (bundled)" and stats["answers"] == "extractive"
