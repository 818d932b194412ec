"""Row encoding: how entities and appearances are kept in their tables."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from mmem.consolidate.entities import Entity
from mmem.store._util import now


def entity_to_row(e: Entity) -> dict[str, Any]:
    return {
        "id": e.id, "kind": e.kind, "name": e.name, "person": e.person,
        "centre": e.centre.astype(np.float32).tolist(),
        "exemplars": [x.astype(np.float32).tolist() for x in e.exemplars],
        "links": json.dumps({k: round(v, 3) for k, v in e.links.items()}),
        "created_at": e.created_at or now(), "updated_at": now(),
        "first_seen": e.first_seen, "last_seen": e.last_seen, "thumbnail": e.thumbnail,
        "history": json.dumps(e.history),
    }


def entity_from_row(r: dict[str, Any]) -> Entity:
    return Entity(
        id=r["id"], kind=r["kind"], name=r.get("name"), person=r.get("person") or r["id"],
        exemplars=[np.asarray(x, np.float32) for x in r["exemplars"] or []],
        links={k: float(v) for k, v in json.loads(r.get("links") or "{}").items()},
        thumbnail=r.get("thumbnail"), created_at=r.get("created_at") or "",
        updated_at=r.get("updated_at") or "", first_seen=r.get("first_seen"), last_seen=r.get("last_seen"),
        history=json.loads(r.get("history") or "[]"),
    )


def appearance_row(aid: str, app: Any, ent: Entity, source_id: str, event_id: str, utterance: str | None,
                   thumbnail: str | None) -> dict[str, Any]:
    """The `appearances` row of one face track or voice turn joining an entity."""
    return {
        "id": aid, "entity_id": ent.id, "origin_entity": ent.id, "source_id": source_id,
        "event_id": event_id, "kind": app.kind, "start": app.start, "end": app.end,
        "box": list(app.box) if app.box else None, "utterance": utterance, "score": app.score,
        "embedding": app.embedding.astype(np.float32).tolist(), "thumbnail": thumbnail,
    }
