"""A question about now is answered from the present's stories, or refused naming the older story;
an archive with nothing recent, a question about the past and "what did X say" answer as before."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from assistant.index import Index
from assistant.index.embeddings import LocalMiniLM
from assistant.service import Newsdesk, open_newsdesk
from ingest.pipeline import ingest_paths

from .conftest import make_settings

AS_OF = dt.date(2024, 8, 20)
OLD_VISIT = {"title": "Putin to visit North Korea", "source": "Gazette", "published": "2019-04-18",
             "url": "https://g.example/visit",
             "text": "Russian President Vladimir Putin will visit North Korea next week, the Kremlin announced. "
                     "Officials said Putin plans to meet Kim Jong Un in Vladivostok."}
RECENT_OTHER = {"title": "Harbour reopens in Portsmouth", "source": "Herald", "published": "2024-08-18",
                "url": "https://h.example/harbour",
                "text": "Portsmouth harbour reopened on Sunday after repairs to the sea wall, officials said."}
RECENT_VISIT = {"title": "Xi to visit North Korea", "source": "Herald", "published": "2024-08-16",
                "url": "https://h.example/xi",
                "text": "Chinese President Xi Jinping will visit North Korea next week, Beijing announced. "
                        "Officials said Xi plans to meet Kim Jong Un in Pyongyang."}
QUOTE = {"title": "Minister on the visit", "source": "Gazette", "published": "2024-05-02",
         "url": "https://g.example/quote",
         "text": "Foreign minister Anna Berg spoke on Thursday. \"We welcome every visit that brings peace to Korea,\" "
                 "Berg said."}

QUESTION = "Which world leader announced plans to visit North Korea next week?"


def _desk(tmp_path: Path, embedder: LocalMiniLM, stories: list[dict[str, str]]) -> Newsdesk:
    (tmp_path / "s.jsonl").write_text("\n".join(json.dumps(s) for s in stories))
    settings = make_settings(tmp_path / "d")
    ingest_paths([tmp_path / "s.jsonl"], Index(settings), embedder, settings, progress=False)
    return open_newsdesk(settings, embedder=embedder)


def test_a_question_about_now_is_not_answered_from_a_years_old_story(tmp_path: Path, embedder: LocalMiniLM) -> None:
    desk = _desk(tmp_path, embedder, [OLD_VISIT, RECENT_OTHER, QUOTE])
    answer = desk.ask(QUESTION, as_of=AS_OF)
    assert answer.refused and not answer.citations and answer.short_answer is None
    assert answer.answer.startswith("None of the stories from the 30 days before 2024-08-20 answer this.")
    assert "The closest match is older: Gazette (2019-04-18), “Putin to visit North Korea”." in answer.answer
    # asked about the past, the old story answers
    past = desk.ask("Which world leader announced plans to visit North Korea in April 2019?", as_of=AS_OF)
    assert not past.refused and past.citations[0].published == "2019-04-18"
    # what someone said is quoted whatever its date
    said = desk.ask("what did Anna Berg say about the visit?", as_of=AS_OF)
    assert not said.refused and said.citations[0].published == "2024-05-02"
    desk.settings.present_days = 0  # the rule off: the old story answers, as it used to
    assert desk.ask(QUESTION, as_of=AS_OF).citations[0].published == "2019-04-18"


def test_the_recent_story_answers_even_when_an_old_one_matches_more_words(tmp_path: Path,
                                                                          embedder: LocalMiniLM) -> None:
    old = {**OLD_VISIT, "text": "The world leader Vladimir Putin announced plans to visit North Korea next week. "
           "Putin, the world leader, announced the plans to visit North Korea next week in a statement."}
    # the question's own words, twice: without the rule, the old story answers first
    desk = _desk(tmp_path, embedder, [old, RECENT_VISIT, RECENT_OTHER])
    answer = desk.ask(QUESTION, as_of=AS_OF)
    assert not answer.refused
    assert answer.citations[0].published == "2024-08-16" and "Xi" in answer.answer
    # with no recency preference in ranking the old story answers first; the rule asks the recent ones again
    desk.settings.recency_weight = 0.0
    desk.settings.present_days = 0
    assert desk.ask(QUESTION, as_of=AS_OF).citations[0].published == "2019-04-18"
    desk.settings.present_days = 30
    again = desk.ask(QUESTION, as_of=AS_OF)
    assert again.citations[0].published == "2024-08-16" and "Xi" in again.answer


def test_an_archive_with_nothing_recent_is_asked_about_its_own_latest_stories(tmp_path: Path,
                                                                             embedder: LocalMiniLM) -> None:
    desk = _desk(tmp_path, embedder, [OLD_VISIT, QUOTE])  # newest story 2024-05-02: 110 days before AS_OF
    answer = desk.ask(QUESTION, as_of=AS_OF)
    assert not answer.refused and answer.citations[0].published == "2019-04-18" and "Putin" in answer.answer


def test_a_question_about_this_week_is_not_answered_from_a_years_old_story(tmp_path: Path,
                                                                           embedder: LocalMiniLM) -> None:
    """A window inside the present ("this week") is about now too: a story years before it does not
    answer (it used to, with a note that it lies outside the week); this week's story does."""
    asked = "Which world leader announced this week plans to visit North Korea?"
    desk = _desk(tmp_path, embedder, [OLD_VISIT, RECENT_OTHER, QUOTE])
    answer = desk.ask(asked, as_of=AS_OF)
    assert answer.refused and not answer.citations
    assert answer.answer.startswith("None of the stories from the 30 days before 2024-08-20 answer this.")
    (tmp_path / "fresh").mkdir()
    fresh = _desk(tmp_path / "fresh", embedder, [OLD_VISIT, RECENT_VISIT, RECENT_OTHER]).ask(asked, as_of=AS_OF)
    assert not fresh.refused and fresh.citations[0].published == "2024-08-16" and "Xi" in fresh.answer
