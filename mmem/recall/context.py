"""Temporal context: retrieved events that are neighbours in one source become one moment
(EM-LLM's contiguity idea: what happened right next to a hit is part of the same memory)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mmem.store.rows import EventRow
from mmem.types import Moment

MERGE_MARGIN = 0.2  # a neighbour joins a moment if it scores within this fraction of its best


@dataclass
class _Group:
    source_id: str
    rows: list[EventRow] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return max(self.scores)

    def touches(self, row: EventRow) -> bool:
        seqs = [r.seq for r in self.rows]
        return row.source_id == self.source_id and (row.seq == min(seqs) - 1 or row.seq == max(seqs) + 1)


def merge_adjacent(
    hits: list[tuple[EventRow, float]],
    uris: dict[str, str],
    root: Path,
    k: int | None = None,
    margin: float = MERGE_MARGIN,
) -> list[Moment]:
    """Hits are (event row, score). Taken best first, each hit extends a moment it is adjacent
    to (consecutive `seq` in the same source) when it scores within `margin` (a fraction) of
    that moment's best, else it opens a new moment, until `k` moments exist. Moments come back best first."""
    groups: list[_Group] = []
    for row, score in sorted(hits, key=lambda p: -p[1]):
        home = next((g for g in groups if g.touches(row) and score >= g.best - margin * abs(g.best)), None)
        if home is None:
            if k is not None and len(groups) >= k:
                continue
            home = _Group(row.source_id)
            groups.append(home)
        home.rows.append(row)
        home.scores.append(score)
    return [_moment(g, uris.get(g.source_id, g.source_id), root) for g in groups]


def _moment(group: _Group, source: str, root: Path) -> Moment:
    rows = sorted(zip(group.rows, group.scores), key=lambda p: p[0].seq)
    best, score = max(rows, key=lambda p: p[1])
    keyframes = best.keyframes or []
    return Moment(
        event_id=best.id,
        source=source,
        start=float(rows[0][0].start),
        end=float(rows[-1][0].end),
        started_at=rows[0][0].started_at,
        score=round(float(score), 4),
        keyframe=str(root / keyframes[0]) if keyframes else None,
        event_ids=[r.id for r, _ in rows],
    )
