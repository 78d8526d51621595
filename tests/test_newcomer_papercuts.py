"""Small things a new user trips on (issue 30, item 7): ``--data-dir`` after the command, a JSON error that
reads well and says where, HEAD on /healthz and /docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import IngestError
from ingest.sources import read_path

from .conftest import SAMPLE


def test_data_dir_after_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(SAMPLE), "--data-dir", str(tmp_path / "d"), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["stats", "--json", "--data-dir", str(tmp_path / "d")]) == 0
    assert '"articles": 1' in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path / "d"), "stats", "--json"]) == 0  # before it, as always
    assert '"articles": 1' in capsys.readouterr().out


def test_a_broken_json_file_says_why_and_where(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": "Harbour", "text": "The harbour reopened')
    with pytest.raises(IngestError) as caught:
        list(read_path(broken))
    assert str(caught.value).endswith("invalid JSON: Unterminated string (line 1, column 30)"), str(caught.value)
    lines = tmp_path / "lines.jsonl"
    lines.write_text('{"text": "fine"}\n{"text": oops}\n')
    reasons = [str(d.fields["__error__"]) for d in read_path(lines) if "__error__" in d.fields]
    assert reasons == [f"{lines}#2: invalid JSON line: Expecting value (column 10)"], reasons
