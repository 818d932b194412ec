"""The cuts events are built on: the shot pass's (growing while frames are decoded) and the
sound's (known after the audio pass), merged on demand.

A visual cut within `snap` s of a sound cut is marked "+sound" (the scene changed in picture and
sound: it never joins); a sound cut near no visual cut counts on its own only when `alone`
(audio-only sources, or `sound.in_video`). The visual list may grow from the decoding thread
while the segmenter reads it: cuts are appended in time order before any frame after them is
handed on, so every cut up to the frame being segmented is already there.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence


class CutTimeline:
    def __init__(self, visual: list[tuple[float, str]] | None = None, sound: Sequence[float] = (),
                 snap: float = 1.0, alone: bool = True) -> None:
        self.visual = visual if visual is not None else []  # (t, kind), ascending; may grow
        self.sound = sorted(sound)
        self.snap, self.alone = snap, alone

    def _near_sound(self, t: float) -> bool:
        i = bisect.bisect_left(self.sound, t - self.snap)
        return i < len(self.sound) and self.sound[i] <= t + self.snap

    def _near_visual(self, t: float) -> bool:
        times = [v for v, _ in self.visual]
        i = bisect.bisect_left(times, t - self.snap)
        return i < len(times) and times[i] <= t + self.snap

    def between(self, t0: float, t1: float) -> list[tuple[float, str]]:
        """Cuts with t0 < t <= t1, ascending."""
        visual = list(self.visual)  # a snapshot: the decoding thread may append
        times = [v for v, _ in visual]
        a, b = bisect.bisect_right(times, t0 + 1e-6), bisect.bisect_right(times, t1 + 1e-6)
        out = [(t, f"{k}+sound" if self._near_sound(t) else k) for t, k in visual[a:b]]
        if self.alone:
            i, j = bisect.bisect_right(self.sound, t0 + 1e-6), bisect.bisect_right(self.sound, t1 + 1e-6)
            out += [(t, "sound") for t in self.sound[i:j] if not self._near_visual(t)]
        return sorted(out)

    def all(self) -> list[tuple[float, str]]:
        return self.between(float("-inf"), float("inf"))
