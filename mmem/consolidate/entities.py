"""Entity clustering: each face track (or live voice turn) joins the entity it matches, or
founds a new one; a file's speakers, clustered with the whole file in view, are matched to voice
entities as a whole (`bind`). Entities keep a bounded, diverse set of exemplars.

Thresholds are the models' own calibrations, not guesses:
- faces, dlib ResNet: Euclidean distance < 0.6 is "same person" (dlib's published operating
  point, 99.38% on LFW). On the sample photos: Obama-Obama 0.35, Obama-Biden 0.84; the four
  GRID speakers are 0.67-0.88 apart.
- voices: cosine to the entity centre at least the speaker model's utterance-level point
  (mmem.perceive.voice_calibration): CAM++ 0.53 (one speaker's LibriSpeech utterances 0.86 alike
  on average, 5th percentile 0.77; different speakers 0.14, 95th percentile 0.27), Resemblyzer
  0.80 (>= 0.87 alike, different <= 0.73). A voice is never compared with an entity of the
  other model (their vectors differ in size): it founds its own.
Two appearances seen in the same frame are never put in one entity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from mmem.types import Entity

__all__ = ["Appearance", "Entity", "EntityIndex", "add_exemplar", "distance", "lone_face", "pair_up",
           "threshold"]

FACE_DISTANCE = 0.6
VOICE_COSINE: float | None = None  # None: each speaker model's own point (voice_calibration)
MAX_EXEMPLARS = {"face": 10, "voice": 20}  # M3-Agent's bounds
LINK_SECONDS = 1.5  # a face visible alone while a voice speaks this long links them


@dataclass
class Appearance:
    kind: str  # face | voice
    embedding: np.ndarray
    start: float
    end: float
    quality: float  # vote weight (face area x detector score; turn length for voices)
    frames: frozenset[int] = frozenset()  # sampled frames a face is visible in (co-occurrence)
    box: tuple[int, int, int, int] | None = None
    thumbnail: np.ndarray | None = None  # RGB crop for faces
    score: float = 0.0  # detector score (faces) or 1.0 (voices)
    group: str | None = None  # voices: the file's speaker it belongs to ("<source>#<n>"); None: live
    windows: int = 1  # voices: sliding windows pooled into the embedding (diarize.cluster weighs them)


def distance(kind: str, embedding: np.ndarray, entity: Entity) -> float:
    """Face: mean Euclidean distance to the 3 nearest exemplars. Voice: 1 - cos to the centre,
    measured against the speaker model's own threshold (`threshold`): a voice of another model
    than the entity's (another size) is as far as can be."""
    if kind == "face":
        d = np.linalg.norm(np.stack(entity.exemplars) - embedding, axis=1)
        return float(np.sort(d)[: min(3, len(d))].mean())
    if len(entity.exemplars[0]) != len(embedding):
        return 2.0
    return 1.0 - float(embedding @ entity.centre)


def threshold(kind: str, dim: int = 256) -> float:
    """The largest distance that is still the same face, or voice (of a model whose vectors have
    `dim` entries)."""
    if kind == "face":
        return FACE_DISTANCE
    from mmem.perceive.voice_calibration import calibration

    return 1.0 - (calibration(dim).entity if VOICE_COSINE is None else VOICE_COSINE)


def add_exemplar(entity: Entity, embedding: np.ndarray) -> None:
    """Keep at most MAX_EXEMPLARS; when full, a new exemplar replaces the most redundant one
    (the one nearest another) if it adds more diversity than that one does."""
    cap = MAX_EXEMPLARS[entity.kind]
    if len(entity.exemplars) < cap:
        entity.exemplars.append(embedding.astype(np.float32))
        return
    x = np.stack(entity.exemplars)
    d = np.linalg.norm(x[:, None] - x[None], axis=2) + np.eye(len(x)) * 1e9
    worst = int(np.argmin(d.min(axis=1)))
    if float(np.linalg.norm(x - embedding, axis=1).min()) > float(d[worst].min()):
        entity.exemplars[worst] = embedding.astype(np.float32)


class EntityIndex:
    """All entities of a memory, matched in memory (there are few compared with events)."""

    def __init__(self, entities: Sequence[Entity], new_id) -> None:
        self.entities: dict[str, Entity] = {e.id: e for e in entities}
        self._new_id = new_id  # () -> str
        self.touched: set[str] = set()
        self.groups: dict[str, Entity | None] = {}  # a file's speaker -> its entity (None: a new one)

    def bind(self, speakers: dict[str, np.ndarray]) -> None:
        """Match the speakers of one file (clustered with the whole file in view: see
        mmem.perceive.diarize) to voice entities, jointly: closest pairs first, and two speakers
        of one file never share an entity (the clustering found them different). A speaker
        matching nobody founds an entity when its first turn is assigned."""
        fresh = {g: v for g, v in speakers.items() if g not in self.groups}
        taken: dict[str, set[str]] = {}  # per file: entities its speakers hold
        for g, e in self.groups.items():
            if e is not None:
                taken.setdefault(_file(g), set()).add(e.id)
        for f in sorted({_file(g) for g in fresh}):  # files are independent of one another
            mine = {g: v for g, v in fresh.items() if _file(g) == f}
            self.groups.update(pair_up(mine, self.entities.values(), taken.get(f, set())))
        for g in fresh:
            self.groups.setdefault(g, None)

    def found(self, kind: str) -> Entity:
        """A new entity (no exemplars yet) in the index."""
        ent = Entity(id=self._new_id(), kind=kind, exemplars=[])
        self.entities[ent.id] = ent
        return ent

    def assign(self, group: Sequence[Appearance]) -> list[Entity]:
        """Entities for appearances of one kind in one event, jointly: best matches first, and
        appearances that co-occur in a frame never share an entity."""
        chosen: list[Entity | None] = [None] * len(group)
        for i, app in enumerate(group):  # a file's speakers were matched as a whole (bind)
            if app.group is not None and app.group in self.groups:
                ent = self.groups[app.group]
                if ent is None:
                    ent = self.groups[app.group] = Entity(id=self._new_id(), kind=app.kind, exemplars=[])
                    self.entities[ent.id] = ent
                chosen[i] = ent
                add_exemplar(ent, app.embedding)
                self.touched.add(ent.id)
        while any(c is None for c in chosen):
            best: tuple[float, int, Entity] | None = None
            for i, app in enumerate(group):
                if chosen[i] is not None:
                    continue
                for ent in self.entities.values():
                    if ent.kind != app.kind or self._conflict(group, chosen, i, ent):
                        continue
                    d = distance(app.kind, app.embedding, ent)
                    if d < threshold(app.kind, len(app.embedding)) and (best is None or d < best[0]):
                        best = (d, i, ent)
            if best is not None:
                _, i, ent = best
            else:  # nothing matches: the best-seen remaining appearance founds an entity
                i = max((j for j, c in enumerate(chosen) if c is None), key=lambda j: group[j].quality)
                ent = Entity(id=self._new_id(), kind=group[i].kind, exemplars=[])
                self.entities[ent.id] = ent
            chosen[i] = ent
            add_exemplar(ent, group[i].embedding)
            self.touched.add(ent.id)
        return chosen  # type: ignore[return-value]

    @staticmethod
    def _conflict(group: Sequence[Appearance], chosen: list[Entity | None], i: int, ent: Entity) -> bool:
        return any(c is ent and group[j].frames & group[i].frames
                   for j, c in enumerate(chosen) if c is not None)

    # -- person linking (union-find over face and voice entities) ----------------------------
    def link(self, faces: Sequence[tuple[Appearance, Entity]],
             voices: Sequence[tuple[Appearance, Entity]]) -> None:
        """A voice turn during which exactly one face is visible adds their overlap to the pair's
        evidence; past LINK_SECONDS the two join one person."""
        for turn, voice in voices:
            seen = lone_face(faces, turn)
            if seen is not None:
                self.together(seen[0], voice, seen[1])

    def together(self, face: Entity, voice: Entity, seconds: float) -> None:
        """Add (or, negative, take back) evidence that a face and a voice are one person; past
        LINK_SECONDS the two join one person."""
        face.links[voice.id] = face.links.get(voice.id, 0.0) + seconds
        voice.links[face.id] = voice.links.get(face.id, 0.0) + seconds
        self.touched |= {face.id, voice.id}
        if face.links[voice.id] >= LINK_SECONDS and face.person != voice.person:
            self.union(face.person, voice.person)

    def members(self, person: str) -> list[Entity]:
        return [e for e in self.entities.values() if e.person == person]

    def union(self, a: str, b: str) -> None:
        root, other = sorted((a, b), key=id_order)
        named = next((e.name for e in self.members(root) + self.members(other) if e.name), None)
        for e in self.members(other) + self.members(root):
            e.person = root
            e.name = e.name or named
            self.touched.add(e.id)


def lone_face(faces: Sequence[tuple[Appearance, Entity]], turn: Appearance) -> tuple[Entity, float] | None:
    """The one face visible while a voice turn is heard, and for how long (None: nobody, or
    several people, on screen: no evidence of who speaks)."""
    visible = [(a, f) for a, f in faces if min(a.end, turn.end) - max(a.start, turn.start) > 0]
    if len({f.id for _, f in visible}) != 1:
        return None
    app, face = visible[0]
    return face, min(app.end, turn.end) - max(app.start, turn.start)


def pair_up(voices: dict[str, np.ndarray], entities: Iterable[Entity], taken: set[str] = frozenset(),
            held: dict[str, str] | None = None) -> dict[str, Entity]:
    """Speakers heard together (one file's, or a live session's re-clustered ones) matched to
    voice entities jointly: closest pairs first, an entity goes to one speaker at most (none in
    `taken`), and a pair matches when closer than the voice threshold, or (`held`: speaker ->
    entity id) when that entity already holds most of the speaker's speech. Speakers left out
    match nobody."""
    held = held or {}
    pairs = sorted((distance("voice", v, e), g, e.id, e) for g, v in voices.items()
                   for e in entities if e.kind == "voice" and e.exemplars)
    out: dict[str, Entity] = {}
    used = set(taken)
    for d, g, eid, e in pairs:
        same = d < threshold("voice", len(voices[g]))
        if g not in out and eid not in used and (same or held.get(g) == eid):
            out[g] = e
            used.add(eid)
    return out


def _file(group: str) -> str:
    """The file part of a speaker group "<source id>#<n>"."""
    return group.rsplit("#", 1)[0]


def id_order(entity_id: str) -> tuple[int, str]:
    """Entity ids in the order they were made (E2 before E10): a person is named by its first."""
    digits = "".join(ch for ch in entity_id if ch.isdigit())
    return (int(digits) if digits else 0, entity_id)
