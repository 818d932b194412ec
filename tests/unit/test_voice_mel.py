"""The voice encoder's front end in numpy is resemblyzer's (librosa's mel spectrogram and
resemblyzer's partial windows) on real speech, so voices embedded without librosa are the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmem.perceive.voice_mel import HOP, N_MELS, mel_spectrogram, partial_slices
from mmem.sources.audio import iter_audio

DATA = Path(__file__).resolve().parents[1] / "data"


def speech(name: str) -> np.ndarray:
    return np.concatenate([c.samples for c in iter_audio(DATA / "voices" / name)])


@pytest.mark.parametrize("name", ["1688/1688-142285-0002.flac", "1998/1998-15444-0001.flac"])
def test_mel_frames_equal_librosas_on_real_speech(name):
    librosa = pytest.importorskip("librosa")
    wav = speech(name)
    ref = librosa.feature.melspectrogram(y=wav, sr=16000, n_fft=400, hop_length=160, n_mels=N_MELS).T
    got = mel_spectrogram(wav)
    assert got.shape == ref.shape == (1 + wav.size // HOP, N_MELS)
    assert np.abs(got - ref).max() <= 1e-5 * np.abs(ref).max()


@pytest.mark.parametrize("n", [1, 8_000, 16_000, 25_599, 25_600, 48_001, 161_230])
def test_partial_windows_cover_the_audio_as_resemblyzer_cuts_them(n):
    spans = partial_slices(n, rate=2.0)
    assert spans[0] == (0, 160) and all(b - a == 160 for a, b in spans)
    assert all(b[0] - a[0] == 50 for a, b in zip(spans, spans[1:]))  # 2 per second: 50 frames apart
    last = spans[-1][0] * HOP
    assert len(spans) == 1 or (n - last) >= 0.75 * 160 * HOP  # the last window is mostly audio
    assert (n - (last + 50 * HOP)) < 0.75 * 160 * HOP  # and one more would not be


def test_partial_windows_match_resemblyzer_where_it_is_installed():
    enc = pytest.importorskip("resemblyzer.voice_encoder")
    for n in (100, 16_000, 24_000, 48_001, 161_230):
        _, mel = enc.VoiceEncoder.compute_partial_slices(n, 2.0, 0.75)
        assert partial_slices(n, 2.0) == [(s.start, s.stop) for s in mel]
