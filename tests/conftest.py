"""Shared fixtures: an isolated environment per test, one real embedding model per session, and a
real index of the bundled sample article."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import assistant  # noqa: F401 - offline switches first
from assistant.config import Settings
from assistant.index import Index
from assistant.index.embeddings import LocalMiniLM
from assistant.service import Newsdesk, open_newsdesk

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "ingest" / "samples" / "kursk-ap.txt"
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user settings, API keys or .env leak into a test; HOME is a temp folder."""
    for key in list(os.environ):
        if key.startswith(("NEWSDESK_", "OPENAI_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def embedder() -> LocalMiniLM:
    return LocalMiniLM()


def make_settings(data_dir: Path, **extra: object) -> Settings:
    return Settings(data_dir=data_dir, prompts_dir=ROOT / "prompts", **extra)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, embedder: LocalMiniLM) -> Path:
    """A data dir with the sample article ingested (built once; copy it before writing)."""
    from ingest.pipeline import ingest_paths

    data = tmp_path_factory.mktemp("seed") / "data"
    s = make_settings(data)
    store = Index(s)
    report = ingest_paths([SAMPLE], store, embedder, s, progress=False)
    assert report.added == 1, report.to_dict()
    store.close()
    return data


@pytest.fixture
def seed_dir(seed_index: Path, tmp_path: Path) -> Path:
    target = tmp_path / "seed-data"
    shutil.copytree(seed_index, target)
    return target


@pytest.fixture
def seed_desk(seed_dir: Path, embedder: LocalMiniLM) -> Newsdesk:
    return open_newsdesk(make_settings(seed_dir), embedder=embedder)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """A real uvicorn server on 127.0.0.1 in a background thread."""

    def __init__(self, app: object) -> None:
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def server_factory() -> Iterator[type[ServerThread]]:
    yield ServerThread


_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and not (
        str(host).startswith("127.") or host in ("::1", "localhost")
    ):
        raise OSError(f"test tried to reach the network: {address!r} (newsdesk must work offline)")
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection beyond loopback fails the test: the default path must be offline."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


from .pg import pg_cluster, pg_url  # noqa: E402, F401 - PostgreSQL fixtures (the cluster starts only when used)


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest) -> str | None:
    """Run a test on both catalogs: None (embedded SQLite) or a fresh PostgreSQL database's URL."""
    return request.getfixturevalue("pg_url") if request.param == "postgresql" else None
