"""Voice activity detection: where in a stretch of 16 kHz audio someone is speaking.

`SileroVad` runs the Silero model that ships inside faster-whisper (no download); `EnergyVad`
needs nothing and is the fallback (and the fake in tests).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from mmem.sources.audio import SAMPLE_RATE


class VoiceActivity(Protocol):
    name: str

    def regions(self, samples: np.ndarray) -> list[tuple[float, float]]:
        """Speech regions as (start, end) seconds from samples[0], in order."""
        ...

    def reset(self) -> None:
        """Forget what earlier audio taught it (called at the start of each source)."""
        ...


def _merge(regions: list[tuple[float, float]], gap: float, min_len: float) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for s, e in regions:
        if out and s - out[-1][1] <= gap:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out if e - s >= min_len]


class EnergyVad:
    """Frames whose loudness clears an adaptive floor (noise percentile + margin) are speech."""

    name = "energy"

    def __init__(self, margin_db: float = 12.0, floor_db: float = -45.0, frame: float = 0.03,
                 gap: float = 0.3, min_len: float = 0.25) -> None:
        self.margin_db, self.floor_db, self.frame = margin_db, floor_db, frame
        self.gap, self.min_len = gap, min_len
        self._noise: float | None = None  # quietest level seen in this source, dB

    def reset(self) -> None:
        self._noise = None

    def regions(self, samples: np.ndarray) -> list[tuple[float, float]]:
        n = int(self.frame * SAMPLE_RATE)
        if samples.size < n:
            return []
        frames = samples[: samples.size // n * n].reshape(-1, n)
        db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-10)
        # The noise floor is remembered across calls: a buffer that is all speech (someone
        # talking for minutes) must not become its own floor.
        quiet = float(np.percentile(db, 10))
        self._noise = quiet if self._noise is None else min(self._noise + 0.5, quiet)
        thr = max(self._noise + self.margin_db, self.floor_db)
        active = db > thr
        regions, start = [], None
        for i, a in enumerate(active):
            if a and start is None:
                start = i
            elif not a and start is not None:
                regions.append((start * self.frame, i * self.frame))
                start = None
        if start is not None:
            regions.append((start * self.frame, len(active) * self.frame))
        return _merge(regions, self.gap, self.min_len)


class SileroVad:
    name = "silero"

    def __init__(self, min_silence: float = 0.5, pad: float = 0.2) -> None:
        from faster_whisper.vad import VadOptions

        self._options = VadOptions(min_silence_duration_ms=int(min_silence * 1000),
                                   speech_pad_ms=int(pad * 1000))

    def reset(self) -> None:
        """Nothing to forget: each call sees only its samples."""

    def regions(self, samples: np.ndarray) -> list[tuple[float, float]]:
        from faster_whisper.vad import get_speech_timestamps

        if samples.size < SAMPLE_RATE // 10:
            return []
        stamps = get_speech_timestamps(samples, self._options)
        return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps]


def build_vad(name: str = "auto") -> VoiceActivity:
    """auto: Silero when faster-whisper (and onnxruntime) are installed, else energy."""
    if name in ("auto", "silero"):
        try:
            return SileroVad()
        except ImportError:
            if name == "silero":
                raise
    return EnergyVad()
