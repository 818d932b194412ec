"""CAM++'s front end in numpy against Kaldi's own filterbank code (kaldi-native-fbank, a test
dependency), on real speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmem.perceive.voice_fbank import N_MELS, fbank, frames, normalised

pytestmark = pytest.mark.unit
JFK = Path(__file__).resolve().parents[2] / "samples" / "jfk.flac"


def test_the_filterbank_is_kaldis():
    knf = pytest.importorskip("kaldi_native_fbank")
    from mmem.sources.audio import read_audio

    x = read_audio(JFK)[: 16_000 * 4].astype(np.float32)
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.mel_opts.num_bins = N_MELS
    ref = knf.OnlineFbank(opts)
    ref.accept_waveform(16_000, x.tolist())
    ref.input_finished()
    want = np.stack([ref.get_frame(i) for i in range(ref.num_frames_ready)])
    got = fbank(x)
    assert got.shape == want.shape == (frames(x.size), N_MELS)
    assert np.abs(got - want).max() < 1e-2  # float32 rounding of log energies (seen: 3e-3)


def test_short_audio_has_no_frames_and_the_mean_is_taken_out():
    assert fbank(np.zeros(399, np.float32)).shape == (0, N_MELS)
    x = np.random.default_rng(0).normal(scale=0.05, size=16_000).astype(np.float32)
    f = normalised(x)
    assert f.shape == (98, N_MELS) and np.abs(f.mean(axis=0)).max() < 1e-4
