"""Prompt files from ``prompts/``, rendered strictly: a missing variable is an error, not a blank."""

from __future__ import annotations

from pathlib import Path
from string import Template

from assistant.errors import ConfigError

__all__ = ["load_prompt", "render"]

PROMPT_NAMES = ("system", "answer", "condense")


def load_prompt(prompts_dir: Path, name: str) -> Template:
    path = prompts_dir / f"{name}.txt"
    try:
        return Template(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"prompt file {path} is missing ({exc.strerror}); set NEWSDESK_PROMPTS_DIR") from exc


def render(prompts_dir: Path, name: str, **values: str) -> str:
    """Render prompts/<name>.txt; raises ConfigError naming any variable not supplied."""
    template = load_prompt(prompts_dir, name)
    try:
        return template.substitute(values)
    except KeyError as exc:
        raise ConfigError(f"prompt {name!r} needs variable {exc.args[0]!r}") from exc
