"""Who spoke when in a source: its voice appearances as speaker turns, and the speaker of any
span of time (an utterance, a moment)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mmem.store.memory import Memory


@dataclass(frozen=True)
class SpeakerTurn:
    source_id: str
    start: float
    end: float
    entity: str  # the voice entity
    person: str  # the person it belongs to (the id `mmem entities` lists)
    name: str | None

    @property
    def label(self) -> str:
        """What a user calls the speaker: the name, else the person's id."""
        return self.name or self.person

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "speaker": self.label, "entity": self.entity}


def speaker_turns(memory: Memory, source_ids: list[str] | None = None) -> list[SpeakerTurn]:
    """Voice appearances of these sources (all when None), in (source, start) order."""
    ents = {r.id: r for r in memory.entity_rows() if r.kind == "voice"}
    if not ents:
        return []
    wanted = set(source_ids) if source_ids is not None else None
    out = []
    for a in memory.appearances(list(ents)):
        if a.kind != "voice" or (wanted is not None and a.source_id not in wanted):
            continue
        e = ents[a.entity_id]
        out.append(SpeakerTurn(a.source_id, float(a.start), float(a.end), e.id, e.person or e.id, e.name))
    return sorted(out, key=lambda t: (t.source_id, t.start))


def speaker_at(turns: list[SpeakerTurn], source_id: str, start: float, end: float) -> SpeakerTurn | None:
    """The turn that covers most of [start, end) in this source (None: nobody was heard then)."""
    best, most = None, 0.0
    for t in turns:
        if t.source_id != source_id:
            continue
        overlap = min(t.end, end) - max(t.start, start)
        if overlap > most:
            best, most = t, overlap
    return best
