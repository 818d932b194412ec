"""The sampling grid shared by recorded files and live sources."""

from __future__ import annotations

import math


class Sampler:
    """Keeps a frame when its time reaches the next point of the 1/fps grid; after a gap
    (variable frame rate, dropped frames, a reconnect) the grid resumes after the kept frame."""

    def __init__(self, fps: float) -> None:
        self.fps, self.period, self.next_t = fps, 1.0 / fps, 0.0

    def keep(self, t: float) -> bool:
        if t + 1e-6 < self.next_t:
            return False
        self.next_t = (math.floor(t * self.fps + 1e-6) + 1) * self.period
        return True
