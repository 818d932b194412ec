"""`make bench` (speakers): who spoke when, scored with pyannote.metrics (DER, confusion, missed
speech, false alarm; 0.25 s collar, overlapped speech not scored), and what the entity stage costs.

Scored on: meeting-like mixes of real utterances of four people with exact references
(benchmarks/speaker_mix.py, three layouts and one across a reverberant room), the dev set's meeting
when ../shared/devset is there,
and any recording the user passes with its RTTM (`--media FILE --rttm REF`, repeatable). Each file
is ingested twice into fresh memories, in this process (models loaded once): with entities (the
hypothesis is `mmem transcript FILE --rttm`) and with --no-entities, so the difference is the
entity stage's whole cost. No CLIP (as offline). Prints a table; not a test.

    python -m benchmarks.speakers [--media FILE --rttm REF]... [--seconds 60] [--voice-model resemblyzer]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from benchmarks.run import OUT, ROOT
from benchmarks.speaker_mix import Turn, build_mix, read_rttm, score


def _devset() -> tuple[Path, list[Turn]] | None:
    for c in (os.environ.get("MMEM_DEVSET"), ROOT.parent / "shared" / "devset",
              ROOT.parent.parent / "shared" / "devset"):
        if c and (Path(c) / "devset.json").is_file():
            truth = json.loads((Path(c) / "devset.json").read_text())
            for name, src in truth["sources"].items():
                if src.get("speaker_turns") and "meeting" in name:
                    turns = [Turn(t["speaker"], t["start"], t["end"]) for t in src["speaker_turns"]]
                    return Path(c) / name, turns
    return None


def measure(path: Path, reference: list[Turn], models) -> dict:
    from mmem.cli import app
    from mmem.config import IngestConfig
    from mmem.pipeline import ingest_file
    from mmem.store.memory import Memory

    vision, hearing, people = models
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, who in (("off", None), ("on", people)):
            memory = Memory.open(Path(tmp) / label, create=True)
            t0 = time.perf_counter()
            report = ingest_file(path, memory, IngestConfig(), vision, hearing, who)
            out[f"wall_{label}"] = time.perf_counter() - t0
            out["duration"] = report.duration
        res = CliRunner().invoke(app, ["transcript", str(path), "--rttm", "--db", str(Path(tmp) / "on")])
        hyp_path = Path(tmp) / "hyp.rttm"
        hyp_path.write_text(res.stdout if res.exit_code == 0 else "")
        out.update(score(reference, read_rttm(hyp_path)))
    out["speakers_ref"] = len({t.speaker for t in reference})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--media", action="append", default=[], help="a recording to score (with --rttm)")
    ap.add_argument("--rttm", action="append", default=[], help="its reference RTTM")
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each built mix")
    ap.add_argument("--voice-model", default="campplus", choices=["campplus", "resemblyzer"],
                    help="the speaker model (default campplus; resemblyzer: the older one, to compare)")
    args = ap.parse_args()
    if len(args.media) != len(args.rttm):
        ap.error("pass one --rttm for each --media")
    from mmem.config import AudioConfig, EntityConfig
    from mmem.perceive.audio_channel import build_hearing
    from mmem.perceive.people_channel import build_people
    from mmem.perceive.vision import Vision

    models = (Vision(None, None, 64), build_hearing(AudioConfig(), "cpu"),
              build_people(EntityConfig(voice_model=args.voice_model), "cpu"))
    cases: list[tuple[str, Path, list[Turn]]] = []
    OUT.mkdir(exist_ok=True)
    for seed in range(3):
        path = OUT / f"speaker_mix_{seed}.wav"
        cases.append((f"mix of 4 speakers (seed {seed})", path, build_mix(path, args.seconds, seed)))
    path = OUT / "speaker_mix_far.wav"  # the same people at 1-4 m from one microphone
    cases.append(("mix across a room (seed 0)", path, build_mix(path, args.seconds, 0, far=True)))
    for far in (False, True):  # turns that follow each other with no pause, or overlap
        path = OUT / f"speaker_mix_tight{'_far' if far else ''}.wav"
        cases.append((f"tight turns{' across a room' if far else ''} (seed 0)", path,
                      build_mix(path, args.seconds, 0, far=far, tight=True)))
    dev = _devset()
    if dev is not None:
        cases.append(("devset meeting", dev[0], dev[1]))
    for media, ref in zip(args.media, args.rttm, strict=True):
        cases.append((Path(media).name, Path(media), read_rttm(Path(ref))))
    how = ("CAM++ windows clustered file-wide" if args.voice_model == "campplus"
           else "Resemblyzer turns (change detection) clustered file-wide")
    print(f"\nwho spoke when - {os.cpu_count()} cores ({platform.machine()}), {how}; "
          "pyannote.metrics, collar 0.25 s, overlap not scored")
    head = (f"{'recording':<34} {'secs':>6} {'spk':>7} {'DER':>6} {'confus':>7} {'missed':>7} {'f.alarm':>7} "
            f"{'ingest':>8} {'no ent.':>8} {'entities':>9}")
    print(head)
    print("-" * len(head))
    for label, path, ref in cases:
        r = measure(path, ref, models)
        d = r["duration"]
        cost = max(0.0, r["wall_on"] - r["wall_off"])
        print(f"{label:<34} {d:>6.1f} {int(r['speakers']):>3}/{r['speakers_ref']:<3} {r['der']:>6.1%} "
              f"{r['confusion']:>7.1%} {r['missed']:>7.1%} {r['false_alarm']:>7.1%} "
              f"{d / r['wall_on']:>7.1f}x {d / r['wall_off']:>7.1f}x {cost / d:>8.2f}s/s")
    print("ingest / no ent.: real-time factor with and without entities; entities: wall seconds the entity "
          "stage adds per media second (times inflated when the machine is shared)")


if __name__ == "__main__":
    main()
