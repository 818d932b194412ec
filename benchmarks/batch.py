"""`make bench` (part 3): `mmem batch` throughput on one folder: 1 worker, 2 workers, and the
same 2 workers through a local Ray cluster. Prints a table; not a test.

The folder: 8 distinct files (4 joined 640x360 H.264+AAC clips with speech and faces, made from
the samples in different orders, plus the 4 GRID/JFK originals). Each configuration is timed end
to end as a user runs it (`mmem batch ... --json` in a fresh process, model loading included)
into a fresh memory. CLIP is the full default architecture with random weights (same compute).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import DATA, OUT, ROOT, SAMPLES


def folder(reps: int) -> Path:
    from benchmarks.media import concat

    root = OUT / f"batch_x{reps}"
    root.mkdir(parents=True, exist_ok=True)
    clips = [SAMPLES / "bigbuckbunny.mp4", SAMPLES / "bbaf2n.mpg", SAMPLES / "bikes.mp4",
             DATA / "lbax4n.mpg", DATA / "pwij3p.mpg", DATA / "sbwe5n.mpg"]
    for i in range(4):  # same material, different order and length: different files
        out = root / f"joined_{i}.mp4"
        if not out.exists():
            order = (clips[i:] + clips[:i]) * reps
            concat(order, out, size=(640, 360), fps=15, audio=True)
    for src in (SAMPLES / "jfk.flac", DATA / "lbax4n.mpg", DATA / "pwij3p.mpg", DATA / "sbwe5n.mpg"):
        dst = root / "originals" / src.name
        dst.parent.mkdir(exist_ok=True)
        if not dst.exists():
            dst.write_bytes(src.read_bytes())
    return root


def one(path: Path, extra: list[str], model: str, device: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-c", "from mmem.cli import main; main()", "batch", str(path), "--db",
               str(Path(tmp) / "db"), "--clip-model", model, "--clip-pretrained", "random",
               "--device", device, "--json", *extra]
        env = {**os.environ, "MMEM_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"batch {extra} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    s = report["summary"]
    return {"files": s["ingested"], "media": s["media_hours"] * 3600, "wall": wall, "events": s["events"],
            "backend": report["backend"], "workers": report["workers"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2, help="times the clips repeat in each joined file")
    ap.add_argument("--model", default="ViT-B-32")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    path = folder(args.reps)
    runs = {"local, 1 worker": one(path, [], args.model, args.device),
            "local, 2 workers": one(path, ["--workers", "2"], args.model, args.device)}
    try:
        import ray  # noqa: F401

        runs["Ray (local cluster), 2 workers"] = one(path, ["--ray", "local", "--workers", "2"], args.model,
                                                    args.device)
    except ImportError:
        pass
    base = runs["local, 1 worker"]["wall"]
    two = runs["local, 2 workers"]["wall"]
    print(f"\nmmem batch benchmark - {os.cpu_count()} cores ({platform.machine()}), CLIP {args.model} "
          f"(random weights), tiny.en, faces + voices, device {args.device}")
    r0 = next(iter(runs.values()))
    print(f"folder: {r0['files']} files, {r0['media'] / 60:.1f} min of media; wall time includes start-up "
          "and model loading\n")
    head = (f"{'run':<32} {'wall s':>8} {'files/h':>9} {'media-h/h':>10} {'vs 1 worker':>12} "
            f"{'vs 2 local':>11}")
    print(head)
    print("-" * len(head))
    for name, r in runs.items():
        print(f"{name:<32} {r['wall']:>8.1f} {3600 * r['files'] / r['wall']:>9.0f} "
              f"{r['media'] / r['wall']:>10.1f} {base / r['wall']:>11.2f}x {r['wall'] / two:>10.2f}x")
    print("\n'vs 2 local' is wall time relative to two local workers: Ray's overhead as a ratio.")


if __name__ == "__main__":
    main()
