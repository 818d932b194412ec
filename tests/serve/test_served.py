"""`mmem serve` as a process: `mmem ask` finds it and answers the same, a port in use, a host
without a token, a stale discovery file; and the page in a real browser (Playwright driving
Debian's Chromium): search, play at the moment's start, name a person, see the name."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.cli.clirun import run
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
QUESTION = "what can you do for your country"


def wait_for_server(proc: subprocess.Popen, db: Path, timeout: float = 300.0) -> str:
    """The URL the server wrote into the memory dir, once it answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "server died"
        found = db / "serve.json"
        if found.exists():
            url = json.loads(found.read_text())["url"]
            try:
                with urllib.request.urlopen(url + "/api/info", timeout=5) as res:
                    if json.loads(res.read())["warm"]:  # models loaded: questions are answered now
                        return url
            except OSError:
                pass
        time.sleep(0.3)
    raise AssertionError("mmem serve did not start")


@pytest.fixture(scope="module")
def server(served_db, tmp_path_factory):
    """`mmem serve --port 0` over a copy of the memory, as a user would start it."""
    db = tmp_path_factory.mktemp("served") / "db"
    shutil.copytree(served_db, db)
    env = dict(os.environ, PYTHONPATH=str(ROOT), MMEM_OFFLINE="1",
               MMEM_HOME=str(tmp_path_factory.getbasetemp() / "mmem-home"))
    proc = subprocess.Popen([sys.executable, "-m", "mmem.cli", "serve", "--db", str(db), "--port", "0",
                             "--device", "cpu"], env=env, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        yield wait_for_server(proc, db), db
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert not (db / "serve.json").exists(), "the discovery file outlived the server"


def test_ask_answers_the_same_through_the_server(server, monkeypatch):
    url, db = server
    found = db / "serve.json"
    hidden = db / "serve.json.hidden"
    found.rename(hidden)  # no server known: mmem ask works alone
    try:
        alone = [run("ask", QUESTION, "-k", 2, "--db", db, *flag) for flag in ((), ("--json",))]
    finally:
        hidden.rename(found)
    from mmem.recall import answer

    def no_models(*a, **kw):
        raise AssertionError("asked locally, with a server running")

    monkeypatch.setattr(answer, "build_recall", no_models)
    served = [run("ask", QUESTION, "-k", 2, "--db", db, *flag) for flag in ((), ("--json",))]
    named = run("ask", QUESTION, "-k", 2, "--db", db, "--server", url, "--json")
    for a, s in zip(alone, served):
        assert a.exit_code == 0 and s.exit_code == 0, s.output
        assert s.output == a.output
    assert named.output == alone[1].output
    assert json.loads(named.output)["moments"][0]["transcript"] == "ask what you can do for your country"
    bad = run("ask", QUESTION, "--db", db, "--source", "nope.mp4")
    assert bad.exit_code == 2 and "error:" in bad.output and "nope.mp4" in bad.output


def test_a_port_in_use_is_one_line_and_exit_2(server):
    url, db = server
    port = int(url.rsplit(":", 1)[1])
    result = run("serve", "--db", db, "--port", port)
    assert result.exit_code == 2
    assert result.output.strip().startswith("error:") and "in use" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_another_host_needs_a_token(served_db):
    result = run("serve", "--db", served_db, "--host", "0.0.0.0")
    assert result.exit_code == 2 and "--token" in result.output


def test_a_stale_discovery_file_is_ignored_and_a_named_dead_server_is_an_error(db_copy):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    (db_copy / "serve.json").write_text(json.dumps(
        {"url": dead, "pid": 2**22 + 12345, "hostname": socket.gethostname(), "token": None}))
    result = run("ask", QUESTION, "-k", 1, "--db", db_copy, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["moments"][0]["source"].endswith("jfk.flac")
    named = run("ask", QUESTION, "--db", db_copy, "--server", dead)
    assert named.exit_code == 2 and "no mmem server answers" in named.output


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install chromium "
                    "(.ci/run does it when it runs as root)")
def test_the_page_in_a_real_browser(server):
    from playwright.sync_api import sync_playwright

    url, db = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--autoplay-policy=no-user-gesture-required"])
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.goto(url + "/")
            page.fill("#q", QUESTION)
            page.press("#q", "Enter")
            first = page.locator(".moment").first
            first.wait_for()
            assert "jfk.flac" in first.inner_text()
            assert "ask what you can do for your country" in first.locator(".quote").inner_text()
            start = float(first.get_attribute("data-start"))
            assert start > 5  # a moment well inside the file: playing from 0 would not pass
            first.locator("button.play").click()
            page.wait_for_function(
                "() => { const m = document.querySelector('#media');"
                " return m && m.readyState >= 1 && !m.seeking && m.currentTime > 0; }")
            assert page.evaluate("document.querySelector('#media').tagName") == "AUDIO"
            now = page.evaluate("document.querySelector('#media').currentTime")
            assert start <= now + 0.05 and now < start + 1.0, (now, start)

            page.goto(url + "/#people")
            who = first_person = page.locator(".person").first
            who.wait_for()
            pid = first_person.get_attribute("data-id")
            who.locator("input.name").fill("John Kennedy")
            who.locator("button.save-name").click()
            page.locator(f'.person[data-id="{pid}"] .label', has_text="John Kennedy").wait_for()

            page.goto(url + "/#search")
            page.fill("#q", QUESTION)
            page.press("#q", "Enter")
            page.locator(".moment .person-chip", has_text="John Kennedy").first.wait_for()

            page.goto(url + "/#timeline")
            page.locator('.source[data-source$="jfk.flac"] .lane.speech .block').first.wait_for()
            assert page.locator(".lane.who").count() >= 1

            # an ingest while the page is open: its events appear without a reload
            from tests.conftest import SAMPLES

            done = run("ingest", SAMPLES / "bikes.mp4", "--db", db, "--no-audio", "--no-entities",
                       "--clip-model", "mmem-tiny", "--clip-pretrained", "random", "--device", "cpu")
            assert done.exit_code == 0, done.output
            page.locator('.source[data-source$="bikes.mp4"] .lane.events .block').first.wait_for()
        finally:
            browser.close()
