"""Who a question names, and who is in a moment: the people index, read once per question."""

from __future__ import annotations

from dataclasses import dataclass

from mmem.store.memory import Memory


@dataclass
class Presence:
    source_id: str
    start: float
    end: float
    seconds: float = 0.0
    name: str | None = None


class People:
    def __init__(self, memory: Memory):
        from mmem.consolidate.people import load_index

        self.memory = memory
        index = load_index(memory)
        self.index = index if index.entities else None

    def mentioned_events(self, question: str) -> dict[str, Presence] | None:
        """Events where a person named (or an entity id given) in the question appears, with
        their source, span and seconds present; None when the question names nobody known."""
        if self.index is None:
            return None
        from mmem.consolidate.people import mentioned

        persons = {p for p in mentioned(self.index, question) if self._by_name(p, question)}
        if not persons:
            return None
        ids = [e.id for p in persons for e in self.index.members(p)]
        names = [e.name for e in self.index.entities.values() if e.person in persons and e.name]
        name = names[0] if names else None
        out: dict[str, Presence] = {}
        for a in self.memory.appearances(ids):
            p = out.setdefault(a.event_id, Presence(a.source_id, float(a.start), float(a.end), name=name))
            p.start, p.end = min(p.start, float(a.start)), max(p.end, float(a.end))
            p.seconds += float(a.end - a.start)
        return out

    def _by_name(self, person: str, question: str) -> bool:
        """Whether the question names the person (not only an id such as "E5", which is also
        something people say: "set blue with E5")."""
        from mmem.text_norm import tokens

        q = f" {' '.join(tokens(question))} "
        return any(e.name and f" {' '.join(tokens(e.name))} " in q for e in self.index.members(person))

    def named_words(self, question: str) -> set[str]:
        """The words of the names of people the question names (not content to look for)."""
        if self.index is None:
            return set()
        from mmem.consolidate.people import mentioned
        from mmem.text_norm import tokens

        persons = mentioned(self.index, question)
        return {t for e in self.index.entities.values() if e.person in persons and e.name
                for t in tokens(e.name)}

    def speakers_of(self, event_ids: list[str], start: float, end: float) -> list[str]:
        """Who spoke during [start, end) of these events: names, else person ids, in order of
        first speech."""
        if self.index is None or not event_ids:
            return []
        out: list[str] = []
        for a in sorted(self.memory.appearances(event_ids=event_ids), key=lambda a: a.start):
            ent = self.index.entities.get(a.entity_id)
            if ent is None or a.kind != "voice" or min(a.end, end) - max(a.start, start) <= 0:
                continue
            label = ent.name or ent.person
            if label not in out:
                out.append(label)
        return out

    def entities_of(self, event_ids: list[str]) -> list[dict]:
        if self.index is None:
            return []
        seen: dict[str, dict] = {}
        for a in self.memory.appearances(event_ids=event_ids):
            ent = self.index.entities.get(a.entity_id)
            if ent is None:
                continue
            group = self.index.members(ent.person)
            kind = "person" if len({g.kind for g in group}) > 1 else ent.kind
            seen.setdefault(ent.person, {"id": ent.person, "name": ent.name, "kind": kind})
        return sorted(seen.values(), key=lambda d: d["id"])
