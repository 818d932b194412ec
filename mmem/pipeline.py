"""Wires the stages for one recorded file: source -> perceive -> segment -> consolidate -> store.

No printing here: progress goes to a callback, results come back as an IngestReport.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from mmem.config import IngestConfig
from mmem.perceive.lowlevel import pixel_feature
from mmem.perceive.vision import Vision
from mmem.segment.segmenter import Segmenter
from mmem.sources.file import content_hash, iter_frames, probe
from mmem.sources.prefetch import prefetch
from mmem.store.memory import Memory
from mmem.types import EventRecord, Frame, Observation

Progress = Callable[[float, float], None]  # (media seconds done, media seconds total)
STAGES = ("decode", "embed", "segment", "compress", "store")
_WRITE_EVERY = 64  # events buffered per LanceDB commit


@dataclass
class IngestReport:
    source_id: str
    uri: str
    status: str  # ingested | skipped
    events: int = 0
    frames: int = 0
    duration: float = 0.0  # media seconds
    wall: float = 0.0  # seconds spent
    channels: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "vision: why" for channels that did not run
    warnings: list[str] = field(default_factory=list)  # problems with the input that did not stop it
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    peak_working_bytes: int = 0

    @property
    def speed(self) -> float:
        """Real-time factor: media seconds per wall second."""
        return self.duration / self.wall if self.wall > 0 else 0.0


def _batches(frames: Iterator[Frame], size: int, timer: dict[str, float]) -> Iterator[list[Frame]]:
    while True:
        t0 = time.perf_counter()
        batch = list(itertools.islice(frames, size))
        timer["decode"] += time.perf_counter() - t0
        if not batch:
            return
        yield batch


def ingest_file(
    path: Path,
    memory: Memory,
    cfg: IngestConfig,
    vision: Vision,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    from mmem.consolidate.event import Consolidator
    from mmem.consolidate.working import WorkingMemory
    from mmem.perceive.device import resolve_device

    started = time.perf_counter()
    path = Path(path).expanduser().resolve()
    info = probe(path)
    digest = content_hash(path)
    sid = digest[:16]
    report = IngestReport(source_id=sid, uri=str(path), status="ingested", duration=info.duration)
    existing = memory.source_by_hash(digest)
    channels = ["pixel"] + (["vision"] if vision.embedder is not None else [])
    upgrade = existing is not None and not set(channels) <= set(existing.get("channels") or [])
    if existing and existing["status"] == "complete" and not force and not upgrade:
        report.status = "skipped"
        report.events = int(existing.get("n_events") or 0)
        report.uri = existing["uri"]
        return report

    frames = iter_frames(path, cfg.source.fps, cfg.source.short_side)
    first = next(frames)  # fails here, before anything is written, if nothing decodes
    frames = prefetch(itertools.chain([first], frames), depth=2 * cfg.vision.batch_size)

    keep = existing["run"] if existing and existing["status"] == "complete" else None
    memory.drop_runs(sid, keep)
    memory.ensure_dim(vision.dim)
    if vision.embedder is not None and vision.spec is not None:
        memory.bind_vector_model(vision.spec, vision.dim)
    run = uuid.uuid4().hex[:8]
    report.channels = channels
    report.skipped = [f"vision: {vision.skipped}"] if vision.skipped else []
    row = {
        "id": sid, "uri": str(path), "kind": "file", "duration": info.duration, "fps": info.fps,
        "sample_fps": cfg.source.fps, "width": info.width, "height": info.height,
        "content_hash": digest, "status": "ingesting" if keep is None else "complete",
        "run": run if keep is None else keep,
        "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model_ids": [vision.spec["model_id"]] if vision.spec and vision.embedder else [],
        "channels": report.channels, "skipped": report.skipped,
        "n_events": 0 if keep is None else existing["n_events"],
    }
    memory.put_source(row)

    device = resolve_device(cfg.vision.device)
    seg = Segmenter(cfg.segment)
    protect = 2 * cfg.segment.refine_radius + 2
    wm_dim = vision.embedder.dim if vision.embedder is not None else None
    wm: WorkingMemory | None = None
    cons = Consolidator(cfg.consolidate, memory.root, has_vector=vision.embedder is not None)
    timer = report.stage_seconds
    pending: list[EventRecord] = []
    seq = 0

    def close(segments) -> None:
        nonlocal seq
        t0 = time.perf_counter()
        for s in segments:
            assert wm is not None
            slots = wm.pop_before(s.stop)
            pending.append(cons.close(s, slots, source_id=sid, run=run, seq=seq))
            seq += 1
        timer["compress"] += time.perf_counter() - t0
        if len(pending) >= _WRITE_EVERY:
            flush_events()

    def flush_events() -> None:
        t0 = time.perf_counter()
        memory.add_events(pending, run)
        pending.clear()
        timer["store"] += time.perf_counter() - t0

    try:
        for batch in _batches(frames, cfg.vision.batch_size, timer):
            t0 = time.perf_counter()
            images = [f.image for f in batch]
            clip = vision.embedder.embed_images(images) if vision.embedder is not None else None
            pixel = [pixel_feature(im) for im in images]
            timer["embed"] += time.perf_counter() - t0
            for i, frame in enumerate(batch):
                feats: dict[str, np.ndarray] = {"pixel": pixel[i]}
                if clip is not None:
                    feats["clip"] = clip[i]
                vec = clip[i] if clip is not None else pixel[i]
                if wm is None:
                    wm = WorkingMemory(wm_dim or len(vec), cfg.consolidate.capacity, protect, device)
                t2 = time.perf_counter()
                wm.add(frame.index, frame.t, vec, frame.image)
                segments = seg.push(Observation(frame.index, frame.t, feats))
                timer["segment"] += time.perf_counter() - t2
                report.frames += 1
                close(segments)
            report.peak_working_bytes = max(report.peak_working_bytes, wm.nbytes if wm else 0)
            if progress is not None:
                progress(batch[-1].t, info.duration)
        last_t = seg.last_time
        end: float | None = info.duration if info.duration > 0 else None
        if end is not None and last_t is not None and last_t < end - max(2.0, 2.0 / cfg.source.fps):
            report.warnings.append(
                f"decoded only {last_t:.1f}s of {end:.1f}s: the file looks truncated; "
                "events cover the decodable part"
            )
            end = None
        close(seg.flush(end))
        flush_events()
        report.events = seq
        row.update(status="complete", run=run, n_events=seq)
        t0 = time.perf_counter()
        memory.put_source(row)
        memory.drop_runs(sid, run)  # the run this one replaces, if any
        timer["store"] += time.perf_counter() - t0
    except BaseException:
        if keep is None:
            try:
                memory.update_source(sid, status="incomplete")
            except Exception:
                pass  # the row still says "ingesting": the next run redoes it all the same
        raise
    report.wall = time.perf_counter() - started
    return report
