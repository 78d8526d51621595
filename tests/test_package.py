"""Package hygiene: public names, layering, offline switches."""

from __future__ import annotations

import ast
import importlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ["config", "errors", "models", "text", "tokens", "embeddings", "store", "lexical", "retrieval",
        "extractive", "chain", "citations", "prompts", "service"]
EDGES = ["cli", "api", "web"]


@pytest.mark.parametrize("name", [f"assistant.{m}" for m in CORE + EDGES] + [
    "ingest.sources", "ingest.clean", "ingest.metadata", "ingest.chunking", "ingest.quotes", "ingest.pipeline"])
def test_all_lists_real_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported, f"{name} has no __all__"
    for item in exported:
        assert hasattr(module, item), f"{name}.__all__ names missing {item}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("module", CORE)
def test_core_never_imports_ingest_or_the_edges(module: str) -> None:
    imported = _imports(ROOT / "assistant" / f"{module}.py")
    assert not any(i == "ingest" or i.startswith("ingest.") for i in imported)
    assert not any(i in {f"assistant.{e}" for e in EDGES} for i in imported)


def test_offline_and_telemetry_switches_are_set() -> None:
    import assistant  # noqa: F401

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert os.environ["ANONYMIZED_TELEMETRY"] == "False"


def test_prompts_render_strictly(tmp_path: Path) -> None:
    from assistant.errors import ConfigError
    from assistant.prompts import render

    assert "Question: q" in render(ROOT / "prompts", "answer", today="2024-01-01", sources="s", question="q")
    with pytest.raises(ConfigError, match="needs variable 'sources'"):
        render(ROOT / "prompts", "answer", today="2024-01-01", question="q")
