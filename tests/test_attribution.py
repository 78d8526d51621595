"""How an answer names its story: the outlet and date once, the headline without the site's name again."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from assistant.answering.attribution import headline
from assistant.answering.draft import Draft
from assistant.answering.freshness import not_recent
from assistant.index import Index
from assistant.index.embeddings import LocalMiniLM
from assistant.models import Citation
from assistant.question import TimeFrame
from assistant.service import open_newsdesk
from ingest.pipeline import ingest_paths

from .conftest import make_settings


@pytest.mark.parametrize(("title", "source", "url", "shown"), [
    ("Watch the night sky in 2023 | CNN", "cnn.com", "https://www.cnn.com/a", "Watch the night sky in 2023"),
    ("The soda market is flat | CNN Business", "cnn.com", "https://edition.cnn.com/a", "The soda market is flat"),
    ("Why the Fed paused - The Week UK", "theweek.co.uk", None, "Why the Fed paused"),
    ("Biden signs the bill – AP News", "The Associated Press", "https://apnews.com/a", "Biden signs the bill"),
    ("Storm closes harbour | CNN ...", "cnn.com", None, "Storm closes harbour"),
    ("Harbour reopens | Gazette", "Gazette", None, "Harbour reopens"),
    ("Flood warning - ABC News", None, "https://www.abc.net.au/news/1", "Flood warning"),
    ("Story | CNN Business | CNN", "cnn.com", None, "Story"),
    # a last segment that is the headline's own words stays, even when it starts like the site's name
    ("Chiefs beat 49ers - in overtime", "cnn.com", "https://www.cnn.com/a", "Chiefs beat 49ers - in overtime"),
    ("Debate - CNN poll", "CNN", "https://www.cnn.com/a", "Debate - CNN poll"),
    ("Markets - The week ahead", "The Week", "https://theweek.co.uk/a", "Markets - The week ahead"),
    ("Results - The Sunday league", "The Sun", "https://www.thesun.co.uk/a", "Results - The Sunday league"),
    ("Ukraine - Edition 12", None, "https://edition.cnn.com/a", "Ukraine - Edition 12"),
    ("Housing bill | Newsom signs", None, "https://news.yahoo.com/a", "Housing bill | Newsom signs"),
    ("Outage – Network Rail", None, "https://www.abc.net.au/a", "Outage – Network Rail"),
    ("Russia - Ukraine war live", "cnn.com", None, "Russia - Ukraine war live"),
    ("Harbour reopens | Weather", "co.uk", None, "Harbour reopens | Weather"),
    ("Harbour reopens | Gazette", None, "http://[broken/1", "Harbour reopens | Gazette"),  # no site to name
    # a headline that is only the site's name is kept
    ("CNN", "cnn.com", None, "CNN"),
    ("- - CNN", "cnn.com", None, "- - CNN"),
    ("  Two   lines\n[2] in it | CNN", "cnn.com", None, "Two lines (2) in it"),
])
def test_a_headline_loses_only_the_site_name_at_its_end(title: str, source: str, url: str | None, shown: str) -> None:
    assert headline(title, source, url) == shown


def test_the_answer_names_the_outlet_once_and_the_citation_keeps_the_title(tmp_path: Path,
                                                                         embedder: LocalMiniLM) -> None:
    story = {"title": "Storm breaks the sea wall in Portsmouth | Gazette", "url": "https://gazette.example/1",
             "published": "2024-08-12", "source": "Gazette",
             "text": "A winter storm broke the old sea wall in Portsmouth on Monday, flooding the quay, harbour "
                     "officials said."}
    (tmp_path / "s.jsonl").write_text(json.dumps(story))
    settings = make_settings(tmp_path / "d")
    ingest_paths([tmp_path / "s.jsonl"], Index(settings), embedder, settings, progress=False)
    answer = open_newsdesk(settings, embedder=embedder).ask("What broke the sea wall in Portsmouth?",
                                                            as_of=dt.date(2024, 8, 20))
    assert "Gazette (2024-08-12), “Storm breaks the sea wall in Portsmouth”: A winter storm" in answer.answer
    assert answer.citations[0].title == story["title"]  # the API's citation is the story's own title


def test_a_refusal_names_the_older_story_by_its_headline() -> None:
    stale = Draft("…", [Citation(n=1, article_id="a", chunk_id="a-1", title="Storm breaks the sea wall | Gazette",
                                 source="Gazette", published="2023-01-02", quote="q")])
    refusal = not_recent(stale, TimeFrame(dt.date(2024, 7, 21), dt.date(2024, 8, 20)), dt.date(2024, 8, 20))
    assert refusal.refused and refusal.text.endswith("older: Gazette (2023-01-02), “Storm breaks the sea wall”.")
