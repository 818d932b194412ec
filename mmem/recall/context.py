"""Temporal context: adjacent retrieved events of one source become one moment (EM-LLM's
contiguity idea: what happened next to a hit is part of the same memory)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from mmem.types import Moment


def merge_adjacent(
    hits: list[tuple[dict[str, Any], float]], uris: dict[str, str], root: Path
) -> list[Moment]:
    """Hits are (event row, score). Rows of one source whose `seq` are consecutive merge; the
    moment keeps the best-scoring event's id and keyframe and spans all of them."""
    by_source: dict[str, list[tuple[dict[str, Any], float]]] = defaultdict(list)
    for row, score in hits:
        by_source[row["source_id"]].append((row, score))
    moments: list[Moment] = []
    for source_id, items in by_source.items():
        items.sort(key=lambda p: p[0]["seq"])
        group: list[tuple[dict[str, Any], float]] = []
        for item in items:
            if group and item[0]["seq"] != group[-1][0]["seq"] + 1:
                moments.append(_moment(group, uris.get(source_id, source_id), root))
                group = []
            group.append(item)
        if group:
            moments.append(_moment(group, uris.get(source_id, source_id), root))
    moments.sort(key=lambda m: (-m.score, m.source, m.start))
    return moments


def _moment(group: list[tuple[dict[str, Any], float]], source: str, root: Path) -> Moment:
    best, score = max(group, key=lambda p: p[1])
    keyframes = best.get("keyframes") or []
    return Moment(
        event_id=best["id"],
        source=source,
        start=float(group[0][0]["start"]),
        end=float(group[-1][0]["end"]),
        started_at=group[0][0].get("started_at"),
        score=round(float(score), 4),
        keyframe=str(root / keyframes[0]) if keyframes else None,
        event_ids=[r["id"] for r, _ in group],
    )
