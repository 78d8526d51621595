"""ruff and mypy --strict over the package (configured in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("tool", [["ruff", "check", "assistant", "ingest", "tests", "benchmarks"], ["mypy"]])
def test_static_checks(tool: list[str]) -> None:
    exe = shutil.which(tool[0]) or str(Path(sys.executable).parent / tool[0])
    if not Path(exe).exists():
        pytest.skip(f"{tool[0]} is not installed (pip install -e '.[test]')")
    result = subprocess.run([exe, *tool[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
