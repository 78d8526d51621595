"""`newsdesk bench serve` against a real server: figures come back, and each question is asked at its
own date (as `eval` does), not today; with --url, against servers already running (replicas)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.http.app import create_app
from assistant.service import Newsdesk

from .conftest import ServerThread, free_port


def test_bench_serve_asks_each_question_at_its_own_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    story = {"title": "Storm shuts Portsmouth harbour", "url": "https://g.example/1", "published": "2024-08-15",
             "source": "Gazette", "text": "The harbour in Portsmouth closed because a storm broke the sea wall."}
    (tmp_path / "s.jsonl").write_text(json.dumps(story))
    assert main(["--data-dir", data, "ingest", str(tmp_path / "s.jsonl"), "--no-progress"]) == 0

    def bench(date: str) -> dict[str, object]:
        (tmp_path / "q.jsonl").write_text(json.dumps({"question": "Why did the harbour in Portsmouth close?",
                                                      "date": date}))
        capsys.readouterr()
        assert main(["--data-dir", data, "bench", "serve", "--clients", "1", "--duration", "2",
                     "--questions", str(tmp_path / "q.jsonl"), "--port", str(free_port())]) == 0
        return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]

    after = bench("2024-08-20")
    assert after["errors"] == 0 and after["answers"] and after["refusal_rate"] == 0.0
    before = bench("2024-08-10")  # the story is not out yet on that date
    assert before["errors"] == 0 and before["refusal_rate"] == 1.0


def test_bench_serve_loads_running_servers_given_by_url(seed_desk: Newsdesk, capsys: pytest.CaptureFixture[str]) -> None:
    """`--url` twice (two replicas): no server started, the clients split between the two, figures back."""
    with ServerThread(create_app(seed_desk, with_page=False)) as one, ServerThread(create_app(seed_desk, with_page=False)) as two:
        capsys.readouterr()
        assert main(["bench", "serve", "--url", one.url, "--url", two.url, "--clients", "2", "--duration", "2"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["urls"] == [one.url, two.url] and figures["servers"] == 2 and figures["errors"] == 0
    assert figures["answers"] == sum(figures["answers_per_server"].values())
    assert all(figures["answers_per_server"][u] > 0 for u in (one.url, two.url))
    assert figures["latency_ms"]["p50"] <= figures["latency_ms"]["p95"]
