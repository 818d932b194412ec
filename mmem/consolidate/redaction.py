"""Which keyframes show a face about to be forgotten, and where in them (for mmem.store.redact).

Every keyframe of an event the entity's face appeared in is looked at again: faces are detected
and described as at ingest, and each face within the same-person distance of any of the entity's
vectors (centre, exemplars, appearances), and nearer to it than to any other face entity, is
marked. When none matches, the box stored with an appearance whose time covers the keyframe is
marked instead, unless a face that matches another known person is there: the detector or the
describer can miss at forget time a face found at ingest, and that miss must not keep the face
(an unknown face at the stored box is smeared: privacy first). Without a face model only stored
boxes are used. Computed before anything is deleted: afterwards the vectors to match are gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mmem.consolidate.entities import FACE_DISTANCE
from mmem.perceive.faces import FaceBackend
from mmem.store.memory import Memory
from mmem.store.rows import AppearanceRow

Box = list[int]
SLACK = 0.5  # seconds either side of an appearance within which its stored box stands for the face


def keyframe_time(rel: str) -> float | None:
    """A keyframe's own time, from its name (`<event>_<seconds>.jpg`)."""
    try:
        return float(Path(rel).stem.rsplit("_", 1)[1])
    except (IndexError, ValueError):
        return None


def faces_to_redact(memory: Memory, entity_id: str, vectors: list[np.ndarray], faces: FaceBackend | None,
                    others: list[np.ndarray] = ()) -> dict[str, list[Box]]:
    """{keyframe path (relative to the memory): boxes to smear} for one entity's face; `others`:
    the vectors of the other face entities (whose faces are left alone)."""
    apps = [a for a in memory.appearances([entity_id]) if a.kind == "face"]
    if not apps:
        return {}
    events = memory.events_by_id(sorted({a.event_id for a in apps}))
    by_event: dict[str, list[AppearanceRow]] = {}
    for a in apps:
        by_event.setdefault(a.event_id, []).append(a)
    known = np.stack([np.asarray(v, np.float32) for v in vectors]) if vectors else None
    elsewhere = np.stack([np.asarray(v, np.float32) for v in others]) if len(others) else None
    plan: dict[str, list[Box]] = {}
    for eid, mine in by_event.items():
        ev = events.get(eid)
        for rel in (ev.keyframes or []) if ev is not None else []:
            image = _read(memory.root / rel)
            if image is None:
                continue
            boxes = _boxes(image, keyframe_time(rel), mine, known, elsewhere, faces)
            if boxes:
                plan[rel] = boxes
    return plan


def _boxes(image: np.ndarray, t: float | None, apps: list[AppearanceRow], known: np.ndarray | None,
           elsewhere: np.ndarray | None, faces: FaceBackend | None) -> list[Box]:
    matched: list[Box] = []
    others: list[Box] = []  # faces of other known people
    for det in faces.detect(image) if faces is not None else []:
        emb = faces.embed(image, det)
        mine, theirs = _nearest(known, emb), _nearest(elsewhere, emb)
        if mine < FACE_DISTANCE and mine <= theirs:
            matched.append(list(det.box))
        elif theirs < FACE_DISTANCE:
            others.append(list(det.box))
    if matched:
        return matched
    stored = [list(a.box) for a in apps if a.box and (t is None or a.start - SLACK <= t <= a.end + SLACK)]
    return [b for b in stored if not any(_overlap(b, o) > 0.3 for o in others)]


def _nearest(vectors: np.ndarray | None, emb: np.ndarray) -> float:
    return float(np.linalg.norm(vectors - emb, axis=1).min()) if vectors is not None else float("inf")


def _overlap(a: Box, b: Box) -> float:
    """Intersection over the smaller box."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / max(1, small)


def _read(path: Any) -> np.ndarray | None:
    """An RGB image, or None when the file is missing or unreadable."""
    import cv2

    try:
        data = path.read_bytes()
    except OSError:
        return None
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
