"""`make bench` (cold start): what a user waits for each time they type a command. Builds a memory
from the dev set's media (../shared/devset; without it, samples/jfk.flac and samples/bbaf2n.mpg),
then runs every command as a new process, as a shell would:

  ingest    process wall time minus the ingest loop its report gives (`wall`): start-up (imports,
            models) and shutdown (compaction, exit), per file
  ask       the dev questions (or a fixed few), each a cold process: p50/p95 wall, peak RSS
  events    `mmem events --json`, cold: p50 wall, peak RSS

Peak RSS and CPU seconds (user + system) are the child's own (os.wait4), not this process's; on a
shared machine the CPU seconds move less with the load than the wall time. Printed next to the
figures issue 15 measured before this work and its targets. A measure, not a test: say the load.

    python -m benchmarks.coldstart [--devset DIR] [--db DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.eval import find_devset, mmem
from benchmarks.run import ROOT, SAMPLES

# issue 15, measured on this 2-core CPU before the fast cold path (main at 335ad47)
BEFORE = {"ask_p50": "16-18 s", "ask_rss": "~1.5 GB", "events": "2.7 s", "overhead": "21.8 s (45.6 - 23.8)"}
TARGET = {"ask_p50": "<= 2 s", "ask_rss": "<= 500 MB", "events": "<= 1 s", "overhead": "<= 5 s"}
FALLBACK_QUESTIONS = ["what did he ask the country", "when did someone say bin blue at f two now",
                      "when did he tell citizens to think about serving the nation"]


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str, int, float]:
    """(wall seconds, peak RSS MB of that child, stdout, exit code, its CPU seconds)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=ROOT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, out.read(), proc.returncode, usage.ru_utime + usage.ru_stime


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} on {os.cpu_count()} CPUs"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", help="folder with devset.json and its media (default ../shared/devset)")
    ap.add_argument("--db", help="memory to build or reuse (default: a temporary one)")
    ap.add_argument("--repeat", type=int, default=1, help="ask every question this many times")
    a = ap.parse_args()
    devset = find_devset(a.devset)
    if devset is not None:
        truth = json.loads((devset / "devset.json").read_text())
        files = [devset / n for n in truth["sources"]]
        questions = [q["q"] for q in truth["questions"]]
    else:
        files, questions = [SAMPLES / "jfk.flac", SAMPLES / "bbaf2n.mpg"], FALLBACK_QUESTIONS
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    print(f"cold start on {', '.join(f.name for f in files)}; {load()}")
    with tempfile.TemporaryDirectory(prefix="mmem-cold-") as tmp:
        db = a.db or str(Path(tmp) / "db")
        overheads = []
        reuse = (Path(db) / "mmem.json").exists()
        if reuse:
            print(f"  ingest   --db {db} exists: not re-ingested")
        for f in [] if reuse else files:
            wall, rss, out, rc, _ = timed(mmem("ingest", str(f), "--db", db, "--json"), env)
            if rc:
                sys.exit(f"ingest {f.name} failed (exit {rc})")
            report = json.loads(out)
            loop = sum(s["wall"] for s in report["sources"])
            parts = report.get("seconds", {})
            overheads.append(wall - loop)
            print(f"  ingest   {f.name}: {wall:.1f} s wall, loop {loop:.1f} s, overhead {wall - loop:.1f} s "
                  f"(models and store {parts.get('startup', float('nan')):.1f} s, finish "
                  f"{parts.get('finish', float('nan')):.1f} s, the rest imports and exit), peak {rss:.0f} MB")
        timed(mmem("ask", questions[0], "--db", db, "--json"), env)  # first ask: caches, ONNX export
        asks, ask_rss, ask_cpu = [], [], []
        for _ in range(a.repeat):
            for q in questions:
                wall, rss, _, rc, cpu = timed(mmem("ask", q, "--db", db, "--json", "-k", "3"), env)
                if rc:
                    sys.exit(f"ask {q!r} failed (exit {rc})")
                asks.append(wall)
                ask_cpu.append(cpu)
                ask_rss.append(rss)
        events = [timed(mmem("events", "--db", db, "--json"), env) for _ in range(5)]
    rows = [
        ("cold ask p50", f"{statistics.median(asks):.2f} s", BEFORE["ask_p50"], TARGET["ask_p50"]),
        ("cold ask p95", f"{pct(asks, 0.95):.2f} s", "-", "-"),
        ("cold ask CPU p50", f"{statistics.median(ask_cpu):.2f} s", "-", "-"),
        ("ask peak RSS (max)", f"{max(ask_rss):.0f} MB", BEFORE["ask_rss"], TARGET["ask_rss"]),
        ("events p50", f"{statistics.median(w for w, *_ in events):.2f} s", BEFORE["events"],
         TARGET["events"]),
        ("events CPU p50", f"{statistics.median(e[4] for e in events):.2f} s", "-", "-"),
        ("events peak RSS", f"{max(r for _, r, *_ in events):.0f} MB", "-", "-"),
        ("ingest overhead (max/file)", f"{max(overheads):.1f} s" if overheads else "-", BEFORE["overhead"],
         TARGET["overhead"]),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'now':>10}  {'issue 15 before':>22}  {'target':>10}")
    for name, now, before, target in rows:
        print(f"{name:<{width}}  {now:>10}  {before:>22}  {target:>10}")
    print(f"({len(asks)} cold asks; {load()})")


if __name__ == "__main__":
    main()
