"""Two voice detectors joined (vad.FusedVad): what only the wide one hears counts as speech, and
as someone's voice, only where the transcriber hears words in it or it sounds like a voice the
source was heard saying words in."""

from __future__ import annotations

import numpy as np

from mmem.perceive.hearing import hear
from mmem.perceive.vad import FusedVad
from mmem.sources.audio import SAMPLE_RATE, AudioChunk
from mmem.types import Utterance, Word
from tests.fakes import FakeASR, FakeVad, FakeVoices
from tests.unit.test_hearing import bursts, chunks

LOUD, QUIET = (1.0, 3.0), (7.0, 9.0)


def _audio(quiet: tuple[float, float] = QUIET) -> np.ndarray:
    x = bursts([LOUD, quiet], 12.0)
    a, b = int(quiet[0] * SAMPLE_RATE), int(quiet[1] * SAMPLE_RATE)
    x[a:b] *= 0.08  # a distant talker: the strict detector does not fire on it
    return x


def _fused() -> FusedVad:
    return FusedVad(strong=FakeVad(threshold=0.05), wide=FakeVad(threshold=0.006))


class DeafToQuiet(FakeASR):
    """Hears words only where the sound is loud enough (a transcriber that hears no one in
    noise): from the first to the last loud 0.1 s of the window."""

    def transcribe(self, samples, offset, *, quick=False):
        n = SAMPLE_RATE // 10
        rms = np.sqrt(np.mean(samples[: samples.size // n * n].reshape(-1, n) ** 2, axis=1))
        loud = np.flatnonzero(rms >= 0.03)
        if loud.size == 0:
            self.calls.append((offset, offset + samples.size / SAMPLE_RATE))
            return []
        a, b = loud[0] * n, (loud[-1] + 1) * n
        return super().transcribe(samples[a:b], offset + a / SAMPLE_RATE, quick=quick)


def _near(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < 0.3 and abs(a[1] - b[1]) < 0.3


def test_split_says_which_regions_the_strong_detector_vouches_for():
    vouched, candidate = _fused().split(_audio())
    assert len(vouched) == 1 and _near(vouched[0], LOUD)
    assert len(candidate) == 1 and _near(candidate[0], QUIET)
    assert sorted(vouched + candidate) == _fused().regions(_audio())


def test_a_candidate_with_words_is_speech_and_a_voice():
    track = hear(iter([AudioChunk(0.0, _audio())]), _fused(), FakeASR("hello there"), voices=FakeVoices())
    assert [_near(r, x) for r, x in zip(track.speech, [LOUD, QUIET])] == [True, True]
    assert any(t.start < QUIET[1] and t.end > QUIET[0] for t in track.turns)
    assert any(u.start < QUIET[1] and u.end > QUIET[0] for u in track.utterances)


class QuietSoundsElse(FakeVoices):
    """Windows quieter than the loud talker sound like another source (music, a machine): an
    embedding orthogonal to the talker's voice."""

    def windows(self, samples):
        emb, ranges = super().windows(samples)
        other = np.roll(self._voice, 1) - (np.roll(self._voice, 1) @ self._voice) * self._voice
        other /= np.linalg.norm(other)
        quiet = [float(np.sqrt(np.mean(samples[a:b] ** 2))) < 0.03 for a, b in ranges]
        return np.where(np.array(quiet)[:, None], other, emb), ranges


def test_a_candidate_without_words_that_sounds_like_no_one_heard_is_neither_speech_nor_anyone():
    asr = DeafToQuiet("hello there")
    track = hear(iter([AudioChunk(0.0, _audio())]), _fused(), asr, voices=QuietSoundsElse())
    assert any(a < QUIET[1] and b > QUIET[0] for a, b in asr.calls)  # it was listened to, once
    assert len(track.speech) == 1 and _near(track.speech[0], LOUD)
    assert track.turns and all(t.end <= QUIET[0] for t in track.turns)


def test_a_candidate_without_words_going_on_from_talk_in_a_voice_heard_is_that_voice():
    """A mumbled aside Whisper catches no word of, right after someone was heard talking."""
    aside = (LOUD[1] + 1.0, LOUD[1] + 3.0)
    track = hear(iter([AudioChunk(0.0, _audio(aside))]), _fused(), DeafToQuiet("hello there"),
                 voices=FakeVoices())
    assert [_near(r, x) for r, x in zip(track.speech, [LOUD, aside], strict=True)] == [True, True]
    quiet = [t for t in track.turns if t.start < aside[1] and t.end > aside[0]]
    assert quiet and len({t.speaker for t in track.turns}) == 1
    assert not any(u.start < aside[1] and u.end > aside[0] for u in track.utterances)  # no words made up


def test_a_wordless_sound_away_from_talk_is_no_one_even_in_a_voice_alike():
    """In a far-field room everything sounds alike to the speaker model: a sound seconds away
    from any talk (a chair, a door) is not taken for the talker."""
    track = hear(iter([AudioChunk(0.0, _audio())]), _fused(), DeafToQuiet("hello there"), voices=FakeVoices())
    assert len(track.speech) == 1 and _near(track.speech[0], LOUD)
    assert all(t.end <= QUIET[0] for t in track.turns)


def test_without_a_transcriber_only_vouched_speech_counts():
    track = hear(iter([AudioChunk(0.0, _audio())]), _fused(), None, voices=FakeVoices())
    assert len(track.speech) == 1 and _near(track.speech[0], LOUD)
    assert all(t.end <= QUIET[0] for t in track.turns)


class Fixed:
    """A detector that always finds the same regions."""

    name = "fixed"

    def __init__(self, regions):
        self._regions = regions

    def reset(self):
        pass

    def regions(self, samples):
        return list(self._regions)


def test_fragments_of_a_wide_region_join_and_a_pause_the_strong_one_hears_stays():
    strong = [(1.0, 1.5), (3.0, 3.4), (10.0, 12.0), (12.6, 14.0)]
    wide = [(0.8, 5.0), (9.0, 14.2), (20.0, 21.0)]
    vouched, candidate = FusedVad(Fixed(strong), Fixed(wide)).split(np.zeros(16000 * 30, np.float32))
    # 0.9 s heard of 1.0-3.4: one region; most of 10-14 heard: the strong regions stand, their
    # pause at 12.0-12.6 too; what lies outside the heard stretch (0.8-1.0 is an edge, 3.4-5.0
    # and 9.0-10.0 are not) and 20-21, heard by no one else, are candidates
    assert vouched == [(1.0, 3.4), (10.0, 12.0), (12.6, 14.0)]
    assert candidate == [(3.4, 5.0), (9.0, 10.0), (20.0, 21.0)]


def _voiced(spans: list[tuple[float, float, float, float]], total: float = 20.0) -> np.ndarray:
    """Quiet noise with voiced bursts (start, end, pitch Hz, level)."""
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.002, int(total * SAMPLE_RATE)).astype(np.float32)
    for s, e, pitch, level in spans:
        t = np.arange(int(s * SAMPLE_RATE), int(e * SAMPLE_RATE)) / SAMPLE_RATE
        x[int(s * SAMPLE_RATE): int(s * SAMPLE_RATE) + t.size] += level * 0.2 * sum(
            np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 6))
    return x


class ByPitch(FakeVoices):
    """Each window is the voice of its pitch: ~150 Hz, ~220 Hz and ~330 Hz are three people."""

    def __init__(self) -> None:
        super().__init__()
        q, _ = np.linalg.qr(np.random.default_rng(5).normal(size=(self.dim, 3)))
        self._people = q.T.astype(np.float32)  # orthogonal: nobody sounds like anybody else

    def windows(self, samples):
        _, ranges = super().windows(samples)
        out = []
        for a, b in ranges:
            spec = np.abs(np.fft.rfft(samples[a:b]))
            freqs = np.fft.rfftfreq(b - a, 1 / SAMPLE_RATE)
            pitch = freqs[np.argmax(np.where((freqs > 100) & (freqs < 400), spec, 0))]
            out.append(self._people[0 if pitch < 185 else 1 if pitch < 275 else 2])
        return np.stack(out), ranges


def test_a_candidate_in_a_voice_heard_talking_later_in_the_file_is_that_voice():
    """A quiet aside Whisper catches no word of, by someone not heard talking yet, who talks
    later in the file: with the whole file in view it is that person's (a new voice at a
    meeting's far end of the table), while a sound in a voice nobody talks in is no one."""
    aside = (4.0, 6.0)
    x = _voiced([(1.0, 3.0, 150, 1.0), (*aside, 220, 0.08), (14.0, 16.0, 220, 1.0)])
    track = hear(chunks(x, 1.0), _fused(), DeafToQuiet("hello there"), voices=ByPitch())  # as it streams
    assert any(_near(r, aside) for r in track.speech)
    later = next(t for t in track.turns if t.start >= 13.0)
    mine = [t for t in track.turns if t.start < aside[1] and t.end > aside[0]]
    assert mine and {t.speaker for t in mine} == {later.speaker}
    assert later.speaker != track.turns[0].speaker

    x = _voiced([(1.0, 3.0, 150, 1.0), (*aside, 330, 0.08), (14.0, 16.0, 220, 1.0)])  # nobody's voice
    track = hear(chunks(x, 1.0), _fused(), DeafToQuiet("hello there"), voices=ByPitch())
    assert not any(a < aside[1] and b > aside[0] for a, b in track.speech)
    assert not any(t.start < aside[1] and t.end > aside[0] for t in track.turns)


class Scripted(FakeASR):
    """Hears the given words (source times), those inside the window it is asked for."""

    def __init__(self, words: list[tuple[str, float, float]]) -> None:
        super().__init__()
        self.words = words

    def transcribe(self, samples, offset, *, quick=False):
        end = offset + samples.size / SAMPLE_RATE
        self.calls.append((offset, end))
        mine = [Word(w, a, b, 0.9) for w, a, b in self.words if a >= offset and b <= end]
        if not mine:
            return []
        return [Utterance(mine[0].start, mine[-1].end, " ".join(w.text for w in mine), mine, "en", 0.9)]


SOFT = (4.5, 6.5)  # a distant talker after a near one (within JOIN: one window of talk)


def _soft_onset(onset: float) -> np.ndarray:
    """LOUD near talk, then SOFT distant talk whose first `onset` s is too soft for either detector."""
    x = _audio(SOFT)
    a, b = int((SOFT[0] - onset) * SAMPLE_RATE), int(SOFT[0] * SAMPLE_RATE)
    x[a:b] += 0.02 * bursts([(0.0, onset)], onset)[: b - a]
    return x


def test_words_heard_before_a_distant_talkers_detected_speech_start_their_turn():
    words = [("um", 0.75, 1.0), ("near", 1.1, 2.9), ("so", 4.1, 4.5), ("far", 4.5, 6.4)]
    track = hear(iter([AudioChunk(0.0, _soft_onset(0.4))]), _fused(), Scripted(words), voices=FakeVoices())
    soft = [t for t in track.turns if t.end > SOFT[0]]
    assert soft and abs(soft[0].start - 4.1) < 0.1  # the word "so" is theirs
    assert any(_near(r, SOFT) for r in track.speech)  # speech stays as detected (events cut there)
    near = [t for t in track.turns if t.start < LOUD[1]]
    assert near and abs(near[0].start - LOUD[0]) < 0.2  # the confident detector's edges stand


def test_words_widen_a_turn_by_at_most_half_a_second_and_words_away_from_speech_none():
    words = [("near", 1.1, 2.9), ("a", 3.5, 3.7), ("long", 3.7, 4.5), ("far", 4.5, 6.4), ("ghost", 8.0, 9.0)]
    track = hear(iter([AudioChunk(0.0, _soft_onset(1.0))]), _fused(), Scripted(words), voices=FakeVoices())
    soft = [t for t in track.turns if t.end > SOFT[0]]
    assert soft and abs(soft[0].start - (SOFT[0] - 0.5)) < 0.1
    assert all(t.end < 7.0 for t in track.turns)
