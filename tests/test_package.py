"""Package hygiene: public names, layering, offline switches."""

from __future__ import annotations

import ast
import importlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The layers, lowest first, read off the folders: a module may import its own layer and the ones below.
# Every module of the packages falls in exactly one layer (a new file can't slip past this test).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("assistant/__init__.py", "assistant/config.py", "assistant/errors.py", "assistant/models.py",
                    "assistant/text.py")),
    ("index", ("assistant/index/",)),
    ("question", ("assistant/question/",)),
    ("core", ("assistant/retrieval/", "assistant/answering/")),
    ("service", ("assistant/service.py",)),
    ("edges", ("assistant/cli.py", "assistant/cli_parser.py", "assistant/cli_show.py", "assistant/cli_chat.py",
               "assistant/cli_serve.py", "assistant/web.py", "assistant/http/", "benchmarks/")),
]
INGEST_MAY_USE = ("foundation", "index")  # ingest writes through the index, never through the edges
# The user-facing edges go through the service facade only; benchmarks measure the parts themselves.
FACADE_ONLY = ("assistant/cli.py", "assistant/cli_parser.py", "assistant/cli_show.py", "assistant/cli_chat.py",
               "assistant/cli_serve.py", "assistant/web.py", "assistant/http/")


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def _dotted(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer_of(path: Path) -> str:
    rel = path.relative_to(ROOT).as_posix()
    found = [name for name, prefixes in LAYERS if any(rel == p or (p.endswith("/") and rel.startswith(p))
                                                       for p in prefixes)]
    assert len(found) == 1, f"{rel} is in layers {found}: every module belongs to exactly one"
    return found[0]


ALL_MODULES = _modules("assistant") + _modules("benchmarks")
LAYER_OF = {_dotted(p): _layer_of(p) for p in ALL_MODULES}
RANK = {name: i for i, (name, _) in enumerate(LAYERS)}


@pytest.mark.parametrize("name", sorted(n for n in LAYER_OF if not n.startswith("benchmarks"))
                         + [_dotted(p) for p in _modules("ingest")])
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
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _target_layer(imported: str) -> str | None:
    """The layer of an imported project module (``assistant.index.store`` or one of its names)."""
    parts = imported.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in LAYER_OF:
            return LAYER_OF[".".join(parts[:n])]
    return None


@pytest.mark.parametrize("path", ALL_MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_imports_flow_down_the_layers(path: Path) -> None:
    layer = _layer_of(path)
    rel = path.relative_to(ROOT).as_posix()
    facade_only = any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in FACADE_ONLY)
    for imported in _imports(path):
        if layer not in ("service", "edges") or facade_only:
            assert not (imported == "ingest" or imported.startswith("ingest.")), f"{rel} imports {imported}"
        target = _target_layer(imported)
        if target is not None:
            assert RANK[target] <= RANK[layer], f"{rel} ({layer}) imports {imported} ({target})"
            if facade_only:
                assert target in ("foundation", "service", "edges"), f"{rel} reaches past the facade: {imported}"


@pytest.mark.parametrize("path", _modules("ingest"), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_ingest_uses_only_the_index_and_the_foundation(path: Path) -> None:
    for imported in _imports(path):
        target = _target_layer(imported)
        assert target is None or target in INGEST_MAY_USE, f"{path.relative_to(ROOT)} imports {imported} ({target})"


def test_offline_and_telemetry_switches_are_set() -> None:
    import assistant  # noqa: F401

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert os.environ["ANONYMIZED_TELEMETRY"] == "False"
    assert os.environ["ORT_DISABLE_TELEMETRY"] == "1"


def test_every_package_folder_is_in_the_wheel() -> None:
    """pyproject lists its packages (the prompts folder installs as assistant.prompts): a new subpackage
    must be listed too, or a wheel would lack it."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {str(p.parent.relative_to(ROOT)).replace("/", ".")
               for top in ("assistant", "ingest", "benchmarks") for p in (ROOT / top).rglob("__init__.py")}
    assert set(config["packages"]) == folders | {"assistant.prompts"}
    assert config["package-dir"] == {"assistant.prompts": "prompts"}


def test_prompts_render_strictly(tmp_path: Path) -> None:
    from assistant.answering.prompts import render
    from assistant.errors import ConfigError

    assert "Question: q" in render(ROOT / "prompts", "answer", today="2024-01-01", sources="s", question="q")
    with pytest.raises(ConfigError, match="needs variable 'sources'"):
        render(ROOT / "prompts", "answer", today="2024-01-01", question="q")
