"""The CLI, run in-process with exact output checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main

from .conftest import SAMPLE


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_search_ask_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    code, out, _ = _run(capsys, "--data-dir", data, "ingest", str(SAMPLE), "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["status"], report["added"], report["chunks"] > 0) == ("ok", 1, True)

    code, out, _ = _run(capsys, "--data-dir", data, "ingest", str(SAMPLE))
    assert code == 0 and out.startswith("ok: 0 added, 0 updated, 1 unchanged")

    code, out, _ = _run(capsys, "--data-dir", data, "search", "Tykhyi occupation", "--json")
    results = json.loads(out)["results"]
    assert code == 0 and results
    assert {"text", "title", "article_id", "chunk_id", "score"} <= set(results[0])

    code, out, _ = _run(capsys, "--data-dir", data, "ask", "what did Tykhyi say about occupation?", "--json")
    answer = json.loads(out)
    assert code == 0
    assert list(answer) == ["question", "answer", "refused", "short_answer", "citations", "confidence", "timings_ms"]
    assert answer["refused"] is False
    assert list(answer["citations"][0]) == [
        "n", "article_id", "chunk_id", "title", "url", "source", "published", "quote"
    ]
    assert any("we want to protect the lives of our people" in c["quote"] for c in answer["citations"])

    code, out, _ = _run(capsys, "--data-dir", data, "ask", "What is the capital of France?")
    assert code == 0 and out == "The stories I have don't say.\n"


def test_human_output_lists_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    _run(capsys, "--data-dir", data, "ingest", str(SAMPLE))
    code, out, _ = _run(capsys, "--data-dir", data, "ask", "How many settlements do Ukrainian forces control?")
    assert code == 0
    assert "74 settlements" in out
    assert "\nSources:\n[1] Russia Repels Ukrainian Advance in Kursk Region" in out
    assert "— The Associated Press, date unknown" in out


def test_errors_are_one_line_with_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    code, _, err = _run(capsys, "--data-dir", data, "ingest", str(tmp_path / "nope.txt"))
    assert code == 3 and "nope.txt: no such file or folder" in err  # not found (README's exit codes)
    code, _, err = _run(capsys, "--data-dir", data, "ask", "   ")
    assert code == 2 and err == "newsdesk: error: the question is empty\n"
    code, _, err = _run(capsys, "--data-dir", data, "ingest", str(SAMPLE), "--map", "bogus")
    assert code == 2 and "--map 'bogus'" in err
    code, _, err = _run(capsys, "--data-dir", data, "delete", "no-such-id")
    assert code == 3


def test_help_explains_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    for command in ("ingest", "search", "ask", "stats", "delete", "serve", "demo"):
        assert command in out


def test_stats_and_delete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    _run(capsys, "--data-dir", data, "ingest", str(SAMPLE))
    code, out, _ = _run(capsys, "--data-dir", data, "stats", "--json")
    stats = json.loads(out)
    assert stats["articles"] == 1 and stats["chunks"] == stats["vectors"] > 0
    assert stats["sources"] == {"The Associated Press": 1} and stats["undated_articles"] == 1
    code, out, _ = _run(capsys, "--data-dir", data, "delete", "--source", "The Associated Press")
    assert code == 0 and out == "deleted 1 article\n"
    _, out, _ = _run(capsys, "--data-dir", data, "stats", "--json")
    assert json.loads(out)["vectors"] == 0


def test_an_empty_index_says_how_to_fill_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--data-dir", str(tmp_path / "empty"), "ask", "What is new?")
    assert code == 0 and out == "The stories I have don't say.\n"
    assert "is empty; add stories with `newsdesk ingest PATH`" in err


def test_ingest_into_a_log_prints_plain_progress_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a terminal (cron, `> log`): plain lines now and then and one at the end, no bar."""
    import ingest.pipeline

    monkeypatch.setattr(ingest.pipeline, "PROGRESS_LINE_EVERY_S", 0.0)
    folder = tmp_path / "news"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.txt").write_text(f"Story {i}\n\nThe harbour in Portsmouth closed for day {i}, officials said.")
    (folder / "broken.json").write_text("{not json")
    code, out, err = _run(capsys, "--data-dir", str(tmp_path / "d"), "ingest", str(folder))
    assert code == 4 and out.startswith("partial: 3 added")
    lines = [line for line in err.splitlines() if line.startswith("ingest: ")]
    assert len(lines) >= 2 and "\r" not in err
    assert lines[-1].startswith("ingest: 4/4 articles read, 3 chunks, 1 failed, ")
    code, _, err = _run(capsys, "--data-dir", str(tmp_path / "d"), "ingest", str(folder), "--no-progress")
    assert "ingest: " not in err


def test_sources_print_a_quote_only_when_the_answer_does_not_already_say_it() -> None:
    from assistant.cli_show import format_sources
    from assistant.models import Answer, Citation

    quote = "Ukrainian forces now control 74 settlements in the Kursk region."
    cite = Citation(n=1, article_id="a", chunk_id="a-1", title="Kursk", url=None, source="AP", published=None,
                    quote=quote)
    said = Answer(question="q", answer=f"74 settlements. According to AP: {quote} [1]", refused=False, citations=[cite])
    assert format_sources(said) == "Sources:\n[1] Kursk — AP, date unknown"
    paraphrased = Answer(question="q", answer="Ukraine holds 74 settlements there [1].", refused=False,
                         citations=[cite])
    assert format_sources(paraphrased) == f"Sources:\n[1] Kursk — AP, date unknown\n    “{quote}”"


def test_sources_name_a_story_once_for_all_its_quotes() -> None:
    from assistant.cli_show import format_sources
    from assistant.models import Answer, Citation

    quotes = ["Ukrainian forces now control 74 settlements.", "The White House was not told in advance.",
              "Tykhyi said the aim was to protect lives."]
    cites = [Citation(n=i + 1, article_id=a, chunk_id=f"{a}-1", title=t, url=None, source="AP", published=None,
                      quote=q) for i, (a, t, q) in enumerate([("a", "Kursk", quotes[0]), ("b", "Washington", quotes[1]),
                                                              ("a", "Kursk", quotes[2])])]
    said = Answer(question="q", answer=f"{quotes[0]} [1] {quotes[1]} [2] {quotes[2]} [3]", refused=False,
                  citations=cites)
    assert format_sources(said) == "Sources:\n[1] [3] Kursk — AP, date unknown\n[2] Washington — AP, date unknown"
    paraphrased = said.model_copy(update={"answer": f"Ukraine holds 74 [1]. {quotes[1]} [2] {quotes[2]} [3]"})
    assert format_sources(paraphrased) == ("Sources:\n[1] [3] Kursk — AP, date unknown\n"
                                           f"    [1] “{quotes[0]}”\n[2] Washington — AP, date unknown")
