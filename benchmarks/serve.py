"""`make bench` (serve): a warm `mmem serve` over the dev set's memory. Latency of `ask` through
the HTTP API over the dev questions (target p95 <= 100 ms), `mmem ask` forwarded to the server
(a whole CLI process), and the page in Chromium: first contentful paint and a search's results on
screen (target first render <= 1 s on loopback). Prints a table; not a test.

    python -m benchmarks.serve [--devset DIR] [--db DIR] [--rounds N]

The memory: --db if it holds one, else the dev set's media ingested into a temporary one (or,
without a dev set, the samples, asked the sample questions below).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from benchmarks.eval import MEDIA, find_devset, mmem
from benchmarks.run import ROOT, SAMPLES

SAMPLE_QUESTIONS = ["what can you do for your country", "a rabbit in a meadow", "people riding bikes",
                    "someone says blue", "a man speaking"]
CHROMIUM = Path("/usr/bin/chromium")


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def build(db: Path, devset: Path | None, env: dict) -> list[str]:
    """Ingest (unless `db` holds a memory) and return the questions to ask."""
    if devset is not None:
        truth = json.loads((devset / "devset.json").read_text())
        names = list(truth.get("sources") or [p.name for p in sorted(devset.iterdir()) if p.suffix in MEDIA])
        files, questions = [devset / n for n in names], [q["q"] for q in truth["questions"]]
    else:
        files = [SAMPLES / "jfk.flac", SAMPLES / "bigbuckbunny.mp4", SAMPLES / "bikes.mp4"]
        questions = SAMPLE_QUESTIONS
    if not (db / "mmem.json").exists():
        t0 = time.perf_counter()
        subprocess.run(mmem("ingest", *map(str, files), "--db", str(db)), check=True, env=env, cwd=ROOT,
                       capture_output=True)
        print(f"serve    ingested {len(files)} files in {time.perf_counter() - t0:.0f} s")
    return questions


def start(db: Path, env: dict) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(mmem("serve", "--db", str(db), "--port", "0"), env=env, cwd=ROOT,
                            stderr=subprocess.DEVNULL)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 600:
        found = db / "serve.json"
        if found.exists():
            url = json.loads(found.read_text())["url"]
            try:
                with urllib.request.urlopen(url + "/api/info", timeout=5) as res:
                    if json.loads(res.read())["warm"]:
                        print(f"serve    up and warm in {time.perf_counter() - t0:.1f} s")
                        return proc, url
            except OSError:
                pass
        if proc.poll() is not None:
            raise SystemExit("mmem serve exited")
        time.sleep(0.2)
    raise SystemExit("mmem serve did not get warm in 600 s")


def http_asks(url: str, questions: list[str], rounds: int) -> list[float]:
    for q in questions[:2]:  # warm-up: first calls of each encoder path
        urllib.request.urlopen(f"{url}/api/ask?" + urllib.parse.urlencode({"q": q, "k": 3})).read()
    times = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            urllib.request.urlopen(f"{url}/api/ask?" + urllib.parse.urlencode({"q": q, "k": 3})).read()
            times.append(time.perf_counter() - t0)
    return times


def cli_asks(db: Path, questions: list[str], env: dict) -> list[float]:
    times = []
    for q in questions[:5]:
        t0 = time.perf_counter()
        subprocess.run(mmem("ask", q, "-k", "3", "--db", str(db), "--json"), check=True, env=env, cwd=ROOT,
                       capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


def browser(url: str, question: str, loads: int = 5) -> tuple[list[float], list[float]]:
    """First contentful paint of the page, and a search's first result on screen, in seconds."""
    from playwright.sync_api import sync_playwright

    paints, searches = [], []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM))
        for _ in range(loads):
            page = b.new_page()
            page.goto(url + "/")
            page.wait_for_selector("#q")
            page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0")
            fcp = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime")
            paints.append(fcp / 1000)
            t0 = time.perf_counter()
            page.fill("#q", question)
            page.press("#q", "Enter")
            page.wait_for_selector(".moment, #answer:not(:empty)")
            page.wait_for_function("document.querySelector('#answer').textContent !== 'searching…'")
            searches.append(time.perf_counter() - t0)
            page.close()
        b.close()
    return paints, searches


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", help="folder with devset.json and its media (default ../shared/devset)")
    ap.add_argument("--db", help="memory to serve (built here when it holds none; default: a temporary one)")
    ap.add_argument("--rounds", type=int, default=5, help="times each question is asked over HTTP")
    a = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    devset = find_devset(a.devset)
    with tempfile.TemporaryDirectory(prefix="mmem-serve-") as tmp:
        db = Path(a.db or Path(tmp) / "db")
        questions = build(db, devset, env)
        proc, url = start(db, env)
        try:
            http = http_asks(url, questions, a.rounds)
            cli = cli_asks(db, questions, env)
            paints, searches = browser(url, questions[0]) if CHROMIUM.exists() else ([], [])
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
    print(f"\nserve    {'dev set' if devset else 'samples (no dev set)'}: {len(questions)} questions, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print("| measure | n | p50 | p95 | max | target |\n|---|---|---|---|---|---|")
    rows = [("warm ask over HTTP (/api/ask)", http, "p95 <= 100 ms"),
            ("`mmem ask` forwarded to the server (whole process)", cli, ""),
            ("page first contentful paint (Chromium, loopback)", paints, "<= 1 s"),
            ("search -> results on the page", searches, "")]
    for name, xs, target in rows:
        if not xs:
            print(f"| {name} | 0 | - | - | - | {target} (no /usr/bin/chromium) |")
            continue
        print(f"| {name} | {len(xs)} | {statistics.median(xs) * 1000:.0f} ms | {pct(xs, 0.95) * 1000:.0f} ms "
              f"| {max(xs) * 1000:.0f} ms | {target} |")


if __name__ == "__main__":
    sys.exit(main())
