"""Small things a new user trips on (issue 30, item 7): ``--data-dir`` after the command, a JSON error that
reads well and says where, HEAD on /healthz and /docs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from assistant.cli import main
from assistant.errors import IngestError
from assistant.http.app import create_app
from assistant.service import Newsdesk
from ingest.sources import read_path

from .conftest import SAMPLE, ServerThread


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


@pytest.mark.slow
def test_head_on_healthz_and_the_docs(seed_desk: Newsdesk) -> None:
    with ServerThread(create_app(seed_desk)) as server, httpx.Client(base_url=server.url, timeout=60) as c:
        for path in ("/healthz", "/docs", "/redoc"):
            head, get = c.head(path), c.get(path)
            assert head.status_code == 200 == get.status_code, (path, head.status_code)
            assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
        assert c.head("/v1/ask").status_code == 405  # a path that takes POST only still says so
