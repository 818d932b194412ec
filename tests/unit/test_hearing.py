"""The audio channel without models: energy VAD, descriptors, the streaming pass with a fake
transcriber, and spoken-number fusion helpers."""

from __future__ import annotations

import numpy as np

from mmem.perceive.audio_features import HOP, describe
from mmem.perceive.audio_track import AudioTrack
from mmem.perceive.hearing import hear
from mmem.perceive.vad import EnergyVad
from mmem.segment.speech import quiet_point
from mmem.sources.audio import SAMPLE_RATE, AudioChunk
from mmem.types import Utterance, Word
from tests.fakes import FakeASR

SR = SAMPLE_RATE


def bursts(spans: list[tuple[float, float]], total: float, seed: int = 0) -> np.ndarray:
    """Quiet noise with loud voiced-like bursts (harmonics of 150 Hz) over `spans` seconds."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.002, int(total * SR)).astype(np.float32)
    for s, e in spans:
        t = np.arange(int(s * SR), int(e * SR)) / SR
        voice = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 6))
        x[int(s * SR): int(s * SR) + t.size] += 0.2 * voice
    return x


def chunks(x: np.ndarray, seconds: float):
    n = int(seconds * SR)
    for i in range(0, x.size, n):
        yield AudioChunk(i / SR, x[i: i + n])


def test_energy_vad_finds_the_bursts():
    spans = [(1.0, 2.5), (4.0, 4.8)]
    found = EnergyVad().regions(bursts(spans, 6.0))
    assert len(found) == 2
    for (s, e), (fs, fe) in zip(spans, found):
        assert abs(s - fs) < 0.1 and abs(e - fe) < 0.1


def test_descriptors_have_one_row_per_half_second():
    loud, mel = describe(bursts([(1.0, 2.0)], 3.0))
    assert loud.shape == (6,) and mel.shape == (6, 24)
    assert loud[2] - loud[0] > 30  # the burst is far above the noise


def test_streaming_pass_transcribes_each_stretch_of_speech_once_in_bounded_windows():
    spans = [(5.0, 9.0), (9.5, 12.0), (40.0, 45.0), (70.0, 140.0)]  # the last: 70 s non-stop
    asr = FakeASR()
    track = hear(chunks(bursts(spans, 150.0), 10.0), EnergyVad(), asr)
    assert track.duration == 150.0 and track.loudness.size == int(150 / HOP)
    assert all(e - s <= 30.0 for s, e in asr.calls)  # Whisper-sized windows only
    covered = sum(e - s for s, e in asr.calls)
    assert 80.0 < covered < 95.0  # every second of speech once (plus padding), silence not
    assert asr.calls[0][0] < 5.0 and asr.calls[0][1] > 12.0  # close regions share one window
    starts = [u.start for u in track.utterances]
    assert starts == sorted(starts)


def test_track_queries():
    track = AudioTrack(speech=[(2.0, 4.0), (4.5, 6.0), (9.0, 10.0)])
    assert track.turn(1.0, 2.5)  # speech starts after silence
    assert not track.turn(4.2, 4.7)  # a short pause inside speech is no turn
    assert track.turn(5.5, 6.5)  # speech stops before a long silence
    assert quiet_point(track.speech, 3.0, 5.0) == 4.25  # the pause between the two regions
    assert quiet_point(track.speech, 2.5, 3.5) is None
    assert quiet_point(track.speech, 6.5, 8.5) == 7.5  # nobody speaks: the midpoint


class FirstSentenceASR:
    """A transcriber that, like Whisper on a short window, says only the first stretch of speech
    in what it is given and stops; each call is recorded."""

    model_id = "first-sentence"

    def __init__(self) -> None:
        self.calls: list[tuple[float, float, bool]] = []

    def transcribe(self, samples: np.ndarray, offset: float, *, quick: bool = False) -> list[Utterance]:
        self.calls.append((offset, offset + samples.size / SR, quick))
        found = EnergyVad().regions(samples)
        if not found:
            return []
        s, e = found[0]
        words = [Word(f"w{offset + s:.1f}", offset + s, offset + e, 0.9)]
        return [Utterance(offset + s, offset + e, words[0].text, words, "en", 0.9)]


def test_speech_after_the_first_sentence_of_a_window_is_heard_again():
    spans = [(2.0, 3.5), (4.2, 6.0), (6.8, 8.0), (20.0, 21.0)]  # three close, one alone at the end
    asr = FirstSentenceASR()
    track = hear(chunks(bursts(spans, 21.0), 11.0), EnergyVad(), asr)
    for s, e in spans:  # every stretch of speech has a word on it, once
        assert sum(1 for u in track.utterances if u.start < e and u.end > s) == 1, (s, track.utterances)
    assert sum(q for *_, q in asr.calls) == 2  # the two dropped stretches, one greedy retry each
    assert [u.start for u in track.utterances] == sorted(u.start for u in track.utterances)


def test_a_long_monologue_is_split_at_a_pause_not_mid_word():
    spans = [(1.0 + 0.7 * i, 1.0 + 0.7 * i + 0.6) for i in range(60)]  # words, 0.1 s pauses: 43 s
    asr = FakeASR()
    track = hear(chunks(bursts(spans, 45.0), 10.0), EnergyVad(margin_db=6.0, gap=0.3), asr)
    cuts = [e for s, e in track.speech[:-1] if e - s > 10.0]
    assert cuts and all(e - s <= 29.0 for s, e in track.speech)
    for cut in cuts:  # each split falls in a pause between two words
        assert any(b - 0.05 <= cut <= c + 0.05 for (_, b), (c, _) in zip(spans, spans[1:])), cut
