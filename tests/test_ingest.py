"""Ingest: cleaning, metadata, chunking, quotes, idempotence, updates, and bad input."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from assistant.config import Settings
from assistant.index import Index
from assistant.index.embeddings import LocalMiniLM
from assistant.index.tokens import count_tokens
from assistant.models import Article
from ingest.chunking import chunk_article
from ingest.pipeline import doc_to_article, ingest_paths
from ingest.quotes import RULES, extract_quotes
from ingest.sources import read_path

from .conftest import SAMPLE, make_settings

FURNITURE = [
    "LEAVE A REPLY", "Please enter your comment", "Share post", "Subscribe", "spot_img", "Popular",
    "More like this", "Related", "Russia Shared Intelligence With Iran", "Islamic Militants Kidnap",
    "Militants Kill 15 Soldiers", "Evidence Points to Possible U.S. Airstrike", "DON'T MISS",
]


@pytest.fixture
def settings(tmp_path: Path, catalog_url: str | None) -> Settings:
    """This file's index tests run on both catalogs: embedded SQLite and PostgreSQL."""
    return make_settings(tmp_path / "data", database_url=catalog_url)


def _seed_article():  # type: ignore[no-untyped-def]
    doc = next(read_path(SAMPLE))
    article = doc_to_article(doc)
    assert article is not None
    return article


def test_seed_is_cleaned_and_its_metadata_read() -> None:
    article = _seed_article()
    assert article.title == (
        "Russia Repels Ukrainian Advance in Kursk Region as Kyiv Denies Intent to Occupy Russian Territory"
    )
    assert article.published is None  # "Date:" is empty: unknown, never invented
    assert article.source == "The Associated Press"
    assert article.text.startswith("MOSCOW, Russia")
    assert article.text.rstrip().endswith("peaceful resolution to the conflict.")
    for junk in FURNITURE:
        assert junk not in article.text, junk
    assert "Date:" not in article.text


def test_chunks_are_exact_spans_within_the_token_budget() -> None:
    article = _seed_article()
    chunks = chunk_article(article, max_tokens=120, overlap_tokens=60)
    assert len(chunks) >= 4
    for c in chunks:
        assert c.text == article.text[c.start : c.end]
        assert count_tokens(c.text) <= 120
    # every sentence is in some chunk, in order, and neighbours overlap or touch
    assert chunks[0].start == 0 and chunks[-1].end == len(article.text)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start <= a.end + 2
        assert b.start > a.start


def test_quotes_are_attributed_to_their_speakers() -> None:
    quotes = extract_quotes(_seed_article())
    by_speaker: dict[str, list[str]] = {}
    for q in quotes:
        by_speaker.setdefault(q.speaker, []).append(q.text)
    tykhyi = " ".join(by_speaker["Heorhii Tykhyi"])
    assert "Ukraine is not interested in taking the territory of the Kursk region" in tykhyi
    assert "The purpose of this operation" in tykhyi
    syrskyi = " ".join(by_speaker["Oleksandr Syrskyi"])
    assert "40 square kilometers" in syrskyi
    assert "remains under control,” he added" in syrskyi  # "he" resolved to Syrskyi, not Tykhyi
    assert any("Russian Defense Ministry" in s for s in by_speaker)
    assert "Russian Defense Ministry" not in tykhyi


@pytest.mark.parametrize(("sentence", "speaker"), [
    ("“We will not give up an inch of our land,” said foreign minister Anna Berg on Monday.", "Anna Berg"),
    ("“The talks failed,” said the company's chief executive, Tim Cook.", "Tim Cook"),
    ('"Prices will rise," said former president Donald Trump.', "Donald Trump"),
    ("“Nobody expected it,” said Maria Lopez, a spokeswoman for the city.", "Maria Lopez"),
    ("“It was a tragedy,” said surgeon Dr. James Andrews, who led the team.", "James Andrews"),
    ("“The talks failed,” said the company's CEO, Tim Cook.", "Tim Cook"),
    ("The reactor is safe, said that the Ministry of Energy.", None),  # a clause, not a speaker
    ("“It is cheap,” said one Rehoboth Beach resident.", None),  # a place, not a name
    ("Voters, said she while she likes Sanders, are undecided.", None),
    ("“It is cheap,” said a man from Ohio.", None),  # a preposition's object
    ("“It is cheap,” said an attorney representing Donald Trump.", None),
    ("“Careful,” the dean warned students against using ChatGPT.", None),  # who was warned
    ("“Close race,” said pollster J. Ann Selzer.", None),  # not "J"
    ("“We lead,” said former South Carolina Gov. Nikki Haley.", None),  # not "South Carolina Gov"
    ("“It matters,” said his No. 1 issue is the economy.", None),
    ("Putin said the attack, confirmed by the Pentagon, was a provocation.", "Putin"),  # the subject said it
])
def test_a_quote_led_by_its_speakers_lower_case_title_is_attributed(sentence: str, speaker: str | None) -> None:
    article = Article(id="t", title="Talks", text=sentence)
    assert [q.speaker for q in extract_quotes(article)] == ([speaker] if speaker else [])


def test_speaker_patterns_do_not_backtrack_on_runs_of_spaces() -> None:
    """Scraped text has double spaces; a name pattern that could split them two ways took time exponential
    in the words (30 of them: minutes). A hang guard, not a speed target."""
    started = time.perf_counter()
    extract_quotes(Article(id="t", title="t", text="“Hello there, friend,” said a " + "Anna  " * 30 + "x"))
    assert time.perf_counter() - started < 2.0


def test_a_collection_built_under_older_quote_rules_gets_the_new_quotes_on_its_next_ingest(
    tmp_path: Path, settings: Settings, embedder: LocalMiniLM
) -> None:
    """An unchanged story is skipped on re-ingest, so quotes found by older rules would stay: the catalog
    records the rules' version and an ingest under newer rules reads every story's quotes again."""
    berg = tmp_path / "berg.json"
    berg.write_text(json.dumps({"title": "Talks", "url": "https://g.example/berg", "text":
                                "The talks ended on Monday. “We will not give up an inch of our land,” said foreign "
                                "minister Anna Berg."}))
    store = Index(settings)
    ingest_paths([SAMPLE, berg], store, embedder, settings, progress=False)
    ids = [a["id"] for a in store.list_articles()]
    found = sorted((q.article_id, q.speaker, q.start) for q in store.quotes_for(ids))
    assert "Anna Berg" in {speaker for _, speaker, _ in found}
    with store.catalog.transaction() as db:  # as a collection built under rules "1" would be: no Berg
        db.execute(text("DELETE FROM quotes WHERE speaker = 'Anna Berg'"))
        db.execute(text("UPDATE meta SET value = '1' WHERE key = 'quote_rules'"))

    report = ingest_paths([SAMPLE, berg], store, embedder, settings, progress=False)
    assert report.added == 0 and report.unchanged == 2  # nothing re-embedded
    assert sorted((q.article_id, q.speaker, q.start) for q in store.quotes_for(ids)) == found
    assert store.requote(RULES, extract_quotes) == 0  # recorded: the next ingest does not read them again


def test_reingest_unchanged_is_a_no_op_and_a_change_replaces_chunks(
    tmp_path: Path, settings: Settings, embedder: LocalMiniLM
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    path = folder / "kursk.txt"
    path.write_text(SAMPLE.read_text())
    store = Index(settings)
    first = ingest_paths([folder], store, embedder, settings, progress=False)
    assert (first.added, first.unchanged, first.status) == (1, 0, "ok")
    chunks = store.chunk_count()
    generation = store.generation()
    second = ingest_paths([folder], store, embedder, settings, progress=False)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 1)
    assert store.generation() == generation and store.chunk_count() == chunks

    path.write_text(SAMPLE.read_text().replace("74 settlements", "82 settlements"))
    third = ingest_paths([folder], store, embedder, settings, progress=False)
    assert (third.added, third.updated) == (0, 1)
    assert store.stats()["articles"] == 1
    assert store.chunk_count() == chunks  # replaced, not added
    hits = store.lexical_search("82 settlements", 5)
    texts = store.passages([cid for cid, _ in hits])
    assert any("82 settlements" in p.text for p in texts.values())
    assert not any("74 settlements" in p.text for p in texts.values())


def test_bad_files_are_reported_and_the_rest_ingested(
    tmp_path: Path, settings: Settings, embedder: LocalMiniLM
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "good.txt").write_text(SAMPLE.read_text())
    (folder / "empty.txt").write_text("")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (folder / "broken.json").write_text('{"title": "x", "text": ')
    (folder / "lines.jsonl").write_text(
        json.dumps({"headline": "Good line", "body": "A council in Springfield voted on Monday to fix roads. "
                    "The mayor said the work starts in May.", "url": "https://example.org/roads"}) + "\n"
        + "{not json}\n"
        + json.dumps({"title": "no text here"}) + "\n"
    )
    with gzip.open(folder / "more.json.gz", "wt") as f:
        json.dump([{"title": "Zipped", "text": "The harbour in Portsmouth reopened after the storm, officials said.",
                    "published": "2024-08-13", "source": "Reuters"}], f)
    report = ingest_paths([folder, tmp_path / "missing.txt"], Index(settings), embedder, settings, progress=False)
    data = report.to_dict()
    assert data["status"] == "partial"
    assert data["added"] == 3  # good.txt, the good JSONL line, the gzipped JSON record
    failed = {Path(f["source"].split("#")[0]).name: f["reason"] for f in data["failed"]}
    assert set(failed) == {"empty.txt", "binary.txt", "broken.json", "lines.jsonl", "missing.txt"}
    assert "binary" in failed["binary.txt"] and "empty" in failed["empty.txt"]
    assert "invalid JSON" in failed["broken.json"]
    assert len([f for f in data["failed"] if f["source"].startswith(str(folder / "lines.jsonl"))]) == 2


def test_html_and_json_metadata(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(
        "<html><head><title>Harbour reopens | Daily Planet</title>"
        '<meta property="og:site_name" content="Daily Planet">'
        '<meta name="author" content="Lois Lane"><meta property="article:published_time" content="2024-08-13">'
        "</head><body><nav>Home | World | Sport</nav><article><h1>Harbour reopens</h1>"
        + "".join(f"<p>The harbour in Metropolis reopened on Tuesday after repairs, sentence {i}.</p>" for i in range(8))
        + "</article><footer>Subscribe to our newsletter</footer></body></html>"
    )
    article = doc_to_article(next(read_path(page)))
    assert article is not None
    assert "harbour in Metropolis reopened" in article.text
    assert "Subscribe" not in article.text and "Home | World" not in article.text
    assert article.published is not None and article.published.isoformat() == "2024-08-13"

    record = tmp_path / "one.json"
    record.write_text(json.dumps({"headline": "H", "body": "Body text here. More text.", "date": "August 13, 2024",
                                  "link": "https://Example.org/a/?utm_source=x#frag"}))
    a = doc_to_article(next(read_path(record)))
    assert a is not None and a.title == "H" and a.published is not None and a.published.isoformat() == "2024-08-13"
    assert a.url == "https://example.org/a"


@pytest.mark.parametrize("value", ["", "sometime", "Tuesday", "13 August"])
def test_unknown_dates_stay_unknown(value: str) -> None:
    from ingest.metadata import parse_date

    assert parse_date(value) is None


def test_syndicated_copies_are_stored_once_with_every_outlet(
    tmp_path: Path, settings: Settings, embedder: LocalMiniLM
) -> None:
    story = SAMPLE.read_text().split("LEAVE A REPLY")[0]
    folder = tmp_path / "wire"
    folder.mkdir()
    (folder / "ap.json").write_text(json.dumps({"title": "Russia repels advance", "text": story,
                                                "url": "https://apnews.example/kursk", "source": "AP"}))
    copy = story.replace("MOSCOW, Russia –", "MOSCOW (AP) —").replace(
        "The Associated Press", "Distributed by the Daily Wire Service")
    (folder / "local.json").write_text(json.dumps({"title": "Kursk: Russia says it stopped Ukraine's push",
                                                   "text": copy, "url": "https://local.example/kursk",
                                                   "source": "Local Paper"}))
    (folder / "exact.json").write_text(json.dumps({"title": "Same words", "text": story,
                                                   "url": "https://mirror.example/kursk", "source": "Mirror"}))
    (folder / "other.json").write_text(json.dumps({
        "title": "Harbour reopens", "url": "https://gazette.example/harbour", "source": "Gazette",
        "text": "The harbour in Portsmouth reopened on Thursday after the storm passed, officials said. " * 5}))
    store = Index(settings)
    report = ingest_paths([folder], store, embedder, settings, progress=False).to_dict()
    assert (report["added"], report["duplicates"], report["near_duplicates"]) == (2, 1, 1), report
    kept = next(a for a in store.list_articles() if a["source"] == "AP")
    carried = sorted(c["source"] for c in store.copies_of(kept["id"]))
    assert carried == ["Local Paper", "Mirror"]
    assert store.stats()["syndicated_copies"] == 2


def test_an_edit_reembeds_only_the_changed_chunks(tmp_path: Path, settings: Settings, embedder: LocalMiniLM) -> None:
    path = tmp_path / "kursk.txt"
    path.write_text(SAMPLE.read_text())
    store = Index(settings)
    first = ingest_paths([path], store, embedder, settings, progress=False)
    path.write_text(SAMPLE.read_text().replace("255 glide bombs", "256 glide bombs"))
    second = ingest_paths([path], store, embedder, settings, progress=False)
    assert second.updated == 1
    assert second.embedded == 1 and second.reused == first.chunks - 1


def _index_state(store: Index) -> tuple[dict[str, str], list[str]]:
    texts = {a["id"]: store.article_text(a["id"]) for a in store.list_articles()}
    chroma_ids = sorted(store.vectors.ids())
    lexical_ids = store.lexical_index().ids
    catalog_ids = sorted(store.catalog.chunk_ids())
    assert chroma_ids == catalog_ids == sorted(lexical_ids)
    return texts, catalog_ids


def test_batch_boundaries_change_nothing(
    tmp_path: Path, embedder: LocalMiniLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A duplicate or an edit of an article in an earlier batch is handled as within one batch: the end
    state of one-article batches equals a one-batch ingest of the same input."""
    import ingest.pipeline as pipeline

    story = SAMPLE.read_text().split("LEAVE A REPLY")[0]
    records = [
        {"title": "Kursk", "text": story, "url": "https://a.example/kursk"},
        {"title": "Kursk copy", "text": story, "url": "https://b.example/kursk"},  # exact copy of the first
        {"title": "Kursk", "text": story.replace("255 glide bombs", "256 glide bombs"), "url": "https://a.example/kursk"},
        {"title": "Harbour", "text": "The harbour in Portsmouth reopened on Thursday, officials said. " * 4,
         "url": "https://c.example/harbour"},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records))
    whole = make_settings(tmp_path / "whole")
    one_batch = ingest_paths([path], Index(whole), embedder, whole, progress=False)
    monkeypatch.setattr(pipeline, "BATCH_CHUNKS", 1)  # every article is its own batch
    split = make_settings(tmp_path / "split")
    batched = ingest_paths([path], Index(split), embedder, split, progress=False)
    assert batched.duplicates == one_batch.duplicates == 1
    assert batched.added + batched.updated == 3 and batched.status == "ok"
    texts, chunk_ids = _index_state(Index(split))
    assert (texts, chunk_ids) == _index_state(Index(whole))
    assert len(texts) == 2 and sum("256 glide bombs" in t for t in texts.values()) == 1
