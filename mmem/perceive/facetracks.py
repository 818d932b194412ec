"""Follow faces across consecutive sampled frames, so one appearance is one vote, not thirty.

Detections link to the track they overlap most in the previous frames (IoU). A track is
embedded on its first frame, then every few frames or when a clearly better view turns up:
embedding is the expensive part, detection is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mmem.consolidate.entities import FACE_DISTANCE, Appearance
from mmem.perceive.faces import FaceBackend, FaceDet, FaceGate, crop

IOU_LINK = 0.3
LOOK_CHANGE = 0.85  # grey-crop correlation below which a tracked face is embedded again, to check
#                     it is still the same person (a cut to another face in the same spot is not)
GAP = 2  # frames a track may miss (a blink of the detector) and continue
EMBED_EVERY = 5  # frames between embeddings of one track
STILL_BLOCK = 16  # pixels: a frame is compared with the last one detected in blocks this size
STILL_DIFF = 3.0  # mean absolute difference (0-255) under which every block counts as unchanged


def iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def still(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two frames show the same picture: every STILL_BLOCK block differs by less than
    STILL_DIFF on average (a slide, a title card, a parked camera; compression noise stays under
    it, while a face the size of the detector's smallest changes several blocks)."""
    if a.shape != b.shape:
        return False
    h, w = a.shape[0] // STILL_BLOCK * STILL_BLOCK, a.shape[1] // STILL_BLOCK * STILL_BLOCK
    if h == 0 or w == 0:
        return bool(np.array_equal(a, b))
    d = np.abs(a[:h, :w].astype(np.int16) - b[:h, :w].astype(np.int16))
    blocks = d.reshape(h // STILL_BLOCK, STILL_BLOCK, w // STILL_BLOCK, STILL_BLOCK, -1).mean(axis=(1, 3, 4))
    return float(blocks.max()) < STILL_DIFF


def _look(image: np.ndarray, det: FaceDet) -> np.ndarray:
    """A 16x16 grey thumbnail of the face, mean-centred and unit-norm: cheap continuity check."""
    import cv2

    left, top, right, bottom = det.box
    g = cv2.cvtColor(image[top:bottom, left:right], cv2.COLOR_RGB2GRAY)
    v = cv2.resize(g, (16, 16), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    v -= v.mean()
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


@dataclass
class FaceObs:
    index: int
    t: float
    det: FaceDet
    track: int
    embedding: np.ndarray | None


@dataclass
class _Track:
    id: int
    last_index: int
    box: tuple[int, int, int, int]
    look: np.ndarray | None = None  # tiny normalised grey crop at the last embedding
    since_embed: int = 0
    best_quality: float = 0.0
    best_thumb: np.ndarray | None = None  # crop of the best view so far
    embeddings: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (quality, emb)


class FaceTracker:
    def __init__(self, backend: FaceBackend, gate: FaceGate | None = None) -> None:
        self.backend, self.gate = backend, gate or FaceGate()
        self._tracks: dict[int, _Track] = {}
        self._next = 0
        self._obs: list[FaceObs] = []  # until their event closes
        self._ended: dict[int, _Track] = {}  # tracks that stopped but may still close an event
        self.embedded = 0
        self.detected = 0  # frames the detector ran on (a still frame reuses the last one's faces)
        self._last: tuple[np.ndarray, list[FaceDet]] | None = None  # last frame detected, its faces

    def _detect(self, image: np.ndarray) -> list[FaceDet]:
        """The gated faces of a frame; a frame that shows the same picture as the last one the
        detector ran on has the same faces (the detector is the frame's main cost)."""
        if self._last is not None and still(image, self._last[0]):
            return self._last[1]
        dets = self.gate.keep(self.backend.detect(image))
        self.detected += 1
        self._last = (image.copy(), dets)
        return dets

    def observe(self, index: int, t: float, image: np.ndarray) -> None:
        dets = self._detect(image)
        live = [tr for tr in self._tracks.values() if index - tr.last_index <= GAP]
        taken: set[int] = set()
        for det in dets:
            look = _look(image, det)
            match = max(((iou(det.box, tr.box), tr) for tr in live if tr.id not in taken),
                        key=lambda p: p[0], default=(0.0, None))
            tr = match[1] if match[0] >= IOU_LINK else None
            emb = None
            if tr is not None and (tr.since_embed >= EMBED_EVERY or det.quality > 1.5 * tr.best_quality
                                   or tr.look is None or float(tr.look @ look) < LOOK_CHANGE):
                emb = self.backend.embed(image, det)
                self.embedded += 1
                last = tr.embeddings[-1][1] if tr.embeddings else None
                if last is not None and float(np.linalg.norm(emb - last)) >= FACE_DISTANCE:
                    tr = None  # someone else now stands where the tracked face was
            if tr is None:
                tr = _Track(self._next, index, det.box)
                self._tracks[tr.id] = tr
                self._next += 1
                if emb is None:
                    emb = self.backend.embed(image, det)
                    self.embedded += 1
            taken.add(tr.id)
            tr.last_index, tr.box = index, det.box
            if emb is not None:
                tr.embeddings.append((det.quality, emb))
                tr.since_embed, tr.look = 0, look
            else:
                tr.since_embed += 1
            if det.quality > tr.best_quality:
                tr.best_quality, tr.best_thumb = det.quality, crop(image, det)
            self._obs.append(FaceObs(index, t, det, tr.id, emb))
        self._tracks = {k: v for k, v in self._tracks.items() if index - v.last_index <= GAP}
        self._ended.update({tr.id: tr for tr in live if tr.id not in self._tracks})

    def close(self, first: int, stop: int, end: float, frame_gap: float) -> list[Appearance]:
        """Face appearances in sampled frames [first, stop): one per track."""
        mine = [o for o in self._obs if first <= o.index < stop]
        self._obs = [o for o in self._obs if o.index >= stop]
        by_track: dict[int, list[FaceObs]] = {}
        for o in mine:
            by_track.setdefault(o.track, []).append(o)
        out = []
        for tid, obs in by_track.items():
            track = self._tracks.get(tid) or self._ended.get(tid)
            embs = [(o.det.quality, o.embedding) for o in obs if o.embedding is not None]
            if not embs and track is not None:
                embs = track.embeddings[-3:]  # seen before this event: its latest look
            if not embs:
                continue
            w = np.array([q for q, _ in embs], np.float64)
            emb = (np.stack([e for _, e in embs]) * w[:, None]).sum(0) / w.sum()
            best = max(obs, key=lambda o: o.det.quality)
            thumb = track.best_thumb if track is not None else None
            out.append(Appearance(
                kind="face", embedding=emb.astype(np.float32), start=obs[0].t,
                end=min(end, obs[-1].t + frame_gap), quality=best.det.quality,
                frames=frozenset(o.index for o in obs), box=best.det.box, thumbnail=thumb,
                score=float(np.mean([o.det.score for o in obs])),
            ))
        alive = {o.track for o in self._obs} | set(self._tracks)
        self._ended = {k: v for k, v in self._ended.items() if k in alive}
        return out
