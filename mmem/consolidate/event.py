"""Close an event: compress its working-memory slots into one long-term EventRecord."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np

from mmem.config import ConsolidateConfig
from mmem.consolidate.kmeans import normalize, weighted_kmeans
from mmem.consolidate.working import Slots
from mmem.types import Clock, EventRecord, Segment


def event_id(source_id: str, run: str, seq: int) -> str:
    return f"{source_id}-{run}-{seq:05d}"


class Consolidator:
    def __init__(self, cfg: ConsolidateConfig, root: Path, has_vector: bool) -> None:
        self.cfg = cfg
        self.root = root  # the memory directory; keyframe paths are stored relative to it
        self.has_vector = has_vector  # slot vectors are CLIP embeddings (else pixel features)

    def close(
        self,
        segment: Segment,
        slots: Slots,
        *,
        source_id: str,
        run: str,
        seq: int,
        transcript: str | None = None,
        clock: Clock = Clock(),
    ) -> EventRecord:
        eid = event_id(source_id, run, seq)
        comp = weighted_kmeans(slots.vectors, slots.weights, slots.times, self.cfg.k, self.cfg.kmeans_iters)
        keyframes = self._keyframes(eid, source_id, slots, comp.centroids, comp.weights)
        vector = None
        centroids = None
        if self.has_vector:
            mean = (slots.vectors * slots.weights[:, None]).sum(0)
            vector = normalize(mean)
            centroids = comp.centroids.astype(np.float32)
        return EventRecord(
            id=eid,
            source_id=source_id,
            seq=seq,
            start=float(segment.start),
            end=float(segment.end),
            started_at=(clock.started_at + timedelta(seconds=segment.start / clock.time_scale)).isoformat()
            if clock.started_at
            else None,
            vector=vector,
            centroids=centroids,
            centroid_weights=comp.weights.astype(np.float32),
            centroid_times=comp.times.astype(np.float32),
            surprise=float(segment.surprise),
            keyframes=keyframes,
            n_frames=slots.n_frames,
            transcript=transcript,
        )

    def _keyframes(self, eid: str, source_id: str, slots: Slots, centroids, weights) -> list[str]:
        if not any(i is not None for i in slots.images) or self.cfg.keyframes <= 0:
            return []
        heaviest = np.argsort(-weights, kind="stable")[: self.cfg.keyframes]
        sim = centroids[heaviest] @ slots.vectors.T
        chosen = sorted({int(i) for i in sim.argmax(axis=1).tolist()})
        out_dir = self.root / "keyframes" / source_id
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for i in chosen:
            if slots.images[i] is None:
                continue
            rel = Path("keyframes") / source_id / f"{eid}_{slots.image_times[i]:.2f}.jpg"
            bgr = cv2.cvtColor(slots.images[i], cv2.COLOR_RGB2BGR)  # type: ignore[arg-type]
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, self.cfg.jpeg_quality])
            if ok:
                (self.root / rel).write_bytes(buf.tobytes())
                paths.append(rel.as_posix())
        return paths
