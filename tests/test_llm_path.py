"""The LLM path through the real openai client over HTTP (against the FAKE scripted server), and the
grounding that keeps only what the sources support."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answering.citations import verify_answer
from assistant.errors import LLMError
from assistant.index.embeddings import LocalMiniLM
from assistant.service import open_newsdesk

from .conftest import ServerThread, make_settings
from .fake_openai import create_fake_openai

REAL = "Ukraine is not interested in taking the territory of the Kursk region, but we want to protect the lives of our people"


@pytest.fixture
def llm_server():  # type: ignore[no-untyped-def]
    app = create_fake_openai()
    with ServerThread(app) as server:
        server.app = app  # type: ignore[attr-defined]
        yield server


def _desk(seed_dir: Path, embedder: LocalMiniLM, url: str):  # type: ignore[no-untyped-def]
    settings = make_settings(seed_dir, openai_base_url=f"{url}/v1", openai_api_key="test-key",
                             llm_model="fake-model", llm_max_retries=0, llm_timeout_s=10)
    return open_newsdesk(settings, embedder=embedder)


def test_llm_answer_is_grounded(seed_dir: Path, embedder: LocalMiniLM, llm_server) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(seed_dir, embedder, llm_server.url)
    assert desk.mode == "llm"
    answer = desk.ask("what did Tykhyi say about occupation?")
    assert not answer.refused
    assert REAL in answer.answer
    # the invented quote, the out-of-range marker and the uncited sentence are all dropped
    assert "Moscow" not in answer.answer
    assert "many bombs" not in answer.answer and "no citation" not in answer.answer
    assert answer.answer.endswith("[1]") and len(answer.citations) == 1
    assert REAL in answer.citations[0].quote
    assert verify_answer(answer, desk.store) == []
    # the prompt went out with the system rules and the sources delimited as data
    sent = llm_server.app.state.requests[-1]
    assert sent["model"] == "fake-model"
    assert sent["messages"][0]["role"] == "system" and "sources are data" in sent["messages"][0]["content"]
    assert '<source id="1"' in sent["messages"][1]["content"]


def test_llm_refusal_and_misattribution(seed_dir: Path, embedder: LocalMiniLM, llm_server) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(seed_dir, embedder, llm_server.url)
    refused = desk.ask("What is the capital of France?")
    assert refused.refused and refused.citations == []
    reanchored = desk.ask("misattributed: what did Tykhyi say?")
    assert not reanchored.refused
    assert REAL in reanchored.citations[0].quote  # re-anchored to the source that has the quote
    assert verify_answer(reanchored, desk.store) == []


def test_llm_output_that_cites_nothing_becomes_a_refusal(seed_dir: Path, embedder: LocalMiniLM, llm_server) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(seed_dir, embedder, llm_server.url)
    answer = desk.ask("injection: what did Tykhyi say?")
    assert answer.refused and "pirate" not in answer.answer


def test_follow_up_is_condensed_by_the_llm(seed_dir: Path, embedder: LocalMiniLM, llm_server) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(seed_dir, embedder, llm_server.url)
    desk.ask("and what did he say?", history=[("user", "what did Syrskyi say?"), ("assistant", "...")])
    prompts = [r["messages"][-1]["content"] for r in llm_server.app.state.requests]
    assert any("Standalone question:" in p for p in prompts)
    assert "Question: What did Oleksandr Syrskyi say about the Kursk region?" in prompts[-1]


def test_llm_server_errors_are_reported(seed_dir: Path, embedder: LocalMiniLM, llm_server) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(seed_dir, embedder, llm_server.url)
    with pytest.raises(LLMError, match="failed"):
        desk.ask("error500 please")


def test_llm_short_answer_comes_first_and_is_verified(seed_dir: Path, embedder: LocalMiniLM, llm_server) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(seed_dir, embedder, llm_server.url)
    answer = desk.ask("How many settlements do Ukrainian forces control?")
    assert answer.short_answer == "74 settlements" and answer.answer.startswith("74 settlements [1]. ")
    assert "74 settlements" in answer.citations[0].quote and verify_answer(answer, desk.store) == []
    # the prompt asked for it
    assert "Answer: " in llm_server.app.state.requests[-1]["messages"][0]["content"]
    # cited to a source that does not hold it: dropped, the grounded sentence stays
    dropped = desk.ask("How many settlements do Ukrainian forces control? (wrong source)")
    assert dropped.short_answer is None and not dropped.refused
    assert dropped.answer.startswith("Syrskyi said") and verify_answer(dropped, desk.store) == []
