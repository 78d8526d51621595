"""Streaming: grounding token by token, SSE from the API (both modes), the interactive CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest

from assistant.answering.draft import Delta, Draft
from assistant.answering.grounding import ground, ground_stream
from assistant.cli import main
from assistant.http.app import create_app
from assistant.index.embeddings import LocalMiniLM
from assistant.models import Passage
from assistant.service import Newsdesk, open_newsdesk

from .conftest import SAMPLE, ServerThread, make_settings
from .fake_openai import create_fake_openai

P1 = Passage(chunk_id="c1", article_id="a", text="Syrskyi said the troops control 74 settlements. Fighting goes on.",
             start=0, end=66, title="T", url=None, source="AP", published=None)
P2 = Passage(chunk_id="c2", article_id="a", text="“We will protect our people,” Tykhyi said.", start=70, end=112,
             title="T", url=None, source="AP", published=None)


@pytest.mark.parametrize("size", [1, 3, 7, 50])
def test_stream_grounding_matches_whole_grounding(size: int) -> None:
    raw = ('Ukraine controls 74 settlements, Syrskyi said. [1] Tykhyi said "We will protect our people" [2]. '
           'He also said "we take Moscow" [2]. Uncited sentence here.')
    deltas = [raw[i : i + size] for i in range(0, len(raw), size)]
    events = list(ground_stream(iter(deltas), [P1, P2]))
    pieces, final = [e.text for e in events if isinstance(e, Delta)], events[-1]
    assert isinstance(final, Draft)
    assert final == ground(raw, [P1, P2])
    assert "".join(pieces).strip() == final.text
    assert "Moscow" not in final.text and "Uncited" not in final.text


@pytest.mark.parametrize("size", [1, 5, 50])
@pytest.mark.parametrize(("raw", "short"), [
    ("Answer: 74 settlements [1]\nSyrskyi said the troops control 74 settlements [1].", "74 settlements"),
    ("**Answer:** 74 settlements. [1]\n\nSyrskyi said the troops control 74 settlements [1].", "74 settlements"),
    ("Answer: 74 settlements [2]\nSyrskyi said the troops control 74 settlements [1].", None),  # [2] lacks it
    ("Answer: 75 settlements [1]\nSyrskyi said the troops control 74 settlements [1].", None),  # in no source
    ("Answer: 4 settlements [1]\nSyrskyi said the troops control 74 settlements [1].", None),  # not a whole number
    ("Answer: Yes [1]\nSyrskyi said the troops control 74 settlements [1].", None),
])
def test_an_llm_short_answer_leads_only_when_a_cited_source_holds_it(raw: str, short: str | None, size: int) -> None:
    deltas = [raw[i : i + size] for i in range(0, len(raw), size)]
    events = list(ground_stream(iter(deltas), [P1, P2]))
    final = events[-1]
    assert isinstance(final, Draft) and final == ground(raw, [P1, P2])
    assert "".join(e.text for e in events if isinstance(e, Delta)).strip() == final.text
    assert final.short_answer == short and not final.refused
    if short:
        assert final.text.startswith("74 settlements [1]. Syrskyi said")
        assert "74 settlements" in final.citations[0].quote
    else:
        assert final.text.startswith("Syrskyi said") and "Answer" not in final.text


def _sse(text: str) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_api_streams_extractive_answers(seed_desk: Newsdesk) -> None:
    with ServerThread(create_app(seed_desk, with_page=False)) as server:
        with httpx.stream("POST", f"{server.url}/v1/ask", timeout=30,
                          json={"question": "what did Tykhyi say about occupation?", "stream": True}) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            events = _sse(r.read().decode())
    kinds = [k for k, _ in events]
    assert kinds[-1] == "answer" and kinds.count("delta") > 5
    final = events[-1][1]
    assert "".join(d["text"] for k, d in events if k == "delta") == final["answer"]
    assert any("protect the lives of our people" in c["quote"] for c in final["citations"])


def test_api_streams_llm_answers_sentence_by_sentence(seed_dir: Path, embedder: LocalMiniLM) -> None:
    with ServerThread(create_fake_openai()) as llm:
        settings = make_settings(seed_dir, openai_base_url=f"{llm.url}/v1", openai_api_key="k", llm_max_retries=0)
        desk = open_newsdesk(settings, embedder=embedder)
        with ServerThread(create_app(desk, with_page=False)) as server:
            r = httpx.post(f"{server.url}/v1/ask", timeout=30,
                           json={"question": "what did Tykhyi say about occupation?", "stream": True})
    events = _sse(r.text)
    deltas = [d["text"] for k, d in events if k == "delta"]
    final = events[-1][1]
    assert events[-1][0] == "answer" and not final["refused"]
    assert len(deltas) == 1  # one verified sentence survives; the invented ones never reach the client
    assert "Moscow" not in "".join(deltas)
    assert "".join(deltas).strip() == final["answer"]


def test_chat_cli_streams_and_follows_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    assert main(["--data-dir", data, "ingest", str(SAMPLE)]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("what did Tykhyi say about occupation?\nand what did Syrskyi say?\n\n"))
    assert main(["--data-dir", data, "chat"]) == 0
    out = capsys.readouterr().out
    assert "we want to protect the lives of our people" in out
    assert "(understood as: what did Syrskyi say about occupation?)" not in out
    assert "Oleksandr Syrskyi, as reported by The Associated Press" in out
    assert out.count("Sources:") == 2
