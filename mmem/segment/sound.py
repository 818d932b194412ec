"""Cuts in the sound alone: where one kind of sound gives way to another.

Every hop of the track is *silence* (quieter than `silence_db`), *speech* (inside a VAD
region) or *sound* (anything else: music, noise, a jingle). A cut falls where an unbroken
stretch of one kind that lasts at least `min_stretch` seconds is followed, within `max_gap`, by
one of another kind that lasts as long, and one of the two is *sound* (music then speech,
speech then music, silence then music), or where a silence lasts `long_silence` (the scene has
ended). Speech and the pauses in it are one scene: people stop talking without the world
changing. Conversation and music interleave short runs of each kind (pauses, a breath,
reverb): none of them is a stretch, so they do not cut themselves up. A cut next to speech is
placed at the edge of the speech (never inside an utterance); others at the hop edge.

Two more changes cut (`speaker_cuts`, `onset_cuts`):
- *a new speaker takes over*: someone not heard in the last `speaker_window` s starts a turn
  after at least `min_stretch` s of others' speech, speaks at least `min_stretch` s of the next
  `speaker_window` s, and the others less than that (the turns and their speakers are the
  diarizer's: perceive/diarize.py splits speech where the voice embedding changes and clusters
  the turns of a file). Speakers taking turns, or someone joining a conversation that goes on,
  are one scene. The cut goes in the pause nearest the change;
- *a loud onset*: sound that is not speech starts at least `onset_db` louder (median of the
  `min_stretch` s after against the `min_stretch` s before) and at once (half the step within
  one hop): music or a crowd after a quiet room. Speech starting after a pause is no onset
  (people stop talking without the world changing).

These cuts alone make the events of audio-only files. In a video they are evidence that a
visual cut near them is a change of scene (it never joins); alone they do not cut a video
unless `sound.in_video` (VAD misses some speech, which then reads as *sound*): see cuts.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mmem.config import SoundConfig
from mmem.segment.speech import quiet_point

SILENCE, SPEECH, SOUND = 0, 1, 2


@dataclass(frozen=True, slots=True)
class _Run:
    kind: int
    start: float  # seconds
    end: float


def classify(loudness: np.ndarray, speech: list[tuple[float, float]], hop: float,
             silence_db: float) -> np.ndarray:
    """Per hop: SILENCE, SPEECH or SOUND. A hop is speech when VAD speech covers half of it."""
    n = len(loudness)
    kinds = np.where(loudness < silence_db, SILENCE, SOUND).astype(np.int8)
    cover = np.zeros(n, np.float64)
    for s, e in speech:
        a, b = max(0, int(s // hop)), min(n, int(np.ceil(e / hop)))
        for i in range(a, b):
            cover[i] += max(0.0, min(e, (i + 1) * hop) - max(s, i * hop))
    kinds[cover >= hop / 2] = SPEECH
    return kinds


def _runs(kinds: np.ndarray, hop: float) -> list[_Run]:
    """Maximal runs of one kind, in time order."""
    runs: list[_Run] = []
    i = 0
    while i < len(kinds):
        j = i
        while j < len(kinds) and kinds[j] == kinds[i]:
            j += 1
        runs.append(_Run(int(kinds[i]), i * hop, j * hop))
        i = j
    return runs


def _place(t: float, speech: list[tuple[float, float]], reach: float) -> float:
    """Snap a cut found on the hop grid to the nearest edge of speech within `reach` (where
    speech starts or stops is the change, to VAD precision); else leave it."""
    edges = [x for region in speech for x in region if abs(x - t) <= reach]
    return min(edges, key=lambda x: abs(x - t)) if edges else t


def sound_cuts(mel: np.ndarray, loudness: np.ndarray, speech: list[tuple[float, float]],
               cfg: SoundConfig, hop: float,
               turns: Sequence[tuple[float, float, int]] = ()) -> list[float]:
    """Times (s, ascending) where sustained sound of one kind gives way to another, a new
    speaker starts, or loud sound sets in; `turns` are (start, end, speaker) of the diarized
    speech (speaker < 0: not clustered, ignored). Cuts closer than `min_stretch` are one."""
    del mel  # the spectral shape is the audio channel's surprise; the kinds need loudness only
    if len(loudness) == 0:
        return []
    kinds = classify(np.asarray(loudness), speech, hop, cfg.silence_db)
    found = sorted(_kind_cuts(kinds, speech, cfg, hop) + speaker_cuts(turns, speech, cfg)
                   + onset_cuts(np.asarray(loudness), kinds, speech, cfg, hop))
    out: list[float] = []
    for t in found:
        if not out or t - out[-1] >= cfg.min_stretch:
            out.append(t)
    return out


def _kind_cuts(kinds: np.ndarray, speech: list[tuple[float, float]], cfg: SoundConfig,
               hop: float) -> list[float]:
    long = [r for r in _runs(kinds, hop) if r.end - r.start >= cfg.min_stretch]
    cuts = []
    for a, b in zip(long, long[1:], strict=False):
        if a.kind == b.kind or b.start - a.end > cfg.max_gap:
            continue  # the same kind again, or what lies between is neither: no clear change
        if SOUND in (a.kind, b.kind) or max(_silent(a), _silent(b)) >= cfg.long_silence:
            cuts.append(_place((a.end + b.start) / 2, speech, hop))
    return cuts


def _silent(r: _Run) -> float:
    return r.end - r.start if r.kind == SILENCE else 0.0


def speaker_cuts(turns: Sequence[tuple[float, float, int]], speech: list[tuple[float, float]],
                 cfg: SoundConfig) -> list[float]:
    """Where a speaker not heard in the last `speaker_window` s takes the floor (see the module)."""
    w = cfg.speaker_window
    turns = sorted((s, e, k) for s, e, k in turns if k >= 0)
    if w <= 0 or len({k for _, _, k in turns}) < 2:
        return []
    cuts = []
    for i, (s, _, k) in enumerate(turns):
        before = [(a, b, j) for a, b, j in turns[:i] if b > s - w]
        if not before or any(j == k for _, _, j in before):
            continue  # the file's first speaker, or one heard lately: the same conversation
        heard_before = sum(min(b, s) - max(a, s - w) for a, b, _ in before)
        heard_after = sum(min(b, s + w) - a for a, b, j in turns[i:] if j == k and a < s + w)
        others_after = sum(min(b, s + w) - a for a, b, j in turns[i:] if j != k and a < s + w)
        if heard_before < cfg.min_stretch or heard_after < cfg.min_stretch:
            continue  # too little speech on one side to say the speaker changed for a while
        if others_after >= cfg.min_stretch:
            continue  # someone joins a conversation that goes on: the same scene
        prev_end = before[-1][1]
        at = (prev_end + s) / 2 if prev_end < s else s
        # in the pause nearest the change (never inside speech when one is within reach)
        pause = quiet_point(speech, at - cfg.snap, at + cfg.snap)
        cuts.append(at if pause is None else pause)
    return cuts


def onset_cuts(loudness: np.ndarray, kinds: np.ndarray, speech: list[tuple[float, float]],
               cfg: SoundConfig, hop: float) -> list[float]:
    """Where sound other than speech sets in at least `onset_db` louder (see the module)."""
    n = int(round(cfg.min_stretch / hop))
    if cfg.onset_db <= 0 or n < 1 or len(loudness) < 2 * n:
        return []
    from numpy.lib.stride_tricks import sliding_window_view

    med = np.median(sliding_window_view(loudness, n), axis=1)  # med[i]: hops i .. i+n-1
    sound = sliding_window_view(kinds == SOUND, n).mean(axis=1)
    i = np.arange(n, len(loudness) - n + 1)  # the first hop of the louder stretch
    step = med[i] - med[i - n]
    ok = (step >= cfg.onset_db) & (loudness[i] - med[i - n] >= cfg.onset_db / 2) & (sound[i] > 0.5)
    cuts: list[float] = []
    for j in np.flatnonzero(ok):  # one cut per run of onsets: where the step is largest
        k = int(i[j])
        if cuts and k * hop - cuts[-1] < cfg.min_stretch:
            continue
        run = [int(x) for x in i[j:j + n] if ok[x - n]]
        k = max(run, key=lambda x: float(step[x - n]))
        cuts.append(_place(k * hop, speech, hop))
    return cuts
