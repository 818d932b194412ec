"""Typed rows: what the memory's tables hold, one dataclass per table (fields = schema
columns; EventRow leaves out the vectors, which are written from EventRecord), and the
Entity <-> row encoding. Dicts exist only at the LanceDB edge (`to_dict`/`from_dict`) and in
the journal (JSON). Ids are opaque: a row names its source by `source_id`, never by parsing
another id."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from mmem.store._util import now
from mmem.types import Entity

R = TypeVar("R", bound="Row")


class Row:
    """to/from the dicts LanceDB reads and writes; columns a query did not select stay default."""

    __slots__ = ()

    @classmethod
    def from_dict(cls: type[R], d: dict[str, Any]) -> R:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in d.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


@dataclass(slots=True)
class SourceRow(Row):
    """A `sources` row: a file or a live session; `run` names its visible events."""

    id: str
    uri: str
    kind: str  # file | live | replay
    duration: float | None = None
    fps: float | None = None
    sample_fps: float | None = None
    width: int | None = None
    height: int | None = None
    content_hash: str | None = None
    status: str | None = None  # ingesting | incomplete | complete | live
    run: str | None = None
    ingested_at: str | None = None
    model_ids: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    n_events: int | None = None
    started_at: str | None = None
    gaps: str | None = None  # live: JSON [[from_s, to_s], ...]
    damage: str | None = None  # JSON {"audio"|"video": {"errors": packets, "seconds": lost}}, or null

    def finish(self, **values: Any) -> None:
        """Mark the source complete now, with the given final values (run, n_events, ...)."""
        for k, v in values.items():
            setattr(self, k, v)
        self.status, self.ingested_at = "complete", now()


@dataclass(slots=True)
class EventRow(Row):
    """An `events` row as read back (without its vectors)."""

    id: str
    source_id: str
    seq: int
    start: float
    end: float
    started_at: str | None = None
    run: str | None = None
    surprise: float | None = None
    keyframes: list[str] | None = None
    n_frames: int | None = None
    transcript: str | None = None


@dataclass(slots=True)
class SpanRow(Row):
    """A `spans` row: a shot, an episode, or the link of an event to its episode."""

    id: str
    source_id: str
    seq: int
    start: float
    end: float
    level: str  # shot | event | episode
    parent: str | None = None
    kind: str | None = None
    run: str | None = None


@dataclass(slots=True)
class UtteranceRow(Row):
    """A `transcripts` row: one utterance, in the event it was said in."""

    id: str
    source_id: str
    event_id: str
    start: float
    end: float
    text: str
    norm: str | None = None
    words: str | None = None  # JSON [[word, start, end, prob], ...]
    language: str | None = None
    confidence: float | None = None
    vector: list[float] | None = None
    run: str | None = None


@dataclass(slots=True)
class AppearanceRow(Row):
    """An `appearances` row: one face track or voice turn of an entity in an event."""

    id: str
    entity_id: str
    origin_entity: str
    source_id: str
    event_id: str
    kind: str
    start: float
    end: float
    box: list[int] | None = None
    utterance: str | None = None
    score: float | None = None
    embedding: list[float] | None = None
    thumbnail: str | None = None
    run: str | None = None


@dataclass(slots=True)
class EntityRow(Row):
    """An `entities` row (see Entity for what the fields mean)."""

    id: str
    kind: str
    name: str | None = None
    person: str | None = None
    centre: list[float] | None = None
    exemplars: list[list[float]] | None = None
    links: str | None = None  # JSON {entity id: seconds together}
    created_at: str | None = None
    updated_at: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    thumbnail: str | None = None
    history: str | None = None  # JSON: merges into this entity, with the rows (dicts) before


def entity_to_row(e: Entity) -> EntityRow:
    return EntityRow(
        id=e.id, kind=e.kind, name=e.name, person=e.person,
        centre=e.centre.astype(np.float32).tolist(),
        exemplars=[x.astype(np.float32).tolist() for x in e.exemplars],
        links=json.dumps({k: round(v, 3) for k, v in e.links.items()}),
        created_at=e.created_at or now(), updated_at=now(),
        first_seen=e.first_seen, last_seen=e.last_seen, thumbnail=e.thumbnail,
        history=json.dumps(e.history),
    )


def entity_from_row(r: EntityRow | dict[str, Any]) -> Entity:
    if isinstance(r, dict):  # the rows kept in an entity's history (JSON)
        r = EntityRow.from_dict(r)
    return Entity(
        id=r.id, kind=r.kind, name=r.name, person=r.person or r.id,
        exemplars=[np.asarray(x, np.float32) for x in r.exemplars or []],
        links={k: float(v) for k, v in json.loads(r.links or "{}").items()},
        thumbnail=r.thumbnail, created_at=r.created_at or "",
        updated_at=r.updated_at or "", first_seen=r.first_seen, last_seen=r.last_seen,
        history=json.loads(r.history or "[]"),
    )


def appearance_row(aid: str, app: Any, ent: Entity, source_id: str, event_id: str, utterance: str | None,
                   thumbnail: str | None) -> AppearanceRow:
    """The `appearances` row of one face track or voice turn joining an entity."""
    return AppearanceRow(
        id=aid, entity_id=ent.id, origin_entity=ent.id, source_id=source_id,
        event_id=event_id, kind=app.kind, start=app.start, end=app.end,
        box=list(app.box) if app.box else None, utterance=utterance, score=app.score,
        embedding=app.embedding.astype(np.float32).tolist(), thumbnail=thumbnail,
    )
