"""A multi-speaker recording with a known answer, and how a diarization scores against it.

`build_mix` cuts real utterances of four people (three LibriSpeech speakers in tests/data/voices,
JFK in samples/; licences in their READMEs) into 1.5-5 s turns and lays them out in a shuffled
order, one after another with short pauses (0.1-0.6 s), as people talk in a meeting; the layout
is the reference (RTTM-like turns). `score` measures a hypothesis with pyannote.metrics.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmem.sources.audio import read_audio

ROOT = Path(__file__).resolve().parents[1]
VOICES = ROOT / "tests" / "data" / "voices"
JFK = ROOT / "samples" / "jfk.flac"
SR = 16_000


@dataclass(frozen=True)
class Turn:
    speaker: str
    start: float
    end: float


def speakers() -> dict[str, list[Path]]:
    """The recordings of each of the four speakers."""
    out = {d.name: sorted(d.glob("*.flac")) for d in sorted(VOICES.iterdir()) if d.is_dir()}
    out["jfk"] = [JFK]
    return out


def room(x: np.ndarray, rng: np.random.Generator, distance: float) -> np.ndarray:
    """`x` as a microphone across a room hears it: a synthetic impulse response (the direct
    sound, then exponentially decaying diffuse reflections, RT60 0.4-0.8 s) whose direct part
    falls with distance (1/r against a reverberant field that does not), at the far-field level
    of a table microphone."""
    rt60 = float(rng.uniform(0.4, 0.8))
    n = int(rt60 * SR)
    t = np.arange(n) / SR
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)  # -60 dB at rt60
    tail[: int(0.005 * SR)] = 0.0  # first reflections arrive a few ms after the direct sound
    tail *= 1.0 / np.sqrt(np.sum(tail**2))
    h = tail.copy()
    h[0] = 1.0 / max(distance, 0.5)  # the direct-to-reverberant ratio falls with distance
    from scipy.signal import fftconvolve

    y = fftconvolve(x, h)[: x.size]
    return (y / (np.sqrt(np.mean(y**2)) + 1e-9) * 0.01).astype(np.float32)


def build_mix(out: Path, seconds: float = 60.0, seed: int = 0, far: bool = False,
              tight: bool = False) -> list[Turn]:
    """Write a mono 16 kHz WAV of about `seconds` to `out`; return its reference turns. `far`:
    each person sits 1-4 m from one table microphone in a reverberant room with a steady
    background noise (a fan, 30 dB below speech), as in recorded meetings. `tight`: turns follow
    each other as in a lively meeting, from a 0.3 s overlap to a 0.15 s pause, and no one follows
    themselves (a change of speaker with no pause to find it by)."""
    rng = np.random.default_rng(seed)
    where = {}
    pieces: list[tuple[str, np.ndarray]] = []
    for who, files in speakers().items():
        for f in files:
            x = read_audio(f)
            i = 0
            while i < x.size - SR:
                n = int(rng.uniform(1.5, 5.0) * SR)
                pieces.append((who, x[i:i + n]))
                i += n
    order = rng.permutation(len(pieces))
    y = np.zeros(int((seconds + 2.0) * SR), np.float32)
    ref: list[Turn] = []
    t, pos = 0.0, 0  # the clock, and the same in samples
    for k in order:
        who, x = pieces[k]
        if t + x.size / SR > seconds or (tight and ref and ref[-1].speaker == who):
            continue
        gap = float(rng.uniform(-0.3, 0.15) if tight and ref else rng.uniform(0.1, 0.6))
        t += gap
        pos += int(gap * SR)
        rms = float(np.sqrt(np.mean(x**2))) + 1e-9
        x = x / rms * 0.05  # the same loudness for everyone
        if far:
            x = room(x, rng, where.setdefault(who, float(rng.uniform(1.0, 4.0))))
        y[pos:pos + x.size] += x.clip(-1, 1)  # overlapping speech adds up, as in the room
        ref.append(Turn(who, round(t, 3), round(t + x.size / SR, 3)))
        t += x.size / SR
        pos += x.size
    y = y[: pos + SR // 2].clip(-1, 1)
    if far:  # pink-ish room noise: white noise through a one-pole low-pass
        from scipy.signal import lfilter

        noise = lfilter([1.0], [1.0, -0.95], rng.standard_normal(y.size)).astype(np.float32)
        y = y + noise / np.sqrt(np.mean(noise**2)) * 0.01 * 10 ** (-30 / 20)
    pcm = (y.clip(-1, 1) * 32767).astype("<i2")
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())
    return ref


def read_rttm(path: Path) -> list[Turn]:
    """The SPEAKER lines of an RTTM file (all files in it)."""
    out = []
    for line in path.read_text().splitlines():
        f = line.split()
        if len(f) >= 8 and f[0] == "SPEAKER":
            out.append(Turn(f[7], float(f[3]), float(f[3]) + float(f[4])))
    return out


def score(reference: list[Turn], hypothesis: list[Turn], collar: float = 0.25) -> dict[str, float]:
    """DER and its parts (fractions of reference speech), with pyannote.metrics: a `collar` s
    forgiveness either side of reference boundaries, overlapped speech not scored (as in the
    usual meeting evaluations)."""
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref, hyp = Annotation(), Annotation()
    for t in reference:
        ref[Segment(t.start, t.end)] = t.speaker
    for t in hypothesis:
        hyp[Segment(t.start, t.end)] = t.speaker
    d = DiarizationErrorRate(collar=collar, skip_overlap=True)(ref, hyp, detailed=True)
    total = max(1e-9, float(d["total"]))
    return {"der": float(d["diarization error rate"]), "confusion": float(d["confusion"]) / total,
            "missed": float(d["missed detection"]) / total, "false_alarm": float(d["false alarm"]) / total,
            "speakers": float(len(set(hyp.labels())))}
