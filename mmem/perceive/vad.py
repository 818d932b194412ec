"""Voice activity detection: where in a stretch of 16 kHz audio someone is speaking.

`SileroVad` runs the Silero model that ships inside faster-whisper (no download); `EnergyVad`
needs nothing and is the fallback (and the fake in tests).
"""

from __future__ import annotations

from types import ModuleType, SimpleNamespace
from typing import Any, Protocol

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


class WebRtcVad:
    """WebRTC's voice detector (a GMM over band energies, shipped as `webrtcvad`): it still hears
    speech from across a room, where Silero (trained mostly on close talk) goes quiet; it also
    fires on tones and music, so its regions need other evidence (words) to count as speech."""

    name = "webrtc"
    FRAME = 0.03  # seconds: one of the three frame lengths the detector accepts

    def __init__(self, mode: int = 3, gap: float = 0.3, min_len: float = 0.25, pad: float = 0.2) -> None:
        webrtcvad = _import_webrtcvad()
        self._make = lambda: webrtcvad.Vad(mode)  # 3: the strictest of its modes (fewest false alarms)
        self.gap, self.min_len, self.pad = gap, min_len, pad  # pad: as SileroVad's, soft onsets

    def reset(self) -> None:
        """Nothing to forget between sources."""

    def regions(self, samples: np.ndarray) -> list[tuple[float, float]]:
        n = int(self.FRAME * SAMPLE_RATE)
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
        # a fresh detector per call: it adapts to the noise it has heard, so one kept across calls
        # (the listener's growing buffer, the previous file) would find different regions in the
        # same audio depending on what came before
        vad = self._make()
        active = [vad.is_speech(pcm[i: i + n].tobytes(), SAMPLE_RATE)
                  for i in range(0, pcm.size - n + 1, n)]
        regions, start = [], None
        for i, a in enumerate([*active, False]):
            if a and start is None:
                start = i
            elif not a and start is not None:
                regions.append((start * self.FRAME, i * self.FRAME))
                start = None
        end = samples.size / SAMPLE_RATE
        kept = _merge(regions, self.gap, self.min_len)
        return _merge([(max(0.0, s - self.pad), min(end, e + self.pad)) for s, e in kept], 0.0, 0.0)


MIN_CANDIDATE = 0.25  # seconds: a shorter leftover of a wide region is an edge, not speech


class FusedVad:
    """Two detectors that fail differently: `strong` (Silero) is confident where it fires but
    goes quiet on distant or reverberant talk, or hears only fragments of it under a loud
    rumble; `wide` (WebRTC) still hears that, and tones and music too.

    Within a wide region, the stretch from the first to the last thing the strong detector
    heard is its stretch: where it heard most of that stretch, its own regions stand (its
    pauses are the pauses); where it heard only fragments (less than `most`), the stretch is one
    region, vouched for. What lies outside that stretch, and wide regions it heard nothing of,
    are candidates: `split` says which is which, so a caller can ask for other evidence (words)
    before counting a candidate as speech (music beside speech stays a candidate)."""

    name = "silero+webrtc"

    def __init__(self, strong: VoiceActivity, wide: VoiceActivity, most: float = 0.5) -> None:
        self.strong, self.wide, self.most = strong, wide, most

    def reset(self) -> None:
        self.strong.reset()
        self.wide.reset()

    def split(self, samples: np.ndarray) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """(vouched, candidate) regions, as above. Together they are `regions(samples)`; no two
        overlap."""
        strong = self.strong.regions(samples)
        vouched: list[tuple[float, float]] = []
        candidate: list[tuple[float, float]] = []
        consumed: set[int] = set()
        for w0, w1 in self.wide.regions(samples):
            inside = [i for i, (s, e) in enumerate(strong) if s < w1 and e > w0]
            if not inside:
                candidate.append((w0, w1))
                continue
            h0, h1 = strong[inside[0]][0], strong[inside[-1]][1]
            heard = sum(strong[i][1] - strong[i][0] for i in inside)
            if heard < self.most * (h1 - h0):
                vouched.append((h0, h1))
                consumed.update(inside)
            candidate += [(a, b) for a, b in ((w0, h0), (h1, w1)) if b - a >= MIN_CANDIDATE]
        vouched += [r for i, r in enumerate(strong) if i not in consumed]
        return _merge(sorted(vouched), 0.0, 0.0), candidate

    def regions(self, samples: np.ndarray) -> list[tuple[float, float]]:
        vouched, candidate = self.split(samples)
        return sorted(vouched + candidate)


def build_vad(name: str = "auto") -> VoiceActivity:
    """auto: Silero and WebRTC joined (FusedVad) when faster-whisper (and onnxruntime) are
    installed, else energy; silero, webrtc, energy: that detector alone."""
    if name in ("auto", "silero"):
        try:
            silero = SileroVad()
        except ImportError:
            if name == "silero":
                raise
        else:
            return FusedVad(silero, WebRtcVad()) if name == "auto" else silero
    if name == "webrtc":
        return WebRtcVad()
    return EnergyVad()


class _Versions(ModuleType):
    """What webrtcvad asks of pkg_resources while it imports: its own version (through
    importlib.metadata). Anything else asked of it imports the real pkg_resources."""

    @staticmethod
    def get_distribution(name: str) -> Any:
        from importlib.metadata import version

        return SimpleNamespace(version=version(name))

    def __getattr__(self, name: str) -> Any:
        import importlib
        import sys

        if sys.modules.get("pkg_resources") is self:
            del sys.modules["pkg_resources"]
        return getattr(importlib.import_module("pkg_resources"), name)


def _import_webrtcvad() -> ModuleType:
    """webrtcvad, whose module imports setuptools' pkg_resources only to read its own version:
    ~0.15-0.25 s of CPU per ingest (and a deprecation warning). While it imports, `_Versions`
    stands in for pkg_resources (unless that is loaded already); afterwards it is gone."""
    import sys
    import warnings

    if "webrtcvad" in sys.modules or "pkg_resources" in sys.modules:
        with warnings.catch_warnings():  # the real pkg_resources warns that it is deprecated
            warnings.simplefilter("ignore")
            import webrtcvad
        return webrtcvad
    stand_in = _Versions("pkg_resources")
    sys.modules["pkg_resources"] = stand_in
    try:
        import webrtcvad
    finally:
        if sys.modules.get("pkg_resources") is stand_in:
            del sys.modules["pkg_resources"]
    return webrtcvad
