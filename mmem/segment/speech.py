"""What the segmenter knows about sound: where speech is, and where a cut may go.

`mmem.perceive.audio_track.AudioTrack` implements `SpeechTimeline`; segment/ never imports perceive/.
"""

from __future__ import annotations

import bisect
from typing import Protocol


class SpeechTimeline(Protocol):
    """What the segmenter needs to know about sound (mmem.perceive.audio_track.AudioTrack)."""

    speech: list[tuple[float, float]]  # where someone speaks, (start, end) seconds

    def turn(self, t0: float, t1: float) -> bool: ...  # speech starts/stops at a silence
    def level(self, t0: float, t1: float) -> float | None: ...  # loudness, dB


def quiet_point(speech: list[tuple[float, float]], t0: float, t1: float) -> float | None:
    """The middle of the pause in [t0, t1] nearest its midpoint (the midpoint itself when no
    one speaks there); None when speech fills the whole interval.

    `speech` is in time order without overlaps (as a track keeps it): only the regions that
    reach into [t0, t1] are visited, found by bisection."""
    mid = (t0 + t1) / 2
    pauses: list[tuple[float, float]] = []
    cursor = t0
    first = bisect.bisect_right(speech, t0, key=lambda r: r[1])  # first region ending after t0
    for i in range(first, len(speech)):
        s, e = speech[i]
        if s >= t1:
            break
        if s > cursor:
            pauses.append((cursor, s))
        cursor = max(cursor, e)
    if cursor < t1:
        pauses.append((cursor, t1))
    if not pauses:
        return None
    if pauses == [(t0, t1)]:
        return mid
    a, b = min(pauses, key=lambda p: 0.0 if p[0] <= mid <= p[1] else min(abs(p[0] - mid), abs(p[1] - mid)))
    return (a + b) / 2
