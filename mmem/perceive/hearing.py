"""The audio channel of one source: one streaming pass over its track.

Audio arrives in chunks; voice activity is found on a rolling buffer, and each speech region is
transcribed once it is final (followed by silence, or 30 s long), so memory stays bounded however
long the file is. Alongside, loudness and spectral shape are kept per half second for the
surprise signal. The result, an AudioTrack, is small: intervals, utterances, two short arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np

from mmem.importutil import import_soon
from mmem.perceive.asr import Transcriber
from mmem.perceive.audio_features import HOP, N_MELS, describe
from mmem.perceive.audio_track import AudioTrack
from mmem.perceive.heard_words import (
    HEARD_SLACK,
    fresh,
    grown_regions,
    last_end,
    merge_heard,
    next_start,
    spoken,
    unheard,
    word_spans,
)
from mmem.perceive.vad import VoiceActivity
from mmem.perceive.voices import VoiceBackend, VoiceTurn
from mmem.perceive.voices import turns as speaker_turns
from mmem.sources.audio import SAMPLE_RATE, AudioChunk
from mmem.types import Utterance

MAX_REGION = 29.0  # seconds: Whisper reads 30 s windows
SETTLE = 2.0  # seconds of audio after a region's end before it counts as final
JOIN = 2.0  # speech regions closer than this are transcribed in one window
PAD = 0.3  # seconds of audio either side of a window
RETRIES = 3  # at most this many extra ASR calls per window
SPLIT_SEARCH = 8.0  # seconds before MAX_REGION in which a long region is split at its quietest
SPOKEN = 0.5  # seconds of words (or 30% of the region) that make a speech region someone's voice


class Listener:
    """The audio pass, one chunk at a time (a file's track, or a live microphone/stream).

    Everything it learns is appended to `track` in time order, so another thread may read the
    track while it grows (the live segmenter does)."""

    def __init__(self, vad: VoiceActivity, asr: Transcriber | None,
                 voices: VoiceBackend | None = None, whole_file: bool = False) -> None:
        self.vad, self.asr, self.voices = vad, asr, voices
        # a file's pass: its turns keep their windows, and doubtful turns are kept aside, for the
        # whole file's clustering at the end (`hear`); a live pass keeps neither (it runs for days)
        self.whole_file = whole_file
        self.track = AudioTrack()
        vad.reset()
        self._buf = np.zeros(0, np.float32)
        self._buf_t = 0.0  # absolute time of buf[0]
        self.watermark = 0.0  # audio before this time is fully processed (speech final, ASR done)
        self._done = float("-inf")  # speech before this time has been transcribed
        self._turned = float("-inf")  # speaker turns reach this far (they may pass _done: `grown_regions`)
        # regions a confident detector vouches for (absolute s); the others are candidates that
        # count as speech only where the ASR hears words in them (see vad.FusedVad)
        self._strong: list[tuple[float, float]] | None = None

    def feed(self, chunk: AudioChunk) -> None:
        import time

        track = self.track
        if track.duration == 0 and len(track.loudness) == 0 and chunk.t > 0:
            pad = int(round(chunk.t / HOP))  # keep descriptor hops aligned with the source clock
            track.extend(np.full(pad, -100.0, np.float32), np.zeros((pad, N_MELS), np.float32))
        track.extend(*describe(chunk.samples))
        if self._buf.size == 0:
            self._buf_t = chunk.t
        self._buf = np.concatenate([self._buf, chunk.samples])
        end_t = self._end()
        t0 = time.perf_counter()
        regions = self._regions()
        track.vad_seconds += time.perf_counter() - t0
        final = [r for r in regions if r[1] < end_t - SETTLE]
        open_ = [r for r in regions if r[1] >= end_t - SETTLE]
        done = max((e for _, e in final), default=self._buf_t)
        if open_ and open_[0][1] - open_[0][0] > MAX_REGION:  # someone talking on and on
            s = open_[0][0]
            cut = self._quiet(s + MAX_REGION - SPLIT_SEARCH, s + MAX_REGION)
            final.append((s, cut))
        elif open_:  # keep a little audio before the open region: its window is padded too
            cut = max(open_[0][0] - PAD, done)
        else:
            cut = max(self._buf_t, min(max((e for _, e in final), default=end_t - SETTLE), end_t - SETTLE))
        self._finish(self._split_long(final))
        drop = int((cut - self._buf_t) * SAMPLE_RATE)
        if drop > 0:
            self._buf = self._buf[drop:]
            self._buf_t += drop / SAMPLE_RATE  # by whole samples: the clock must not drift
        track.duration = end_t
        self.watermark = max(self.watermark, self._buf_t)

    def finish(self) -> AudioTrack:
        if self._buf.size:
            self._finish(self._split_long(self._regions()))
            self._buf = np.zeros(0, np.float32)
        self.watermark = self.track.duration
        return self.track

    def _finish(self, regions: list[tuple[float, float]]) -> None:
        import time

        track, buf_t = self.track, self._buf_t
        strong = [r for r in regions if self._vouched(r)]
        self._done = max([self._done, *(e for _, e in regions)])
        end = self._end()
        words: list[tuple[float, float]] = []  # when words were heard, lately
        grown = {r: r for r in regions}  # each region's stretch of talk (widened by its words)
        if self.asr is not None:
            heard: list[Utterance] = []
            t0 = time.perf_counter()
            for s, e in _windows(regions):  # Whisper reads better with the context of a window
                # speech Whisper missed is heard again only where the confident detector heard it
                inside = [r for r in strong if r[0] < e and r[1] > s]
                got = self._listen(max(buf_t, s - PAD), min(end, e + PAD), inside)
                heard.extend(fresh(track.utterances[-8:] + heard, got))  # padded windows overlap
            track.asr_seconds += time.perf_counter() - t0
            # a voice is someone saying words: music and noise are no one. Words are judged per
            # speech region (a short turn of a region with words is someone too)
            said = [r for r in regions if spoken(r, heard) >= min(SPOKEN, 0.3 * (r[1] - r[0]))]
            words = word_spans(track.utterances[-8:] + heard)
            # the wide detector's onsets come late and its offsets early on soft or distant talk
            # that the confident one does not hear, where Whisper still hears the word: the
            # speaker's turn covers it (the speech regions stay as detected, since events are
            # cut at their pauses and Whisper's word edges are loose)
            lo = max(buf_t, self._turned)
            grown.update(grown_regions(regions, word_spans(heard), lo, end, keep=strong))
            track.utterances.extend(heard)
            speech = [r for r in regions if r in strong or r in said]
        else:
            said = speech = strong
        turns: list[VoiceTurn] = []
        if self.voices is not None:  # a pause between regions is where speakers usually change
            t0 = time.perf_counter()
            # windows reach a little past each region; turns tile it
            turns.extend(self._turns([grown[r] for r in said]))
            # speech that no detector vouched for and in which Whisper caught no word (a quiet or
            # distant talker, a mumbled aside) is still someone's when it goes on from talk (words
            # heard within JOIN s) and sounds like a voice this source has been heard saying
            # words in; music, tones and noise sound like no one's voice, and in a far-field
            # room, where everything sounds alike, sounds away from any talk stay no one's
            # (without a transcriber there are no words to vouch for a voice: vouched speech only)
            heard_voices = track.turns + turns if self.asr is not None else []
            for r in (r for r in regions if r not in speech and heard_voices and _near(r, words, JOIN)):
                found = self._turns([grown[r]])
                mine = [t for t in found if _sounds_like(t, heard_voices)]
                turns.extend(mine)
                speech.extend(span for t in mine if (span := _clipped(t, r)))
                if self.whole_file:  # a voice not heard saying words yet may be later in the file
                    taken = {id(t) for t in mine}
                    # held aside as detected (if kept, its stretch becomes speech: `hear`)
                    held = [(t, span) for t in found if id(t) not in taken and (span := _clipped(t, r))]
                    track.tentative.extend(replace(t, start=a, end=b, tentative=True) for t, (a, b) in held)
            turns.sort(key=lambda t: t.start)
            self._turned = max([self._turned, *(t.end for t in turns)])
            track.voice_seconds += time.perf_counter() - t0
        track.speech.extend(sorted(speech))
        if not self.whole_file:
            turns = [replace(t, parts=None, part_times=None) for t in turns]
        track.turns.extend(turns)  # once, filtered: a live reader never sees a turn taken back

    def _end(self) -> float:
        """The source time just after the buffer's last sample."""
        return self._buf_t + self._buf.size / SAMPLE_RATE

    def _turns(self, regions: list[tuple[float, float]]) -> list[VoiceTurn]:
        """The speaker turns of regions of the buffer (each tiled by its turns). With a model that
        reads a window better with the speech around it (`joint`), regions close together (JOIN)
        are embedded in one pass, as they are transcribed; otherwise each on its own."""
        assert self.voices is not None
        buf, buf_t = self._buf, self._buf_t
        out: list[VoiceTurn] = []
        packs = _windows(regions) if self.voices.joint else regions
        for ps, pe in packs:
            inside = [r for r in regions if ps <= r[0] and r[1] <= pe]
            s, e = max(buf_t, ps - PAD), min(self._end(), pe + PAD)
            a, b = int((s - buf_t) * SAMPLE_RATE), int((e - buf_t) * SAMPLE_RATE)
            out.extend(speaker_turns(self.voices, buf[a:b], offset=buf_t + a / SAMPLE_RATE, regions=inside))
        return out

    def _regions(self) -> list[tuple[float, float]]:
        """VAD regions of the buffer on the source clock, less what is transcribed already (the
        buffer keeps a little audio before open speech, where VAD may find an old region's end)."""
        split = getattr(self.vad, "split", None)
        if split is not None:
            strong, weak = split(self._buf)
            self._strong = [(self._buf_t + s, self._buf_t + e) for s, e in strong]
            found = sorted(strong + weak)
        else:
            found = self.vad.regions(self._buf)
        regions = [(self._buf_t + s, self._buf_t + e) for s, e in found]
        return [(max(s, self._done), e) for s, e in regions if e - self._done > 0.1]

    def _vouched(self, region: tuple[float, float]) -> bool:
        """Whether the confident detector found speech in `region` (always, with one detector)."""
        return self._strong is None or any(s < region[1] and e > region[0] for s, e in self._strong)

    def _quiet(self, lo: float, hi: float) -> float:
        """The quietest 0.1 s in [lo, hi] of the buffer (a pause between words), as a time."""
        n = SAMPLE_RATE // 10
        a = max(0, int((lo - self._buf_t) * SAMPLE_RATE))
        x = self._buf[a: max(a, int((hi - self._buf_t) * SAMPLE_RATE))]
        if x.size < 2 * n:
            return hi
        power = np.convolve(x.astype(np.float64) ** 2, np.ones(n) / n, mode="valid")[::n // 4]
        return self._buf_t + (a + int(np.argmin(power)) * (n // 4) + n // 2) / SAMPLE_RATE

    def _split_long(self, regions: list[tuple[float, float]]) -> list[tuple[float, float]]:
        """Regions no longer than MAX_REGION: a longer one is split at its pauses."""
        out = []
        for s, e in regions:
            while e - s > MAX_REGION:
                cut = self._quiet(s + MAX_REGION - SPLIT_SEARCH, s + MAX_REGION)
                out.append((s, cut))
                s = cut
            out.append((s, e))
        return out

    def _transcribe(self, s: float, e: float, quick: bool = False) -> list[Utterance]:
        a, b = (max(0, int(round((t - self._buf_t) * SAMPLE_RATE))) for t in (s, e))
        assert self.asr is not None
        return self.asr.transcribe(self._buf[a:b], offset=self._buf_t + a / SAMPLE_RATE, quick=quick)

    def _listen(self, s: float, e: float, regions: list[tuple[float, float]]) -> list[Utterance]:
        """Transcribe the window [s, e), then hear again each stretch of its speech that no word
        covers. Whisper often ends a short window after its first sentence (it predicts the end
        of the text where the padded 30 s input goes quiet) and drops what follows; a new window
        that starts at the unheard speech gets it back."""
        heard = self._transcribe(s, e)
        tried = s
        for _ in range(RETRIES):
            gap = next((g for g in unheard(regions, heard) if g[0] >= tried), None)
            if gap is None:
                break
            a = max(s, gap[0] - PAD, last_end(heard, gap[0]))
            b = min(e, next_start(heard, gap[1]) + HEARD_SLACK)
            tried = gap[1]
            if a - s < 1.0 and e - b < 1.0:
                continue  # nearly the window already heard: it was no speech to Whisper
            heard = merge_heard(heard, self._transcribe(a, b, quick=True))
        return heard


def hear(
    chunks: Iterator[AudioChunk],
    vad: VoiceActivity,
    asr: Transcriber | None,
    progress: Callable[[float], None] | None = None,
    voices: VoiceBackend | None = None,
) -> AudioTrack:
    """The whole audio pass over a finite track."""
    if voices is not None:  # its turns are clustered at the end with scipy (~0.5 s to import), imported
        # meanwhile: the audio pass waits on its models with the interpreter free
        import_soon("scipy.cluster.hierarchy", "scipy.spatial.distance")
    listener = Listener(vad, asr, voices, whole_file=True)
    for chunk in chunks:
        listener.feed(chunk)
        if progress is not None:
            progress(listener.track.duration)
    track = listener.finish()
    if track.turns:  # the whole file in view: its turns clustered into speakers
        import time

        from mmem.perceive.diarize import cluster, confirmed

        t0 = time.perf_counter()
        # doubtful speech is someone's when the clustering puts it with a voice heard saying words
        turns = confirmed(cluster(sorted(track.turns + track.tentative, key=lambda t: t.start)))
        track.speech[:] = sorted(track.speech + [(t.start, t.end) for t in turns if t.tentative])
        track.turns[:] = [replace(t, tentative=False) if t.tentative else t for t in turns]
        track.tentative.clear()
        track.voice_seconds += time.perf_counter() - t0
    return track


def _clipped(turn: VoiceTurn, region: tuple[float, float]) -> tuple[float, float] | None:
    """The part of a turn inside `region` (None: it lies wholly outside)."""
    a, b = max(turn.start, region[0]), min(turn.end, region[1])
    return (a, b) if b > a else None


def _near(span: tuple[float, float], spans: list[tuple[float, float]], reach: float) -> bool:
    """Whether any of `spans` comes within `reach` s of `span`."""
    return any(a - reach <= span[1] and b + reach >= span[0] for a, b in spans)


def _sounds_like(turn: VoiceTurn, voices: list[VoiceTurn]) -> bool:
    """Whether a turn agrees with one of `voices` as two turns of one speaker do (the clustering's
    same-speaker point for the model, mmem.perceive.voice_calibration)."""
    from mmem.perceive.voice_calibration import calibration

    same = calibration(turn.embedding.shape[0]).cluster
    return max(float(turn.embedding @ v.embedding) for v in voices) >= same






def _windows(regions: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Pack consecutive regions (gaps <= JOIN) into windows no longer than MAX_REGION."""
    out: list[list[float]] = []
    for s, e in regions:
        if out and s - out[-1][1] <= JOIN and e - out[-1][0] <= MAX_REGION:
            out[-1][1] = e
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]













