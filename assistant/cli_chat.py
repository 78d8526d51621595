"""``newsdesk chat``: a conversation in the terminal, answers printed as they are produced."""

from __future__ import annotations

import datetime as dt
import io
import re
import sys

from assistant.cli_show import format_sources
from assistant.errors import NewsdeskError
from assistant.service import Filters, Final, Newsdesk

__all__ = ["chat", "is_quit", "shortened"]

_QUIT = re.compile(r"\s*/?(?:quit|exit|bye)\s*[.!]?\s*", re.IGNORECASE)
_QUOTED = re.compile(r"“([^”]+)”")
KEEP_FIRST, KEEP_LAST = 6, 10  # words of a long quoted statement kept at its start and end


def shortened(understood: str) -> str:
    """How a follow-up was understood, for people: a long quoted statement ("who said “…”?") keeps its
    first and last words around an ellipsis (the question asked still holds all of it)."""
    def elide(m: re.Match[str]) -> str:
        words = m.group(1).split()
        if len(words) <= KEEP_FIRST + KEEP_LAST + 4:
            return m.group(0)
        return f"“{' '.join(words[:KEEP_FIRST])} … {' '.join(words[-KEEP_LAST:])}”"
    return _QUOTED.sub(elide, understood)


def is_quit(line: str) -> bool:
    """An empty line, "quit" or "exit" (any case, with or without a slash) ends the chat."""
    return not line.strip() or bool(_QUIT.fullmatch(line))


def chat(nd: Newsdesk, filters: Filters, as_of: dt.date | None) -> int:
    history: list[tuple[str, str]] = []
    prompt = "you> " if sys.stdin.isatty() else ""
    if isinstance(sys.stdin, io.TextIOWrapper):  # a line that is not UTF-8 is refused by ask, not a crash in input()
        sys.stdin.reconfigure(errors="surrogateescape")
    while True:
        try:
            question = input(prompt)
        except EOFError:
            break
        if is_quit(question):
            break
        try:
            reply = _turn(nd, question, history, filters, as_of)
        except NewsdeskError as exc:
            print(f"\nnewsdesk: error: {exc}", file=sys.stderr)
            continue
        history += [("user", question), ("assistant", reply)]
    return 0


def _turn(nd: Newsdesk, question: str, history: list[tuple[str, str]], filters: Filters,
          as_of: dt.date | None) -> str:
    """Ask one question: say how a follow-up was understood, stream the answer, list its sources."""
    standalone = nd.understand(question, history=history, as_of=as_of)
    if standalone != question:
        print(f"(understood as: {shortened(standalone)})", flush=True)
    answer = None
    for event in nd.ask_stream(standalone, filters=filters, as_of=as_of):
        if isinstance(event, Final):
            answer = event.answer
        else:
            print(event.text, end="", flush=True)
    assert answer is not None
    print()
    sources = format_sources(answer)
    if sources:
        print("\n" + sources)
    print(flush=True)
    return answer.answer
