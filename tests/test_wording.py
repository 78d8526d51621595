"""Small things a reader sees: counts in the right number, a one-day window said once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from assistant.answering.notes import outside_window_note
from assistant.cli import main
from assistant.cli_show import format_ingest, format_stats
from assistant.models import Citation
from assistant.question import TimeFrame
from assistant.service import Newsdesk
from assistant.text import counted
from assistant.web import stats_markdown


def test_counts_take_the_right_number() -> None:
    assert [counted(n, "outlet") for n in (0, 1, 2, 1204)] == ["0 outlets", "1 outlet", "2 outlets", "1,204 outlets"]
    assert (counted(1, "story"), counted(3, "story"), counted(2, "copy")) == ("1 story", "3 stories", "2 copies")


def test_one_of_each_reads_in_the_singular(seed_desk: Newsdesk) -> None:
    page = stats_markdown(seed_desk)
    assert page.startswith("**1 story**, **") and ", 1 outlet; no dated stories; 1 undated." in page
    stats = {**seed_desk.stats(), "chunks": 1, "published_from": "2024-08-13", "published_to": "2024-08-13",
             "undated_articles": 0}
    summary = format_stats(stats)
    assert summary.startswith("1 article, 1 chunk, from 1 outlet: The Associated Press (1)\n")
    assert "Published: 2024-08-13\n" in summary
    report = {"status": "ok", "added": 1, "updated": 0, "unchanged": 0, "duplicates": 1, "chunks": 1, "failed": [],
              "elapsed_s": 0.5}
    assert format_ingest(report) == "ok: 1 added, 0 updated, 0 unchanged, 1 duplicate, 1 chunk, 0 failed in 0.5s"


def _citation(published: str | None) -> Citation:
    return Citation(n=1, article_id="a", chunk_id="a-0", title="t", quote="q", published=published)


@pytest.mark.parametrize(("window", "said"), [
    (TimeFrame(dt.date(2026, 11, 24), dt.date(2026, 11, 24), phrase="yesterday"), "dated yesterday, 2026-11-24.)"),
    (TimeFrame(dt.date(2026, 11, 15), dt.date(2026, 11, 25), phrase="last week"),
     "dated last week, 2026-11-15 to 2026-11-25.)"),
    (TimeFrame(None, dt.date(2026, 11, 1), phrase="before November"), "dated before November, up to 2026-11-01.)"),
])
def test_the_window_note_says_a_day_once(window: TimeFrame, said: str) -> None:
    note = outside_window_note(window, [_citation(None)], dt.date(2026, 11, 25))  # undated: outside any window
    assert said in note


def test_yesterday_in_an_answer(seed_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--data-dir", str(seed_dir), "ask", "What did Tykhyi say yesterday?", "--as-of", "2026-11-25"])
    out = capsys.readouterr().out
    assert code == 0
    assert "\n\n(None of these stories is dated yesterday, 2026-11-24.)\n\nSources:\n" in out
