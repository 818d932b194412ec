"""`make bench`: real-time factor, per-stage throughput and peak RSS of `mmem ingest`, the audio
channel per ASR backend, tiny.en's word error rate, and PySceneDetect's AdaptiveDetector on the
same files. Prints tables; not a test.

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
DATA = ROOT / "tests" / "data"
OUT = ROOT / "bench-out"
GRID = {"bbaf2n": "bin blue at f two now", "lbax4n": "lay blue at x four now",
        "pwij3p": "place white in j three please", "sbwe5n": "set blue with e five now"}
JFK = ("and so my fellow americans ask not what your country can do for you "
       "ask what you can do for your country")
STAGES = ("audio", "decode", "embed", "segment", "compress", "store")


def long_video(reps: int) -> tuple[Path, list[float]]:
    """The samples and GRID clips joined `reps` times into one 1280x720 30 fps H.264 + AAC file
    (cached): shots with and without speech, with known joins."""
    from benchmarks.media import concat

    OUT.mkdir(exist_ok=True)
    parts = [SAMPLES / "bigbuckbunny.mp4", SAMPLES / "bbaf2n.mpg", SAMPLES / "bikes.mp4",
             DATA / "lbax4n.mpg", DATA / "pwij3p.mpg", DATA / "sbwe5n.mpg"] * reps
    path = OUT / f"concat_720p30_av_x{reps}.mp4"
    joins_file = path.with_suffix(".joins.json")
    if not (path.exists() and joins_file.exists()):
        joins = concat(parts, path, size=(1280, 720), fps=30, audio=True)
        joins_file.write_text(json.dumps(joins))
    return path, json.loads(joins_file.read_text())


def shots_video(reps: int) -> tuple[Path, list[float]]:
    """One-shot real clips (Big Buck Bunny's excerpt and the four GRID clips) joined `reps` times
    in a rotating order into one 640x360 25 fps H.264 file (cached): every join is a cut and
    there is no other, so F1 against the joins is exact for both shot detectors."""
    from benchmarks.media import concat

    OUT.mkdir(exist_ok=True)
    clips = [SAMPLES / "bigbuckbunny.mp4", SAMPLES / "bbaf2n.mpg", DATA / "lbax4n.mpg",
             DATA / "pwij3p.mpg", DATA / "sbwe5n.mpg"]
    parts = [clips[(i + r) % len(clips)] for r in range(reps) for i in range(len(clips))]
    path = OUT / f"shots_360p25_x{reps}.mp4"
    joins_file = path.with_suffix(".joins.json")
    if not (path.exists() and joins_file.exists()):
        joins = concat(parts, path, size=(640, 360), fps=25)
        joins_file.write_text(json.dumps(joins))
    return path, json.loads(joins_file.read_text())


def one_shots(path: Path) -> dict:
    """mmem's shot pass alone (every frame decoded, no model), as the ingest runs it."""
    from mmem.config import ShotConfig
    from mmem.perceive.shots import shot_pass
    from mmem.sources.file import probe

    t0 = time.perf_counter()
    cuts = shot_pass(path, ShotConfig())
    wall = time.perf_counter() - t0
    duration = probe(path).duration
    return {"duration": duration, "wall": wall, "speed": duration / wall, "cuts": [c.t for c in cuts],
            "peak_rss_mb": rss_mb()}


def f1(reference: list[float], found: list[float], tol: float) -> tuple[float, float, float]:
    """Precision, recall, F1 of `found` against `reference`, one-to-one within `tol` seconds."""
    hits = matched(reference, found, tol)
    p = hits / len(found) if found else 0.0
    r = hits / len(reference) if reference else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def shot_table(reps: int) -> dict:
    """Side by side on the same file, each in its own process: F1 on the known cuts (to the
    frame, and within 1 s) and speed."""
    path, joins = shots_video(reps)
    runs = {"mmem shot pass": child("shots", str(path)),
            "PySceneDetect adaptive": child("scenedetect", str(path))}
    print(f"\nshot detection on {path.name} ({len(joins)} known cuts, nothing else cuts)")
    print(f"{'detector':<26} {'cuts':>5} {'F1 1 frame':>10} {'F1 1 s':>7} {'x real':>7} {'RSS MB':>7}")
    for name, r in runs.items():
        exact, loose = f1(joins, r["cuts"], 0.5 / 25 + 1e-3), f1(joins, r["cuts"], 1.0)
        print(f"{name:<26} {len(r['cuts']):>5} {exact[2]:>10.2f} {loose[2]:>7.2f} {r['speed']:>7.1f} "
              f"{r['peak_rss_mb']:>7.0f}")
    return {"file": path.name, "joins": joins, "runs": runs}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_mmem(path: Path, model: str, pretrained: str, device: str, fps: float, audio: bool,
             entities: bool = False) -> dict:
    """Ingest one file into a fresh memory; runs inside the child process."""
    import dataclasses

    from mmem.config import AudioConfig, EntityConfig, IngestConfig, VisionConfig
    from mmem.perceive.audio_channel import build_hearing
    from mmem.perceive.people_channel import build_people
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
    hearing = build_hearing(AudioConfig(enabled=audio), device, require_asr=audio)
    people = build_people(EntityConfig(enabled=entities), device, required=entities)
    load = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        memory = Memory.open(Path(tmp) / "db", create=True)
        r = ingest_file(path, memory, cfg, vision, hearing, people)
        n_entities = len(memory.entity_rows())
        bounds = [e.start for e in memory.events()][1:]
    device_name = str(getattr(vision.embedder, "device", "cpu")) if vision.embedder else "cpu"
    return {"duration": r.duration, "wall": r.wall, "speed": r.speed, "frames": r.frames,
            "events": r.events, "utterances": r.utterances, "stages": r.stage_seconds,
            "appearances": r.appearances, "entities": n_entities,
            "boundaries": bounds, "load": load, "device": device_name, "peak_rss_mb": rss_mb(),
            "working_mb": r.peak_working_bytes / 1e6}


def _random_whisper_tiny() -> Path:
    """openai-whisper with tiny.en's exact shape and random weights (the real ones cannot be
    downloaded everywhere): the same compute per window, not the same words."""
    import dataclasses

    import torch
    from whisper.model import ModelDimensions, Whisper

    path = OUT / "whisper-tiny.en-random.pt"
    if not path.exists():
        dims = ModelDimensions(n_mels=80, n_audio_ctx=1500, n_audio_state=384, n_audio_head=6,
                               n_audio_layer=4, n_vocab=51864, n_text_ctx=448, n_text_state=384,
                               n_text_head=6, n_text_layer=4)
        torch.manual_seed(0)
        torch.save({"dims": dataclasses.asdict(dims), "model_state_dict": Whisper(dims).state_dict()}, path)
    return path


def one_audio(path: Path, backend: str, model: str, device: str) -> dict:
    """The audio channel alone (decode + VAD + ASR) on a file's track."""
    from mmem.perceive.asr import build_transcriber
    from mmem.perceive.hearing import hear
    from mmem.perceive.vad import build_vad
    from mmem.sources.audio import iter_audio
    from mmem.weights import resolve_asr

    if model == "tiny-random":
        model = str(_random_whisper_tiny())
    asr = build_transcriber(resolve_asr(model, backend), device, "en")
    t0 = time.perf_counter()
    track = hear(iter_audio(path), build_vad(), asr)
    wall = time.perf_counter() - t0
    return {"duration": track.duration, "wall": wall, "speed": track.duration / wall,
            "asr_seconds": track.asr_seconds, "vad_seconds": track.vad_seconds,
            "speech_seconds": sum(e - s for s, e in track.speech), "utterances": len(track.utterances),
            "peak_rss_mb": rss_mb()}


def one_wer() -> dict:
    """Word error rate of the shipped tiny.en on the speech samples with known words."""
    import jiwer

    from mmem.perceive.asr import build_transcriber
    from mmem.perceive.hearing import hear
    from mmem.perceive.vad import build_vad
    from mmem.sources.audio import iter_audio
    from mmem.text_norm import normalize
    from mmem.weights import resolve_asr

    asr = build_transcriber(resolve_asr("tiny.en"), "cpu", "en")
    files = {SAMPLES / "jfk.flac": JFK, SAMPLES / "bbaf2n.mpg": GRID["bbaf2n"],
             **{DATA / f"{k}.mpg": v for k, v in GRID.items() if k != "bbaf2n"}}
    refs, hyps, per = [], [], {}
    for path, ref in files.items():
        hyp = " ".join(u.text for u in hear(iter_audio(path), build_vad(), asr).utterances)
        refs.append(normalize(ref))
        hyps.append(normalize(hyp))
        per[path.name] = {"wer": jiwer.wer(refs[-1], hyps[-1]), "heard": hyp}
    return {"wer": jiwer.wer(refs, hyps), "files": per}


def one_people() -> dict:
    """Face and voice throughput on this machine, and cluster purity on the shared media."""
    from collections import Counter

    from mmem.config import EntityConfig, IngestConfig
    from mmem.consolidate.entities import Appearance, EntityIndex
    from mmem.perceive.audio_channel import Hearing
    from mmem.perceive.people_channel import build_people
    from mmem.perceive.vad import build_vad
    from mmem.perceive.vision import Vision
    from mmem.perceive.voices import turns
    from mmem.pipeline import ingest_file
    from mmem.sources.audio import read_audio
    from mmem.sources.file import iter_frames
    from mmem.store.memory import Memory

    people = build_people(EntityConfig(), "cpu", required=True)
    assert people.faces is not None and people.voices is not None
    clips = [p for clip in GRID for p in (SAMPLES / f"{clip}.mpg", DATA / f"{clip}.mpg") if p.exists()]
    frames = [f.image for p in clips for f in iter_frames(p, 5.0)]
    t0 = time.perf_counter()
    dets = [(img, d) for img in frames for d in people.gate.keep(people.faces.detect(img))]
    detect_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for img, d in dets:
        people.faces.embed(img, d)
    embed_s = time.perf_counter() - t0
    wavs = [read_audio(f) for f in sorted((DATA / "voices").glob("*/*.flac"))]
    t0 = time.perf_counter()
    n_turns = sum(len(turns(people.voices, w, 0.0)) for w in wavs)
    voice_s = time.perf_counter() - t0
    speech = sum(w.size for w in wavs) / 16000
    # purity: LibriSpeech voices (12 utterances, 3 speakers) and the three photos
    with tempfile.TemporaryDirectory() as tmp:
        memory = Memory.open(Path(tmp) / "db", create=True)
        for f in sorted((DATA / "voices").glob("*/*.flac")):
            listen = Hearing(build_vad(), None, None)
            ingest_file(f, memory, IngestConfig(), Vision(None, None, 64), listen, people)
        uris = {s.id: Path(s.uri).parent.name for s in memory.sources()}
        by_entity: dict[str, Counter] = {}
        for a in memory.appearances():
            by_entity.setdefault(a.entity_id, Counter())[uris[a.source_id]] += 1
    total = sum(sum(c.values()) for c in by_entity.values())
    import cv2

    index = EntityIndex([], iter(f"E{i}" for i in range(1, 99)).__next__)
    photo = {}
    for name in ("obama", "obama2", "biden"):
        img = cv2.cvtColor(cv2.imread(str(DATA / "faces" / f"{name}.jpg")), cv2.COLOR_BGR2RGB)
        img = cv2.resize(img, None, fx=256 / min(img.shape[:2]), fy=256 / min(img.shape[:2]))
        [d] = people.gate.keep(people.faces.detect(img))
        photo[name] = index.assign([Appearance("face", people.faces.embed(img, d), 0, 1, d.quality)])[0].id
    return {"frames": len(frames), "detect_fps": len(frames) / detect_s, "faces": len(dets),
            "embed_fps": len(dets) / embed_s, "voice_turns": n_turns, "voice_x": speech / voice_s,
            "voice_entities": len(by_entity),
            "voice_purity": sum(c.most_common(1)[0][1] for c in by_entity.values()) / total,
            "photo_entities": len(set(photo.values())), "obama_same": photo["obama"] == photo["obama2"]}


def one_scenedetect(path: Path) -> dict:
    from scenedetect import AdaptiveDetector, SceneManager, open_video

    t0 = time.perf_counter()
    video = open_video(str(path))
    manager = SceneManager()
    manager.add_detector(AdaptiveDetector())
    manager.detect_scenes(video)
    wall = time.perf_counter() - t0
    cuts = [s[0].seconds for s in manager.get_scene_list()[1:]]
    duration = video.duration.seconds
    return {"duration": duration, "wall": wall, "speed": duration / wall, "cuts": cuts,
            "peak_rss_mb": rss_mb()}


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


def run_child(kind: str, rest: list[str]) -> dict:
    if kind == "mmem":
        path, model, pretrained, device, fps, audio, entities = rest
        return one_mmem(Path(path), model, pretrained, device, float(fps), audio == "1", entities == "1")
    if kind == "people":
        return one_people()
    if kind == "audio":
        path, backend, model, device = rest
        return one_audio(Path(path), backend, model, device)
    if kind == "wer":
        return one_wer()
    if kind == "shots":
        return one_shots(Path(rest[0]))
    return one_scenedetect(Path(rest[0]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs="+")
    ap.add_argument("--reps", type=int, default=4, help="times the clips are joined for the long file")
    ap.add_argument("--model", default="ViT-B-32")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--fps", type=float, default=1.0)
    ap.add_argument("--only", choices=["shots"], help="only this table (shots: the shot detectors)")
    args = ap.parse_args()
    os.environ.setdefault("MMEM_OFFLINE", "1")
    if args.child:
        print(json.dumps(run_child(args.child[0], args.child[1:])))
        return
    shots = shot_table(args.reps)
    if args.only == "shots":
        return

    long_path, joins = long_video(args.reps)
    files = [("bigbuckbunny.mp4 (720p25, 5 s)", SAMPLES / "bigbuckbunny.mp4", None),
             (f"{long_path.stem[:-3]} x{args.reps} (720p30+AAC)", long_path, joins)]
    fps = str(args.fps)
    rows = []
    for label, path, truth in files:
        runs = {
            f"mmem {args.model} + tiny.en + who": child("mmem", str(path), args.model, "random", args.device,
                                                        fps, "1", "1"),
            f"mmem {args.model} + tiny.en": child("mmem", str(path), args.model, "random", args.device,
                                                  fps, "1", "0"),
            f"mmem {args.model}, no audio": child("mmem", str(path), args.model, "random", args.device,
                                                  fps, "0", "0"),
            "mmem pixel only": child("mmem", str(path), "none", "-", "cpu", fps, "0", "0"),
            "PySceneDetect adaptive": child("scenedetect", str(path)),
        }
        rows.append((label, truth, runs))
    audio = {
        "faster-whisper tiny.en (int8)": child("audio", str(long_path), "faster-whisper", "tiny.en", "cpu"),
        "openai-whisper tiny.en shape, random": child("audio", str(long_path), "openai-whisper",
                                                      "tiny-random", "cpu"),
    }
    wer = child("wer")
    who = child("people")

    full_key = f"mmem {args.model} + tiny.en + who"
    device = rows[0][2][full_key]["device"]
    print(f"\nmmem ingest benchmark - {os.cpu_count()} cores ({platform.machine()}), --fps {args.fps}, "
          f"CLIP {args.model} (random weights, same compute), device {device}\n")
    head = f"{'file':<36} {'run':<30} {'media s':>8} {'wall s':>7} {'x real':>7} {'RSS MB':>7}"
    print(head)
    print("-" * len(head))
    for label, _, runs in rows:
        for name, r in runs.items():
            print(f"{label:<36} {name:<30} {r['duration']:>8.1f} {r['wall']:>7.2f} "
                  f"{r['speed']:>7.1f} {r['peak_rss_mb']:>7.0f}")
    print("\nper stage, whole ingest with audio (media seconds per second of stage time)")
    print(f"{'file':<36} " + " ".join(f"{s:>9}" for s in STAGES))
    for label, _, runs in rows:
        full = runs[full_key]
        cells = [full["duration"] / full["stages"][s] if full["stages"][s] else float("inf")
                 for s in STAGES]
        print(f"{label:<36} " + " ".join(f"{c:>8.0f}x" for c in cells))
    print(f"\naudio channel alone (decode + VAD + ASR) on {long_path.name}")
    for name, r in audio.items():
        print(f"  {name:<40} {r['speed']:>6.1f}x real time ({r['speech_seconds']:.0f} s of speech, "
              f"ASR {r['asr_seconds']:.1f} s, VAD {r['vad_seconds']:.1f} s, RSS {r['peak_rss_mb']:.0f} MB)")
    each = ", ".join(f"{k} {v['wer']:.0%}" for k, v in wer["files"].items())
    print(f"\nword error rate, faster-whisper tiny.en: {wer['wer']:.1%} over {len(wer['files'])} files "
          f"({each})")
    print("\nentities (faces: dlib HOG + ResNet; voices: Resemblyzer)")
    print(f"  face detection {who['detect_fps']:.0f} frames/s, "
          f"face embedding {who['embed_fps']:.1f} faces/s, "
          f"voices {who['voice_x']:.0f}x real time ({who['voice_turns']} turns)")
    for label, _, runs in rows:
        full = runs[full_key]
        ratio = full["stages"]["entities"] / max(full["stages"]["embed"], 1e-9)
        print(f"  {label:<36} entities stage {ratio:.0%} of the vision embed time, "
              f"{full['appearances']} appearances -> {full['entities']} entities")
    print(f"  LibriSpeech 3 speakers x 4 utterances: {who['voice_entities']} voice entities, purity "
          f"{who['voice_purity']:.2f}; photos: {who['photo_entities']} face entities "
          f"(Obama x2 {'together' if who['obama_same'] else 'apart'})")
    print("\nboundaries (matched within 1 s)")
    for label, truth, runs in rows:
        full, pixel, sd = runs[full_key], runs["mmem pixel only"], runs["PySceneDetect adaptive"]
        line = (f"{label:<36} mmem {len(full['boundaries'])} boundaries; PySceneDetect "
                f"{len(sd['cuts'])} cuts, {matched(sd['cuts'], full['boundaries'])} matched by mmem")
        if truth is not None:
            line += (f"; true joins {len(truth)}: mmem {matched(truth, full['boundaries'])}, pixel-only "
                     f"{matched(truth, pixel['boundaries'])}, PySceneDetect {matched(truth, sd['cuts'])}")
        print(line)
    worst = max(r[2][full_key]["working_mb"] for r in rows)
    print(f"\nworking memory peak {worst:.1f} MB (bounded by consolidate.capacity, not by length)")
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(
        {"rows": [{"file": lab, "truth": t, "runs": r} for lab, t, r in rows], "audio": audio, "wer": wer,
         "people": who, "shots": shots},
        indent=2))


if __name__ == "__main__":
    main()
