"""The ``newsdesk`` command. Each subcommand parses arguments, calls the core, prints, exits.

Exit codes: 0 ok; 1 unexpected; 2 bad input or configuration; 3 not found; 4 ingest partial or
failed; 5 index problem; 6 LLM endpoint failed; 130 interrupted; 141 the reader of the output went away
(``newsdesk ask ... | head``: stop quietly, as other tools do). Every error is one line on stderr.

The arguments are in ``cli_parser``, what is printed for people in ``cli_show``, the terminal chat in
``cli_chat``, serving in ``cli_serve``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from assistant.cli_parser import build_parser
from assistant.cli_show import format_answer, format_ingest, format_stats
from assistant.config import Settings, check_data_dir, load_settings
from assistant.errors import InputError, NewsdeskError, NotFoundError
from assistant.text import counted

if TYPE_CHECKING:
    from assistant.service import Filters, Newsdesk

__all__ = ["main", "build_parser", "format_answer"]

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "ingest" / "samples"


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    return load_settings(**overrides)


def _open(args: argparse.Namespace, settings: Settings | None = None) -> Newsdesk:
    """The newsdesk over the index the settings name, once its folder is known to be usable."""
    from assistant.service import open_newsdesk

    settings = settings or _settings(args)
    check_data_dir(settings.data_dir)
    return open_newsdesk(settings)


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


def _existing(paths: list[str]) -> list[str]:
    """The paths, once every local one is known to exist (a URL is checked when it is fetched)."""
    for path in paths:
        if "://" not in path and not Path(path).exists():
            raise NotFoundError(f"{path}: no such file or folder")
    return paths


def cmd_ingest(args: argparse.Namespace) -> int:
    field_map = _parse_map(args.map)
    paths = _existing(args.paths)
    if args.workers < 1:
        raise InputError(f"--workers {args.workers}: at least 1")
    report = _open(args).ingest(list(paths), field_map=field_map, progress=False if args.no_progress else _progress(),
                                workers=args.workers)
    data = report.to_dict()
    if args.json:
        _print_json(data)
    else:
        print(format_ingest(data))
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
    if args.k < 1:
        raise InputError(f"-k {args.k}: the number of passages must be at least 1")
    nd = _open(args)
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


def _warn_if_empty(nd: Newsdesk) -> None:
    if nd.chunk_count() == 0:
        print(f"newsdesk: the index in {nd.settings.data_dir} is empty; add stories with `newsdesk ingest PATH`",
              file=sys.stderr)


def cmd_ask(args: argparse.Namespace) -> int:
    nd = _open(args)
    answer = nd.ask(args.question, filters=_filters(args), as_of=args.as_of)
    _warn_if_empty(nd)
    if args.json:
        _print_json(answer.model_dump())
    else:
        print(format_answer(answer))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from assistant.cli_chat import chat

    nd = _open(args)
    _warn_if_empty(nd)
    return chat(nd, _filters(args), args.as_of)


def cmd_eval(args: argparse.Namespace) -> int:
    from benchmarks.evaluation import run_eval

    settings = _settings(args)
    if not args.data_dir and "NEWSDESK_DATA_DIR" not in os.environ:
        settings = load_settings(data_dir=settings.data_dir / "eval" / args.articles.name.split(".")[0])
    for path in (args.articles, args.questions):
        if not path.exists():
            raise NotFoundError(f"{path}: no such file")
    check_data_dir(settings.data_dir)
    _print_json(run_eval(settings, args.articles, args.questions, limit=args.limit, predictions=args.predictions,
                         field_map=_parse_map(args.map), progress=False if args.no_progress else _progress(),
                         baseline=args.baseline))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from benchmarks import bench as benchmarks

    if args.bench == "ingest":
        if not args.articles.exists():
            raise NotFoundError(f"{args.articles}: no such file")
        if args.workers < 1:
            raise InputError(f"--workers {args.workers}: at least 1")
        _print_json(benchmarks.bench_ingest(args.articles, args.limit, _parse_map(args.map), args.workers))
        return 0
    settings = _settings(args)
    questions: list[tuple[str, str | None]] = [(q, None) for q in benchmarks.DEFAULT_QUESTIONS]
    if args.questions:
        with args.questions.open(encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        questions = [(row["question"], row.get("date")) for row in rows]
    if args.url:
        _print_json({"urls": args.url, **benchmarks.load(args.url, args.clients, args.duration, questions)})
        return 0
    _print_json({"data_dir": str(settings.data_dir),
                 **benchmarks.bench_serve(settings.data_dir, args.clients, args.duration, questions, args.port)})
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    stats = _open(args).stats()
    print(json.dumps(stats, ensure_ascii=False, indent=2) if args.json else format_stats(stats))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    removed = _open(args).delete(args.ids, source=args.source, before=args.before)
    print(f"deleted {counted(removed, 'article')}")
    return 0 if removed else 3


def cmd_serve(args: argparse.Namespace) -> int:
    from assistant.cli_serve import serve

    settings = _settings(args)
    check_data_dir(settings.data_dir)
    return serve(settings, args.host, args.port)


def cmd_demo(args: argparse.Namespace) -> int:
    from assistant.cli_serve import bind, serve

    settings = _settings(args)
    port = args.port if args.port is not None else settings.port
    bind(args.host or settings.host, port).close()  # a busy port: say so before ingesting
    report = _open(args, settings).ingest([SAMPLES_DIR], progress=False)
    print(f"newsdesk: sample ingested ({counted(report.added, 'article')} added, {report.unchanged} unchanged) "
          f"into {settings.data_dir}")
    if report.status != "ok":
        raise NewsdeskError(f"could not ingest the bundled sample: {report.failed}")
    return serve(settings, args.host, args.port)


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
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """The pipe we print into was closed: point stdout at /dev/null so that the flush at exit does not
    raise again, and exit as a process stopped by SIGPIPE reports (128 + 13)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141


if __name__ == "__main__":
    sys.exit(main())
