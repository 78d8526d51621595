"""The README shows the real --help output and the same test command as CI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_readme_help_block_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    from assistant.cli import build_parser

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- help:start -->\n```text\n(.*?)```\n<!-- help:end -->", readme, re.S)
    assert block, "README lost its help block"
    assert block.group(1) == build_parser().format_help(), "update the README's help block"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    assert command in readme
    assert command in ci
