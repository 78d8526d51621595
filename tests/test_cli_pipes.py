"""`newsdesk ask ... | head -c 400` and `newsdesk stats | true`: when the reader of the output goes away,
the command stops quietly (no BrokenPipeError traceback) with the status a SIGPIPE'd tool reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _closed_pipe_run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte is written
    try:
        return subprocess.run([sys.executable, "-m", "assistant.cli", *args], stdout=write, stderr=subprocess.PIPE,
                              env=env, timeout=300)
    finally:
        os.close(write)


@pytest.mark.parametrize("args", [["stats"], ["ask", "How many settlements do Ukrainian forces control?"],
                                  ["ask", "--json", "What did Tykhyi say about occupation?"]])
def test_a_closed_pipe_ends_quietly(seed_dir: Path, args: list[str]) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    done = _closed_pipe_run(["--data-dir", str(seed_dir), *args], env)
    assert done.stderr.decode() == ""
    assert done.returncode == 141


def test_head_takes_the_start_of_an_answer(seed_dir: Path) -> None:
    cli = f"{sys.executable} -m assistant.cli --data-dir {seed_dir}"
    done = subprocess.run(["bash", "-c", f"set -o pipefail; {cli} ask 'What did Tykhyi say about occupation?' "
                                         "| head -c 40"], capture_output=True, text=True, timeout=300)
    assert len(done.stdout) == 40
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
