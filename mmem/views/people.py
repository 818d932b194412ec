"""The people views: entities grouped into persons, and where one person appears."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mmem.store.memory import Memory
from mmem.store.rows import EntityRow


@dataclass
class Member:
    id: str
    kind: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind}


@dataclass
class PersonView:
    """A person: linked face and voice entities (or one entity alone), with appearance counts."""

    id: str
    kind: str  # face | voice | person (face and voice linked)
    name: str | None
    first_seen: str | None
    last_seen: str | None
    appearances: int
    thumbnail: str | None  # absolute path
    members: list[Member] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "name": self.name, "first_seen": self.first_seen,
                "last_seen": self.last_seen, "appearances": self.appearances, "thumbnail": self.thumbnail,
                "members": [m.to_json() for m in self.members]}


@dataclass
class PeopleView:
    people: list[PersonView] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"entities": [p.to_json() for p in self.people]}


def people_view(memory: Memory) -> PeopleView:
    """Entities grouped into persons, in id order."""
    from mmem.consolidate.entities import id_order

    counts: dict[str, int] = {}
    for a in memory.appearances():
        counts[a.entity_id] = counts.get(a.entity_id, 0) + 1
    groups: dict[str, list[EntityRow]] = {}
    for r in memory.entity_rows():
        groups.setdefault(r.person or r.id, []).append(r)
    out = [_person(memory, pid, members, counts) for pid, members in groups.items()]
    return PeopleView(sorted(out, key=lambda p: id_order(p.id)))


def _person(memory: Memory, pid: str, members: list[EntityRow], counts: dict[str, int]) -> PersonView:
    members.sort(key=lambda r: (r.kind != "face", r.id))
    seen = [t for m in members for t in (m.first_seen, m.last_seen) if t]
    return PersonView(
        id=pid,
        kind="person" if len({m.kind for m in members}) > 1 else members[0].kind,
        name=next((m.name for m in members if m.name), None),
        first_seen=min(seen) if seen else None,
        last_seen=max(seen) if seen else None,
        appearances=sum(counts.get(m.id, 0) for m in members),
        thumbnail=next((str(memory.root / m.thumbnail) for m in members if m.thumbnail), None),
        members=[Member(m.id, m.kind) for m in members],
    )


@dataclass
class AppearanceView:
    entity_id: str
    kind: str
    source: str
    event_id: str
    start: float
    end: float
    score: float
    quote: str | None  # what the voice said, if transcribed
    keyframe: str | None
    thumbnail: str | None

    def to_json(self) -> dict[str, Any]:
        return {"entity_id": self.entity_id, "kind": self.kind, "source": self.source,
                "event_id": self.event_id, "start": self.start, "end": self.end,
                "score": round(float(self.score), 4), "quote": self.quote, "keyframe": self.keyframe,
                "thumbnail": self.thumbnail}


@dataclass
class EntityView:
    entity: PersonView
    appearances: list[AppearanceView] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"entity": self.entity.to_json(), "appearances": [a.to_json() for a in self.appearances]}


def entity_view(memory: Memory, ref: str) -> EntityView:
    """Where and when an entity (by id or name) and whoever is linked to it appears."""
    from mmem.consolidate.people import load_index, resolve

    index = load_index(memory)
    ent = resolve(index, ref)
    ids = [e.id for e in index.members(ent.person)]
    summary = next(p for p in people_view(memory).people if p.id == ent.person)
    uris = {s.id: s.uri for s in memory.sources()}
    said = {r.id: r.text for r in memory.transcripts()}
    apps = memory.appearances(ids)
    events = memory.events_by_id(list({a.event_id for a in apps}))

    def keyframe(event_id: str) -> str | None:
        ev = events.get(event_id)
        return str(memory.root / ev.keyframes[0]) if ev and ev.keyframes else None

    return EntityView(summary, [AppearanceView(
        entity_id=a.entity_id, kind=a.kind, source=uris.get(a.source_id, a.source_id),
        event_id=a.event_id, start=a.start, end=a.end, score=float(a.score or 0.0),
        quote=said.get(a.utterance) if a.utterance else None, keyframe=keyframe(a.event_id),
        thumbnail=str(memory.root / a.thumbnail) if a.thumbnail else None,
    ) for a in apps])
