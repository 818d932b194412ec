"""`make bench` (part 0): answer quality on the dev set. Ingests the dev set's media
(../shared/devset: a day of joined real clips and a 4-speaker meeting) into a fresh memory and
runs `mmem eval` on its questions: hit@1, hit@3, mean IoU, abstention and latency per kind of
question. A measure, not a target to tune to; prints, not a test.

    python -m benchmarks.eval [--devset DIR] [--db DIR] [-- extra ingest args, e.g. --clip-pretrained random]

Without a dev set (none beside the checkout, no --devset, no MMEM_DEVSET) it says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import ROOT

MEDIA = (".mp4", ".mkv", ".mov", ".webm", ".mpg", ".flac", ".wav", ".mp3")


def find_devset(given: str | None) -> Path | None:
    candidates = [given, os.environ.get("MMEM_DEVSET"), ROOT.parent / "shared" / "devset",
                  ROOT.parent.parent / "shared" / "devset"]
    for c in candidates:
        if c and (Path(c) / "devset.json").is_file():
            return Path(c)
    return None


def mmem(*args: str) -> list[str]:
    return [sys.executable, "-c", "from mmem.cli import main; main()", *args]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", help="folder with devset.json and its media (default ../shared/devset)")
    ap.add_argument("--db", help="memory to build (default: a temporary one)")
    ap.add_argument("-k", type=int, default=3)
    ap.add_argument("extra", nargs="*", help="extra `mmem ingest` arguments (after --)")
    a = ap.parse_args()
    devset = find_devset(a.devset)
    if devset is None:
        print("eval     no dev set found (../shared/devset, --devset or MMEM_DEVSET): skipped")
        return
    truth = json.loads((devset / "devset.json").read_text())
    names = list(truth.get("sources") or [p.name for p in sorted(devset.iterdir()) if p.suffix in MEDIA])
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory(prefix="mmem-eval-") as tmp:
        db = a.db or str(Path(tmp) / "db")
        t0 = time.perf_counter()
        ingest = subprocess.run(mmem("ingest", *(str(devset / n) for n in names), "--db", db, *a.extra),
                                capture_output=True, text=True, env=env, cwd=ROOT)
        wall = time.perf_counter() - t0
        if ingest.returncode:
            raise SystemExit(f"eval: ingest failed ({ingest.returncode}): {ingest.stderr.strip()[-1500:]}")
        print(f"eval     dev set {devset}: {', '.join(names)} ingested in {wall:.1f} s; "
              f"`mmem eval devset.json -k {a.k}`:")
        run = subprocess.run(mmem("eval", str(devset / "devset.json"), "--db", db, "-k", str(a.k)),
                             text=True, env={**env, "COLUMNS": "160"}, cwd=ROOT)
        if run.returncode:
            raise SystemExit(f"eval: mmem eval failed ({run.returncode})")


if __name__ == "__main__":
    main()
