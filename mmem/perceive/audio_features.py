"""Cheap per-hop audio descriptors: loudness (dB) and spectral shape (log-mel bands).

They feed the audio term of the surprise: a change of sound (music -> speech, a new speaker's
timbre, a door slam) moves the spectral shape; silence <-> sound moves the loudness.
"""

from __future__ import annotations

import numpy as np

from mmem.sources.audio import SAMPLE_RATE

HOP = 0.5  # seconds per descriptor
N_FFT = 512
STEP = 160  # 10 ms analysis step
N_MELS = 24


def _mel_filters(n_mels: int = N_MELS, n_fft: int = N_FFT, sr: int = SAMPLE_RATE) -> np.ndarray:
    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def mel_to_hz(m):
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    mels = np.linspace(hz_to_mel(60.0), hz_to_mel(sr / 2 * 0.95), n_mels + 2)
    bins = np.floor((n_fft + 1) * mel_to_hz(mels) / sr).astype(int)
    fb = np.zeros((n_mels, n_fft // 2 + 1), np.float32)
    for i in range(n_mels):
        a, b, c = bins[i], max(bins[i + 1], bins[i] + 1), max(bins[i + 2], bins[i + 1] + 2)
        fb[i, a:b] = np.linspace(0, 1, b - a, endpoint=False)
        fb[i, b:c] = np.linspace(1, 0, c - b, endpoint=False)
    return fb


_FB = _mel_filters()
_WINDOW = np.hanning(N_FFT).astype(np.float32)


def describe(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 16 kHz samples -> (loudness dB per HOP, log-mel per HOP (n, N_MELS)).

    A trailing part shorter than half a hop is dropped."""
    per_hop = int(HOP * SAMPLE_RATE)
    n_hops = int(round(samples.size / per_hop))
    if n_hops == 0:
        return np.zeros(0, np.float32), np.zeros((0, N_MELS), np.float32)
    padded = np.zeros(n_hops * per_hop + N_FFT, np.float32)
    padded[: min(samples.size, n_hops * per_hop)] = samples[: n_hops * per_hop]
    idx = np.arange(0, n_hops * per_hop, STEP)[:, None] + np.arange(N_FFT)[None, :]
    frames = padded[idx] * _WINDOW
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    logmel = np.log10(power @ _FB.T + 1e-10)
    steps = per_hop // STEP
    logmel = logmel[: n_hops * steps].reshape(n_hops, steps, N_MELS).mean(axis=1)
    hops = samples[: n_hops * per_hop]
    if hops.size < n_hops * per_hop:
        hops = np.pad(hops, (0, n_hops * per_hop - hops.size))
    loud = 10 * np.log10(np.mean(hops.reshape(n_hops, per_hop) ** 2, axis=1) + 1e-10)
    return loud.astype(np.float32), logmel.astype(np.float32)


def shape_vector(logmel: np.ndarray) -> np.ndarray:
    """Mean log-mel of some hops -> unit-norm spectral shape (loudness removed)."""
    v = logmel.mean(axis=0) if logmel.ndim == 2 else logmel
    v = v - v.mean()
    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 1e-6 else np.zeros_like(v, dtype=np.float32)
