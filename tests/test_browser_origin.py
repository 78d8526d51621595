"""Other web pages, in a real headless Chromium, cannot act on a keyless newsdesk (issue 27, item 6):
a page on another local port plants no story and deletes none, a DNS-rebound name gets nothing; the
page itself, signed in with a key, still works."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from assistant.http.app import create_app
from assistant.index.embeddings import LocalMiniLM
from assistant.service import Newsdesk, open_newsdesk

from .conftest import ServerThread, make_settings
from .test_browser import chromium_page

pytestmark = pytest.mark.slow

STORY = {"title": "Planted", "text": "A planted story says the harbour in Portsmouth is closed for good.", "source": "Planter"}

# What any page the user visits can do to the API without asking: simple requests (no preflight) with
# text/plain and typeless bodies, a form posted into a frame, a DELETE (preflighted) and a read.
ATTACK = """<!doctype html><html><body>
<iframe name="sink" style="display:none"></iframe>
<form id="form" method="POST" action="TARGET/v1/articles" enctype="text/plain" target="sink">
  <input name='{"title": "Form", "text": "A story planted by a form post.", "x": "' value='"}'></form>
<script>
const T = "TARGET", story = JSON.stringify(STORY), results = {};
const note = (name, p) => p.then(r => { results[name] = "answered " + r.status; }, e => { results[name] = "blocked " + e; });
(async () => {
  document.getElementById("form").submit();
  await note("plain", fetch(T + "/v1/articles", {method: "POST", mode: "no-cors", headers: {"content-type": "text/plain"}, body: story}));
  await note("blob", fetch(T + "/v1/articles", {method: "POST", mode: "no-cors", body: new Blob([story])}));
  await note("delete", fetch(T + "/v1/articles/ARTICLE", {method: "DELETE"}));
  await note("read", fetch(T + "/v1/stats").then(r => r.json()));
  await new Promise(r => setTimeout(r, 1000));
  window.results = results;
})();
</script></body></html>"""


def test_a_page_on_another_port_cannot_plant_or_delete(seed_desk: Newsdesk) -> None:
    with chromium_page(create_app(seed_desk)) as (page, url):
        before = httpx.get(url + "/v1/articles").json()["articles"]
        html = (ATTACK.replace("TARGET", url).replace("STORY", json.dumps(STORY))
                .replace("ARTICLE", before[0]["id"]))
        attacker = Starlette(routes=[Route("/", lambda _request: HTMLResponse(html))])
        with ServerThread(attacker) as evil:
            page.goto(evil.url + "/")
            results = page.wait_for_function("window.results", timeout=30_000).json_value()
        after = httpx.get(url + "/v1/articles").json()["articles"]
        assert [a["id"] for a in after] == [a["id"] for a in before], (results, after)
        assert results["delete"].startswith("blocked") and results["read"].startswith("blocked"), results


def test_a_rebound_name_gets_nothing(seed_desk: Newsdesk) -> None:
    """DNS rebinding: a name the attacker controls now resolves to 127.0.0.1; Chromium sends that name."""
    rules = ("--host-resolver-rules=MAP rebind.test 127.0.0.1",)
    with chromium_page(create_app(seed_desk), extra_args=rules) as (page, url):
        port = url.rsplit(":", 1)[1]
        for path in ("/", "/v1/stats", "/config"):
            response = page.goto(f"http://rebind.test:{port}{path}")
            assert response is not None and response.status == 400, (path, response and response.status)
            assert "Associated Press" not in page.content()
        assert page.goto(f"http://localhost:{port}/v1/stats").status == 200  # the names of this machine work


def test_signing_in_and_asking_in_the_browser_with_keys(tmp_path: Path, seed_dir: Path, embedder: LocalMiniLM) -> None:
    """The page's own requests (the login form, uploads, the queue) are same-origin and still pass."""
    desk = open_newsdesk(make_settings(seed_dir, api_keys="k1"), embedder=embedder)
    upload = tmp_path / "harbour.txt"
    upload.write_text("Harbour reopens\n\nThe harbour in Portsmouth reopened on Thursday, officials said.\n")
    with chromium_page(create_app(desk), viewport={"width": 1300, "height": 1000}) as (page, url):
        page.goto(url + "/")
        page.get_by_label("username").fill("reader")
        page.get_by_label("password").fill("k1")
        page.get_by_role("button", name="Login").click()
        page.locator("#question textarea").fill("How many settlements do Ukrainian forces control?")
        page.locator("#ask").click()
        page.locator("#chat strong", has_text="74 settlements").first.wait_for(timeout=60_000)
        page.get_by_text("Add stories").click()
        page.locator("input[type=file]").set_input_files(str(upload))
        page.get_by_role("button", name="Add to the index").click()
        page.get_by_text("ok: 1 added").wait_for(timeout=60_000)
