"""The token budget of a Whisper reading (perceive/asr.py): a decoder caught in a loop stops
after what the window's length could hold of speech, not at Whisper's 448-token limit. And the
encoder's context: a short window is encoded with a few seconds of padding, not 30 s."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from mmem.perceive.asr import MAX_TOKENS, FasterWhisper, context_frames

pytestmark = pytest.mark.unit


class LoopingModel:
    """Stands in for faster-whisper's WhisperModel: writes "ha" until it is told to stop."""

    def __init__(self) -> None:
        self.budgets: list[int | None] = []
        self.tail = 0.0  # seconds of padding the encoder reads (set by FasterWhisper per reading)
        self.tails: list[float] = []

    def transcribe(self, samples, **kw):
        n = kw.get("max_new_tokens") or 448
        self.budgets.append(kw.get("max_new_tokens"))
        self.tails.append(self.tail)
        seg = SimpleNamespace(start=0.0, end=samples.size / 16_000, text=" ha" * n, tokens=[0] * n, words=[],
                              avg_logprob=-0.1, no_speech_prob=0.0, compression_ratio=40.0)
        return iter([seg]), SimpleNamespace(language="en")


def _whisper() -> tuple[FasterWhisper, LoopingModel]:
    w = FasterWhisper.__new__(FasterWhisper)
    w._model, w.language, w.model_id = LoopingModel(), "en", "fake"
    return w, w._model


def test_a_short_window_gets_a_short_budget_and_a_long_one_no_more_than_whisper_allows():
    w, model = _whisper()
    w.transcribe(np.zeros(3 * 16_000, np.float32), 0.0, quick=True)
    w.transcribe(np.zeros(29 * 16_000, np.float32), 0.0, quick=True)
    w.transcribe(np.zeros(120 * 16_000, np.float32), 0.0, quick=True)
    short, full, huge = model.budgets
    assert short is not None and 3 * 5 * 1.3 < short < 100  # room for fast speech, not for a loop
    assert 29 * 5 * 1.3 < full <= MAX_TOKENS and huge == MAX_TOKENS


def test_a_loop_is_read_again_and_thrown_away_within_its_budget():
    w, model = _whisper()
    assert w.transcribe(np.zeros(3 * 16_000, np.float32), 0.0) == []  # a loop is no utterance
    assert len(model.budgets) == 2 and model.budgets[0] == model.budgets[1]  # greedy, then the beam


def test_the_encoder_reads_a_window_with_some_padding_and_a_bad_reading_again_in_full():
    window = np.zeros((80, 3000), np.float32)  # faster-whisper's padded log-mel features
    window[:, :250] = np.random.default_rng(0).uniform(-1, 1, (80, 250))  # 2.5 s of audio
    window[:, 100] = 0.0  # digital silence inside is still part of the audio (only exact zeros pad)
    assert context_frames(window, 10.0) == 1250 and context_frames(window[None], 10.0) == 1250
    assert context_frames(window, 0.0) == 3000  # off: Whisper's own 30 s
    window[:, :2500] = 0.5
    assert context_frames(window, 10.0) == 3000  # never more than the window
    assert context_frames(np.zeros((80, 3000), np.float32), 10.0) == 1000
    w, model = _whisper()
    w.context_tail = 10.0
    w.transcribe(np.zeros(3 * 16_000, np.float32), 0.0)  # a loop: read again by beam search
    assert model.tails == [10.0, 0.0] and model.tail == 0.0  # and the model is left as it was
    w.transcribe(np.zeros(4 * 16_000, np.float32), 0.0, quick=True)
    assert model.tails[-1] == 10.0
