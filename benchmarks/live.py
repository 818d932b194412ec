"""`make bench` (live part): a long file replayed --as-live with vision + audio + entities on:
lag from an event closing to it being queryable (p50/p95), lag from its end being captured,
dropped-frame rate, CPU use and RSS over time, at 1x and at the fastest speed with no drops.

    python -m benchmarks.live [--minutes 10] [--speeds 1,4,8]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one(path: Path, speed: float) -> dict:
    import psutil

    from mmem.config import AudioConfig, EntityConfig, IngestConfig, VisionConfig
    from mmem.live import run_live
    from mmem.perceive.audio_channel import build_hearing
    from mmem.perceive.people_channel import build_people
    from mmem.perceive.vision import build_vision
    from mmem.sources.live import parse_live
    from mmem.store.memory import Memory

    vision = build_vision(VisionConfig(clip_pretrained="random"))
    hearing = build_hearing(AudioConfig(), "auto", require_asr=True)
    people = build_people(EntityConfig(), "auto")
    proc = psutil.Process()
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def watch() -> None:
        t0 = time.monotonic()
        while not done.wait(10.0):
            samples.append((time.monotonic() - t0, proc.memory_info().rss / 2**20))

    threading.Thread(target=watch, daemon=True).start()
    cpu0 = proc.cpu_times()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        memory = Memory.open(Path(tmp) / "db", create=True)
        spec = parse_live(str(path), as_live=True, speed=speed)
        rep = run_live(spec, memory, IngestConfig(), vision, hearing, people)
    wall = time.monotonic() - t0
    done.set()
    cpu1 = proc.cpu_times()

    def pct(xs: list[float], q: float) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else 0.0

    return {
        "speed": speed, "seconds": rep.seconds, "wall": wall, "events": rep.events,
        "utterances": rep.utterances, "frames": rep.frames, "dropped": rep.dropped,
        "drop_rate": rep.dropped / max(1, rep.frames + rep.dropped),
        "commit_p50": pct(rep.lags, 0.5), "commit_p95": pct(rep.lags, 0.95),
        "capture_p50": pct(rep.capture_lags, 0.5), "capture_p95": pct(rep.capture_lags, 0.95),
        "cpu": ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / wall,
        "rss": samples,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs=2)
    ap.add_argument("--minutes", type=float, default=float(os.environ.get("LIVE_MINUTES", 10)))
    ap.add_argument("--speeds", default="1,4,8")
    args = ap.parse_args()
    os.environ.setdefault("MMEM_OFFLINE", "1")
    if args.child:
        print(json.dumps(one(Path(args.child[0]), float(args.child[1]))))
        return
    from benchmarks.run import long_video

    reps = max(1, math.ceil(args.minutes * 60 / 27.2))
    path, _ = long_video(reps)
    rows = []
    for speed in [float(s) for s in args.speeds.split(",")]:
        cmd = [sys.executable, "-m", "benchmarks.live", "--child", str(path), str(speed)]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        if speed > 1 and rows[-1]["dropped"]:
            break  # faster ones drop more
    print(f"\nlive: {path.name} ({rows[0]['seconds'] / 60:.1f} min, 720p30 + AAC) replayed --as-live, "
          f"ViT-B-32 + tiny.en + faces/voices, --fps 1, {os.cpu_count()} cores")
    head = (f"{'speed':>6} {'events':>7} {'dropped':>8} {'close->query p50/p95':>22} "
            f"{'capture->query p50/p95':>24} {'CPU':>6} {'RSS MB (every 10 s: first, max, last)':>40}")
    print(head)
    print("-" * len(head))
    for r in rows:
        rss = [m for _, m in r["rss"]] or [0.0]
        print(f"{r['speed']:>5.0f}x {r['events']:>7} {r['dropped']:>4} ({r['drop_rate']:.0%})"
              f" {r['commit_p50']:>10.2f}/{r['commit_p95']:.2f} s {r['capture_p50']:>12.2f}/"
              f"{r['capture_p95']:.2f} s {r['cpu']:>5.0%} {rss[0]:>16.0f} {max(rss):>8.0f} {rss[-1]:>8.0f}")
    ok = [r["speed"] for r in rows if r["dropped"] == 0]
    print(f"fastest replay with no dropped sampled frame: {max(ok):.0f}x" if ok
          else "every speed dropped frames")
    (ROOT / "bench-out").mkdir(exist_ok=True)
    (ROOT / "bench-out" / "live.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
