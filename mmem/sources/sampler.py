"""The sampling grid shared by recorded files and live sources."""

from __future__ import annotations

import math


class Sampler:
    """Keeps a frame when its time reaches the next point of the 1/fps grid; after a gap
    (variable frame rate, dropped frames, a reconnect) the grid resumes after the kept frame."""

    def __init__(self, fps: float, also: list[float] | None = None) -> None:
        self.fps, self.period, self.next_t = fps, 1.0 / fps, 0.0
        # times (ascending) whose first frame is kept too: the shot pass's cuts, so every shot
        # has a sampled frame and each boundary falls right before one. The list may be filled
        # after sampling starts, as long as it is before its times are reached.
        self.also = also if also is not None else []
        self._next_also = 0

    def keep(self, t: float) -> bool:
        extra = False
        while self._next_also < len(self.also) and self.also[self._next_also] <= t + 1e-6:
            self._next_also += 1
            extra = True
        if t + 1e-6 < self.next_t and not extra:
            return False
        self.next_t = (math.floor(t * self.fps + 1e-6) + 1) * self.period
        return True
