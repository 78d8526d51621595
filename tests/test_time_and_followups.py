"""Time frames read from questions, filters that keep undated stories visible, and follow-ups."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from assistant.answering.draft import Delta
from assistant.index import Filters, Index
from assistant.index.embeddings import LocalMiniLM
from assistant.question.followup import carry_over
from assistant.question.timeframe import read_timeframe, strip_time_words
from assistant.service import Newsdesk, open_newsdesk
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
    ("what did the mayor say on Monday?", D(2024, 8, 19), D(2024, 8, 19), False),
    ("what did May say in March?", D(2024, 3, 1), D(2024, 3, 31), False),
    # time words inside names set no window
    ("what did USA TODAY report about the storm?", None, None, False),
    ("what did USA Today say about eggs this week?", D(2024, 8, 13), D(2024, 8, 20), False),
    ("what did Theresa May say about Brexit?", None, None, False),
    ("who hosted The Tonight Show?", None, None, False),
    ("what did the Today show air?", None, None, False),
    ("Today, what is the news from Kursk?", D(2024, 8, 19), D(2024, 8, 20), False),
    # a time still to come is when the event happens, not when its stories were written: the latest ones
    ("Which landmark is expected to be completed in 2026?", None, None, True),
    ("Who headlines the festival from August 15th to August 18th, 2025?", None, None, True),
    ("What will open in September 2024?", None, None, True),
    ("What will be built in 2026, the mayor said in 2023?", D(2023, 1, 1), D(2023, 12, 31), False),
    ("The stadium opens in 2026, the club said on Monday: what will it seat?", D(2024, 8, 19), D(2024, 8, 19), False),
])
def test_time_frames(question: str, since: dt.date | None, until: dt.date | None, recent: bool) -> None:
    frame = read_timeframe(question, AS_OF)
    assert (frame.since, frame.until, frame.recent) == (since, until, recent)


def test_time_words_in_names_stay_in_the_question() -> None:
    assert strip_time_words("What did USA Today say about eggs this week?") == "What did USA Today say about eggs ?"
    assert strip_time_words("What did Theresa May say last week?") == "What did Theresa May say ?"
    assert strip_time_words("What happened in Kursk in August 2024?") == "What happened in Kursk in ?"


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
    ingest_paths([folder], Index(settings), embedder, settings, progress=False)
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


def test_dense_date_windows_agree_with_chromas_filter(tmp_path: Path, embedder: LocalMiniLM,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The three ways dense search honours a window (exact over the window's vectors, over-fetch then
    filter, Chroma's own ``where``) return the same chunks, and never one outside the window."""
    import assistant.index.vectors as vectors_module

    topics = ["harbour storm", "rail strike", "wheat harvest", "bridge repair", "election count", "flood warning"]
    stories = [
        {"title": f"{topic.title()} {i}", "text": f"Officials said the {topic} in Portsmouth went on for day {i}. "
         f"Residents described the {topic} as the worst in years.", "url": f"https://g.example/{i}",
         "published": (D(2024, 8, 1) + dt.timedelta(days=i)).isoformat(), "source": "Gazette" if i % 2 else "Herald"}
        for i, topic in enumerate(topics * 3)
    ]
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "stories.jsonl").write_text("\n".join(json.dumps(s) for s in stories))
    (folder / "kursk.txt").write_text(SAMPLE.read_text())  # undated
    settings = make_settings(tmp_path / "d")
    store = Index(settings)
    ingest_paths([folder], store, embedder, settings, progress=False)
    vector = embedder.embed_query("storm damage at the harbour")
    windows = [
        Filters(since=D(2024, 8, 3), until=D(2024, 8, 9)),
        Filters(until=D(2024, 8, 5), include_undated=True),
        Filters(since=D(2024, 8, 10), sources=("Gazette",)),
    ]
    for window in windows:
        exact = store.dense_search(vector, 5, window)
        monkeypatch.setattr(vectors_module, "EXACT_WINDOW", 0)
        overfetched = store.dense_search(vector, 5, window)
        monkeypatch.undo()
        chroma = store.vectors.query(vector, 5, window.chroma_where())
        assert [c for c, _ in exact] == [c for c, _ in overfetched] == [c for c, _ in chroma], window
        passages = store.passages([c for c, _ in exact])
        assert exact and all(window.accepts(passages[c].published, passages[c].source) for c, _ in exact)
    everything = store.dense_search(vector, 5, Filters(until=D(2030, 1, 1), include_undated=True))
    assert [c for c, _ in everything] == [c for c, _ in store.dense_search(vector, 5, Filters())]
    assert store.dense_search(vector, 5, Filters(since=D(2025, 1, 1))) == []


def test_questions_without_time_words_prefer_recent_stories(tmp_path: Path, embedder: LocalMiniLM) -> None:
    stories = [
        {"title": "Portsmouth harbour shut", "text": "The harbour in Portsmouth closed after a storm damaged the "
         "sea wall, officials said.", "url": "https://g.example/old", "published": "2023-02-01", "source": "Gazette"},
        {"title": "Storm shuts Portsmouth harbour", "text": "Officials said Portsmouth harbour closed when a storm "
         "broke part of the sea wall.", "url": "https://g.example/new", "published": "2024-08-18", "source": "Herald"},
    ]
    (tmp_path / "s.jsonl").write_text("\n".join(json.dumps(s) for s in stories))
    settings = make_settings(tmp_path / "d")
    ingest_paths([tmp_path / "s.jsonl"], Index(settings), embedder, settings, progress=False)
    desk = open_newsdesk(settings, embedder=embedder)

    def ranked(question: str) -> dict[str | None, float]:
        return {p.published_iso: p.score for p in desk.search(question, as_of=AS_OF)}

    plain = ranked("Why did the harbour in Portsmouth close?")
    assert list(plain)[0] == "2024-08-18"
    desk.settings.recency_weight = 0.0
    flat = ranked("Why did the harbour in Portsmouth close?")
    assert plain["2024-08-18"] / plain["2023-02-01"] > flat["2024-08-18"] / flat["2023-02-01"]
    # a window in the question decides "when" by itself: its story first, the newer one far behind
    windowed = ranked("Why did the harbour in Portsmouth close in February 2023?")
    assert list(windowed)[0] == "2023-02-01" and windowed["2023-02-01"] > 2 * windowed.get("2024-08-18", 0.0)
    desk.settings.window_weight = 0.0  # a strict window: nothing outside it
    assert list(ranked("Why did the harbour in Portsmouth close in February 2023?")) == ["2023-02-01"]


def test_a_reversed_date_range_is_refused_everywhere_with_one_message() -> None:
    from assistant.errors import InputError

    with pytest.raises(InputError, match="the start date 2024-02-01 is after the end date 2024-01-01"):
        Filters.between(D(2024, 2, 1), D(2024, 1, 1))
    assert Filters.between(D(2024, 1, 1), None, ["AP"]) == Filters(since=D(2024, 1, 1), sources=("AP",))


def _harbour_desk(tmp_path: Path, embedder: LocalMiniLM, stories: list[dict[str, str]], **overrides: object) -> Newsdesk:
    (tmp_path / "s.jsonl").write_text("\n".join(json.dumps(s) for s in stories))
    settings = make_settings(tmp_path / "d", **overrides)
    ingest_paths([tmp_path / "s.jsonl"], Index(settings), embedder, settings, progress=False)
    return open_newsdesk(settings, embedder=embedder)


def _story(n: int, day: str, title: str, text: str) -> dict[str, str]:
    return {"title": title, "text": text, "url": f"https://g.example/{n}", "published": day, "source": "Gazette"}


def test_a_window_in_the_question_is_a_preference_and_the_answer_says_when_nothing_is_inside(
    tmp_path: Path, embedder: LocalMiniLM
) -> None:
    desk = _harbour_desk(tmp_path, embedder, [
        _story(1, "2024-07-29", "Storm shuts Portsmouth harbour",
               "The harbour in Portsmouth closed after a storm broke part of the sea wall, officials said."),
        _story(2, "2024-08-16", "Bakery wins prize", "A bakery in Leeds won a national prize for its bread."),
    ])
    # nothing from last week is about the harbour: the story from three weeks ago answers, and says so
    answer = desk.ask("Why did the harbour in Portsmouth close last week?", as_of=AS_OF)
    assert not answer.refused and answer.citations[0].published == "2024-07-29"
    assert answer.answer.endswith("\n\n(None of these stories is dated last week, 2024-08-10 to 2024-08-20.)")
    streamed = "".join(x.text for x in desk.ask_stream("Why did the harbour in Portsmouth close last week?",
                                                       as_of=AS_OF) if isinstance(x, Delta))
    assert streamed == answer.answer
    august = desk.ask("Why did the harbour in Portsmouth close in August?", as_of=D(2024, 9, 20))
    assert august.citations[0].published == "2024-07-29"  # the harbour story is from July: the note says so
    assert august.answer.endswith("\n\n(None of these stories is dated in August, 2024-08-01 to 2024-08-31.)")
    bakery = desk.ask("Why did the bakery in Leeds win a prize last week?", as_of=AS_OF)
    assert bakery.citations[0].published == "2024-08-16" and "None of these stories" not in bakery.answer
    # a year still to come sets no window (no story can be dated in it), so no note with a span that ends
    # before it starts ("in 2025, 2025-01-01 to 2024-08-20"): the latest story about the harbour answers
    future = desk.ask("Will the harbour in Portsmouth reopen in 2025?", as_of=AS_OF)
    assert not future.refused and "None of these stories" not in future.answer
    # explicit dates stay strict
    strict = desk.ask("Why did the harbour in Portsmouth close?", filters=Filters(since=D(2024, 8, 10)), as_of=AS_OF)
    assert strict.refused or all(c.published == "2024-08-16" for c in strict.citations)
    # a strict window (window_weight 0) does not look outside it
    desk.settings.window_weight = 0.0
    assert all(p.published_iso == "2024-08-16"
               for p in desk.search("Why did the harbour in Portsmouth close last week?", as_of=AS_OF))


def test_the_windows_own_stories_are_found_even_when_older_ones_fill_the_candidates(
    tmp_path: Path, embedder: LocalMiniLM
) -> None:
    old = [_story(i, f"2023-0{i}-01", f"Portsmouth harbour closes again ({i})",
                  f"The harbour in Portsmouth closed again after storm number {i} damaged the sea wall.")
           for i in range(1, 8)]
    new = _story(9, "2024-08-15", "Ferries wait outside Portsmouth",
                 "Ferries waited at sea on Thursday while engineers checked the harbour in Portsmouth.")
    desk = _harbour_desk(tmp_path, embedder, old + [new], candidates=3)  # old stories fill each top 3
    question = "Why did the harbour in Portsmouth close last week?"
    best = desk.store.lexical_search(question, 3) + desk.store.dense_search(embedder.embed_query(question), 3,
                                                                            Filters())
    assert D(2024, 8, 15) not in {p.published for p in desk.store.passages([c for c, _ in best]).values()}
    found = desk.search("Why did the harbour in Portsmouth close last week?", as_of=AS_OF)
    assert found[0].published == D(2024, 8, 15)
