"""The OpenAI-compatible route as its clients see it: the real ``openai`` client (sync and async) and
LangChain's ``ChatOpenAI`` against a real server on 127.0.0.1. Errors carry OpenAI's error object,
``usage`` counts cl100k_base tokens, ``max_tokens`` is honoured, and citations reach the content."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI

from assistant.http.app import create_app
from assistant.index.embeddings import LocalMiniLM
from assistant.index.tokens import get_encoding
from assistant.service import Newsdesk, open_newsdesk

from .conftest import ServerThread, make_settings
from .fake_openai import create_fake_openai

pytestmark = pytest.mark.slow

TYKHYI_Q = "What did Tykhyi say about occupation?"
TYKHYI = "we want to protect the lives of our people"
SETTLEMENTS_Q = "How many settlements do Ukrainian forces control?"
TITLE = "“Russia Repels Ukrainian Advance in Kursk Region as Kyiv Denies Intent to Occupy Russian Territory”"


def _tokens(text: str) -> int:
    return len(get_encoding("cl100k_base").encode_ordinary(text))


def _prompt_tokens(messages: list[dict[str, str]]) -> int:
    """OpenAI's count of chat input: 3 tokens a message, role and content, 3 to prime the reply."""
    return 3 + sum(3 + _tokens(m["role"]) + _tokens(m["content"]) for m in messages)


@pytest.fixture
def server(seed_desk: Newsdesk) -> Iterator[ServerThread]:
    with ServerThread(create_app(seed_desk, with_page=False)) as running:
        yield running


def _client(server: ServerThread, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)


def test_errors_reach_the_openai_client_with_message_and_param(server: ServerThread) -> None:
    client = _client(server)
    with pytest.raises(openai.BadRequestError) as unknown:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert "'gpt-4o'" in str(unknown.value) and "'newsdesk'" in unknown.value.message
    assert (unknown.value.param, unknown.value.code, unknown.value.type) == ("model", "model_not_found",
                                                                             "invalid_request_error")
    with pytest.raises(openai.BadRequestError) as missing:  # FastAPI's validation error, in OpenAI's shape
        client.post("/chat/completions", body={"model": "newsdesk"}, cast_to=object)
    assert missing.value.param == "messages" and "Missing required parameter: 'messages'" in str(missing.value)
    with pytest.raises(openai.BadRequestError) as empty:
        client.chat.completions.create(model="newsdesk", messages=[])
    assert empty.value.param == "messages"
    with pytest.raises(openai.BadRequestError) as bad_role:
        client.chat.completions.create(model="newsdesk", messages=[{"role": "bot", "content": "hi"}])  # type: ignore[list-item, misc]
    assert bad_role.value.param == "messages[0].role"
    with pytest.raises(openai.BadRequestError) as zero:
        client.chat.completions.create(model="newsdesk", max_tokens=0, messages=[{"role": "user", "content": "hi"}])
    assert zero.value.param == "max_tokens" and zero.value.code == "invalid_value"
    with pytest.raises(openai.BadRequestError) as last:
        client.chat.completions.create(model="newsdesk", messages=[{"role": "system", "content": "be brief"}])
    assert last.value.param == "messages" and "user message" in last.value.message
    with pytest.raises(openai.NotFoundError, match="'gpt-4o' does not exist"):
        client.models.retrieve("gpt-4o")
    assert client.models.retrieve("newsdesk").id == "newsdesk"
    # the routes that are not OpenAI's keep their JSON problems and FastAPI's 422
    ask = httpx.post(f"{server.url}/v1/ask", json={}, timeout=30)
    assert ask.status_code == 422 and ask.json()["detail"][0]["loc"] == ["body", "question"]
    ask = httpx.post(f"{server.url}/v1/ask", json={"question": "   "}, timeout=30)
    assert ask.json() == {"type": "InputError", "title": "newsdesk error", "status": 400,
                          "detail": "the question is empty"}


def test_errors_reach_async_openai_and_langchain(server: ServerThread) -> None:
    async def unknown_model() -> openai.BadRequestError:
        client = openai.AsyncOpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
        try:
            await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        except openai.BadRequestError as exc:
            return exc
        finally:
            await client.close()
        raise AssertionError("no error")

    exc = asyncio.run(unknown_model())
    assert exc.param == "model" and "'gpt-4o'" in exc.message
    with pytest.raises(openai.BadRequestError, match="'gpt-3.5-turbo' does not exist"):  # ChatOpenAI's default model
        ChatOpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0).invoke(TYKHYI_Q)


def test_api_key_failures_in_openai_shape(seed_dir: Path, embedder: LocalMiniLM) -> None:
    desk = open_newsdesk(make_settings(seed_dir, api_keys="k1"), embedder=embedder)
    with ServerThread(create_app(desk, with_page=False)) as server:
        with pytest.raises(openai.AuthenticationError, match="a valid API key is required") as denied:
            _client(server, key="wrong").models.list()
        assert denied.value.code == "invalid_api_key" and denied.value.type == "invalid_request_error"
        with pytest.raises(openai.AuthenticationError, match="a valid API key is required"):
            ChatOpenAI(model="newsdesk", base_url=f"{server.url}/v1", api_key="wrong",
                       max_retries=0).invoke(TYKHYI_Q)
        assert [m.id for m in _client(server, key="k1").models.list().data] == ["newsdesk"]
        ask = httpx.post(f"{server.url}/v1/ask", json={"question": TYKHYI_Q}, timeout=30)
        assert ask.status_code == 401 and ask.json()["type"] == "Unauthorized"  # newsdesk's own shape


def test_usage_counts_cl100k_tokens_and_sources_end_the_content(server: ServerThread) -> None:
    messages = [{"role": "system", "content": "Answer from the stories."}, {"role": "user", "content": TYKHYI_Q}]
    reply = _client(server).chat.completions.create(model="newsdesk", messages=messages)  # type: ignore[arg-type]
    content = reply.choices[0].message.content or ""
    answer, _, sources = content.partition("\n\nSources:\n")
    assert TYKHYI in answer and "[1]" in answer
    # one line an article, after every marker that cites it
    cited = "".join(f"[{c['n']}]" for c in (reply.model_extra or {})["newsdesk"]["citations"])
    assert sources == f"{cited} The Associated Press, {TITLE}"
    assert reply.usage is not None
    assert reply.usage.prompt_tokens == _prompt_tokens(messages)
    assert reply.usage.completion_tokens == _tokens(content)
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    assert reply.choices[0].finish_reason == "stop"

    plain = _client(server).chat.completions.create(
        model="newsdesk", messages=messages, extra_body={"newsdesk": {"sources_in_content": False}})  # type: ignore[arg-type]
    assert plain.choices[0].message.content == answer
    assert plain.usage is not None and plain.usage.completion_tokens == _tokens(answer)
    assert (plain.model_extra or {})["newsdesk"]["citations"] == (reply.model_extra or {})["newsdesk"]["citations"]


def test_sources_switch_off_by_setting(seed_dir: Path, embedder: LocalMiniLM, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_SOURCES_IN_CONTENT", "0")
    desk = open_newsdesk(make_settings(seed_dir), embedder=embedder)
    with ServerThread(create_app(desk, with_page=False)) as server:
        client = _client(server)
        reply = client.chat.completions.create(model="newsdesk", messages=[{"role": "user", "content": TYKHYI_Q}])
        assert TYKHYI in (reply.choices[0].message.content or "") and "Sources:" not in (reply.choices[0].message.content or "")
        asked = client.chat.completions.create(model="newsdesk", messages=[{"role": "user", "content": TYKHYI_Q}],
                                               extra_body={"newsdesk": {"sources_in_content": True}})
        assert "\n\nSources:\n[1]" in (asked.choices[0].message.content or "")


def _stream(client: openai.OpenAI, **kwargs: Any) -> list[Any]:
    return list(client.chat.completions.create(
        model="newsdesk", stream=True, messages=[{"role": "user", "content": SETTLEMENTS_Q}], **kwargs))


def test_streaming_sends_sources_last_and_usage_when_asked(server: ServerThread) -> None:
    client = _client(server)
    chunks = _stream(client, stream_options={"include_usage": True})
    *answer_chunks, finish, usage_chunk = chunks
    assert usage_chunk.choices == [] and usage_chunk.usage is not None
    assert finish.choices[0].finish_reason == "stop" and (finish.model_extra or {})["newsdesk"]["citations"]
    pieces = [c.choices[0].delta.content or "" for c in answer_chunks]
    assert pieces[-1] == f"\n\nSources:\n[1] The Associated Press, {TITLE}"  # a delta of its own, before the finish
    content = "".join(pieces)
    assert "74 settlements" in content
    assert usage_chunk.usage.prompt_tokens == _prompt_tokens([{"role": "user", "content": SETTLEMENTS_Q}])
    assert usage_chunk.usage.completion_tokens == _tokens(content)
    # the same as the reply without streaming
    whole = client.chat.completions.create(model="newsdesk", messages=[{"role": "user", "content": SETTLEMENTS_Q}])
    assert whole.choices[0].message.content == content and whole.usage == usage_chunk.usage

    plain = _stream(client)
    assert all(c.usage is None and c.choices for c in plain)  # no usage chunk unless asked
    assert plain[-1].choices[0].finish_reason == "stop"
    assert "".join(c.choices[0].delta.content or "" for c in plain) == content


def test_max_tokens_cuts_the_answer_at_a_sentence(server: ServerThread) -> None:
    client = _client(server)
    full = client.chat.completions.create(model="newsdesk", messages=[{"role": "user", "content": TYKHYI_Q}],
                                          extra_body={"newsdesk": {"sources_in_content": False}})
    text = full.choices[0].message.content or ""
    first = text[: text.index("[1]") + 3]  # the first sentence, with its marker
    limit = _tokens(first) + 3  # not enough for the second sentence
    cut = client.chat.completions.create(model="newsdesk", max_tokens=limit,
                                         messages=[{"role": "user", "content": TYKHYI_Q}])
    content = cut.choices[0].message.content or ""
    assert cut.choices[0].finish_reason == "length"
    assert content == f"{first}\n\nSources:\n[1] The Associated Press, {TITLE}"
    assert [c["n"] for c in (cut.model_extra or {})["newsdesk"]["citations"]] == [1]  # only markers left in the text
    assert cut.usage is not None and cut.usage.completion_tokens == _tokens(content)
    # streaming cuts the same way, and LangChain's max_tokens (sent as max_completion_tokens) too
    chunks = list(client.chat.completions.create(model="newsdesk", max_tokens=limit, stream=True,
                                                 messages=[{"role": "user", "content": TYKHYI_Q}]))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == content
    assert chunks[-1].choices[0].finish_reason == "length"
    chat = ChatOpenAI(model="newsdesk", base_url=f"{server.url}/v1", api_key="unused", max_retries=0,
                      max_tokens=limit)
    message = chat.invoke(TYKHYI_Q)
    assert message.content == content and message.response_metadata["finish_reason"] == "length"
    # too small for a whole sentence: whole words, never a piece of one, and no sources without markers
    tiny = client.chat.completions.create(model="newsdesk", max_tokens=10, messages=[{"role": "user", "content": TYKHYI_Q}])
    assert tiny.choices[0].message.content == "Heorhii Tykhyi, as"  # 10 tokens
    assert (tiny.model_extra or {})["newsdesk"]["citations"] == [] and tiny.choices[0].finish_reason == "length"


def test_langchain_chat_openai_sees_sources_and_usage(server: ServerThread) -> None:
    chat = ChatOpenAI(model="newsdesk", base_url=f"{server.url}/v1", api_key="unused", max_retries=0,
                      stream_usage=True)
    message = chat.invoke(TYKHYI_Q)
    content = str(message.content)
    assert TYKHYI in content and "Sources:\n[1]" in content and "The Associated Press" in content
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_tokens"] == _tokens(content)
    assert message.usage_metadata["input_tokens"] == _prompt_tokens([{"role": "user", "content": TYKHYI_Q}])

    streamed = None
    for piece in chat.stream(SETTLEMENTS_Q):
        streamed = piece if streamed is None else streamed + piece
    assert streamed is not None and "74 settlements" in str(streamed.content)
    assert str(streamed.content).endswith(f"Sources:\n[1] The Associated Press, {TITLE}")
    assert streamed.usage_metadata is not None and streamed.usage_metadata["output_tokens"] == _tokens(str(streamed.content))

    async def both() -> tuple[Any, str]:
        answer = await chat.ainvoke(SETTLEMENTS_Q)
        pieces = [str(p.content) async for p in chat.astream(TYKHYI_Q)]
        return answer, "".join(pieces)

    answer, astreamed = asyncio.run(both())
    assert str(answer.content) == str(streamed.content)
    assert astreamed == content
    # the follow-up carries the earlier reply (with its Sources list) as history, as LangChain does
    follow = chat.invoke([("user", TYKHYI_Q), ("assistant", content), ("user", "what about Syrskyi?")])
    assert "Oleksandr Syrskyi" in str(follow.content)


def test_async_openai_plain_and_streaming(server: ServerThread) -> None:
    async def run() -> tuple[Any, list[Any]]:
        client = openai.AsyncOpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
        try:
            reply = await client.chat.completions.create(
                model="newsdesk", messages=[{"role": "user", "content": SETTLEMENTS_Q}])
            stream = await client.chat.completions.create(
                model="newsdesk", stream=True, stream_options={"include_usage": True},
                messages=[{"role": "user", "content": SETTLEMENTS_Q}])
            return reply, [chunk async for chunk in stream]
        finally:
            await client.close()

    reply, chunks = asyncio.run(run())
    content = reply.choices[0].message.content or ""
    assert "74 settlements" in content and content.endswith(f"[1] The Associated Press, {TITLE}")
    assert chunks[-1].choices == [] and chunks[-1].usage == reply.usage
    assert "".join(c.choices[0].delta.content or "" for c in chunks[:-1]) == content


def test_llm_path_passes_max_tokens_upstream_and_reports_its_failure(seed_dir: Path, embedder: LocalMiniLM) -> None:
    upstream = create_fake_openai()
    with ServerThread(upstream) as llm:
        settings = make_settings(seed_dir, openai_base_url=f"{llm.url}/v1", openai_api_key="test-key",
                                 llm_model="fake-model", llm_max_retries=0, llm_timeout_s=10)
        desk = open_newsdesk(settings, embedder=embedder)
        with ServerThread(create_app(desk, with_page=False)) as server:
            client = _client(server)
            reply = client.chat.completions.create(model="newsdesk", max_tokens=200,
                                                   messages=[{"role": "user", "content": TYKHYI_Q}])
            assert TYKHYI in (reply.choices[0].message.content or "")
            sent = upstream.state.requests[-1]
            assert sent["max_completion_tokens"] == 200  # langchain-openai's name for max_tokens
            list(client.chat.completions.create(model="newsdesk", stream=True, max_completion_tokens=120,
                                                messages=[{"role": "user", "content": TYKHYI_Q}]))
            assert upstream.state.requests[-1]["max_completion_tokens"] == 120
            client.chat.completions.create(model="newsdesk", messages=[{"role": "user", "content": TYKHYI_Q}])
            assert "max_completion_tokens" not in upstream.state.requests[-1]
            with pytest.raises(openai.InternalServerError, match="the LLM at .* failed") as failed:  # 502
                client.chat.completions.create(model="newsdesk", messages=[{"role": "user", "content": "error500 please"}])
            assert (failed.value.type, failed.value.code) == ("server_error", "llm_error")
