"""The chat page reads no server file (issue 27, item 1), over a real server on 127.0.0.1: its events
take only files the browser uploaded, every other path gets one message that says nothing about it, no
copy lands in Gradio's cache, and Gradio's file route serves nothing from outside it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.http.app import create_app
from assistant.http.page_files import REFUSED
from assistant.index.embeddings import LocalMiniLM
from assistant.service import open_newsdesk

from .conftest import ServerThread, make_settings

pytestmark = pytest.mark.slow

SECRET = "Vault memo\n\nThe zanzibar vault code is 4242, the quartermaster said on Monday.\n"
STORY = b"Harbour reopens\n\nThe harbour in Portsmouth reopened on Thursday after the storm, officials said.\n"


def _file(path: str) -> dict[str, Any]:
    return {"path": path, "meta": {"_type": "gradio.FileData"}}


def _call(c: httpx.Client, api: str, data: list[Any]) -> tuple[str, Any]:
    """A page event through Gradio's HTTP API: ("complete", outputs) or ("error", the message shown)."""
    started = c.post(f"/gradio_api/call/{api}", json={"data": data})
    assert started.status_code == 200, started.text
    stream = c.get(f"/gradio_api/call/{api}/{started.json()['event_id']}").text
    kind = stream.split("event: ")[-1].split("\n")[0]
    payload = json.loads(stream.rsplit("data: ", 1)[1])
    return kind, payload


@pytest.fixture
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Gradio's upload folder for this test alone, reached through a symlink (as /tmp is on some systems)."""
    real = tmp_path / "gradio-real"
    real.mkdir()
    (tmp_path / "gradio").symlink_to(real)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    return tmp_path / "gradio"


@pytest.fixture
def page(tmp_path: Path, embedder: LocalMiniLM, uploads: Path) -> Iterator[tuple[httpx.Client, Path]]:
    desk = open_newsdesk(make_settings(tmp_path / "data"), embedder=embedder)
    secret = tmp_path / "private" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET)
    os.chmod(secret, 0o600)
    with ServerThread(create_app(desk)) as server, httpx.Client(base_url=server.url, timeout=60) as c:
        yield c, secret


def _found(c: httpx.Client) -> bool:
    return any("zanzibar" in r["text"] for r in c.get("/v1/search", params={"q": "zanzibar vault code"}).json()["results"])


def test_the_page_ingests_only_what_the_browser_uploaded(page: tuple[httpx.Client, Path], uploads: Path) -> None:
    c, secret = page
    uploaded = c.post("/gradio_api/upload", files=[("files", ("harbour.txt", STORY, "text/plain"))]).json()[0]
    inside = str(Path(uploaded).parent)
    refused_paths = [
        str(secret),                                   # a mode-600 file outside any upload folder
        str(secret.parent),                            # a folder (was "[Errno 21] Is a directory")
        str(secret.parent / "no-such-file.txt"),       # a path that does not exist
        f"{inside}/../../private/secret.txt",          # out of the upload folder with ..
        str(uploads / "planted.txt"),                  # in the folder, but not uploaded by anyone
        "http://127.0.0.1:9/secret.txt",               # a URL: the page fetches nothing
        "relative/secret.txt",
    ]
    (uploads / "planted.txt").symlink_to(secret)
    answers = [_call(c, "upload", [[_file(p)]]) for p in refused_paths]
    answers.append(_call(c, "upload", [[_file(uploaded), _file(str(secret))]]))  # one bad file refuses the lot
    for (kind, payload), path in zip(answers, refused_paths + ["mixed"], strict=True):
        assert kind == "error" and payload["error"] == REFUSED, (path, payload)  # the same words for all
    assert not _found(c)
    assert not [p for p in uploads.rglob("*") if p.name.startswith("secret") or p.name == "no-such-file.txt"]

    kind, (summary, stats, _) = _call(c, "upload", [[_file(uploaded)]])
    assert kind == "complete" and summary.startswith("ok: 1 added"), summary
    assert "**1 story**" in stats


def test_no_page_input_copies_a_server_file(page: tuple[httpx.Client, Path], uploads: Path) -> None:
    """Any input may carry a file object (a chat message, a text box): none is copied into Gradio's cache,
    where /gradio_api/file= would serve it."""
    c, secret = page
    chat_file = [{"role": "user", "content": [{"type": "file", "file": _file(str(secret))}]}]
    for data in (["hi", chat_file, "", "", []],
                 ["hi", [{"role": "user", "content": _file(str(secret))}], "", "", []],
                 [_file(str(secret)), [], "", "", []],
                 ["hi", [], _file(str(secret)), "", []]):
        kind, payload = _call(c, "respond", data)
        assert kind == "error" and payload["error"] == REFUSED, payload
    copies = [p for p in uploads.rglob("*") if p.is_file()]
    assert not copies, copies
    for path in (str(secret), f"{uploads}/../private/secret.txt", str(secret.parent)):
        served = c.get(f"/gradio_api/file={path}")
        assert served.status_code == 403 and "zanzibar" not in served.text
    nowhere = c.get(f"/gradio_api/file={secret.parent}/no-such-file.txt")
    assert nowhere.status_code == 403  # the same answer whether a path exists or not


def test_unexpected_errors_do_not_reach_the_page(page: tuple[httpx.Client, Path]) -> None:
    """A failure inside Gradio (here: a chat message of the wrong shape) says "Error", not its text,
    which can hold server paths and library internals."""
    c, _ = page
    kind, payload = _call(c, "respond", ["hi", [{"role": "user", "content": 12}], "", "", []])
    assert kind == "error" and payload.get("error") is None, payload
