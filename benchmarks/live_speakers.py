"""`make bench` (live speakers): who spoke when in a live session, matched turn by turn and
relabelled with the session in view (mmem/consolidate/relabel.py), scored with pyannote.metrics.

Each meeting-like mix of real utterances of four people (benchmarks/speaker_mix.py: three
near-microphone layouts and one across a reverberant room) is played as a live microphone, one
second at a time, into a live session twice: with relabelling off (`relabel_every = 0`: every
turn matched alone) and with the defaults. The hypothesis is the speakers stored for the session's
voice turns (what `mmem transcript --rttm` exports). Also what a relabel costs (wall time per
call, in this process). Prints a table; not a test.

    python -m benchmarks.live_speakers [--seconds 45]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks.speaker_mix import Turn, build_mix, score

SID = "live-mic"


def play_live(path: Path, root: Path, people: Any, relabel_every: int) -> tuple[Any, Any, Any]:
    """The recording as a live microphone: each second heard (VAD + voices), then its frames'
    events closed and committed, as `mmem live` interleaves its listener and its session.
    Returns (memory, live session, listener)."""
    from mmem.config import EntityConfig, IngestConfig
    from mmem.perceive.audio_channel import Hearing
    from mmem.perceive.hearing import Listener
    from mmem.perceive.vad import build_vad
    from mmem.perceive.vision import Vision
    from mmem.reports import IngestReport
    from mmem.session_live import LiveSession
    from mmem.sources.audio import iter_audio
    from mmem.sources.file import MediaInfo
    from mmem.store.memory import Memory
    from mmem.store.rows import SourceRow
    from mmem.types import Clock, Frame

    cfg = IngestConfig(entities=dataclasses.replace(EntityConfig(), relabel_every=relabel_every))
    memory = Memory.open(root, create=True)
    memory.ensure_dim(64)
    memory.put_source(SourceRow(id=SID, uri="mic", kind="live", duration=0.0, status="live", run="r",
                                channels=[], skipped=[], model_ids=[]))
    listener = Listener(build_vad(), None, people.voices)
    info = MediaInfo(Path("mic"), 0.0, cfg.source.fps, 0, 0, 0, "mic", has_audio=True, has_video=False)
    job = LiveSession(info, memory, cfg, Vision(None, None, 64), Hearing(listener.vad, None, None), people,
                      IngestReport(source_id=SID, uri="mic", status="ingesting"), "r",
                      clock=Clock(datetime.now(timezone.utc), 1.0), track=listener.track)
    n = 0
    for chunk in iter_audio(path, 0.0, 1.0):
        listener.feed(chunk)
        frames = []
        while n / cfg.source.fps < chunk.t + chunk.samples.size / 16_000:
            frames.append(Frame(n, n / cfg.source.fps, None))  # type: ignore[arg-type]
            n += 1
        job.process(frames)
        job.catch_up()
    listener.finish()
    job.catch_up()
    job.finish(listener.track.duration)
    return memory, job, listener


def hypothesis(memory: Any) -> list[Turn]:
    from mmem.views.speakers import speaker_turns

    return [Turn(t.entity, t.start, t.end) for t in speaker_turns(memory, [SID])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=45.0)
    ap.add_argument("--voice-model", default="campplus", choices=["campplus", "resemblyzer"],
                    help="the speaker model (default campplus; resemblyzer: the older one, to compare)")
    args = ap.parse_args()
    import mmem.consolidate.relabel as relabel_module
    from mmem.config import EntityConfig
    from mmem.perceive.people_channel import build_people

    people = build_people(EntityConfig(voice_model=args.voice_model), "cpu", required=True)
    calls: list[float] = []
    real = relabel_module.relabel

    def timed(*a: Any, **k: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return real(*a, **k)
        finally:
            calls.append(time.perf_counter() - t0)

    relabel_module.relabel = timed  # MatchNow.settle looks it up when it runs
    print(f"live speakers ({args.voice_model}): {args.seconds:.0f} s mixes of four real speakers played live "
          "in 1 s chunks (pyannote.metrics, 0.25 s collar)")
    print(f"{'mix':<10} {'alone: voices':>13} {'confusion':>9} {'DER':>6} | {'relabelled: voices':>18} "
          f"{'confusion':>9} {'DER':>6} {'moved':>5}")
    with tempfile.TemporaryDirectory() as tmp:
        for seed, far in ((0, False), (1, False), (2, False), (3, False), (0, True)):
            name = f"{'far' if far else 'near'}-{seed}"
            root = Path(tmp) / name
            root.mkdir()
            ref = build_mix(root / "mix.wav", seconds=args.seconds, seed=seed, far=far)
            alone = score(ref, hypothesis(play_live(root / "mix.wav", root / "alone", people, 0)[0]))
            every = EntityConfig().relabel_every  # the default
            memory, job, _ = play_live(root / "mix.wav", root / "relabelled", people, every)
            settled = score(ref, hypothesis(memory))
            print(f"{name:<10} {alone['speakers']:>13.0f} {alone['confusion']:>9.1%} {alone['der']:>6.1%} | "
                  f"{settled['speakers']:>18.0f} {settled['confusion']:>9.1%} {settled['der']:>6.1%} "
                  f"{job.relabelled:>5d}")
    if calls:
        calls.sort()
        print(f"relabel: {len(calls)} calls, median {1000 * calls[len(calls) // 2]:.0f} ms, "
              f"max {1000 * calls[-1]:.0f} ms (re-cluster, match, journalled move)")


if __name__ == "__main__":
    main()
