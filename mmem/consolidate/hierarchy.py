"""The hierarchy of one source: shots < events < episodes, each tiling the source.

Shots are the spans between consecutive cuts (the shot pass's and the sound's) and event
boundaries, so every shot lies in exactly one event. Episodes group consecutive events: an
event joins the open episode while the episode is shorter than `episode_min` seconds, or its
mean vector (CLIP, or the pixel signal) stays within `episode_join` (1 - cos) of the episode's;
so every event lies in exactly one episode.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mmem.config import SegmentConfig
from mmem.segment.cuts import CutTimeline
from mmem.store.rows import SpanRow


@dataclass(slots=True)
class _Closed:
    id: str
    start: float
    end: float
    vector: np.ndarray | None  # mean frame vector, unit norm


class Hierarchy:
    """Collects each event's mean frame vector as frames arrive; `rows` builds the spans."""

    def __init__(self, cfg: SegmentConfig, source_id: str, run: str,
                 cuts: CutTimeline | Sequence[tuple[float, str]] | None) -> None:
        self.cfg, self.source_id, self.run = cfg, source_id, run
        self._cuts = cuts
        self.events: list[_Closed] = []
        self._open: list[tuple[int, np.ndarray]] = []  # (frame index, vector) not yet in an event

    def frame(self, index: int, vec: np.ndarray) -> None:
        self._open.append((index, np.asarray(vec, np.float64)))

    def close(self, event_id: str, start: float, end: float, stop: int) -> None:
        """An event closed: its frames are those pushed with an index below `stop`."""
        mine = [v for i, v in self._open if i < stop]
        self._open = [(i, v) for i, v in self._open if i >= stop]
        vec = None
        if mine:
            total = np.sum(mine, axis=0)
            n = float(np.linalg.norm(total))
            vec = total / n if n > 0 else None
        self.events.append(_Closed(event_id, start, end, vec))

    def rows(self) -> list[SpanRow]:
        """Shot, event (links) and episode rows of the events closed so far."""
        if not self.events:
            return []
        out: list[SpanRow] = []
        cuts = self._cuts
        self.cuts = cuts.all() if isinstance(cuts, CutTimeline) else sorted(cuts or [])
        starts = [e.start for e in self.events]
        bounds = sorted({c for c, _ in self.cuts if self.events[0].start < c < self.events[-1].end}
                        | set(starts[1:]))
        kinds = dict(self.cuts)
        edges = [self.events[0].start, *bounds, self.events[-1].end]
        for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
            parent = self.events[max(0, bisect.bisect_right(starts, a + 1e-9) - 1)].id
            out.append(SpanRow(f"{self.source_id}-{self.run}-s{i:05d}", self.source_id, i, a, b, "shot",
                               parent, kinds.get(a, "start" if i == 0 else "surprise")))
        for j, (members, a, b) in enumerate(self._episodes()):
            eid = f"{self.source_id}-{self.run}-p{j:05d}"
            out.append(SpanRow(eid, self.source_id, j, a, b, "episode", None, None))
            for e in members:
                out.append(SpanRow(e.id, self.source_id, self.events.index(e), e.start, e.end, "event",
                                   eid, None))
        return out

    def _episodes(self) -> list[tuple[list[_Closed], float, float]]:
        out: list[tuple[list[_Closed], float, float]] = []
        members: list[_Closed] = []
        acc: np.ndarray | None = None
        for e in self.events:
            if members:
                length = members[-1].end - members[0].start
                near = (acc is not None and e.vector is not None
                        and 1.0 - float(e.vector @ (acc / max(np.linalg.norm(acc), 1e-12)))
                        < self.cfg.episode_join)
                if length >= self.cfg.episode_min and not near:
                    out.append((members, members[0].start, members[-1].end))
                    members, acc = [], None
            members.append(e)
            if e.vector is not None:
                w = e.end - e.start
                acc = e.vector * w if acc is None else acc + e.vector * w
        out.append((members, members[0].start, members[-1].end))
        return out
