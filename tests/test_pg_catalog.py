"""The catalog on PostgreSQL (a real server, see tests/pg.py) and its Alembic migrations on both
databases: an old SQLite catalog is stamped and upgraded, concurrent writers store an article once,
recovery leaves a live writer alone, mark_ready survives a deadlock, and the sample answers the same on
both catalogs."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.index import Index
from assistant.index.catalog import Catalog, Item
from assistant.index.claims import DEDUPE_LOCK, Claims
from assistant.index.database import engine_url
from assistant.index.embeddings import LocalMiniLM
from assistant.index.schema import metadata
from assistant.service import Newsdesk, open_newsdesk
from ingest.chunking import chunk_article
from ingest.dedupe import NearDuplicates, signature
from ingest.pipeline import doc_to_article, ingest_paths
from ingest.quotes import extract_quotes
from ingest.sources import read_path

from .conftest import SAMPLE, make_settings

HEAD = "0004"

# The schema newsdesk made before migrations existed (commit 05e9138), as it made it.
PRE_ALEMBIC_SCHEMA = """
CREATE TABLE articles (id TEXT PRIMARY KEY, title TEXT NOT NULL, url TEXT, source TEXT, published TEXT,
    byline TEXT, origin TEXT, content_hash TEXT NOT NULL, text_hash TEXT NOT NULL, text TEXT NOT NULL,
    state TEXT NOT NULL, ingested_at TEXT NOT NULL);
CREATE INDEX articles_text_hash ON articles(text_hash);
CREATE TABLE chunks (id TEXT PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL);
CREATE INDEX chunks_article ON chunks(article_id);
CREATE TABLE quotes (article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE, speaker TEXT NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL, direct INTEGER NOT NULL);
CREATE INDEX quotes_article ON quotes(article_id);
CREATE TABLE signatures (article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE, sig BLOB NOT NULL);
CREATE TABLE copies (article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE, copy_id TEXT NOT NULL,
    url TEXT, source TEXT, published TEXT, origin TEXT, similarity REAL NOT NULL, PRIMARY KEY (article_id, copy_id));
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _sample_item() -> Item:
    article = doc_to_article(next(read_path(SAMPLE)))
    assert article is not None
    chunks = chunk_article(article, 180, 0)
    return article, chunks, np.zeros((len(chunks), 4), dtype=np.float32), extract_quotes(article)


def _location(catalog_url: str | None, tmp_path: Path) -> Path | str:
    return catalog_url or tmp_path / "catalog.sqlite3"


def test_database_urls_get_the_psycopg_driver(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert engine_url("postgresql://u:secret@db.example:5433/news") == "postgresql+psycopg://u:secret@db.example:5433/news"
    assert engine_url("postgres://u@db/news") == "postgresql+psycopg://u@db/news"
    assert engine_url(tmp_path / "c.sqlite3") == f"sqlite:///{tmp_path}/c.sqlite3"
    with pytest.raises(ConfigError, match="must be a postgresql:// URL, not mysql://"):
        engine_url("mysql://u@db/news")
    assert Settings(data_dir=tmp_path).catalog_location == tmp_path / "catalog.sqlite3"  # SQLite by default
    monkeypatch.setenv("NEWSDESK_DATABASE_URL", "postgresql://u@db/news")
    assert Settings(data_dir=tmp_path).catalog_location == "postgresql://u@db/news"


def test_migrations_make_the_schema_the_code_declares(catalog_url: str | None, tmp_path: Path) -> None:
    catalog = Catalog(_location(catalog_url, tmp_path))
    with catalog.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        if catalog_url:  # ids sort bytewise, as on SQLite, whatever the server's locale
            collations = connection.execute(text(
                "SELECT table_name, collation_name FROM information_schema.columns "
                "WHERE column_name = 'id' AND table_schema = 'public'")).all()
            assert sorted(collations) == [("articles", "C"), ("chunks", "C")]
    catalog.close()


def test_a_catalog_made_before_migrations_is_stamped_and_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(PRE_ALEMBIC_SCHEMA)
        db.execute("INSERT INTO articles VALUES ('a1', 'Old story', NULL, 'AP', '2024-08-01', NULL, 'x.txt', 'h', "
                   "'t', 'Some old text.', 'ready', '2024-08-02T00:00:00+00:00')")
        db.execute("INSERT INTO chunks VALUES ('a1:0', 'a1', 0, 0, 14)")
        db.execute("INSERT INTO meta VALUES ('generation', '7')")
    catalog = Catalog(path)
    assert catalog.generation() == 7
    assert [a["title"] for a in catalog.list_articles()] == ["Old story"]
    assert catalog.passages(["a1:0"])["a1:0"].text == "Some old text."
    catalog.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        assert "writer" in [row[1] for row in db.execute("PRAGMA table_info(articles)")]
    assert Catalog(path).generation() == 7  # opening again migrates nothing


def test_catalogs_opened_at_once_migrate_once(pg_url: str) -> None:
    catalogs = [Catalog(pg_url) for _ in range(4)]
    threads = [threading.Thread(target=c.generation) for c in catalogs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [c.generation() for c in catalogs] == [0, 0, 0, 0]
    for c in catalogs:
        c.close()


def test_two_writers_of_one_article_store_it_once(pg_url: str) -> None:
    """Two writers with their own connection pools write the same article at the same moment, many
    times: the primary key and the upsert (not the process) keep one copy, complete and ready."""
    item = _sample_item()
    article, chunks, _, quotes = item
    writers = [Catalog(pg_url), Catalog(pg_url)]
    for w in writers:
        w.generation()
    start, errors = threading.Barrier(2), []

    def write(catalog: Catalog) -> None:
        try:
            for _ in range(25):
                start.wait(timeout=30)
                catalog.write_pending([item])
                catalog.mark_ready([item])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            start.abort()

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    reader = Catalog(pg_url)
    assert [a["id"] for a in reader.list_articles()] == [article.id]
    assert reader.chunk_ids() == sorted(c.id for c in chunks)
    assert len(reader.quotes_for([article.id])) == len(quotes)
    assert reader.pending_ids() == []
    assert reader.counts()["chunks"] == len(chunks)
    for c in (*writers, reader):
        c.close()


def test_recovery_leaves_a_live_writers_pending_articles_alone(pg_url: str) -> None:
    item = _sample_item()
    live, other = Catalog(pg_url), Catalog(pg_url)
    live.write_pending([item])
    assert other.pending_ids() == [item[0].id]
    assert other.abandoned_ids() == []  # its writer is alive (holds its lock)
    assert live.abandoned_ids() == [item[0].id]  # a writer recovering undoes its own
    live.close()  # the writer goes, its session lock with it (as when a process is killed)
    assert other.abandoned_ids() == [item[0].id]
    other.close()


def test_the_sample_ingested_into_postgres_answers_as_on_sqlite(
    pg_url: str, tmp_path: Path, embedder: LocalMiniLM, seed_desk: Newsdesk
) -> None:
    settings = make_settings(tmp_path / "data", database_url=pg_url)
    store = Index(settings)
    assert ingest_paths([SAMPLE], store, embedder, settings, progress=False).added == 1
    assert ingest_paths([SAMPLE], store, embedder, settings, progress=False).unchanged == 1
    store.close()
    desk = open_newsdesk(settings, embedder=embedder)
    for question in ("How many settlements do Ukrainian forces control?", "what did Tykhyi say about occupation?",
                     "Who expressed concern over the situation?", "What is the capital of France?"):
        on_pg, on_sqlite = desk.ask(question), seed_desk.ask(question)
        assert on_pg.answer == on_sqlite.answer
        assert [c.quote for c in on_pg.citations] == [c.quote for c in on_sqlite.citations]
    stats = {k: v for k, v in desk.stats().items() if k not in ("index_bytes", "data_dir")}
    assert stats == {k: v for k, v in seed_desk.stats().items() if k not in ("index_bytes", "data_dir")}
    assert desk.delete([desk.articles()[0]["id"]]) == 1
    assert desk.stats()["articles"] == 0 and desk.chunk_count() == 0


def test_mark_ready_tries_again_when_postgres_breaks_a_deadlock(pg_url: str) -> None:
    """Another transaction holds the article's row and then asks for the dedupe lock mark_ready holds:
    PostgreSQL aborts mark_ready (it waited first) to break the deadlock; mark_ready starts again and
    the article ends up ready once."""
    article, chunks, vectors, quotes = _sample_item()
    article.minhash = signature(article.text)
    catalog = Catalog(pg_url)
    catalog.write_pending([(article, chunks, vectors, quotes)])
    other = psycopg.connect(pg_url)
    other.execute("INSERT INTO articles (id, title, content_hash, text_hash, text, state, ingested_at) "
                  "VALUES (%s, 'Another version', 'h', 't', 'Another text.', 'ready', 'now')",
                  (article.id,))  # holds the row: the article is not in the catalog until mark_ready writes it

    def take_the_lock() -> None:
        time.sleep(0.5)  # mark_ready is waiting for the row by now, so its deadlock check runs first
        other.execute("SELECT pg_advisory_xact_lock(%s)", (DEDUPE_LOCK,))
        other.commit()

    thread = threading.Thread(target=take_the_lock)
    thread.start()
    lost = catalog.mark_ready([(article, chunks, vectors, quotes)], Claims(NearDuplicates()))
    thread.join()
    other.close()
    assert lost == {}
    assert catalog.pending_ids() == [] and [a["id"] for a in catalog.list_articles()] == [article.id]
    with catalog.engine.connect() as db:  # the deadlock did happen
        assert db.execute(text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")).scalar()
    catalog.close()
