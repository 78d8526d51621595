"""Time frames read from questions, filters that keep undated stories visible, and follow-ups."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from assistant.embeddings import LocalMiniLM
from assistant.followup import carry_over
from assistant.service import open_newsdesk
from assistant.store import Filters, Store
from assistant.timeframe import read_timeframe
from ingest.pipeline import ingest_paths

from .conftest import SAMPLE, make_settings

AS_OF = dt.date(2024, 8, 20)  # a Tuesday
D = dt.date


@pytest.mark.parametrize(("question", "since", "until", "recent"), [
    ("what happened in Kursk yesterday?", D(2024, 8, 19), D(2024, 8, 19), False),
    ("what happened in Kursk last week?", D(2024, 8, 10), D(2024, 8, 20), False),
    ("what did the minister say this week?", D(2024, 8, 13), D(2024, 8, 20), False),
    ("news from August 2024", D(2024, 8, 1), D(2024, 8, 31), False),
    ("what happened on August 13, 2024?", D(2024, 8, 13), D(2024, 8, 13), False),
    ("anything since Monday?", D(2024, 8, 19), D(2024, 8, 20), False),
    ("what happened last month?", D(2024, 7, 1), D(2024, 7, 31), False),
    ("in the past 3 days", D(2024, 8, 17), D(2024, 8, 20), False),
    ("elections in 2023", D(2023, 1, 1), D(2023, 12, 31), False),
    ("latest on Kursk", None, None, True),
    ("what did Tykhyi say?", None, None, False),
])
def test_time_frames(question: str, since: dt.date | None, until: dt.date | None, recent: bool) -> None:
    frame = read_timeframe(question, AS_OF)
    assert (frame.since, frame.until, frame.recent) == (since, until, recent)


@pytest.mark.parametrize(("question", "previous", "expected"), [
    ("and what did Syrskyi say?", "what happened in Kursk last week?", "what did Syrskyi say about Kursk last week?"),
    ("what did he say?", "what did Tykhyi say about occupation?", "what did Tykhyi say?"),
    ("what about Syrskyi?", "what did Tykhyi say about occupation?", "what did Syrskyi say about occupation?"),
    ("Who won the election in Taiwan?", "what is happening in Kursk?", "Who won the election in Taiwan?"),
])
def test_follow_ups_without_an_llm(question: str, previous: str, expected: str) -> None:
    assert carry_over(question, [previous], AS_OF) == expected


def test_dates_filter_and_undated_stories(tmp_path: Path, embedder: LocalMiniLM) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "kursk.txt").write_text(SAMPLE.read_text())  # undated
    stories = [
        {"title": "Harbour closes", "text": "The harbour in Portsmouth closed as a storm arrived, officials said.",
         "url": "https://g.example/1", "published": "2024-08-01", "source": "Gazette"},
        {"title": "Harbour reopens", "text": "The harbour in Portsmouth reopened after the storm, officials said.",
         "url": "https://g.example/2", "published": "2024-08-19", "source": "Gazette"},
    ]
    (folder / "harbour.jsonl").write_text("\n".join(json.dumps(s) for s in stories))
    settings = make_settings(tmp_path / "d")
    ingest_paths([folder], Store(settings), embedder, settings, progress=False)
    desk = open_newsdesk(settings, embedder=embedder)

    yesterday = desk.ask("What happened to the harbour in Portsmouth yesterday?", as_of=AS_OF)
    assert not yesterday.refused and yesterday.citations[0].published == "2024-08-19"
    early = desk.ask("What happened to the harbour in Portsmouth in early August?",
                     filters=Filters(until=D(2024, 8, 5)), as_of=AS_OF)
    assert early.citations[0].published == "2024-08-01"
    before = desk.search("harbour Portsmouth storm", as_of=D(2024, 8, 10))
    assert {p.published_iso for p in before} <= {"2024-08-01", None}  # nothing from after the reference date
    # an undated story is still found for a time-bound question, ranked after dated ones in the window
    kursk = desk.ask("How many settlements do Ukrainian forces control this week?", as_of=AS_OF)
    assert not kursk.refused and kursk.citations[0].published is None
    # but strict filters exclude it
    strict = desk.ask("How many settlements do Ukrainian forces control?", filters=Filters(since=D(2024, 8, 1)),
                      as_of=AS_OF)
    assert strict.refused
    only_gazette = desk.search("storm", filters=Filters(sources=("Gazette",)), as_of=AS_OF)
    assert only_gazette and all(p.source == "Gazette" for p in only_gazette)
