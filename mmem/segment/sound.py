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

These cuts alone make the events of audio-only files. In a video they are evidence that a
visual cut near them is a change of scene (it never joins); alone they do not cut a video
unless `sound.in_video` (VAD misses some speech, which then reads as *sound*): see cuts.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mmem.config import SoundConfig

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
               cfg: SoundConfig, hop: float) -> list[float]:
    """Times (s, ascending) where sustained sound of one kind gives way to another."""
    del mel  # the spectral shape is the audio channel's surprise; the kinds need loudness only
    if len(loudness) == 0:
        return []
    kinds = classify(np.asarray(loudness), speech, hop, cfg.silence_db)
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
