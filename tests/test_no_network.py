"""Nothing leaves the machine: ingest, serve and answer inside a network namespace with no network,
traced at the system-call level, so native code (onnxruntime, Chroma's Rust core, tokenizers, Gradio,
uvicorn) is checked too, not only Python sockets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, free_port

pytestmark = pytest.mark.slow

NEWSDESK = [sys.executable, "-m", "assistant.cli"]

# What the client asks of the running server, inside the namespace.
CLIENT = r"""
import json, sys, time, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
for _ in range(600):
    try:
        opener.open(base + "/healthz", timeout=2).read()
        break
    except OSError:
        time.sleep(0.1)
def post(path, body):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    return json.loads(opener.open(req, timeout=60).read())
for q in ["How many settlements do Ukrainian forces control?", "what did tykhy say about occupation?"]:
    print(post("/v1/ask", {"question": q})["answer"][:60])
print(post("/v1/chat/completions", {"model": "newsdesk", "messages": [{"role": "user", "content": "Kursk?"}]})["id"])
for page in ["/", "/docs", "/openapi.json"]:
    print(page, len(opener.open(base + page, timeout=60).read()))
"""

CALL = re.compile(r"^\d+\s+(connect|sendto|sendmsg|bind)\((.*)$")
FAMILY = re.compile(r"sa_family=(AF_INET6?)")
PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


def reaches_beyond_loopback(trace: str) -> list[str]:
    """The traced calls that address an IP host other than loopback, or any DNS port."""
    bad = []
    for line in trace.splitlines():
        call = CALL.match(line)
        if not call or not FAMILY.search(call.group(2)):
            continue
        address = ADDRESS.search(call.group(2))
        host = (address.group(1) or address.group(2)) if address else ""
        port = PORT.search(call.group(2))
        loopback = host.startswith("127.") or host in ("::1", "::ffff:127.0.0.1", "0.0.0.0", "::")
        if not loopback or (port and port.group(1) == "53"):
            bad.append(line.strip())
    return bad


def test_trace_reader_flags_what_it_should() -> None:
    trace = "\n".join([
        '7 connect(5, {sa_family=AF_INET, sin_port=htons(7860), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
        '7 connect(6, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("13.69.109.130")}, 16) = -1 ENETUNREACH',
        '8 sendto(7, "..."..., 40, MSG_NOSIGNAL, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.53")}, 16) = 40',
        '9 connect(3, {sa_family=AF_UNIX, sun_path="/run/uuidd/request"}, 110) = -1 ENOENT',
    ])
    flagged = reaches_beyond_loopback(trace)
    assert [line.split()[0] for line in flagged] == ["7", "8"]
    assert "13.69.109.130" in flagged[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="unshare -n needs root (CI runs as root)")
def test_ingest_serve_and_answer_with_no_network(tmp_path: Path) -> None:
    for tool in ("unshare", "strace", "ip"):
        assert shutil.which(tool), f"{tool} is needed for this test (apt-get install strace util-linux iproute2)"
    home, data, trace = tmp_path / "home", tmp_path / "data", tmp_path / "trace.txt"
    home.mkdir(exist_ok=True)
    port = free_port()
    client = tmp_path / "client.py"
    client.write_text(CLIENT)
    script = tmp_path / "run.sh"
    cli = " ".join(NEWSDESK)
    script.write_text("\n".join([
        "set -e",
        "ip link set lo up",
        f"{cli} --data-dir {data} ingest {SAMPLE} --no-progress",
        f"{cli} --data-dir {data} ask 'How many settlements do Ukrainian forces control?'",
        f"{cli} --data-dir {data} serve --port {port} & server=$!",
        f"{sys.executable} {client} {port}",
        "sleep 30",  # long enough for a background phone-home to try
        "kill $server; wait $server || true",
    ]))
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env |= {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "PYTHONPATH": str(SAMPLE.parents[2])}
    done = subprocess.run(
        ["unshare", "-n", "strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,bind", "-o", str(trace),
         "bash", str(script)],
        env=env, capture_output=True, text=True, timeout=400,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "74 settlements" in done.stdout and "chatcmpl" in done.stdout, done.stdout
    assert "/docs" in done.stdout
    assert reaches_beyond_loopback(trace.read_text()) == []
    assert not (home / ".cache" / "Microsoft").exists(), "onnxruntime telemetry wrote its store"
