"""Voices: embed speech with a speaker model (Resemblyzer, 256-d) on short sliding windows, and
split it into turns where the speaker changes (mmem.perceive.diarize)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

MIN_SPEECH = 0.5  # seconds of audio below which no window is embedded (too little to tell a voice)


@dataclass(frozen=True, slots=True)
class VoiceTurn:
    start: float
    end: float
    embedding: np.ndarray  # unit-norm, pooled over the turn's windows
    windows: int = 1  # sliding windows pooled into the embedding
    speaker: int = -1  # the file's speaker (mmem.perceive.diarize.cluster); -1: not clustered (live)


class VoiceBackend(Protocol):
    model_id: str

    def windows(self, samples: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """16 kHz audio -> (per-window unit embeddings (n, d), window sample ranges)."""
        ...


class Resemblyzer:
    model_id = "resemblyzer-ge2e"

    def __init__(self, weights: Path, device: str = "cpu") -> None:
        with warnings.catch_warnings():  # webrtcvad (imported by resemblyzer) warns about pkg_resources
            warnings.simplefilter("ignore")
            from resemblyzer import VoiceEncoder
        self._enc = VoiceEncoder(device=device, verbose=False, weights_fpath=weights)

    def windows(self, samples: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
        import torch

        # one thread: the model is a small LSTM over a batch of 1.6 s windows, too little work to
        # share; on a busy 2-core CPU two threads spin against each other (measured ~7x slower)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            _, partials, slices = self._enc.embed_utterance(samples, return_partials=True, rate=2.0)
        finally:
            torch.set_num_threads(threads)
        ranges = [(int(s.start), int(s.stop)) for s in slices]  # in samples
        return np.asarray(partials, np.float32), ranges


def turns(backend: VoiceBackend, samples: np.ndarray, offset: float, sr: int = 16_000,
          region: tuple[float, float] | None = None) -> list[VoiceTurn]:
    """Speaker turns in one stretch of speech (samples[0] at `offset` s): windows embedded, cut
    where the speaker changes. `region` is the speech inside the (padded) samples: the turns
    tile it exactly (default: all of the samples)."""
    from mmem.perceive.diarize import split_turns

    if samples.size < MIN_SPEECH * sr:
        return []
    emb, ranges = backend.windows(samples)
    if len(emb) == 0:
        return []
    spans = [(offset + a / sr, offset + b / sr) for a, b in ranges]
    return split_turns(np.asarray(emb, np.float32), spans, region or (offset, offset + samples.size / sr))
