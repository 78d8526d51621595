"""``newsdesk chat``: a conversation in the terminal, answers printed as they are produced."""

from __future__ import annotations

import datetime as dt
import sys

from assistant.cli_show import format_sources
from assistant.errors import NewsdeskError
from assistant.service import Filters, Final, Newsdesk

__all__ = ["chat"]


def chat(nd: Newsdesk, filters: Filters, as_of: dt.date | None) -> int:
    history: list[tuple[str, str]] = []
    interactive = sys.stdin.isatty()
    while True:
        try:
            question = input("you> " if interactive else "")
        except EOFError:
            break
        if not question.strip():
            break
        answer = None
        try:
            for event in nd.ask_stream(question, history=history, filters=filters, as_of=as_of):
                if isinstance(event, Final):
                    answer = event.answer
                else:
                    print(event.text, end="", flush=True)
        except NewsdeskError as exc:
            print(f"\nnewsdesk: error: {exc}", file=sys.stderr)
            continue
        assert answer is not None
        print()
        if answer.standalone_question:
            print(f"(understood as: {answer.standalone_question})")
        sources = format_sources(answer)
        if sources:
            print("\n" + sources)
        print(flush=True)
        history += [("user", question), ("assistant", answer.answer)]
    return 0
