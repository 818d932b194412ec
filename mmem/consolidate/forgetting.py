"""Forgetting sources: `mmem forget --source X` / `--before DATE`. A source goes with its
events, transcripts, keyframes, appearances and face crops; an entity known only from the
forgotten sources goes too, and one also seen elsewhere loses the exemplars those sources gave
it. One journalled operation (finished by the next writer if interrupted), then older table
versions are purged so no file still holds what was forgotten."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from mmem.consolidate.people import _load_for_write, _rows, detach
from mmem.store.journal import run_journalled
from mmem.store.memory import Memory
from mmem.store.rows import SourceRow


@dataclass
class Forgotten:
    sources: list[SourceRow] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)  # deleted with them
    changed: list[str] = field(default_factory=list)  # kept, with fewer exemplars or links

    def to_json(self) -> dict:
        return {"sources": [{"id": s.id, "uri": s.uri} for s in self.sources],
                "entities": self.entities, "changed": self.changed}


def select_sources(memory: Memory, ref: str | None, before: datetime | None) -> list[SourceRow]:
    """Sources matching --source (path, name, id prefix) and/or ingested before `before`."""
    rows = memory.find_sources(ref) if ref else memory.sources()
    if before is not None:
        rows = [s for s in rows if _when(s) is not None and _when(s) < before]  # type: ignore[operator]
    return rows


def _when(s: SourceRow) -> datetime | None:
    """When a source's media was recorded (live: its start) or else ingested."""
    for value in (s.started_at, s.ingested_at):
        if value:
            try:
                t = datetime.fromisoformat(value)
            except ValueError:
                continue
            return t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    return None


def forget_sources(memory: Memory, sources: list[SourceRow]) -> Forgotten:
    index = _load_for_write(memory)
    sids = [s.id for s in sources]
    apps = memory.appearances_of_sources(sids)
    counts = memory.appearance_counts()
    lost: dict[str, list[np.ndarray]] = {}
    for a in apps:
        counts[a.entity_id] = counts.get(a.entity_id, 0) - 1
        if a.embedding is not None:
            lost.setdefault(a.entity_id, []).append(np.asarray(a.embedding, np.float32))
    gone, changed = [], {}
    for eid, vecs in lost.items():
        ent = index.entities.get(eid)
        if ent is None:
            continue
        keep = [x for x in ent.exemplars if not any(np.array_equal(x, v) for v in vecs)]
        if counts.get(eid, 0) <= 0 or not keep:
            gone.append(eid)
        elif len(keep) != len(ent.exemplars):
            ent.exemplars = keep
            changed[eid] = ent
    for e in detach(index, gone) if gone else []:
        changed[e.id] = e
    for g in gone:
        changed.pop(g, None)
    thumbs = [a.thumbnail for a in apps if a.thumbnail]
    thumbs += [index.entities[g].thumbnail for g in gone if index.entities[g].thumbnail]
    for e in changed.values():  # a thumbnail cropped from a forgotten source goes too
        if e.thumbnail in thumbs:
            e.thumbnail, e.thumb_quality = None, 0.0
    run_journalled(memory, {"op": "forget_sources", "sources": sids, "entities": sorted(gone),
                            "thumbs": sorted(set(thumbs)), "rows": _rows(list(changed.values()))})
    return Forgotten(sources, sorted(gone), sorted(changed))
