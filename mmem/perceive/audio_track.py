"""What the audio pass of one source leaves (mmem.perceive.hearing): speech regions, utterances,
speaker turns, and loudness and spectral shape per hop for the surprise signal, with the
queries the segmenter asks of them (it implements mmem.segment.speech.SpeechTimeline)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from mmem.perceive.audio_features import HOP, N_MELS, shape_vector
from mmem.perceive.voices import VoiceTurn
from mmem.types import Utterance


@dataclass
class AudioTrack:
    speech: list[tuple[float, float]] = field(default_factory=list)  # VAD regions, absolute s
    utterances: list[Utterance] = field(default_factory=list)
    turns: list[VoiceTurn] = field(default_factory=list)  # speaker turns with voice embeddings
    # a file's turns in speech no detector vouched for and no word was heard in, whose voice was
    # not (yet) heard saying words: kept until the whole file is clustered (perceive/hearing.hear)
    tentative: list[VoiceTurn] = field(default_factory=list)
    duration: float = 0.0  # seconds of audio heard so far
    asr_seconds: float = 0.0  # wall time spent in ASR
    vad_seconds: float = 0.0
    voice_seconds: float = 0.0

    def __post_init__(self) -> None:
        self._loud = np.zeros(0, np.float32)
        self._mel = np.zeros((0, N_MELS), np.float32)
        self._n = 0

    @property
    def loudness(self) -> np.ndarray:
        """dB per HOP, from t=0."""
        return self._loud[: self._n]

    @property
    def mel(self) -> np.ndarray:
        """log-mel per HOP, from t=0."""
        return self._mel[: self._n]

    def extend(self, loud: np.ndarray, mel: np.ndarray) -> None:
        """Append descriptors (amortised: a live track grows for hours)."""
        need = self._n + len(loud)
        if need > len(self._loud):
            cap = max(need, 2 * len(self._loud), 256)
            self._loud = np.resize(self._loud, cap)
            self._mel = np.resize(self._mel, (cap, mel.shape[1] if mel.ndim == 2 else N_MELS))
        self._loud[self._n:need] = loud
        self._mel[self._n:need] = mel
        self._n = need

    # -- queries used by segmentation -------------------------------------------------------
    def _span(self, t0: float, t1: float) -> slice:
        a = max(0, int(np.floor(t0 / HOP)))
        b = max(a + 1, int(np.ceil(t1 / HOP)))
        return slice(a, min(b, len(self.loudness)))

    def feature(self, t0: float, t1: float) -> np.ndarray | None:
        """Unit-norm spectral shape of [t0, t1), None when the track has nothing there."""
        sl = self._span(t0, t1)
        if sl.start >= sl.stop:
            return None
        return shape_vector(self.mel[sl])

    def level(self, t0: float, t1: float) -> float | None:
        sl = self._span(t0, t1)
        return float(np.max(self.loudness[sl])) if sl.start < sl.stop else None

    def _starts(self) -> list[float]:
        # the segmenter asks once per frame: keep lookups O(log n) on a 3-hour track
        cached = self.__dict__.get("_starts_cache")
        if cached is None or len(cached) != len(self.speech):
            cached = [s for s, _ in self.speech]
            self.__dict__["_starts_cache"] = cached
        return cached

    def turn(self, t0: float, t1: float, silence: float = 1.0) -> bool:
        """Does speech start after, or stop before, at least `silence` s of quiet in (t0, t1]?"""
        lo = max(0, bisect.bisect_left(self._starts(), t0) - 1)
        hi = bisect.bisect_right(self._starts(), t1)
        for i in range(lo, min(hi + 1, len(self.speech))):
            s, e = self.speech[i]
            prev_end = self.speech[i - 1][1] if i else -np.inf
            next_start = self.speech[i + 1][0] if i + 1 < len(self.speech) else np.inf
            if t0 < s <= t1 and s - prev_end >= silence:
                return True
            if t0 < e <= t1 and next_start - e >= silence:
                return True
        return False
