"""The README and docs/ stay true to the code: their ``newsdesk`` commands parse, their links and the
files they name exist, every setting is documented with its real default, and the README stays short.

Commands are read from fenced shell blocks (sh, bash, shell, console): ``\\`` continuations joined,
``VAR=value`` prefixes and ``$`` prompts dropped, ``&&``, ``||``, ``;`` and ``|`` split, and every part
that runs ``newsdesk`` (or ``.venv/bin/newsdesk``) is parsed by the real argument parser. Links: a
relative link must name a file of this repository, and a ``#anchor`` a heading of the file it points
at (GitHub's slugs). External links are not fetched.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath

import pytest

from assistant.cli_parser import build_parser
from assistant.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = [p for p in (ROOT / "README.md", ROOT / "CHANGELOG.md") if p.exists()] + sorted((ROOT / "docs").glob("*.md"))
SHELL_BLOCKS = {"sh", "bash", "shell", "console"}
README_MAX_LINES = 250  # issue 30: a README that fits on a few screens; reference goes to docs/

# Paths the docs may name before they exist (none now: docs/security.md has landed).
MAY_NOT_EXIST_YET: set[str] = set()

_FENCE = re.compile(r"^(```|~~~)([^\n`]*)\n(.*?)^\1[ \t]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)
_MD_NAME = re.compile(r"(?<![\w/.<-])((?:\.\./|[\w.-]+/)*[\w-]+\.md)\b")
_REPO_PATH = re.compile(r"^(?:\.ci|assistant|benchmarks|deploy|docs|ingest|prompts|tests)/[\w./-]*$")


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _fences(text: str) -> list[tuple[str, str]]:
    """(language, body) of each fenced block."""
    return [(m.group(2).strip().split(" ")[0].lower(), m.group(3)) for m in _FENCE.finditer(text)]


def _prose(text: str) -> str:
    """The text outside fenced blocks and code spans: where links are links."""
    return _CODE_SPAN.sub(" ", _FENCE.sub("\n", text))


# --- commands ---------------------------------------------------------------------------------------


def shell_commands(block: str) -> list[list[str]]:
    """The simple commands of a shell block, as argv lists, with ``VAR=value`` prefixes dropped."""
    joined = re.sub(r"\\\n", " ", block)
    commands: list[list[str]] = []
    for line in joined.splitlines():
        line = re.sub(r"^\s*\$\s+", "", line)
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        current: list[str] = []
        for token in [*lexer, ";"]:
            if token and set(token) <= set(";&|"):
                while current and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", current[0]):
                    current.pop(0)
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(token)
    return commands


def newsdesk_commands(path: Path) -> list[list[str]]:
    """The arguments of every ``newsdesk`` command in the file's shell blocks."""
    found = []
    for lang, body in _fences(path.read_text()):
        if lang in SHELL_BLOCKS:
            found += [argv[1:] for argv in shell_commands(body) if PurePosixPath(argv[0]).name == "newsdesk"]
    return found


def test_shell_commands_are_split_as_a_shell_would() -> None:
    block = ("NEWSDESK_DATA_DIR=/tmp/x OPENAI_BASE_URL=http://h:1/v1 newsdesk ask \"who said it?\" --json\n"
             "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/newsdesk demo\n"
             "newsdesk --data-dir D eval --articles a.jsonl \\\n    --questions q.jsonl --baseline  # a comment\n"
             "$ newsdesk stats | head -3; echo done\n")
    assert shell_commands(block) == [
        ["newsdesk", "ask", "who said it?", "--json"],
        ["python3", "-m", "venv", ".venv"], [".venv/bin/pip", "install", "-e", "."], [".venv/bin/newsdesk", "demo"],
        ["newsdesk", "--data-dir", "D", "eval", "--articles", "a.jsonl", "--questions", "q.jsonl", "--baseline"],
        ["newsdesk", "stats"], ["head", "-3"], ["echo", "done"],
    ]


@pytest.mark.parametrize("path", DOCS, ids=_rel)
def test_newsdesk_commands_parse(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in newsdesk_commands(path):
        try:
            build_parser().parse_args(argv)
        except SystemExit as exc:
            err = capsys.readouterr().err.strip().splitlines()
            assert exc.code == 0, f"{_rel(path)}: `newsdesk {shlex.join(argv)}` does not parse: {err[-1:]}"


def test_a_bad_command_is_caught() -> None:
    """The check can fail: an option the parser lacks is reported."""
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(shell_commands("newsdesk ask 'q' --no-such-flag")[0][1:])
    assert exc.value.code == 2


def test_the_readme_shows_commands() -> None:
    commands = {argv[0] if argv[0] != "--data-dir" else argv[2] for argv in newsdesk_commands(ROOT / "README.md")}
    assert {"demo", "ingest", "ask", "chat", "serve"} <= commands


# --- links ------------------------------------------------------------------------------------------


def slugs(markdown: str) -> set[str]:
    """GitHub's anchors for the file's headings: lower case, punctuation dropped, spaces to hyphens, a
    repeated one numbered."""
    seen: dict[str, int] = {}
    out = set()
    for m in _HEADING.finditer(_FENCE.sub("\n", markdown)):
        text = _LINK.sub(lambda link: link.group(0)[1:].split("]")[0], m.group(2))
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def _is_external(target: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I))


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    text = path.read_text()
    problems = []
    for target in _LINK.findall(_prose(text)):
        if _is_external(target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.is_relative_to(root):
            problems.append(f"{target}: outside the repository")
            continue
        if not dest.exists():
            if dest.relative_to(root).as_posix() not in MAY_NOT_EXIST_YET:
                problems.append(f"{target}: no such file")
            continue
        if anchor and dest.suffix == ".md" and anchor not in slugs(dest.read_text()):
            problems.append(f"{target}: no heading #{anchor} in {dest.relative_to(root).as_posix()}")
    return problems


@pytest.mark.parametrize("path", DOCS, ids=_rel)
def test_links_resolve(path: Path) -> None:
    assert broken_links(path) == []


def test_a_broken_link_is_caught(tmp_path: Path) -> None:
    """The check can fail: a missing file, a missing heading, a path out of the repository; and it lets
    through what it should (a same-page anchor, an external link, a link in code)."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("# newsdesk\n## Set up\n")
    page = tmp_path / "docs" / "probe.md"
    page.write_text("# Probe\n[a](../README.md#no-such-heading) [b](missing.md) [c](#probe) [d](https://x.invalid/)\n"
                    "`[e](not-a-link.md)` [f](../README.md#set-up) [g](../../elsewhere.md)\n")
    assert broken_links(page, tmp_path) == ["../README.md#no-such-heading: no heading #no-such-heading in README.md",
                                            "missing.md: no such file", "../../elsewhere.md: outside the repository"]


def test_slugs_follow_github() -> None:
    assert slugs("# Set up\n## `/v1/chat/completions` and OpenAI\n## Set up\n```sh\n# not a heading\n```\n") == {
        "set-up", "v1chatcompletions-and-openai", "set-up-1"}


def named_files(path: Path) -> list[str]:
    """Files of this repository the page names outside links: ``*.md`` names in prose, and repository
    paths in code spans (``assistant/config.py``, ``deploy/``). Each must exist."""
    text = _FENCE.sub("\n", path.read_text())
    missing = []
    for name in _MD_NAME.findall(_LINK.sub(" ", _CODE_SPAN.sub(" ", text))):
        dest = (path.parent / name).resolve()
        if not dest.exists() and not (ROOT / name).exists() and _rel(dest) not in MAY_NOT_EXIST_YET:
            missing.append(name)
    for span in (m.group(2).strip() for m in _CODE_SPAN.finditer(text)):
        if _REPO_PATH.match(span) and not (ROOT / span).exists() and span not in MAY_NOT_EXIST_YET:
            missing.append(span)
    return missing


@pytest.mark.parametrize("path", DOCS, ids=_rel)
def test_named_files_exist(path: Path) -> None:
    assert named_files(path) == []


# --- settings ---------------------------------------------------------------------------------------


def env_names(name: str) -> list[str]:
    field = Settings.model_fields[name]
    alias = field.validation_alias
    choices = getattr(alias, "choices", None)
    return [str(c) for c in choices] if choices else [f"NEWSDESK_{name.upper()}"]


def documented_default(value: object) -> str | None:
    """How configuration.md writes a field's default: `6`, `1.0`, `true`, `gpt-4o-mini`, or unset."""
    if value is None or value == "":
        return "unset"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, int | float | str):
        return f"`{value}`"
    return None


def settings_table() -> dict[str, str]:
    """docs/configuration.md's table: each variable named in a row's first cell -> the row's default cell."""
    rows = {}
    for line in (ROOT / "docs" / "configuration.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3:
            for name in re.findall(r"`((?:NEWSDESK|OPENAI)_[A-Z0-9_]+)`", cells[0]):
                rows[name] = cells[1]
    return rows


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented_with_its_default(field: str) -> None:
    rows = settings_table()
    names = env_names(field)
    cell = next((rows[n] for n in names if n in rows), None)
    assert cell is not None, f"docs/configuration.md has no row for {' or '.join(names)}"
    info = Settings.model_fields[field]
    if info.default_factory is None:
        expected = documented_default(info.default)
        assert expected is None or cell.startswith(expected), f"{names[0]}: documented {cell!r}, code says {expected}"


def test_every_documented_setting_exists() -> None:
    known = {n for f in Settings.model_fields for n in env_names(f)}
    for path in DOCS:
        named = set(re.findall(r"\bNEWSDESK_[A-Z][A-Z0-9_]*\b", path.read_text()))
        assert named <= known, f"{_rel(path)} names settings newsdesk does not read: {sorted(named - known)}"


# --- size ---------------------------------------------------------------------------------------


def test_readme_stays_short() -> None:
    lines = (ROOT / "README.md").read_text().count("\n")
    assert lines <= README_MAX_LINES, f"README.md is {lines} lines; move reference to docs/, history to CHANGELOG.md"
