"""Voices: embed speech with a speaker model (Resemblyzer, 256-d) on short sliding windows, and
split it into turns where the speaker changes (mmem.perceive.diarize)."""

from __future__ import annotations

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


class OnnxVoiceEncoder:
    """Implements VoiceBackend: Resemblyzer's speaker encoder run by ONNX Runtime on the CPU (the
    graph exported once by mmem.perceive.voice_export) after its mel front end in numpy
    (mmem.perceive.voice_mel), so ingest embeds voices without torch or librosa. The same vectors
    as resemblyzer's own VoiceEncoder (tests/integration/test_voice_onnx.py), hence its model id."""

    model_id = "resemblyzer-ge2e"
    RATE = 2.0  # partial windows per second (1.6 s each, so they overlap by 1.1 s)
    BATCH = 64  # windows per ONNX run: bounds the memory of a long stretch of speech

    def __init__(self, onnx: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        # one thread: a small LSTM over a batch of 1.6 s windows, too little work to share; on a
        # busy 2-core CPU two threads spin against each other
        opts.intra_op_num_threads = opts.inter_op_num_threads = threads
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(onnx), opts, providers=["CPUExecutionProvider"])

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
