"""What a hostile user sends gets an answer or a 4xx in the route's JSON shape, never a 500 (issue 27):
times that leave the calendar, huge offsets, NaN, lone surrogates, deep nesting, odd upload names;
the same inputs on the command line are one line and exit 2 (or an answer), and the page answers too.
Each case here was a text/plain 500 (or a traceback) before."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.cli import main
from assistant.http.app import create_app
from assistant.http.strict_json import read_json
from assistant.index.embeddings import LocalMiniLM
from assistant.question.timeframe import read_timeframe
from assistant.service import Delta, Newsdesk, open_newsdesk

from .conftest import ROOT, ServerThread, make_settings
from .fake_openai import create_fake_openai
from .test_cli_errors import _one_line, _run

AS_OF = dt.date(2024, 8, 13)
LONG_AGO = "What happened in Kursk over the last 3000 years?"
VERY_LONG_AGO = "What happened in Kursk over the last 99999999999 weeks?"
MIN = dt.date.min


@pytest.mark.parametrize(("question", "as_of", "since", "until"), [
    (LONG_AGO, AS_OF, None, AS_OF),  # open at the start: every story up to as_of
    (VERY_LONG_AGO, AS_OF, None, AS_OF),
    ("in the past 9999999999999999999999 days", AS_OF, None, AS_OF),
    ("What happened in August 0000?", AS_OF, MIN, MIN),  # a year before the calendar: its first day
    ("What happened yesterday?", MIN, MIN, MIN),
    ("What happened today?", MIN, None, MIN),
    ("What happened last week?", MIN, None, MIN),
    ("What happened this month?", MIN, None, MIN),
    ("What happened last month?", MIN, MIN, MIN),
    ("What happened last year?", MIN, MIN, MIN),
    ("What happened since Monday?", MIN, None, MIN),  # 0001-01-01 is a Monday: since the one before
    ("What happened on Tuesday?", MIN, MIN, MIN),
    ("What happened in December?", dt.date(1, 3, 3), MIN, MIN),
    ("What happened over the last 3 days?", dt.date.max, dt.date(9999, 12, 28), dt.date.max),
])
def test_a_time_frame_at_the_calendars_edges_is_clamped(question: str, as_of: dt.date, since: dt.date | None,
                                                        until: dt.date | None) -> None:
    frame = read_timeframe(question, as_of)
    assert (frame.since, frame.until) == (since, until), frame


@pytest.mark.parametrize(("body", "refused"), [
    (b'\xef\xbb\xbf{"question": "Kursk"}', None),  # a byte order mark may lead (RFC 8259)
    (b'{"question": "\\ud83d\\ude00"}', None),  # a pair is one character
    (b'{"question": "Kursk", "n": 1e308}', None),
    (b'{"question": "Kursk", "n": [NaN]}', "NaN is not a JSON value: line 1 column 29 (char 28)"),
    (b'{"question": "Kursk", "n": -Infinity}', "-Infinity is not a JSON value"),
    (b'{"question": "Kursk", "n": 1e309}', "the number 1e309 is out of range"),
    (b'{"n": ' + b"9" * 41 + b"}", "an integer of 41 digits is out of range"),
    (b'{"question": "\\udc00 x"}', "\\udc00 is half of a UTF-16 surrogate pair, not a character: line 1 column 15"),
    (b"[" * 32 + b"]" * 32, None),
    (b"[" * 33 + b"]" * 33, "nested more than 32 levels deep"),
    (b"[" * 5000 + b"]" * 5000, "nested more than 32 levels deep"),
    ('{"question": "\u00e9"}'.encode("utf-16"), "the body is not UTF-8 (byte 0xFF)"),
])
def test_a_json_body_is_json_and_nothing_more(body: bytes, refused: str | None) -> None:
    if refused is None:
        assert read_json(body)
        return
    with pytest.raises(json.JSONDecodeError) as caught:
        read_json(body)
    assert str(caught.value).startswith(refused), caught.value


def _shape(r: httpx.Response, kind: str) -> None:
    """The body is JSON in the route's documented shape: a problem, FastAPI's validation error, OpenAI's."""
    assert r.headers["content-type"].startswith("application/json"), (r.status_code, r.text[:300])
    body = r.json()
    if kind == "problem":
        assert set(body) == {"type", "title", "status", "detail"} and body["status"] == r.status_code, body
    elif kind == "validation":
        assert isinstance(body["detail"], list) and body["detail"][0]["type"], body
    else:
        assert set(body["error"]) == {"message", "type", "param", "code"}, body
        assert body["error"]["type"] == "invalid_request_error", body


def _raw(c: httpx.Client, path: str, text: str) -> httpx.Response:
    return c.post(path, content=text.encode("utf-8"), headers={"content-type": "application/json"})


def _chat(content: str) -> dict[str, Any]:
    return {"model": "newsdesk", "messages": [{"role": "user", "content": content}]}


@pytest.mark.slow
def test_questions_about_times_outside_the_calendar_are_answered(seed_desk: Newsdesk) -> None:
    with ServerThread(create_app(seed_desk, with_page=False)) as server, \
            httpx.Client(base_url=server.url, timeout=120) as c:
        for question in (LONG_AGO, VERY_LONG_AGO):
            r = c.post("/v1/ask", json={"question": question})
            assert r.status_code == 200, r.text[:300]
            assert "Kursk" in r.json()["answer"] and not r.json()["refused"]
            r = c.post("/v1/ask", json={"question": question, "stream": True})
            assert r.status_code == 200 and "event: answer" in r.text and "event: error" not in r.text
            r = c.get("/v1/search", params={"q": question})
            assert r.status_code == 200 and r.json()["results"]
            r = c.post("/v1/chat/completions", json=_chat(question))
            assert r.status_code == 200 and "Kursk" in r.json()["choices"][0]["message"]["content"]
        for question in ("What happened yesterday?", "What happened last week?", "What is the latest on Kursk?"):
            r = c.post("/v1/ask", json={"question": question, "as_of": "0001-01-01"})
            assert r.status_code == 200, (question, r.text[:300])
            r = c.post("/v1/ask", json={"question": question, "as_of": "9999-12-31"})
            assert r.status_code == 200, (question, r.text[:300])


@pytest.mark.slow
def test_bodies_and_parameters_no_route_can_take_are_4xx_in_its_shape(seed_desk: Newsdesk) -> None:
    deep_list, deep_object = "[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000
    cases: list[tuple[str, str, str, int, str]] = [  # method, path, raw JSON body (or query), status, shape
        ("GET", "/v1/articles?offset=9223372036854775808", "", 422, "validation"),
        ("GET", "/v1/articles?offset=1000000001", "", 422, "validation"),
        ("POST", "/v1/ask", '{"question": NaN}', 422, "validation"),
        ("POST", "/v1/ask", '{"question": Infinity}', 422, "validation"),
        ("POST", "/v1/ask", '{"question": -Infinity}', 422, "validation"),
        ("POST", "/v1/ask", '{"question": 1e400}', 422, "validation"),
        ("POST", "/v1/ask", '{"question": "Kursk", "history": [{"role": "user", "content": NaN}]}', 422, "validation"),
        ("POST", "/v1/ask", '{"question": "What did Tykhyi say \\ud800?"}', 422, "validation"),
        ("POST", "/v1/ask", '{"question": "Kursk", "sources": ["AP \\udfff"]}', 422, "validation"),
        ("POST", "/v1/ask", '{"question": "Kursk", "sources": ' + deep_list + "}", 422, "validation"),
        ("POST", "/v1/ask", b'{"question": "Kursk \xe9"}'.decode("latin-1"), 422, "validation"),
        ("POST", "/v1/chat/completions", json.dumps(_chat("Kursk")).replace('"Kursk"', "NaN"), 400, "openai"),
        ("POST", "/v1/chat/completions", '{"messages": [{"role": "user", "content": "Kursk \\ud800"}]}', 400, "openai"),
        ("POST", "/v1/chat/completions", '{"messages": ' + deep_list + "}", 400, "openai"),
        ("POST", "/v1/chat/completions", '{"messages": [{"role": "user", "content": "Kursk"}], "temperature": 1e999}',
         400, "openai"),
        ("POST", "/v1/articles", '{"title": "Harbour", "text": "The harbour reopened.", "byline": NaN}', 400, "problem"),
        ("POST", "/v1/articles", deep_list, 400, "problem"),
        ("POST", "/v1/articles", deep_object, 400, "problem"),
    ]
    with ServerThread(create_app(seed_desk, with_page=False)) as server, \
            httpx.Client(base_url=server.url, timeout=120) as c:
        for method, path, body, status, kind in cases:
            if method == "GET":
                r = c.get(path)
            elif body.isascii() or "\\u" in body:
                r = _raw(c, path, body)
            else:  # bytes that are not UTF-8
                r = c.post(path, content=body.encode("latin-1"), headers={"content-type": "application/json"})
            assert r.status_code == status, (path, body[:80], r.status_code, r.text[:300])
            _shape(r, kind)
            assert r.headers.get("connection") != "close", (path, body[:80])
        assert c.get("/v1/articles?offset=1000000000").json()["articles"] == []  # the bound itself is fine


@pytest.mark.slow
def test_a_lone_surrogate_in_an_article_is_stored_as_a_replacement_character(seed_desk: Newsdesk) -> None:
    with ServerThread(create_app(seed_desk, with_page=False)) as server, \
            httpx.Client(base_url=server.url, timeout=120) as c:
        r = _raw(c, "/v1/articles", '{"title": "Harbour \\ud83d reopens", "text": "The harbour in Portsmouth '
                 'reopened on Thursday \\udfff, officials said.", "source": "Gazette"}')
        assert r.status_code == 200 and r.json()["added"] == 1, r.text[:300]
        titles = [a["title"] for a in c.get("/v1/articles").json()["articles"]]
        assert "Harbour \ufffd reopens" in titles
        r = c.post("/v1/ask", json={"question": "When did the harbour in Portsmouth reopen?"})
        assert r.status_code == 200 and "Thursday \ufffd" in r.json()["answer"], r.text[:400]


@pytest.mark.slow
def test_an_article_whose_url_is_not_a_url_is_stored_without_one(seed_desk: Newsdesk) -> None:
    with ServerThread(create_app(seed_desk, with_page=False)) as server, \
            httpx.Client(base_url=server.url, timeout=120) as c:
        r = c.post("/v1/articles", json={"title": "Harbour reopens", "url": "http://[::1",
                                         "text": "The harbour in Portsmouth reopened on Thursday, officials said."})
        assert r.status_code == 200 and r.json()["added"] == 1, r.text[:300]
        listed = [a for a in c.get("/v1/articles").json()["articles"] if a["title"] == "Harbour reopens"]
        assert len(listed) == 1 and not listed[0].get("url"), listed


def _multipart(name: bytes, content: bytes) -> tuple[bytes, str]:
    """A one-file upload with the file name as raw bytes (httpx would escape a NUL as %00)."""
    boundary = "newsdesk-test-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'.encode() + name
            + b'"\r\nContent-Type: text/plain\r\n\r\n' + content + f"\r\n--{boundary}--\r\n".encode())
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.slow
def test_an_upload_with_an_odd_file_name_is_ingested_under_a_safe_one(seed_desk: Newsdesk) -> None:
    names = [b"a" * 300 + b".txt", b"harbour\x00.txt", b"\x00", b"../../etc/harbour.txt", b"..\\..\\harbour.txt",
             "\u00e9".encode() * 200 + b".txt", b"..", b"harbour\x01\x7f.md"]
    with ServerThread(create_app(seed_desk, with_page=False)) as server, \
            httpx.Client(base_url=server.url, timeout=120) as c:
        for n, name in enumerate(names):
            body, content_type = _multipart(name, f"The harbour in Portsmouth reopened on day {n}, officials "
                                                  f"said. Ferries run again.".encode())
            r = c.post("/v1/articles", content=body, headers={"content-type": content_type})
            if name.endswith((b".txt", b".md")):
                assert r.status_code == 200 and r.json()["added"] == 1, (name, r.text[:300])
            else:  # no file type to read it by ("\x00", ".."): refused, saying why, under a printable name
                assert r.status_code == 422 and "unsupported" in r.json()["detail"], (name, r.text[:300])
                assert "\x00" not in r.json()["detail"]
        readable = [n for n in names if n.endswith((b".txt", b".md"))]
        assert c.get("/v1/stats").json()["articles"] == 1 + len(readable)


@pytest.mark.slow
def test_an_unexpected_error_is_a_json_500_in_the_routes_shape_and_is_logged(
        seed_desk: Newsdesk, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")  # a fault no route expects, injected where the routes call the core

    monkeypatch.setattr(seed_desk, "stats", broken)
    monkeypatch.setattr(seed_desk, "ask", broken)
    with ServerThread(create_app(seed_desk, with_page=False)) as server, \
            httpx.Client(base_url=server.url, timeout=120) as c, caplog.at_level(logging.ERROR, "assistant.http"):
        r = c.get("/v1/stats")
        assert r.status_code == 500 and r.headers["content-type"] == "application/json"
        assert r.json() == {"type": "InternalError", "title": "newsdesk error", "status": 500,
                            "detail": "an unexpected error; it has been logged"}
        r = c.post("/v1/chat/completions", json=_chat("Kursk"))
        assert r.status_code == 500 and r.json()["error"] == {
            "message": "an unexpected error; it has been logged", "type": "server_error", "param": None,
            "code": "internal_error"}
        assert c.get("/healthz").status_code == 200  # on the same connection: it was not closed

        def half(*_args: object, **_kwargs: object) -> Iterator[Delta]:
            yield Delta("Ukrainian forces ")
            raise RuntimeError("a bug mid-stream")

        monkeypatch.setattr(seed_desk, "ask_stream", half)
        r = c.post("/v1/ask", json={"question": "Kursk", "stream": True})
        assert r.status_code == 200 and r.text.endswith(
            'event: error\ndata: {"detail": "an unexpected error; it has been logged", "status": 500}\n\n')
        r = c.post("/v1/chat/completions", json={**_chat("Kursk"), "stream": True})
        assert '"type": "server_error"' in r.text and r.text.endswith("data: [DONE]\n\n"), r.text[-300:]
        assert c.get("/healthz").status_code == 200
    logged = [rec for rec in caplog.records if rec.name == "assistant.http"]
    assert any("GET /v1/stats" in rec.getMessage() and "RuntimeError: a bug" in rec.getMessage() for rec in logged)
    assert sum("a bug mid-stream" in rec.getMessage() for rec in logged) == 2 and all(rec.exc_info for rec in logged)


@pytest.mark.parametrize("command", [["ask", LONG_AGO], ["ask", VERY_LONG_AGO], ["search", LONG_AGO],
                                     ["ask", "--as-of", "0001-01-01", "What happened last week?"],
                                     ["ask", "--as-of", "0001-01-01", "What happened yesterday?"]])
def test_the_cli_answers_questions_about_times_outside_the_calendar(
        seed_dir: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    code, out, err = _run(capsys, "--data-dir", str(seed_dir), *command)
    assert code == 0 and out.strip() and "Traceback" not in err, err


@pytest.mark.parametrize("command", [["ask", "Kursk \udce9t\udce9"], ["search", "Kursk \udce9t\udce9"],
                                     ["ask", "Kursk \ud800"], ["search", "Kursk", "--source", "AP \udcff"]])
def test_text_that_is_not_utf8_on_the_command_line_is_one_line_and_exit_2(
        seed_dir: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    code, out, err = _run(capsys, "--data-dir", str(seed_dir), *command)
    assert (code, out) == (2, "")
    assert "is not UTF-8 text" in _one_line(err)


def test_a_chat_line_that_is_not_utf8_is_one_line_and_the_chat_goes_on(
        seed_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"Kursk \udce9t\udce9?\n{LONG_AGO}\nexit\n"))
    assert main(["--data-dir", str(seed_dir), "chat"]) == 0
    out, err = capsys.readouterr()
    assert "is not UTF-8 text" in _one_line(err.lstrip("\n"))
    assert "Kursk" in out


def test_the_cli_ingests_lone_surrogates_and_file_names_that_are_not_utf8(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    articles = tmp_path / "articles.jsonl"
    articles.write_text('{"title": "Harbour \\ud800 reopens", "text": "The harbour in Portsmouth reopened on '
                        'Thursday \\udfff, officials said."}\n', encoding="ascii")
    odd = tmp_path / os.fsdecode(b"\xe9t\xe9.txt")  # a name whose bytes are not UTF-8
    odd.write_text("Ferry strike\n\nThe ferry crews in Dover walked out on Monday over pay, the union said.\n")
    data = str(tmp_path / "data")
    code, out, err = _run(capsys, "--data-dir", data, "ingest", "--no-progress", str(articles), str(odd))
    assert code == 0 and out.startswith("ok: 2 added"), (out, err)
    code, out, _ = _run(capsys, "--data-dir", data, "search", "--json", "harbour in Portsmouth")
    assert json.loads(out)["results"][0]["title"] == "Harbour \ufffd reopens"


@pytest.mark.slow
def test_the_real_command_with_bytes_that_are_not_utf8(seed_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LC_ALL": "C.UTF-8"}
    base = [sys.executable, "-m", "assistant.cli", "--data-dir", str(seed_dir)]
    result = subprocess.run([*base, "ask", b"What did Tykhyi say \xe9?"], capture_output=True, timeout=300, env=env)
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.startswith(b"newsdesk: error: ") and result.stderr.count(b"\n") == 1, result.stderr
    result = subprocess.run([*base, "chat"], input=b"Kursk \xe9t\xe9?\nWhat did Tykhyi say about occupation?\n",
                            capture_output=True, timeout=300, env=env)
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr[-600:]
    assert result.stderr.count(b"newsdesk: error: ") == 1 and b"Heorhii Tykhyi" in result.stdout


@pytest.mark.slow
def test_a_lone_surrogate_in_the_conversation_so_far_is_replaced_before_the_llm_reads_it(
        seed_dir: Path, embedder: LocalMiniLM) -> None:
    app = create_fake_openai()
    with ServerThread(app) as llm:
        desk = open_newsdesk(make_settings(seed_dir, openai_base_url=f"{llm.url}/v1", openai_api_key="test-key",
                                           llm_model="fake-model", llm_max_retries=0, llm_timeout_s=10),
                             embedder=embedder)
        answer = desk.ask("and what did he say?", history=[("user", "what did Syrskyi say \ud800?"),
                                                           ("assistant", "Sorry: \udce9")])
    assert answer.standalone_question == "What did Oleksandr Syrskyi say about the Kursk region?"
    condensed = next(r["messages"][-1]["content"] for r in app.state.requests
                     if "Standalone question:" in r["messages"][-1]["content"])
    assert "what did Syrskyi say \ufffd?" in condensed


def _page_answer(c: httpx.Client, message: str, chat: list[dict[str, Any]] | None = None) -> str:
    """The answer the page shows to a question after ``chat``, asked through Gradio's API as the page asks."""
    body = json.dumps({"data": [message, chat or [], "", "", []]})  # ensure_ascii: a lone surrogate as an escape
    r = c.post("/gradio_api/call/respond", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    events = c.get(f"/gradio_api/call/respond/{r.json()['event_id']}").text
    assert "event: error" not in events and "event: complete" in events, events[-400:]
    chat = json.loads(events.rsplit("data: ", 1)[1])[1]
    text: str = chat[-1]["content"][0]["text"]
    return text


@pytest.mark.slow
def test_the_page_answers_a_question_about_the_last_3000_years(seed_desk: Newsdesk) -> None:
    with ServerThread(create_app(seed_desk)) as server, httpx.Client(base_url=server.url, timeout=120) as c:
        answer = _page_answer(c, LONG_AGO)
        assert "Kursk" in answer and "out of range" not in answer, answer
        assert f"dated over the last 3000 years, up to {dt.date.today().isoformat()}" in answer


@pytest.mark.slow
def test_the_page_says_sorry_for_a_lone_surrogate(seed_desk: Newsdesk) -> None:
    with ServerThread(create_app(seed_desk)) as server, httpx.Client(base_url=server.url, timeout=120) as c:
        answer = _page_answer(c, "What did Tykhyi say \ud800?")
        assert answer.startswith("Sorry: ") and "is not UTF-8 text" in answer, answer
        # the refused turn stays in the conversation, which the next question is read with
        chat = [{"role": "user", "content": [{"type": "text", "text": "What did Tykhyi say \ud800?"}]},
                {"role": "assistant", "content": [{"type": "text", "text": answer}]}]
        assert "Heorhii Tykhyi" in _page_answer(c, "What did Tykhyi say about occupation?", chat)
