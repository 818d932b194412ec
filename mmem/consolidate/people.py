"""Entities as the memory keeps them: loading the index, and the operations people run on it
(name, merge, split, forget).

Each operation touches several tables: it runs through the store's journal
(`mmem.store.journal`), so an interrupted operation is finished by the next writer and the
memory is never left half-merged. Each operation is a writer: it finishes a pending one first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from mmem.consolidate.entities import Entity, EntityIndex, add_exemplar, id_order
from mmem.errors import InputError
from mmem.store._util import now
from mmem.store.crops import save_crop
from mmem.store.journal import recover, run_journalled
from mmem.store.memory import Memory
from mmem.store.rows import AppearanceRow, UtteranceRow, appearance_row
from mmem.store.rows import entity_from_row as from_row
from mmem.store.rows import entity_to_row as to_row


def load_index(memory: Memory) -> EntityIndex:
    """The entities as last committed (a reader: a pending journal is left to the next writer)."""
    return EntityIndex([from_row(r) for r in memory.entity_rows()], memory.new_entity_id)


def _load_for_write(memory: Memory) -> EntityIndex:
    recover(memory)  # a writer finishes an interrupted operation before it starts its own
    return load_index(memory)


def save(memory: Memory, entities: list[Entity]) -> None:
    memory.put_entities([to_row(e) for e in entities])


def appear(index: EntityIndex, root: Any, source_id: str, event_id: str, face_pairs: list, voices: list,
           utt_rows: list[UtteranceRow], first: int = 0) -> tuple[list[AppearanceRow], int]:
    """Assign an event's voice turns, link them with its (already assigned) faces, and make the
    appearance rows, numbered from `first` (faces only when first == 0: later calls add voices
    heard late). Returns the rows and the number of appearances the event now has."""
    voice_pairs = list(zip(voices, index.assign(voices) if voices else []))
    index.link(face_pairs, voice_pairs)
    seen = now()
    pairs = (face_pairs if not first else []) + voice_pairs
    rows = []
    for j, (app, ent) in enumerate(pairs, start=first):
        aid = f"{event_id}-a{j:02d}"
        thumb = None
        if app.thumbnail is not None:
            thumb = save_crop(root, ent.id, aid, app.thumbnail)
        if thumb and app.quality > ent.thumb_quality:
            ent.thumbnail, ent.thumb_quality = thumb, app.quality
        ent.first_seen = ent.first_seen or seen
        ent.last_seen = seen
        utt = max(utt_rows, key=lambda u: min(u.end, app.end) - max(u.start, app.start),
                  default=None) if app.kind == "voice" else None
        rows.append(appearance_row(aid, app, ent, source_id, event_id, utt.id if utt else None, thumb))
    return rows, first + len(pairs)


def meet_all(index: EntityIndex, root: Any, source_id: str, meetings: list) -> list[AppearanceRow]:
    """A file's deferred meetings (see recorders.Deferred), matched in order: the same entities
    and appearance rows the file would have had if it were ingested on its own."""
    rows: list[AppearanceRow] = []
    index.bind(_speakers([v for m in meetings for v in m.voices]))
    for m in meetings:
        face_pairs = list(zip(m.faces, index.assign(m.faces) if m.faces else []))
        rows.extend(appear(index, root, source_id, m.event_id, face_pairs, m.voices, m.utterances)[0])
    return rows


def _speakers(voices: list) -> dict[str, np.ndarray]:
    """Each speaker's voice (time-weighted mean of its turns), from its turns' appearances."""
    sums: dict[str, np.ndarray] = {}
    for v in voices:
        if v.group is not None:
            sums[v.group] = sums.get(v.group, 0.0) + v.embedding * (v.end - v.start)
    return {g: x / (np.linalg.norm(x) + 1e-9) for g, x in sums.items()}


# -- finding entities ------------------------------------------------------------------------
_ID = re.compile(r"^[eE](\d+)$")


def resolve(index: EntityIndex, ref: str) -> Entity:
    """An entity by id (E12, e12) or by name (case-insensitive)."""
    ref = ref.strip()
    m = _ID.match(ref)
    if m and f"E{m.group(1)}" in index.entities:
        return index.entities[f"E{m.group(1)}"]
    named = sorted((e for e in index.entities.values() if e.name and e.name.lower() == ref.lower()),
                   key=lambda e: (e.kind != "face", e.id))
    if named:
        return named[0]
    raise InputError(f"no entity {ref!r}: see `mmem entities` for ids and names")


def mentioned(index: EntityIndex, question: str) -> set[str]:
    """Person ids whose name or an entity id of theirs appears in the question."""
    q = f" {re.sub(r'[^a-z0-9 ]', ' ', question.lower())} "
    out = set()
    for e in index.entities.values():
        if e.name and f" {re.sub(r'[^a-z0-9 ]', ' ', e.name.lower()).strip()} " in q:
            out.add(e.person)
        if f" {e.id.lower()} " in q:
            out.add(e.person)
    return out


# -- operations ------------------------------------------------------------------------------
def name(memory: Memory, ref: str, new_name: str) -> list[Entity]:
    """Name an entity and everyone linked to it (the face names the voice)."""
    new_name = new_name.strip()
    if not new_name:
        raise InputError("the name is empty: pass a name, e.g. mmem entities name E12 \"Alice\"")
    index = _load_for_write(memory)
    members = index.members(resolve(index, ref).person)
    for e in members:
        e.name = new_name
    run_journalled(memory, {"op": "name", "rows": _rows(members)})
    return members


def merge(memory: Memory, keep_ref: str, drop_ref: str) -> Entity:
    """Two clusters were one person. Same kind: one entity absorbs the other's appearances and
    exemplars. Face and voice, or two voices heard by different speaker models (whose vectors
    cannot be pooled): they are linked into one person. Either way the rows as they were are
    kept in the survivor's history, so `split` can undo it exactly."""
    index = _load_for_write(memory)
    keep, drop = resolve(index, keep_ref), resolve(index, drop_ref)
    if keep.id == drop.id:
        raise InputError(f"{keep_ref} and {drop_ref} are the same entity: nothing to merge")
    apart = keep.kind != drop.kind or (keep.exemplars and drop.exemplars
                                       and len(keep.exemplars[0]) != len(drop.exemplars[0]))
    if apart and keep.person == drop.person:
        raise InputError(f"{keep.id} and {drop.id} are already one person")
    touched = {e.id: e for e in index.members(keep.person) + index.members(drop.person)}
    before = [to_row(e).to_dict() for e in touched.values()]
    if apart:
        index.union(keep.person, drop.person)
        keep.history.append({"op": "link", "other": drop.id, "before": before})
        run_journalled(memory, {"op": "name", "rows": _rows(index.members(keep.person))})
        return keep
    for x in drop.exemplars:
        add_exemplar(keep, x)
    for other, secs in drop.links.items():
        keep.links[other] = keep.links.get(other, 0.0) + secs
    keep.name = keep.name or drop.name
    if drop.person != keep.person:
        index.union(keep.person, drop.person)
    del index.entities[drop.id]
    _reroot(index, keep.person, set())  # the person may have been known by the id merged away
    keep.history.append({"op": "merge", "other": drop.id, "before": before})
    run_journalled(memory, {"op": "merge", "keep": keep.id, "drop": drop.id,
                            "rows": _rows(index.members(keep.person))})
    return keep


def split(memory: Memory, ref: str) -> list[Entity]:
    """Undo the last merge or link into an entity: every row it touched goes back to how it
    was, and the merged entity's appearances go back to it. An entity never merged but linked
    to others is unlinked from them (and will not be linked to them again)."""
    index = _load_for_write(memory)
    ent = resolve(index, ref)
    if ent.history:
        last = ent.history.pop()
        restored = [from_row(r) for r in last["before"]]
        mine = next(r for r in restored if r.id == ent.id)
        mine.history = ent.history
        # appearances that joined after the merge stay with it: rebuild from its own
        own = [np.asarray(a.embedding, np.float32)
               for a in memory.appearances([ent.id], with_embeddings=True) if a.origin_entity == ent.id]
        for x in own[len(mine.exemplars):]:
            add_exemplar(mine, x)
        moves = [last["other"]] if last["op"] == "merge" else []
        run_journalled(memory, {"op": "split", "entity": ent.id, "moves": moves,
                                "rows": _rows(restored)})
        return restored
    group = index.members(ent.person)
    if len(group) == 1:
        raise InputError(f"{ent.id} was never merged or linked: nothing to split")
    for e in group:  # unlink; remember the links as rejected so they stay undone
        e.person = e.id
        for other in [o for o in e.links if o in {g.id for g in group}]:
            e.links[other] = float("-inf")
    run_journalled(memory, {"op": "split", "entity": ent.id, "moves": [], "rows": _rows(group)})
    return group


def forget(memory: Memory, ref: str, faces: Callable[[], Any] | None = None) -> tuple[Entity, list[str]]:
    """Delete an entity, its appearances and embeddings, and its face crops (privacy), and smear
    its face out of the keyframes that show it; then purge older table versions, so no file of
    the memory still holds them. `faces` loads the face model that finds the face in each
    keyframe again (None, or a loader returning None: the boxes stored at ingest are used).
    Returns the entity and the keyframes its face was smeared out of."""
    index = _load_for_write(memory)
    ent = resolve(index, ref)
    apps = memory.appearances([ent.id], with_embeddings=True)
    thumbs = [a.thumbnail for a in apps if a.thumbnail]
    redact: dict[str, list[list[int]]] = {}
    if any(a.kind == "face" for a in apps):
        from mmem.consolidate.redaction import faces_to_redact

        vectors = list(ent.exemplars) + [np.asarray(a.embedding, np.float32) for a in apps
                                         if a.kind == "face" and a.embedding is not None]
        people = [x for e in index.entities.values() if e.kind == "face" and e.id != ent.id
                  for x in e.exemplars]  # faces of others: left alone where they are found
        redact = faces_to_redact(memory, ent.id, vectors, faces() if faces is not None else None, people)
    others = detach(index, [ent.id])
    if ent.thumbnail:
        thumbs.append(ent.thumbnail)
    run_journalled(memory, {"op": "forget", "entity": ent.id, "thumbs": thumbs,
                  "rows": _rows(others), "redact": redact})
    return ent, sorted(redact)


def detach(index: EntityIndex, gone: list[str]) -> list[Entity]:
    """The entities that change when `gone` are deleted: their links to them, their person
    (re-rooted), and merge history holding a copy of their rows are dropped."""
    changed: dict[str, Entity] = {}
    for gid in gone:
        for e in _reroot(index, index.entities[gid].person, set(gone)):
            changed[e.id] = e
        for e in index.entities.values():
            if e.id not in gone and gid in e.links:
                e.links.pop(gid)
                changed[e.id] = e
    for e in index.entities.values():
        if e.id in gone:
            continue
        kept = [h for h in e.history
                if h.get("other") not in gone and not any(r.get("id") in gone for r in h.get("before", []))]
        if len(kept) != len(e.history):
            e.history = kept
            changed[e.id] = e
    return list(changed.values())


def _rows(entities: list[Entity]) -> list[dict[str, Any]]:
    """Entities as journal rows (JSON)."""
    return [to_row(e).to_dict() for e in entities]


def _reroot(index: EntityIndex, person: str, gone: set[str]) -> list[Entity]:
    """The members of `person` other than `gone`, known again by the first of them (as
    `EntityIndex.union` names a person): a person is never named by an entity that is gone."""
    members = [m for m in index.members(person) if m.id not in gone]
    first = min((m.id for m in members), key=id_order, default=person)
    for m in members:
        m.person = first
    return members
