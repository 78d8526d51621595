"""deploy/: the compose file, its Dockerfile and nginx config, checked against the real CLI and settings.

Docker is not on the test machine, so nothing here starts a container: the checks are that every
newsdesk command in the compose file parses with newsdesk's own parser, every NEWSDESK_ setting is one
newsdesk reads, `chroma run` takes the options given, nginx balances over the replicas defined, and the
image copies every package folder the wheel is built from. (The set-up itself is tested with real
processes in tests/test_replicas.py and tests/test_concurrent_ingest.py.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml

from assistant.cli_parser import build_parser
from assistant.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def test_every_newsdesk_command_parses_and_every_setting_is_read() -> None:
    services = _compose()["services"]
    commands = {name: s["command"] for name, s in services.items() if s.get("command", [""])[0] == "newsdesk"}
    assert set(commands) == {"replica1", "replica2", "ingest"}
    parser = build_parser()
    for name, command in commands.items():
        args = parser.parse_args(command[1:])  # argparse exits (fails the test) on anything it does not know
        assert args.command in ("serve", "ingest"), name
    assert commands["ingest"][1:4] == ["ingest", "--workers", "2"]
    fields = {f"NEWSDESK_{name.upper()}" for name in Settings.model_fields}
    for name, service in services.items():
        for key in service.get("environment", {}):
            if key.startswith("NEWSDESK_"):
                assert key in fields, f"{name}: {key} is not a newsdesk setting"
    for replica in ("replica1", "replica2", "ingest"):  # all three share one catalog and one Chroma
        env = services[replica]["environment"]
        assert env["NEWSDESK_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["NEWSDESK_DATABASE_URL"]
        assert env["NEWSDESK_CHROMA_URL"] == "http://chroma:8000"


def test_the_balancer_sends_requests_to_the_replicas_defined() -> None:
    services = _compose()["services"]
    upstreams = re.findall(r"^\s*server\s+([\w-]+):(\d+);", (DEPLOY / "nginx.conf").read_text(), re.M)
    assert sorted(upstreams) == [("replica1", "7860"), ("replica2", "7860")]
    for name, port in upstreams:
        command = services[name]["command"]
        assert command[command.index("--port") + 1] == port


def test_chroma_run_takes_the_options_given() -> None:
    command = _compose()["services"]["chroma"]["command"]
    assert command[:2] == ["chroma", "run"]
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")  # chromadb's, in this venv
    shown = subprocess.run([chroma, "run", "--help"], capture_output=True, text=True, timeout=60).stdout
    for option in (c for c in command[2:] if c.startswith("--")):
        assert option in shown, option


def test_the_image_installs_every_package_folder_and_serves() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) ", dockerfile, re.M))
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {name.split(".")[0] for name in setuptools["packages"]} | set(setuptools["package-dir"].values())
    assert folders <= copied, f"the image lacks {folders - copied}"
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)
    assert cmd is not None
    args = yaml.safe_load(cmd.group(1))
    assert args[0] == "newsdesk" and build_parser().parse_args(args[1:]).command == "serve"
