"""`make bench`: real-time factor, per-stage throughput and peak RSS of `mmem ingest`, next to
PySceneDetect's AdaptiveDetector on the same files. Prints a table; not a test.

Each measurement runs in its own process so peak RSS belongs to that run alone. The CLIP model
is the full-size default architecture with random weights (`--clip-pretrained random`): the
compute is the same as with trained weights, which cannot be downloaded on every machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
OUT = ROOT / "bench-out"


def long_video(reps: int) -> tuple[Path, list[float]]:
    """The samples joined `reps` times into one 1280x720 30 fps H.264 file (cached)."""
    from benchmarks.media import concat

    OUT.mkdir(exist_ok=True)
    parts = [SAMPLES / n for n in ("bigbuckbunny.mp4", "bikes.mp4", "bbaf2n.mpg")] * reps
    path = OUT / f"concat_720p30_x{reps}.mp4"
    joins_file = path.with_suffix(".joins.json")
    if not (path.exists() and joins_file.exists()):
        joins = concat(parts, path, size=(1280, 720), fps=30)
        joins_file.write_text(json.dumps(joins))
    return path, json.loads(joins_file.read_text())


def one_mmem(path: Path, model: str, pretrained: str, device: str, fps: float) -> dict:
    """Ingest one file into a fresh memory; runs inside the child process."""
    import dataclasses

    from mmem.config import IngestConfig, VisionConfig
    from mmem.perceive.vision import Vision, build_vision
    from mmem.pipeline import ingest_file
    from mmem.store.memory import Memory

    cfg = IngestConfig()
    cfg = dataclasses.replace(cfg, source=dataclasses.replace(cfg.source, fps=fps))
    t0 = time.perf_counter()
    if model == "none":
        vision = Vision(None, None, 512, skipped="benchmark: pixel channel only")
    else:
        vision = build_vision(VisionConfig(clip_model=model, clip_pretrained=pretrained, device=device))
    load = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        memory = Memory.open(Path(tmp) / "db", create=True)
        r = ingest_file(path, memory, cfg, vision)
        bounds = [e["start"] for e in memory.events()][1:]
    device_name = "cpu"
    if vision.embedder is not None:
        device_name = str(getattr(vision.embedder, "device", "cpu"))
    return {
        "duration": r.duration, "wall": r.wall, "speed": r.speed, "frames": r.frames,
        "events": r.events, "stages": r.stage_seconds, "boundaries": bounds, "load": load,
        "device": device_name,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "working_mb": r.peak_working_bytes / 1e6,
    }


def one_scenedetect(path: Path) -> dict:
    from scenedetect import AdaptiveDetector, SceneManager, open_video

    t0 = time.perf_counter()
    video = open_video(str(path))
    manager = SceneManager()
    manager.add_detector(AdaptiveDetector())
    manager.detect_scenes(video)
    wall = time.perf_counter() - t0
    scenes = manager.get_scene_list()
    cuts = [s[0].seconds for s in scenes[1:]]
    duration = video.duration.seconds
    return {"duration": duration, "wall": wall, "speed": duration / wall, "cuts": cuts,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child(kind: str, *args: str) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.run", "--child", kind, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def matched(reference: list[float], found: list[float], tol: float = 1.0) -> int:
    """How many reference cuts have a found boundary within `tol` seconds (one-to-one)."""
    free = sorted(found)
    hits = 0
    for r in sorted(reference):
        best = min(free, key=lambda f: abs(f - r), default=None)
        if best is not None and abs(best - r) <= tol:
            hits += 1
            free.remove(best)
    return hits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs="+")
    ap.add_argument("--reps", type=int, default=6, help="times the samples are joined for the long file")
    ap.add_argument("--model", default="ViT-B-32")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--fps", type=float, default=1.0)
    args = ap.parse_args()
    os.environ.setdefault("MMEM_OFFLINE", "1")
    if args.child:
        kind, *rest = args.child
        if kind == "mmem":
            path, model, pretrained, device, fps = rest
            res = one_mmem(Path(path), model, pretrained, device, float(fps))
        else:
            res = one_scenedetect(Path(rest[0]))
        print(json.dumps(res))
        return

    long_path, joins = long_video(args.reps)
    files = [("bigbuckbunny.mp4 (720p25, 5 s)", SAMPLES / "bigbuckbunny.mp4", None),
             (f"{long_path.name} (720p30, {args.reps}x samples)", long_path, joins)]
    rows = []
    for label, path, truth in files:
        full = child("mmem", str(path), args.model, "random", args.device, str(args.fps))
        pixel = child("mmem", str(path), "none", "-", "cpu", str(args.fps))
        sd = child("scenedetect", str(path))
        rows.append((label, path, truth, full, pixel, sd))

    cpu = platform.processor() or platform.machine()
    print(f"\nmmem ingest benchmark - {os.cpu_count()} cores ({cpu}), --fps {args.fps}, "
          f"CLIP {args.model} (random weights, same compute), device {rows[0][3]['device']}\n")
    head = f"{'file':<44} {'run':<22} {'media s':>8} {'wall s':>7} {'x real':>7} {'RSS MB':>7}"
    print(head)
    print("-" * len(head))
    for label, _, _, full, pixel, sd in rows:
        for name, r in ((f"mmem {args.model}", full), ("mmem pixel-only", pixel),
                        ("PySceneDetect adaptive", sd)):
            print(f"{label:<44} {name:<22} {r['duration']:>8.1f} {r['wall']:>7.2f} "
                  f"{r['speed']:>7.1f} {r['peak_rss_mb']:>7.0f}")
    print("\nper-stage throughput, full run (frames per second of stage time; media x real time)")
    stages = ("decode", "embed", "segment", "compress", "store")
    print(f"{'file':<44} " + " ".join(f"{s:>16}" for s in stages))
    for label, _, _, full, _, _ in rows:
        cells = []
        for stage in ("decode", "embed", "segment", "compress", "store"):
            sec = full["stages"][stage]
            fps = full["frames"] / sec if sec > 0 else float("inf")
            cells.append(f"{fps:>7.0f}f/s {full['duration'] / sec if sec else float('inf'):>5.0f}x")
        print(f"{label:<44} " + " ".join(f"{c:>16}" for c in cells))
    print("\nboundaries (matched within 1 s)")
    for label, _, truth, full, pixel, sd in rows:
        line = (f"{label:<44} mmem {len(full['boundaries'])} boundaries, {full['events']} events; "
                f"PySceneDetect {len(sd['cuts'])} cuts, {matched(sd['cuts'], full['boundaries'])} "
                f"matched by mmem")
        if truth is not None:
            line += (f"; true joins {len(truth)}: mmem found {matched(truth, full['boundaries'])}"
                     f" (pixel-only {matched(truth, pixel['boundaries'])}), PySceneDetect found "
                     f"{matched(truth, sd['cuts'])}")
        print(line)
    worst = max(r[3]["working_mb"] for r in rows)
    print(f"\nworking memory peak {worst:.1f} MB (bounded by consolidate.capacity, not by length)")
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(
        [{"file": r[0], "mmem": r[3], "pixel_only": r[4], "scenedetect": r[5], "truth": r[2]}
         for r in rows], indent=2))


if __name__ == "__main__":
    main()
