"""The ``newsdesk`` command. Each subcommand parses arguments, calls the core, prints, exits.

Exit codes: 0 ok; 1 unexpected; 2 bad input or configuration; 3 not found; 4 ingest partial or
failed; 5 index problem; 6 LLM endpoint failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from assistant import __version__
from assistant.config import Settings
from assistant.errors import InputError, NewsdeskError
from assistant.models import Answer

if TYPE_CHECKING:
    from assistant.service import Filters

__all__ = ["main", "build_parser"]

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "ingest" / "samples"


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
        epilog="Settings come from NEWSDESK_* environment variables or a .env file; see the README.",
    )
    parser.add_argument("--version", action="version", version=f"newsdesk {__version__}")
    parser.add_argument("--data-dir", type=Path, help="index location (default: $NEWSDESK_DATA_DIR or "
                        "~/.local/share/newsdesk)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

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
                       "are read in the light of the previous question. Empty line or Ctrl-D ends.")
    p.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD", help="reference date for 'last week' etc.")
    _add_filters(p)

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

    p = sub.add_parser("bench", help="benchmarks that print JSON figures",
                       description="Benchmarks. 'ingest': pipeline vs raw embedder vs a naive LangChain pipeline on "
                       "the same articles. 'serve': concurrent clients against a real server on 127.0.0.1.")
    bench = p.add_subparsers(dest="bench", metavar="WHAT", required=True)
    b = bench.add_parser("ingest", help="ingest throughput")
    b.add_argument("--articles", type=Path, required=True, help="articles JSONL (optionally .gz)")
    b.add_argument("--limit", type=int, default=200, help="first N articles (default 200)")
    b.add_argument("--map", action="append", default=[], metavar="FIELD=NAME")
    b = bench.add_parser("serve", help="API load test (extractive answers)")
    b.add_argument("--clients", type=int, default=8)
    b.add_argument("--duration", type=float, default=60, help="seconds (default 60)")
    b.add_argument("--questions", type=Path,
                   help="questions JSONL ({question} and optionally {date}: the question's reference date, as "
                   "in eval); default: a built-in list")
    b.add_argument("--port", type=int, default=7899)

    p = sub.add_parser("stats", help="what is in the index")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("delete", help="remove articles from the index",
                       description="Delete articles by id, by outlet, or published before a date.")
    p.add_argument("ids", nargs="*", metavar="ARTICLE_ID")
    p.add_argument("--source", help="delete every article from this outlet")
    p.add_argument("--before", type=_date, metavar="YYYY-MM-DD", help="delete articles published before this day")

    p = sub.add_parser("serve", help="serve the chat page and the HTTP API",
                       description="Chat page at /, API at /v1 (OpenAPI docs at /docs).")
    p.add_argument("--host", help="interface (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")

    p = sub.add_parser("demo", help="ingest the bundled sample article, then serve the chat page",
                       description="Ingests the bundled AP story about Kursk and serves http://127.0.0.1:7860.")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    return Settings(**overrides)


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _parse_map(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in ("title", "text", "url", "published", "source", "byline") or not value:
            raise InputError(f"--map {item!r}: expected FIELD=NAME with FIELD one of title, text, url, "
                             "published, source, byline")
        out[key] = value
    return out


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.service import open_newsdesk

    field_map = _parse_map(args.map)
    report = open_newsdesk(_settings(args)).ingest(args.paths, field_map=field_map,
                                                   progress=False if args.no_progress else _progress())
    data = report.to_dict()
    if args.json:
        _print_json(data)
    else:
        print(f"{data['status']}: {data['added']} added, {data['updated']} updated, {data['unchanged']} unchanged, "
              f"{data['duplicates']} duplicates, {data['chunks']} chunks, {len(data['failed'])} failed "
              f"in {data['elapsed_s']:.1f}s")
        for failure in data["failed"]:
            print(f"  failed: {failure['source']}: {failure['reason']}", file=sys.stderr)
    return 0 if report.status == "ok" else 4


def _progress() -> bool | Literal["lines"]:
    """A bar on a terminal; plain lines now and then in a log."""
    return True if sys.stderr.isatty() else "lines"


def _filters(args: argparse.Namespace) -> Filters:
    from assistant.service import Filters

    return Filters.between(args.since, args.until, args.source)


def cmd_search(args: argparse.Namespace) -> int:
    from assistant.service import open_newsdesk

    nd = open_newsdesk(_settings(args))
    passages = nd.search(args.query, args.k, _filters(args))
    _warn_if_empty(nd)
    if args.json:
        _print_json({"query": args.query, "results": [p.to_dict() for p in passages]})
        return 0
    if not passages:
        print("No passages found.")
    for i, p in enumerate(passages, 1):
        print(f"{i}. {p.title} — {p.source or 'unknown outlet'}, {p.published_iso or 'date unknown'} "
              f"(score {p.score:.4f}, {p.chunk_id})")
        print("   " + p.text.replace("\n", " ")[:300])
    return 0


def _warn_if_empty(nd: Any) -> None:
    if nd.chunk_count() == 0:
        print(f"newsdesk: the index in {nd.settings.data_dir} is empty; add stories with `newsdesk ingest PATH`",
              file=sys.stderr)


def format_answer(answer: Answer) -> str:
    lines = [answer.answer]
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            where = f" <{c.url}>" if c.url else ""
            lines.append(f"[{c.n}] {c.title} — {c.source or 'unknown outlet'}, {c.published or 'date unknown'}{where}")
            quote = c.quote if c.quote[:1] in "“\"‘'" else f"“{c.quote}”"
            lines.append(f"    {quote}")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.service import open_newsdesk

    nd = open_newsdesk(_settings(args))
    answer = nd.ask(args.question, filters=_filters(args), as_of=args.as_of)
    _warn_if_empty(nd)
    if args.json:
        _print_json(answer.model_dump())
    else:
        print(format_answer(answer))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from assistant.service import Final, open_newsdesk

    nd = open_newsdesk(_settings(args))
    _warn_if_empty(nd)
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
            for event in nd.ask_stream(question, history=history, filters=_filters(args), as_of=args.as_of):
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
        sources = format_answer(answer).partition("\n\nSources:\n")[2]
        if sources:
            print("\nSources:\n" + sources)
        print(flush=True)
        history += [("user", question), ("assistant", answer.answer)]
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from benchmarks.evaluation import run_eval

    settings = _settings(args)
    if not args.data_dir and "NEWSDESK_DATA_DIR" not in os.environ:
        settings = Settings(data_dir=settings.data_dir / "eval" / args.articles.name.split(".")[0])
    for path in (args.articles, args.questions):
        if not path.exists():
            raise InputError(f"{path}: no such file")
    _print_json(run_eval(settings, args.articles, args.questions, limit=args.limit, predictions=args.predictions,
                         field_map=_parse_map(args.map), progress=_progress(), baseline=args.baseline))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from benchmarks import bench as benchmarks

    if args.bench == "ingest":
        if not args.articles.exists():
            raise InputError(f"{args.articles}: no such file")
        _print_json(benchmarks.bench_ingest(args.articles, args.limit, _parse_map(args.map)))
        return 0
    settings = _settings(args)
    questions: list[tuple[str, str | None]] = [(q, None) for q in benchmarks.DEFAULT_QUESTIONS]
    if args.questions:
        with args.questions.open(encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        questions = [(row["question"], row.get("date")) for row in rows]
    _print_json({"data_dir": str(settings.data_dir),
                 **benchmarks.bench_serve(settings.data_dir, args.clients, args.duration, questions, args.port)})
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from assistant.service import open_newsdesk

    stats = open_newsdesk(_settings(args)).stats()
    if args.json:
        _print_json(stats)
    else:
        for key, value in stats.items():
            print(f"{key}: {value}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from assistant.service import open_newsdesk

    removed = open_newsdesk(_settings(args)).delete(args.ids, source=args.source, before=args.before)
    print(f"deleted {removed} article(s)")
    return 0 if removed else 3


def _serve(settings: Settings, host: str | None, port: int | None) -> int:
    import uvicorn

    from assistant.http.app import create_app
    from assistant.service import open_newsdesk

    nd = open_newsdesk(settings)
    nd.store.recover()
    nd.warm_up()
    host, port = host or settings.host, port or settings.port
    print(f"newsdesk: serving the chat page on http://{host}:{port}/ ({nd.mode} answers; API docs at /docs)",
          flush=True)
    uvicorn.run(create_app(nd), host=host, port=port, log_level="warning")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    return _serve(_settings(args), args.host, args.port)


def cmd_demo(args: argparse.Namespace) -> int:
    from assistant.service import open_newsdesk

    settings = _settings(args)
    report = open_newsdesk(settings).ingest([SAMPLES_DIR], progress=False)
    print(f"newsdesk: sample ingested ({report.added} added, {report.unchanged} unchanged) into {settings.data_dir}")
    if report.status != "ok":
        raise NewsdeskError(f"could not ingest the bundled sample: {report.failed}")
    return _serve(settings, args.host, args.port)


COMMANDS = {
    "ingest": cmd_ingest, "search": cmd_search, "ask": cmd_ask, "chat": cmd_chat, "eval": cmd_eval,
    "bench": cmd_bench, "stats": cmd_stats, "delete": cmd_delete,
    "serve": cmd_serve, "demo": cmd_demo,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except NewsdeskError as exc:
        print(f"newsdesk: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("newsdesk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
