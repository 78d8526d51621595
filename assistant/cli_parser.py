"""The ``newsdesk`` command line: its arguments, one function per group of subcommands."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from assistant import __version__

__all__ = ["build_parser"]



def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2024-08-13") from None


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="only stories published on or after this day")
    p.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="only stories published on or before this day")
    p.add_argument("--source", action="append", default=[], metavar="OUTLET",
                   help="only stories from this outlet (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsdesk",
        description="Ask questions about your news stories; answers quote and cite the passages they come from.",
        epilog="Settings come from NEWSDESK_* environment variables or a .env file; see docs/configuration.md.",
    )
    parser.add_argument("--version", action="version", version=f"newsdesk {__version__}")
    parser.add_argument("--data-dir", type=Path, help="index location (default: $NEWSDESK_DATA_DIR or "
                        "~/.local/share/newsdesk)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_ingest(sub)
    _add_questions(sub)
    _add_measures(sub)
    _add_collection(sub)
    _add_serving(sub)
    _data_dir_anywhere(sub)
    return parser


def _data_dir_anywhere(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``newsdesk ask --data-dir D ...`` works as ``newsdesk --data-dir D ask ...`` does: people put it
    after the command as often as before (SUPPRESS: given in neither place, the top level's default stays)."""
    for command in sub.choices.values():
        nested = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        for p in [command, *(c for a in nested for c in a.choices.values())]:
            p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help="same as newsdesk --data-dir")


def _add_ingest(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ingest", help="add articles from files or folders to the index",
                       description="Read, clean, chunk, embed and index articles. Files: .txt .md .html .json "
                       ".jsonl .csv .rss .atom .xml (optionally .gz), and http(s) URLs. Folders are read "
                       "recursively. Unchanged articles are skipped; "
                       "changed ones replaced. A broken file is reported and skipped (exit code 4: partial).")
    p.add_argument("paths", nargs="+", metavar="PATH_OR_URL",
                   help="files, folders, or http(s) URLs of pages and RSS/Atom feeds")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=NAME",
                   help="read field FIELD (title, text, url, published, source, byline) from record key NAME")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (on a terminal) or progress lines (in a log, every 30 s)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="clean, chunk and embed in N processes, each with its own copy of the embedding model "
                   "(default 1: in this one); this process still decides and writes, so the index is the same. "
                   "Several ingests may also run at once, on one host or many, against one PostgreSQL catalog "
                   "and Chroma server")


def _add_questions(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("search", help="show the passages retrieved for a query",
                       description="Hybrid (dense + BM25) search over the indexed passages.")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=8, help="number of passages (default 8)")
    p.add_argument("--json", action="store_true", help="print {results: [...]} as JSON")
    _add_filters(p)

    p = sub.add_parser("ask", help="answer a question with cited passages",
                       description="Retrieve passages, answer (with the configured LLM, or extractively when "
                       "none is configured), and verify every citation against the stored articles.")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer object as JSON")
    p.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD", help="reference date for 'last week' etc. "
                   "(default today)")
    _add_filters(p)

    p = sub.add_parser("chat", help="an interactive conversation (follow-ups understood)",
                       description="Ask questions one after another; follow-ups like 'and what did Syrskyi say?' "
                       "are read in the light of the previous question. 'quit', 'exit', an empty line or "
                       "Ctrl-D ends.")
    p.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD", help="reference date for 'last week' etc.")
    _add_filters(p)


def _add_measures(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("eval", help="score retrieval and answers on RealTime QA-style questions",
                       description="Build (or reuse) an index of the articles, ask every question with its own "
                       "date as the reference date, print one JSON object of figures, and write per-question "
                       "predictions as JSONL.")
    p.add_argument("--articles", type=Path, required=True, help="articles JSONL (optionally .gz)")
    p.add_argument("--questions", type=Path, required=True, help="questions JSONL")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--predictions", type=Path, default=Path("predictions.jsonl"),
                   help="where to write {id, prediction, short_answer, citations} lines (default predictions.jsonl)")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=NAME", help="as for ingest")
    p.add_argument("--baseline", action="store_true",
                   help="also score a naive pipeline (plain BM25 over 1,000-character chunks, first two sentences of "
                   "the top chunk as the answer) on the same articles and questions, and the differences")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (on a terminal) or progress lines (in a log, every 30 s)")

    p = sub.add_parser("bench", help="benchmarks that print JSON figures",
                       description="Benchmarks. 'ingest': pipeline vs raw embedder vs a naive LangChain pipeline on "
                       "the same articles. 'serve': concurrent clients against a real server on 127.0.0.1, or "
                       "against running servers (--url, repeatable).")
    bench = p.add_subparsers(dest="bench", metavar="WHAT", required=True)
    b = bench.add_parser("ingest", help="ingest throughput")
    b.add_argument("--articles", type=Path, required=True, help="articles JSONL (optionally .gz)")
    b.add_argument("--limit", type=int, default=200, help="first N articles (default 200)")
    b.add_argument("--map", action="append", default=[], metavar="FIELD=NAME")
    b.add_argument("--workers", type=int, default=1, metavar="N",
                   help="also ingest with --workers N and print its chunks/s beside one worker's")
    b = bench.add_parser("serve", help="API load test (extractive answers)")
    b.add_argument("--url", action="append", default=[], metavar="URL",
                   help="load running servers instead of starting one (repeat for replicas: client n asks URL n mod "
                   "the number of URLs)")
    b.add_argument("--clients", type=int, default=8)
    b.add_argument("--duration", type=float, default=60, help="seconds (default 60)")
    b.add_argument("--questions", type=Path,
                   help="questions JSONL ({question} and optionally {date}: the question's reference date, as "
                   "in eval); default: a built-in list")
    b.add_argument("--port", type=int, default=7899)


def _add_collection(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("stats", help="what is in the index",
                       description="Articles, chunks, outlets, dates, where the index is and which models it uses.")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")

    p = sub.add_parser("delete", help="remove articles from the index",
                       description="Delete articles by id, by outlet, or published before a date.")
    p.add_argument("ids", nargs="*", metavar="ARTICLE_ID")
    p.add_argument("--source", help="delete every article from this outlet")
    p.add_argument("--before", type=_date, metavar="YYYY-MM-DD", help="delete articles published before this day")


def _add_serving(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="serve the chat page and the HTTP API",
                       description="Chat page at /, API at /v1 (OpenAPI docs at /docs).")
    p.add_argument("--host", help="interface (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")

    p = sub.add_parser("demo", help="ingest the bundled sample article, then serve the chat page",
                       description="Ingests the bundled AP story about Kursk and serves http://127.0.0.1:7860.")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
