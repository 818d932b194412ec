"""The sampling grid shared by recorded files and live sources."""

from __future__ import annotations

import math
from typing import Generic, TypeVar

T = TypeVar("T")


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


class CutSampler(Generic[T]):
    """The grid of `Sampler` restarted at each shot cut, for a file whose shot pass runs beside
    the decode: the first frame of each shot is kept (the boundary falls right before it) and
    the grid resumes 1/fps after it; a grid frame less than `merge`/fps before a cut is dropped,
    since the cut's first frame stands in for it. So each shot of L seconds gets about L * fps
    frames, and a file with many cuts is embedded about as often as one without (not one more
    frame per cut).

    `offer(t, x)` is called for every decoded frame in time order, once the cuts up to `t` are
    in `cuts`; it answers the (t, x) to keep now, in time order (a grid frame is held until the
    next `merge`/fps seconds show no cut); `finish()` answers the one still held."""

    def __init__(self, fps: float, cuts: list[float], merge: float = 0.5) -> None:
        self.fps, self.period = fps, 1.0 / fps
        self.cuts, self._next_cut = cuts, 0
        self.merge = min(max(0.0, merge), 1.0) * self.period
        self._phase, self._next_t = 0.0, 0.0
        self._held: tuple[float, T] | None = None
        self._started = False

    def offer(self, t: float, x: T) -> list[tuple[float, T]]:
        out: list[tuple[float, T]] = []
        cut = False
        while self._next_cut < len(self.cuts) and self.cuts[self._next_cut] <= t + 1e-6:
            self._next_cut += 1
            cut = True
        if self._held is not None and (cut or t - self._held[0] >= self.merge):
            if t - self._held[0] >= self.merge:  # no cut came close after it: it stays
                out.append(self._held)
            self._held = None
        if cut:
            out.append((t, x))
            self._phase, self._next_t, self._started = t, t + self.period, True
            return out
        if t + 1e-6 < self._next_t:
            return out
        self._next_t = self._phase + (math.floor((t - self._phase) * self.fps + 1e-6) + 1) * self.period
        if not self._started or self.merge <= 0:  # the file's first frame opens the first shot
            self._started = True
            out.append((t, x))
        else:
            self._held = (t, x)
        return out

    def finish(self) -> list[tuple[float, T]]:
        held, self._held = self._held, None
        return [held] if held is not None else []
