"""The ONNX speaker encoder is Resemblyzer's VoiceEncoder as torch runs it: the same window
embeddings on real LibriSpeech speech (so the same turns, speakers and entities), exported once
from the shipped weights into the cache."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from mmem.perceive.voice_export import export
from mmem.perceive.voices import OnnxVoiceEncoder
from mmem.sources.audio import iter_audio
from mmem.weights_onnx import resolve_voice_onnx

DATA = Path(__file__).resolve().parents[1] / "data" / "voices"
CLIPS = sorted(DATA.glob("*/*.flac"))


def speech(path: Path) -> np.ndarray:
    return np.concatenate([c.samples for c in iter_audio(path)])


@pytest.fixture(scope="module")
def onnx_voice(tmp_path_factory) -> OnnxVoiceEncoder:
    with pytest.MonkeyPatch.context() as mp:  # the tests' private cache (conftest), not the user's
        mp.setenv("MMEM_HOME", str(tmp_path_factory.getbasetemp() / "mmem-home"))
        return OnnxVoiceEncoder(resolve_voice_onnx(export=export).onnx)


@pytest.fixture(scope="module")
def torch_voice():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resemblyzer = pytest.importorskip("resemblyzer")
    return resemblyzer.VoiceEncoder(device="cpu", verbose=False)


def test_windows_equal_resemblyzers_on_real_speech(onnx_voice, torch_voice):
    for clip in CLIPS[::2]:
        wav = speech(clip)
        _, ref, slices = torch_voice.embed_utterance(wav, return_partials=True, rate=2.0)
        got, ranges = onnx_voice.windows(wav)
        assert ranges == [(s.start, s.stop) for s in slices], clip.name
        assert got.shape == ref.shape and got.dtype == np.float32
        cos = (got * ref).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(ref, axis=1)
        assert cos.min() > 0.999, (clip.name, cos.min())


def test_one_speakers_clips_are_closer_than_anothers(onnx_voice):
    means = {}
    for clip in CLIPS:
        emb, _ = onnx_voice.windows(speech(clip))
        v = emb.mean(0)
        means[clip] = v / np.linalg.norm(v)
    for a in CLIPS:
        same = [float(means[a] @ means[b]) for b in CLIPS if b != a and b.parent == a.parent]
        other = [float(means[a] @ means[b]) for b in CLIPS if b.parent != a.parent]
        assert min(same) > max(other), a.name


def test_the_export_is_made_once_and_then_read_from_the_cache(onnx_voice):
    def no_export(checkpoint: Path, target: Path) -> None:
        raise AssertionError("exported again")

    cached = resolve_voice_onnx(export=no_export)  # the fixture's export is found
    assert cached.onnx.is_file() and cached.onnx.stat().st_size > 1_000_000


def test_a_missing_export_without_an_exporter_names_the_fix(tmp_path, monkeypatch):
    from mmem.errors import WeightsUnavailable

    monkeypatch.setenv("MMEM_HOME", str(tmp_path / "empty"))
    with pytest.raises(WeightsUnavailable, match="--no-entities"):
        resolve_voice_onnx()
