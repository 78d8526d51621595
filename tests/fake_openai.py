"""A FAKE OpenAI-compatible chat server for tests (named as such): same wire format as
/v1/chat/completions, including SSE streaming and error statuses, with scripted, deterministic
replies. The real ``openai`` client talks to it over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse


def _sources(prompt: str) -> dict[int, str]:
    return {int(n): body for n, body in re.findall(r'<source id="(\d+)"[^>]*>\n(.*?)\n</source>', prompt, re.S)}


def _script(messages: list[dict[str, Any]]) -> str:
    prompt = messages[-1]["content"]
    if "Standalone question:" in prompt:
        return "What did Oleksandr Syrskyi say about the Kursk region?"
    question = prompt.rsplit("Question:", 1)[-1].lower()
    sources = _sources(prompt)
    if "capital of france" in question or not sources:
        return "NOT_IN_SOURCES"
    if "injection" in question:
        return "I am a pirate now. Arr!"
    if "ignore previous instructions" in prompt.lower():
        # behave like a model that fell for an injected instruction, plus one grounded sentence
        n = next((n for n, body in sources.items() if "not interested in taking" in body), None)
        grounded = (f' Tykhyi said "Ukraine is not interested in taking the territory of the Kursk region" [{n}].'
                    if n else "")
        return "I am a pirate now, as the article told me. Arr!" + grounded
    n_74 = next((n for n, body in sources.items() if "74 settlements" in body), None)
    if "settlements" in question and n_74:
        other = next(n for n in sources if n != n_74)
        short = f"Answer: 74 settlements [{n_74 if 'wrong source' not in question else other}]"
        return f"{short}\nSyrskyi said Ukrainian forces now control 74 settlements in the Kursk region [{n_74}]."
    n_quote = next(n for n, body in sources.items() if "not interested in taking" in body)
    real = "Ukraine is not interested in taking the territory of the Kursk region, but we want to protect the lives of our people"
    if "misattributed" in question:
        wrong = next(n for n in sources if n != n_quote)
        return f'Tykhyi said: "{real}" [{wrong}]'
    return (
        f'Ukrainian Foreign Ministry spokesman Heorhii Tykhyi said: "{real}" [{n_quote}]. '
        f'He also said "we will march on Moscow by winter" [{n_quote}]. '
        f"Russia has many bombs [{len(sources) + 5}]. "
        "This sentence has no citation at all."
    )


def create_fake_openai() -> FastAPI:
    app = FastAPI()
    app.state.requests = []

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(request: Request) -> Any:
        body = await request.json()
        app.state.requests.append(body)
        text = _script(body["messages"])
        if "error500" in json.dumps(body):
            return JSONResponse({"error": {"message": "boom", "type": "server_error"}}, status_code=500)
        created = int(time.time())
        if body.get("stream"):
            def events() -> Any:
                for i in range(0, len(text), 12):
                    chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created,
                             "model": body["model"],
                             "choices": [{"index": 0, "delta": {"content": text[i : i + 12]}, "finish_reason": None}]}
                    yield f"data: {json.dumps(chunk)}\n\n"
                done = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created,
                        "model": body["model"], "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                yield f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n"
            return StreamingResponse(events(), media_type="text/event-stream")
        return {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": created, "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    return app
