"""What the ``newsdesk`` command prints for people: answers with their sources, ingest reports, stats."""

from __future__ import annotations

from typing import Any

from assistant.models import Answer, Citation
from assistant.text import counted, find_verbatim

__all__ = ["format_answer", "format_sources", "format_ingest", "format_stats"]


def format_sources(answer: Answer) -> str:
    """"Sources:" and one entry per story cited (its numbers, title, outlet, date, link), or "" without
    any: three quotes from one story are "[1] [3] [4] TITLE — ...", not the same line three times (as the
    chat page lists them). A quote follows only when the answer does not already say it word for word:
    no passage is printed twice."""
    if not answer.citations:
        return ""
    stories: dict[str, list[Citation]] = {}
    for c in answer.citations:
        where = f" <{c.url}>" if c.url else ""
        stories.setdefault(f"{c.title} — {c.source or 'unknown outlet'}, {c.published or 'date unknown'}{where}",
                           []).append(c)
    lines = ["Sources:"]
    for story, cited in stories.items():
        lines.append(" ".join(f"[{c.n}]" for c in cited) + f" {story}")
        for c in cited:
            if not find_verbatim(c.quote, answer.answer):
                quote = c.quote if c.quote[:1] in "“\"‘'" else f"“{c.quote}”"
                lines.append(f"    [{c.n}] {quote}" if len(cited) > 1 else f"    {quote}")
    return "\n".join(lines)


def format_answer(answer: Answer) -> str:
    sources = format_sources(answer)
    return f"{answer.answer}\n\n{sources}" if sources else answer.answer


def format_ingest(data: dict[str, Any]) -> str:
    """The one-line summary of an ingest report (:meth:`IngestReport.to_dict`)."""
    return (f"{data['status']}: {data['added']} added, {data['updated']} updated, {data['unchanged']} unchanged, "
            f"{counted(data['duplicates'], 'duplicate')}, {counted(data['chunks'], 'chunk')}, "
            f"{len(data['failed'])} failed in {data['elapsed_s']:.1f}s")


def _size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _dates(stats: dict[str, Any]) -> str:
    undated = stats["undated_articles"]
    if not stats["published_from"]:
        return "no dated stories" + (f" ({counted(undated, 'article')} undated)" if undated else "")
    span = str(stats["published_from"])
    if stats["published_to"] != stats["published_from"]:
        span += f" to {stats['published_to']}"
    return span + (f", and {counted(undated, 'article')} undated" if undated else "")


def format_stats(stats: dict[str, Any]) -> str:
    """The index in a few lines a person can read (``newsdesk stats``; ``--json`` prints ``stats`` itself)."""
    sources: dict[str, int] = stats["sources"]
    top = sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))
    outlets = ", ".join(f"{name} ({n:,})" for name, n in top[:5])
    if len(top) > 5:
        outlets += f", and {counted(len(top) - 5, 'other')}"
    lines = [
        f"{counted(stats['articles'], 'article')}, {counted(stats['chunks'], 'chunk')}, "
        f"from {counted(len(sources), 'outlet')}" + (f": {outlets}" if outlets else ""),
        f"Published: {_dates(stats)}",
    ]
    if stats.get("syndicated_copies"):
        lines.append(f"Syndicated: {counted(stats['syndicated_copies'], 'copy')} stored once")
    lines += [
        f"Index: {stats['data_dir']} ({_size(stats['index_bytes'])}; vectors in "
        f"{'embedded Chroma' if stats['chroma'] == 'embedded' else 'Chroma at ' + stats['chroma']})",
    ]
    if "embedding_model" in stats:
        lines.append(f"Embedding model: {stats['embedding_model']}")
    if "answers" in stats:
        lines.append(f"Answers: {stats['answers']}")
    return "\n".join(lines)
