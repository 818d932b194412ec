"""Voices: embed speech turns with a speaker model (Resemblyzer, 256-d), split where the
speaker changes."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

MIN_TURN = 1.5  # seconds: shorter speech says too little about who is speaking
CHANGE = 0.6  # cosine of a 1.6 s window to its turn's mean below which the speaker changed


@dataclass(frozen=True, slots=True)
class VoiceTurn:
    start: float
    end: float
    embedding: np.ndarray  # unit-norm


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
        _, partials, slices = self._enc.embed_utterance(samples, return_partials=True, rate=2.0)
        ranges = [(int(s.start), int(s.stop)) for s in slices]  # in samples
        return np.asarray(partials, np.float32), ranges


def turns(backend: VoiceBackend, samples: np.ndarray, offset: float, sr: int = 16_000) -> list[VoiceTurn]:
    """Speaker turns in one stretch of speech: a window that disagrees with the turn so far
    (cosine to its running mean below CHANGE) starts a new turn."""
    if samples.size < MIN_TURN * sr:
        return []
    emb, ranges = backend.windows(samples)
    if len(emb) == 0:
        return []
    groups: list[list[int]] = [[0]]
    for i in range(1, len(emb)):
        mean = emb[groups[-1]].mean(axis=0)
        if float(emb[i] @ mean) / (float(np.linalg.norm(mean)) + 1e-9) < CHANGE:
            groups.append([i])
        else:
            groups[-1].append(i)
    out = []
    for n, g in enumerate(groups):
        start = ranges[g[0]][0] / sr if n else 0.0
        end = ranges[groups[n + 1][0]][0] / sr if n + 1 < len(groups) else samples.size / sr
        if end - start < MIN_TURN and len(groups) > 1:
            continue
        v = emb[g].mean(axis=0)
        out.append(VoiceTurn(offset + start, offset + end, (v / np.linalg.norm(v)).astype(np.float32)))
    return out
