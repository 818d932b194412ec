"""Resemblyzer's front end in numpy: the 40-band mel power spectrogram of 16 kHz audio
(librosa.feature.melspectrogram(sr=16000, n_fft=400, hop_length=160, n_mels=40): a periodic Hann
window, frames centred with zero padding, power 2, Slaney mel filters with Slaney area
normalisation) and the 1.6 s partial windows the encoder embeds (VoiceEncoder.compute_partial_slices).

Resemblyzer computes the same through librosa, whose first call costs a cold process ~3 s (numba,
scipy.signal); these few lines cost nothing to import. tests/integration/test_voice_onnx.py checks
them against librosa and resemblyzer on real speech.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16_000
N_FFT = 400  # 25 ms window
HOP = 160  # 10 ms step
N_MELS = 40
PARTIAL_FRAMES = 160  # mel frames per partial window: 1.6 s


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (librosa's htk=False)."""
    f = np.asarray(f, np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, min_log_hz) / min_log_hz) / logstep,
                    f / f_sp)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


@lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """(N_MELS, N_FFT // 2 + 1) triangular filters from 0 Hz to Nyquist, each of unit area."""
    fft_hz = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    mel_hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    widths = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_hz[2:] - mel_hz[:-2]))[:, None]
    return weights.astype(np.float32)


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    n = np.arange(N_FFT)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / N_FFT)).astype(np.float32)  # periodic Hann


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """16 kHz mono float audio -> (1 + len // HOP, N_MELS) float32 mel power frames."""
    x = np.pad(np.asarray(wav, np.float32), N_FFT // 2)  # centred frames, zero padded
    n_frames = 1 + (x.size - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(x, (n_frames, N_FFT), (x.strides[0] * HOP, x.strides[0]))
    power = np.abs(np.fft.rfft(frames * _window(), axis=1)) ** 2
    return (power.astype(np.float32) @ mel_filters().T).astype(np.float32)


def partial_slices(n_samples: int, rate: float, min_coverage: float = 0.75) -> list[tuple[int, int]]:
    """Mel-frame ranges of the partial windows covering `n_samples` of audio, `rate` per second
    (resemblyzer's rule: the last window is kept when at least `min_coverage` of it is audio, and
    there is always one). Multiply by HOP for sample ranges; they may run past the audio."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round((SAMPLE_RATE / rate) / HOP))
    if not 0 < step <= PARTIAL_FRAMES:
        lo, hi = SAMPLE_RATE / (HOP * PARTIAL_FRAMES), SAMPLE_RATE / HOP
        raise ValueError(f"rate {rate}: between {lo} and {hi}")
    steps = max(1, n_frames - PARTIAL_FRAMES + step + 1)
    out = [(i, i + PARTIAL_FRAMES) for i in range(0, steps, step)]
    start = out[-1][0] * HOP
    coverage = (n_samples - start) / (PARTIAL_FRAMES * HOP)
    if coverage < min_coverage and len(out) > 1:
        out.pop()
    return out
