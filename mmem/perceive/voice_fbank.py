"""CAM++'s front end in numpy: Kaldi's 80-band log mel filterbank of 16 kHz audio, as
torchaudio.compliance.kaldi.fbank computes it with the defaults 3D-Speaker trains with (25 ms
Povey window every 10 ms, frames inside the signal, DC removed, pre-emphasis 0.97, 512-point
power spectrum, triangular filters on Kaldi's mel scale from 20 Hz to Nyquist, natural log, no
dither), then the mean over the frames subtracted (3D-Speaker's `mean_nor`).

tests/unit/test_voice_fbank.py checks it against kaldi-native-fbank (Kaldi's own code) when that
package is present; a few lines of numpy cost nothing to import and need no torchaudio.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16_000
WINDOW = 400  # 25 ms
HOP = 160  # 10 ms: 100 frames a second
N_FFT = 512
N_MELS = 80
LOW_HZ = 20.0
PREEMPHASIS = 0.97


def _mel(f: np.ndarray | float) -> np.ndarray:
    """Kaldi's mel scale."""
    return 1127.0 * np.log(1.0 + np.asarray(f, np.float64) / 700.0)


@lru_cache(maxsize=1)
def _filters() -> np.ndarray:
    """(N_MELS, N_FFT // 2) triangular filters, equally spaced on the mel scale (Kaldi drops the
    Nyquist bin)."""
    lo, hi = _mel(LOW_HZ), _mel(SAMPLE_RATE / 2)
    step = (hi - lo) / (N_MELS + 1)
    mels = _mel(SAMPLE_RATE / N_FFT * np.arange(N_FFT // 2))
    m = np.arange(N_MELS)[:, None]
    left, centre, right = lo + m * step, lo + (m + 1) * step, lo + (m + 2) * step
    return np.maximum(0.0, np.minimum((mels - left) / (centre - left), (right - mels) / (right - centre)))


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    n = np.arange(WINDOW)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / (WINDOW - 1))) ** 0.85  # Povey's window


def frames(n_samples: int) -> int:
    """How many fbank frames `n_samples` of audio give (whole windows only)."""
    return 0 if n_samples < WINDOW else 1 + (n_samples - WINDOW) // HOP


def fbank(samples: np.ndarray) -> np.ndarray:
    """(frames, 80) float32 log mel energies of 16 kHz float audio in [-1, 1] (not normalised)."""
    x = np.asarray(samples, np.float64)
    n = frames(x.size)
    if n == 0:
        return np.zeros((0, N_MELS), np.float32)
    idx = np.arange(WINDOW)[None, :] + HOP * np.arange(n)[:, None]
    fr = x[idx]
    fr -= fr.mean(axis=1, keepdims=True)
    fr[:, 1:] -= PREEMPHASIS * fr[:, :-1].copy()
    fr[:, 0] *= 1.0 - PREEMPHASIS
    power = np.abs(np.fft.rfft(fr * _window(), n=N_FFT)) ** 2
    energy = power[:, : N_FFT // 2] @ _filters().T
    return np.log(np.maximum(energy, np.finfo(np.float32).eps)).astype(np.float32)


def normalised(samples: np.ndarray) -> np.ndarray:
    """fbank() less its mean over the frames, as CAM++ reads it."""
    f = fbank(samples)
    return f - f.mean(axis=0, keepdims=True) if len(f) else f
