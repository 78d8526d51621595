"""Property test over the readers: whatever bytes arrive, reading and cleaning either works or
raises IngestError, never anything else."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.errors import IngestError
from ingest.pipeline import doc_to_article
from ingest.sources import read_path

SUFFIXES = [".txt", ".md", ".html", ".json", ".jsonl", ".csv", ".json.gz", ".txt.gz", ".rss", ".xml"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=200),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(
        st.sampled_from(["title", "text", "body", "url", "published", "date", "source", "authors", "x"]),
        children, max_size=6),
    max_leaves=20,
)
payloads = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=3000).map(lambda t: t.encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.lists(json_values, max_size=5).map(lambda vs: "\n".join(json.dumps(v) for v in vs).encode()),
    st.text(max_size=2000).map(lambda t: f"<html><body><p>{t}</p><div>{t[::-1]}".encode("utf-8", "surrogatepass")),
    st.text(max_size=1500).map(lambda t: f"<?xml version='1.0'?><rss><channel><item><title>{t}</title>".encode(
        "utf-8", "surrogatepass")),
)


def _read_all(path: Path) -> int:
    n = 0
    try:
        for doc in read_path(path):
            if doc.fields.get("__error__"):
                continue
            try:
                doc_to_article(doc)
            except IngestError:
                pass
            n += 1
    except IngestError:
        pass
    return n


@settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=payloads, suffix=st.sampled_from(SUFFIXES))
def test_readers_never_crash(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"input{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    _read_all(path)


def test_truncated_gzip_and_huge_file_are_reported(tmp_path: Path) -> None:
    broken = tmp_path / "cut.jsonl.gz"
    broken.write_bytes(gzip.compress(b'{"title": "a", "text": "b"}\n' * 100)[:-20])
    assert _read_all(broken) == 0
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.write(b"Title\n\n" + b"A long line of text about the harbour. " * 1_400_000)  # ~55 MB
    docs = list(read_path(big))
    assert len(docs) == 1 and len(docs[0].text) > 50_000_000
    with pytest.raises(IngestError, match="is not one news article"):
        doc_to_article(docs[0])
