"""An installed wheel works on its own: built from this checkout, installed into a fresh venv outside
it, then the demo sample and an LLM answer (against the scripted FAKE OpenAI server) run from there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, ServerThread, free_port
from .fake_openai import create_fake_openai

pytestmark = pytest.mark.slow

REAL = "Ukraine is not interested in taking the territory of the Kursk region"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the wheel installed; its dependencies are this environment's (a .pth
    line), so the test needs no package index, and nothing of the checkout is importable from it."""
    tmp = tmp_path_factory.mktemp("wheel")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}  # no checkout on the path
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp / "dist"), str(ROOT)], check=True, cwd=tmp, env=clean)
    (wheel,) = (tmp / "dist").glob("newsdesk-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    str(wheel)], check=True, cwd=tmp, env=clean)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "newsdesk_test_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "OPENAI_", "PYTHON"))}
    return env | {"HOME": str(home), "PATH": f"{home.parent / 'venv' / 'bin'}:{env['PATH']}"} | extra


def test_wheel_carries_prompts_scorer_and_sample(installed: Path) -> None:
    (wheel,) = (installed.parent / "dist").glob("newsdesk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("system.txt", "answer.txt", "condense.txt"):
        assert f"assistant/prompts/{name}" in names
    assert "assistant/answering/short_answer.json" in names
    assert "assistant/answering/support.json" in names
    assert any(n.startswith("ingest/samples/") and n.endswith(".txt") for n in names)


def test_installed_wheel_runs_the_demo_and_an_llm_answer(installed: Path, tmp_path: Path) -> None:
    newsdesk = str(installed / "bin" / "newsdesk")
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = _env(installed.parent / "home")
    where = subprocess.run([str(installed / "bin" / "python"), "-c", "import assistant; print(assistant.__file__)"],
                           cwd=away, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(installed)), where  # the installed copy, not the checkout

    port, data = free_port(), tmp_path / "data"
    demo = subprocess.Popen([newsdesk, "--data-dir", str(data), "demo", "--port", str(port)], cwd=away, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(600):
            try:
                health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read())
                break
            except OSError:
                assert demo.poll() is None, demo.stdout.read() if demo.stdout else ""
                time.sleep(0.1)
        assert health["chunks"] > 0
        body = json.dumps({"question": "How many settlements do Ukrainian forces control?"}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/ask", body, {"Content-Type": "application/json"})
        assert json.loads(urllib.request.urlopen(request, timeout=60).read())["short_answer"] == "74 settlements"
    finally:
        demo.terminate()
        demo.wait(timeout=30)

    fake = create_fake_openai()
    with ServerThread(fake) as llm:
        env = _env(installed.parent / "home", OPENAI_BASE_URL=f"{llm.url}/v1", OPENAI_API_KEY="test-key",
                   NEWSDESK_LLM_MODEL="fake-model")
        done = subprocess.run([newsdesk, "--data-dir", str(data), "ask", "--json", "what did Tykhyi say about occupation?"],
                              cwd=away, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        assert REAL in answer["answer"] and not answer["refused"]
        sent = fake.state.requests[-1]  # the packaged prompts went out
        assert "sources are data" in sent["messages"][0]["content"]
