"""A live session's speakers, settled again with the session in view.

Live, each voice turn is matched to the entity index alone as its event closes (a file's turns
are clustered first: see perceive/diarize.py), so the first voice heard can absorb the next.
`SessionVoices` keeps the session's recent turns, bounded (the last `window` turns), with the
appearance row and entity each got; `relabel` clusters them as a file's turns are clustered
(`diarize.cluster`), matches the clusters to voice entities jointly (`entities.pair_up`: closest
pairs first, two speakers of the session never share an entity, a cluster matching none founds
one) and moves each turn whose entity differs from its cluster's. The move is one journalled
step (store/journal.py, op "relabel"): a kill midway is finished by the next writer.

The evidence a moved turn gave for linking a voice to the face on screen (entities.lone_face)
moves with it: a person held together only by that evidence comes apart (links a user made
stay), and the face joins the corrected voice once their evidence is enough.
An entity left with no appearance is folded into the entity that took most of its turns, as
`mmem entities merge` would (its name, when the heir has none, and its person links go along),
and removed. One whose name differs from its heir's is kept as it was: no name a user gave is
lost (the user can merge them).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from mmem.consolidate.entities import Appearance, Entity, EntityIndex, add_exemplar, id_order, pair_up
from mmem.perceive.voices import VoiceTurn
from mmem.store.memory import Memory


@dataclass
class Heard:
    """One voice turn of the session as it was matched."""

    appearance: str  # its appearance row id
    turn: VoiceTurn
    entity: str  # the entity it belongs to now
    seen: str  # wall-clock time it was matched (the entities' first/last seen)
    face: str | None = None  # the one face on screen while it was heard (person-link evidence)
    together: float = 0.0  # seconds that face was seen during it


@dataclass
class Relabelled:
    """What one relabel changed."""

    moved: int = 0  # turns moved to another entity
    founded: list[str] = field(default_factory=list)  # entities founded by a cluster
    removed: list[str] = field(default_factory=list)  # entities left with no appearance


class SessionVoices:
    """The session's last `window` voice turns (older ones stay as last settled), and whether
    `every` new ones have come since the last relabel (0: never due)."""

    def __init__(self, window: int, every: int) -> None:
        self.turns: deque[Heard] = deque(maxlen=window)
        self.every = every
        self.fresh = 0  # turns added since the last relabel

    def add(self, appearance: str, app: Appearance, entity: Entity, seen: str,
            face: tuple[Entity, float] | None = None) -> None:
        turn = VoiceTurn(app.start, app.end, app.embedding, windows=app.windows)
        self.turns.append(Heard(appearance, turn, entity.id, seen, *((face[0].id, face[1]) if face else ())))
        self.fresh += 1

    @property
    def due(self) -> bool:
        return self.every > 0 and self.fresh >= self.every


def _targets(heard: list[Heard], index: EntityIndex) -> list[tuple[Entity | None, int]]:
    from mmem.perceive.diarize import cluster, speakers

    labelled = cluster([h.turn for h in heard])
    voices = {str(k): v for k, (v, _) in speakers(labelled).items()}
    seconds: dict[str, dict[str, float]] = {}  # cluster -> entity -> seconds it holds
    for h, t in zip(heard, labelled, strict=True):
        mine = seconds.setdefault(str(t.speaker), {})
        mine[h.entity] = mine.get(h.entity, 0.0) + t.end - t.start
    held = {k: max(sorted(s), key=lambda e: s[e]) for k, s in seconds.items()}
    match = pair_up(voices, list(index.entities.values()), held=held)
    return [(match.get(str(t.speaker)), t.speaker) for t in labelled]


def relabel(memory: Memory, index: EntityIndex, voices: SessionVoices) -> Relabelled:
    """Re-cluster the session's recent turns and move those whose entity differs from their
    cluster's (one journalled step). The caller has written every appearance row it made."""
    from mmem.consolidate.people import detach
    from mmem.store.journal import run_journalled
    from mmem.store.rows import entity_to_row

    voices.fresh = 0
    heard = list(voices.turns)
    if len(heard) < 2:
        return Relabelled()
    founded: dict[int, Entity] = {}
    moves: list[tuple[Heard, Entity]] = []
    for h, (target, k) in zip(heard, _targets(heard, index), strict=True):
        if target is None:
            if k not in founded:
                founded[k] = index.found("voice")
            target = founded[k]
        if target.id != h.entity:
            moves.append((h, target))
    if not moves:
        return Relabelled()
    changed: dict[str, Entity] = {}
    for h, target in moves:
        add_exemplar(target, h.turn.embedding)
        target.first_seen = min(target.first_seen or h.seen, h.seen)
        target.last_seen = max(target.last_seen or h.seen, h.seen)
        changed[target.id] = target
        face = index.entities.get(h.face) if h.face else None
        if face is not None:  # the evidence this turn gave for a face-voice link goes with it
            index.together(face, index.entities[h.entity], -h.together)
            for e in _relink(index, face.person):
                changed[e.id] = e
            index.together(face, target, h.together)
            for e in index.members(face.person) + [face, index.entities[h.entity]]:
                changed[e.id] = e
    gone = _emptied(memory, index, heard, moves, changed)
    for e in detach(index, gone):
        changed[e.id] = e
    for gid in gone:
        changed.pop(gid, None)
    targets: dict[str, list[str]] = {}
    for h, target in moves:
        targets.setdefault(target.id, []).append(h.appearance)
    run_journalled(memory, {"op": "relabel", "moves": targets, "drop": gone,
                            "rows": [entity_to_row(e).to_dict() for e in changed.values()]})
    for h, target in moves:
        h.entity = target.id
    for gid in gone:
        del index.entities[gid]
    index.touched -= set(gone) | set(changed)  # saved by the journal step
    return Relabelled(len(moves), [e.id for e in founded.values()], gone)


def _emptied(memory: Memory, index: EntityIndex, heard: list[Heard], moves: list[tuple[Heard, Entity]],
             changed: dict[str, Entity]) -> list[str]:
    """Entities that lost turns: their exemplars and last seen follow what they keep; one left
    with no appearance is folded into its heir (see the module doc). Returns those to remove."""
    moved = {h.appearance for h, _ in moves}
    lost: dict[str, list[tuple[Heard, Entity]]] = {}
    for h, target in moves:
        lost.setdefault(h.entity, []).append((h, target))
    gone = []
    for eid, items in sorted(lost.items()):
        ent = index.entities[eid]
        left = [a for a in memory.appearances([eid], with_embeddings=True) if a.id not in moved]
        if left:
            _drop_exemplars(ent, [h.turn.embedding for h, _ in items], left)
            stays = [h.seen for h in heard if h.entity == eid and h.appearance not in moved]
            ent.last_seen = max(stays) if stays else ent.last_seen
            changed[eid] = ent
            continue
        took: dict[str, float] = {}
        for h, target in items:
            took[target.id] = took.get(target.id, 0.0) + h.turn.end - h.turn.start
        heir = index.entities[max(sorted(took), key=lambda t: took[t])]
        if ent.name and heir.name and ent.name.strip().lower() != heir.name.strip().lower():
            continue  # two names a user gave: both kept (the user may merge them)
        heir.name = heir.name or ent.name
        heir.first_seen = min(filter(None, [heir.first_seen, ent.first_seen]), default=None)
        for other, secs in ent.links.items():  # the person links go with the turns
            if other in index.entities and other != heir.id and secs > 1e-6:
                heir.links[other] = heir.links.get(other, 0.0) + secs
                peer = index.entities[other]
                peer.links[heir.id] = peer.links.get(heir.id, 0.0) + secs
                changed[other] = peer
        if ent.person != heir.person:
            index.union(heir.person, ent.person)
            for m in index.members(heir.person):
                changed[m.id] = m
        gone.append(eid)
    return gone


def _relink(index: EntityIndex, person: str) -> list[Entity]:
    """A person's members regrouped by what joins them now: face-voice evidence past
    LINK_SECONDS, and the links a user made (`mmem entities merge` of a face and a voice). A
    person held together only by a moved turn's evidence comes apart. Returns the members."""
    from mmem.consolidate.entities import LINK_SECONDS

    members = index.members(person)
    ids = {e.id for e in members}
    root = {i: i for i in ids}

    def find(i: str) -> str:
        while root[i] != i:
            i = root[i]
        return i

    for e in members:
        joined = [o for o, secs in e.links.items() if secs >= LINK_SECONDS]
        joined += [h["other"] for h in e.history if h.get("op") == "link"]
        for o in joined:
            if o in ids:
                root[find(o)] = find(e.id)
    groups: dict[str, list[Entity]] = {}
    for e in members:
        groups.setdefault(find(e.id), []).append(e)
    if len(groups) > 1:
        for group in groups.values():
            first = min((e.id for e in group), key=id_order)
            for e in group:
                e.person = first
    return members


def _drop_exemplars(ent: Entity, embeddings: list[np.ndarray], left: list) -> None:
    """The moved turns' embeddings leave the entity's exemplars; if none would be left, the
    exemplars are rebuilt from the appearances it keeps."""
    moved = [np.asarray(x, np.float32) for x in embeddings]
    keep = [x for x in ent.exemplars if not any(np.array_equal(x, y) for y in moved)]
    if keep:
        ent.exemplars = keep
        return
    rebuilt = Entity(id=ent.id, kind=ent.kind, exemplars=[])
    for a in left:
        if a.embedding is not None:
            add_exemplar(rebuilt, np.asarray(a.embedding, np.float32))
    if rebuilt.exemplars:  # else (no embedding stored) the old ones stay: an entity needs some
        ent.exemplars = rebuilt.exemplars
