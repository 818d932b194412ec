"""Whisper's encoder reads a short window with some seconds of padding instead of 30 s
(`[audio] asr_context_tail`, perceive/asr.py): the same words on real speech, for a fraction
of the encoder's work; and a window read again (beam search) is encoded once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmem.sources.audio import SAMPLE_RATE, read_audio
from mmem.text_norm import normalize

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _words(asr, x: np.ndarray) -> str:
    return normalize(" ".join(u.text for u in asr.transcribe(x, 0.0)))


@pytest.mark.parametrize("path", [SAMPLES / "jfk.flac", DATA / "pwij3p.mpg",
                                  DATA / "voices" / "1998" / "1998-15444-0001.flac"])
def test_a_short_window_is_heard_the_same_with_its_padding_cut_short(hearing, monkeypatch, path):
    import faster_whisper

    asr = hearing.asr
    widths: list[int] = []
    encode = faster_whisper.WhisperModel.encode

    def counted(self, features):
        out = encode(self, features)
        widths.append(out.shape[1])  # encoder positions: one per two mel frames
        return out

    monkeypatch.setattr(faster_whisper.WhisperModel, "encode", counted)
    x = read_audio(path)
    monkeypatch.setattr(asr, "context_tail", 0.0)
    full = _words(asr, x)
    monkeypatch.setattr(asr, "context_tail", 10.0)
    short = _words(asr, x)
    assert short == full and len(full.split()) >= 5
    seconds = x.size / SAMPLE_RATE
    assert widths[0] == 1500 and abs(widths[-1] - (seconds + 10.0) * 50) <= 1


def test_a_window_read_twice_is_encoded_once(hearing, monkeypatch):
    import faster_whisper

    calls = []
    encode = faster_whisper.WhisperModel.encode
    monkeypatch.setattr(faster_whisper.WhisperModel, "encode",
                        lambda self, f: calls.append(f.shape) or encode(self, f))
    model = hearing.asr._model
    features = model.feature_extractor(read_audio(SAMPLES / "jfk.flac"))[:, :3000]
    features = np.pad(features, ((0, 0), (0, 3000 - features.shape[1])))
    first = model.encode(features)
    again = model.encode(features.copy())
    other = model.encode(np.pad(features[:, 100:], ((0, 0), (0, 100))))
    assert len(calls) == 2 and again is first and other is not first
