"""Fuzz every API route's fields (issue 27): hypothesis builds JSON bodies for /v1/ask, /v1/chat/completions
and /v1/articles, uploads, query strings for /v1/search and /v1/articles, ids for DELETE /v1/articles/{id},
and odd methods, paths and headers, and sends them to one real server on 127.0.0.1 over a copy of the seed
index. No answer may be a 5xx (an error event with status 500 in a stream included), and every refusal
must be JSON in its route's shape. At least 5,000 requests in all; derandomized, so CI sees the same ones.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from assistant.http.app import create_app
from assistant.index.embeddings import LocalMiniLM
from assistant.service import open_newsdesk

from .conftest import ServerThread, make_settings

pytestmark = pytest.mark.slow

COUNTS: collections.Counter[str] = collections.Counter()  # requests sent, by class
STATUSES: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
EXAMPLES = {"ask": 1100, "chat": 900, "articles_json": 550, "articles_upload": 300, "search": 800,
            "articles_list": 500, "delete": 400, "anything": 500}


def fuzz(name: str) -> Any:
    return settings(max_examples=EXAMPLES[name], deadline=None, derandomize=True, database=None, print_blob=False,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def client(seed_index: Path, embedder: LocalMiniLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """One server and one client for every example: a copy of the seed index, which the ingests write to."""
    data = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(seed_index, data)
    desk = open_newsdesk(make_settings(data), embedder=embedder)
    with ServerThread(create_app(desk, with_page=False)) as server, \
            httpx.Client(base_url=server.url, timeout=120) as c:
        yield c


# --- values -------------------------------------------------------------------------------------------

def mostly(good: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` three times in four, else ``odd`` (``one_of`` would weigh each of their branches alike)."""
    return st.sampled_from([good, good, good, odd]).flatmap(lambda chosen: chosen)


TRICKY_TEXT = ["", " ", "\x00", "\ud800", "a\udfffb", "\udce9", "NaN", "null", "😀" * 50, "\u202e", "\ufeff",
               "x" * 2000, "x" * 2001, "Kursk", "What did Tykhyi say?", "<script>alert(1)</script>", "[1]"]
text = st.one_of(st.text(max_size=60), st.sampled_from(TRICKY_TEXT))
UNITS = ["day", "days", "week", "weeks", "month", "months", "year", "years"]
QUESTIONS = st.one_of(
    st.builds("What happened in Kursk over the last {} {}?".format, st.integers(0, 10**40), st.sampled_from(UNITS)),
    st.builds("What happened in {} {:04d}?".format, st.sampled_from(["August", "May", "december", "Sept."]),
              st.integers(0, 9999)),
    st.sampled_from(["What happened yesterday?", "What happened last week?", "What is the latest on Kursk?",
                     "What happened on Tuesday?", "What happened since Monday?", "What happened last year?",
                     "What happened last month?", "How many settlements do Ukrainian forces control?",
                     "What did Tykhyi say about occupation?", "Who said that?", "and what about Syrskyi?"]),
    st.builds("{} {}".format, st.sampled_from(["What did", "Who said", "When did", "How many"]), text),
    text,
)
DATES = mostly(st.dates().map(dt.date.isoformat) | st.sampled_from(["0001-01-01", "9999-12-31"]),
               st.sampled_from(["0000-01-01", "10000-01-01", "2024-02-30", "", "yesterday", "2024-08-13T25:00:00",
                                "-1"]) | st.integers(-10**20, 10**20))
SCALARS = st.one_of(st.none(), st.booleans(), st.floats(), st.integers(-10**60, 10**60), text)
ANY_JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                        max_leaves=8)
DEEP = st.integers(30, 1500).map(lambda n: f"__DEEP_{n}__")  # a placeholder, made n levels of [] once dumped


def either(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a value the route may take; else any JSON value."""
    return mostly(good, ANY_JSON)


def _dumps(value: Any) -> bytes:
    """JSON as a client might send it: lone surrogates escaped, NaN and Infinity as Python writes them."""
    raw = json.dumps(value)
    for n in {int(m) for m in re.findall(r"__DEEP_(\d+)__", raw)}:
        raw = raw.replace(f'"__DEEP_{n}__"', "[" * n + "]" * n)
    return raw.encode("ascii")


def _q(value: Any) -> str:
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


# --- checking ------------------------------------------------------------------------------------------

def _check(kind: str, r: httpx.Response) -> None:
    """No 5xx; a refusal is JSON in its route's shape; a stream carries no error with status 500."""
    COUNTS[kind] += 1
    STATUSES[kind][r.status_code] += 1
    assert r.status_code < 500, (kind, r.request.method, str(r.request.url)[:200], r.status_code, r.text[:300])
    path = r.request.url.path
    if r.status_code >= 400 and r.request.method != "HEAD":
        assert r.headers.get("content-type", "").startswith("application/json"), (kind, path, r.text[:300])
        body = r.json()
        if path.startswith(("/v1/chat/completions", "/v1/models")):
            assert set(body) == {"error"} and body["error"]["type"] == "invalid_request_error", body
        else:  # a problem, FastAPI's 422, or FastAPI's {"detail": "..."} for a body it cannot parse
            assert set(body) == {"type", "title", "status", "detail"} or set(body) == {"detail"}, body
    if r.headers.get("content-type", "").startswith("text/event-stream"):
        assert '"status": 500' not in r.text and '"server_error"' not in r.text, r.text[-300:]


def _post_json(c: httpx.Client, kind: str, path: str, body: Any) -> None:
    _check(kind, c.post(path, content=_dumps(body), headers={"content-type": "application/json"}))


# --- the routes ----------------------------------------------------------------------------------------

MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "user", "assistant", "system", "tool", "developer", "bot"])},
    optional={"content": either(st.one_of(QUESTIONS, st.lists(st.fixed_dictionaries(
        {"type": st.sampled_from(["text", "image_url"])}, optional={"text": either(QUESTIONS)}), max_size=3))),
        "name": either(text)})
ASK = st.fixed_dictionaries({"question": either(QUESTIONS)}, optional={
    "history": either(st.lists(MESSAGE, max_size=3)), "since": either(DATES), "until": either(DATES),
    "sources": mostly(st.lists(text, max_size=3), DEEP), "as_of": either(DATES), "stream": either(st.booleans()),
    "extra": ANY_JSON})
ASKED = st.fixed_dictionaries({"role": st.just("user"), "content": either(QUESTIONS)})
CHAT = st.fixed_dictionaries({"messages": mostly(st.builds(lambda before, last: [*before, last],
                                                          st.lists(MESSAGE, max_size=3), mostly(ASKED, MESSAGE)),
                                                ANY_JSON | DEEP)},
                             optional={"model": mostly(st.just("newsdesk"), ANY_JSON), "stream": either(st.booleans()),
    "stream_options": either(st.fixed_dictionaries({"include_usage": either(st.booleans())})),
    "temperature": either(st.floats()), "max_tokens": either(st.integers(-5, 10**40)),
    "max_completion_tokens": either(st.integers(-5, 10**6)), "user": either(text),
    "newsdesk": either(st.fixed_dictionaries({"sources_in_content": either(st.none() | st.booleans())}))})
URLS = st.one_of(st.sampled_from(["http://[::1", "https://gazette.example/harbour", "javascript:alert(1)", "",
                                  "http://x:99999/", "ftp://x/y", "https://" + "a" * 3000 + ".example/"]),
                 st.builds("https://gazette.example/{}".format, text), text)
PUBLISHED = st.one_of(DATES, st.sampled_from(["Mon, 32 Aug 2024 25:61:00 GMT", "2024-08-13T10:00:00+99:00",
                                              "9999-12-31T23:59:59-14:00", "August 0000", "1e12"]))
ARTICLE = st.fixed_dictionaries({}, optional={
    "title": either(text), "url": either(URLS), "published": either(PUBLISHED), "source": either(text),
    "byline": either(text), "extra": ANY_JSON,
    "text": either(st.one_of(text, st.builds("The harbour in {} reopened on {}, officials said. {}".format,
                                             text, text, text)))})


@fuzz("ask")
@given(body=ASK)
def _ask(c: httpx.Client, body: dict[str, Any]) -> None:
    _post_json(c, "ask", "/v1/ask", body)


def test_ask(client: httpx.Client) -> None:
    _ask(client)


@fuzz("chat")
@given(body=CHAT)
def _chat(c: httpx.Client, body: dict[str, Any]) -> None:
    _post_json(c, "chat", "/v1/chat/completions", body)


def test_chat_completions(client: httpx.Client) -> None:
    _chat(client)


@fuzz("articles_json")
@given(body=st.one_of(ARTICLE, st.lists(ARTICLE, max_size=3), ANY_JSON, DEEP))
def _articles_json(c: httpx.Client, body: Any) -> None:
    _post_json(c, "articles_json", "/v1/articles", body)


def test_add_articles_as_json(client: httpx.Client) -> None:
    _articles_json(client)


SUFFIXES = ["", ".txt", ".md", ".html", ".json", ".jsonl", ".csv", ".rss", ".xml", ".gz", ".jsonl.gz", ".exe"]
FILE = st.tuples(st.builds(lambda name, suffix: name + suffix.encode(), st.binary(max_size=320),
                           st.sampled_from(SUFFIXES)),
                 st.one_of(st.binary(max_size=600), st.builds(
                     lambda t: f"Harbour news\n\nThe harbour in {t} reopened on Thursday, officials said.".encode(
                         "utf-8", "surrogatepass"), text)))


@fuzz("articles_upload")
@given(files=st.lists(FILE, max_size=3), boundary=st.sampled_from(["b0und", "", "x" * 80]),
       broken=st.booleans())
def _articles_upload(c: httpx.Client, files: list[tuple[bytes, bytes]], boundary: str, broken: bool) -> None:
    parts = [b'--' + boundary.encode() + b'\r\nContent-Disposition: form-data; name="file"; filename="' + name
             + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + content + b"\r\n" for name, content in files]
    body = b"".join(parts) + (b"" if broken else b"--" + boundary.encode() + b"--\r\n")
    ctype = f"multipart/form-data; boundary={boundary}" if boundary else "multipart/form-data"
    _check("articles_upload", c.post("/v1/articles", content=body, headers={"content-type": ctype}))


def test_add_articles_as_an_upload(client: httpx.Client) -> None:
    _articles_upload(client)


PARAM_VALUE = st.one_of(QUESTIONS, DATES, st.integers(-2**70, 2**70), text)


@fuzz("search")
@given(q=mostly(QUESTIONS, st.none()), k=mostly(st.none() | st.integers(1, 50), PARAM_VALUE),
       since=mostly(st.none(), DATES), until=mostly(st.none(), DATES),
       sources=st.lists(text, max_size=3), extra=st.lists(st.tuples(text, PARAM_VALUE), max_size=2))
def _search(c: httpx.Client, q: Any, k: Any, since: Any, until: Any, sources: list[str],
            extra: list[tuple[str, Any]]) -> None:
    pairs = [(n, v) for n, v in [("q", q), ("k", k), ("since", since), ("until", until)] if v is not None]
    pairs += [("source", s) for s in sources] + extra
    _check("search", c.get("/v1/search?" + "&".join(f"{_q(n)}={_q(v)}" for n, v in pairs)))


def test_search(client: httpx.Client) -> None:
    _search(client)


@fuzz("articles_list")
@given(limit=mostly(st.none() | st.integers(1, 1000), PARAM_VALUE),
       offset=mostly(st.none() | st.integers(0, 10**9), PARAM_VALUE | st.integers(0, 2**64)))
def _articles_list(c: httpx.Client, limit: Any, offset: Any) -> None:
    pairs = [(n, v) for n, v in [("limit", limit), ("offset", offset)] if v is not None]
    _check("articles_list", c.get("/v1/articles?" + "&".join(f"{n}={_q(v)}" for n, v in pairs)))


def test_list_articles(client: httpx.Client) -> None:
    _articles_list(client)


@fuzz("delete")
@given(article_id=st.one_of(text, st.binary(max_size=40).map(lambda b: b.decode("latin-1"))))
def _delete(c: httpx.Client, article_id: str) -> None:
    _check("delete", c.delete("/v1/articles/" + _q(article_id)))


def test_delete_article(client: httpx.Client) -> None:
    _delete(client)


HEADER_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
                       max_size=60).map(str.strip)  # h11 sends no value with spaces at its ends
PATHS = ["/v1/ask", "/v1/search", "/v1/articles", "/v1/articles/x", "/v1/chat/completions", "/v1/models",
         "/v1/models/newsdesk", "/v1/models/x", "/v1/stats", "/healthz", "/v1/", "/v1/%00", "/v1/ask/../stats",
         "/docs", "/openapi.json"]
CONTENT_TYPES = ["application/json", "application/json; charset=latin-1", "text/plain", "multipart/form-data",
                 "multipart/form-data; boundary=", "application/x-www-form-urlencoded", "application/merge-patch+json",
                 "application/json; charset=utf-16", ""]


@fuzz("anything")
@given(method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
       path=st.one_of(st.sampled_from(PATHS), st.builds("/v1/{}".format, text.map(_q))),
       content_type=st.one_of(st.sampled_from(CONTENT_TYPES), HEADER_VALUE),
       headers=st.dictionaries(st.sampled_from(["authorization", "x-api-key", "accept", "origin", "accept-encoding",
                                                "content-encoding", "x-forwarded-for", "cookie", "range"]),
                               HEADER_VALUE, max_size=3),
       body=st.one_of(st.binary(max_size=300), ASK.map(_dumps), CHAT.map(_dumps)))
def _anything(c: httpx.Client, method: str, path: str, content_type: str, headers: dict[str, str],
              body: bytes) -> None:
    sent = {name: value.encode("latin-1") for name, value in {**headers, "content-type": content_type}.items()}
    _check("anything", c.request(method, path, content=body if method not in ("GET", "HEAD") else None, headers=sent))


def test_methods_paths_and_headers(client: httpx.Client) -> None:
    _anything(client)


def test_at_least_5000_requests_and_not_one_5xx(client: httpx.Client, capsys: pytest.CaptureFixture[str]) -> None:
    """Runs last: the totals (shown with -s), once every class above has run."""
    if set(COUNTS) != set(EXAMPLES):
        pytest.skip("only some of the classes ran")
    with capsys.disabled():
        for kind, n in COUNTS.items():
            print(f"\n{kind}: {n} requests, statuses {dict(sorted(STATUSES[kind].items()))}", end="")
        print(f"\ntotal: {sum(COUNTS.values())} requests, 5xx: "
              f"{sum(v for s in STATUSES.values() for code, v in s.items() if code >= 500)}")
    assert sum(COUNTS.values()) >= 5000
