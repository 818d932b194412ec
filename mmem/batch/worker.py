"""One batch worker: loads the models once, then turns files into events, one at a time.

A worker appends a file's events and transcripts to the memory under the file's run (invisible
until the writer commits the file), and hands back what the writer needs: the source row and
the faces and voices met, still unmatched. Every failure stays inside its file's result.
"""

from __future__ import annotations

import errno
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmem.batch.plan import Item
from mmem.config import IngestConfig
from mmem.errors import MmemError
from mmem.store.rows import SourceRow


@dataclass
class FileResult:
    index: int
    uri: str
    status: str  # ingested | skipped | duplicate | failed
    size: int = 0  # bytes
    source: SourceRow | None = None  # the complete sources row, for the writer
    meetings: list = field(default_factory=list)  # faces and voices per event, unmatched
    events: int = 0
    utterances: int = 0
    appearances: int = 0
    frames: int = 0
    duration: float = 0.0  # media seconds
    wall: float = 0.0  # seconds the worker spent
    channels: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "uri": self.uri, "status": self.status, "source_id": self.source.id if self.source else None,
            "events": self.events, "utterances": self.utterances, "appearances": self.appearances,
            "frames": self.frames, "duration": round(self.duration, 3), "seconds": round(self.wall, 3),
            "bytes": self.size, "channels": self.channels, "skipped": self.skipped,
            "warnings": self.warnings, "error": self.error,
        }


@dataclass
class ModelPlan:
    """What the models of a batch will be, found without loading them (the writer needs the
    vector model and widths before workers start; workers load the models themselves)."""

    spec: dict[str, Any] | None  # the vision model, as Vision.spec
    dim: int  # event vector width
    text_dim: int | None  # transcript vector width (None: no ASR)
    people: bool  # faces or voices will be matched to entities
    skipped: list[str] = field(default_factory=list)  # "channel: why" for channels that will not run


def plan_models(cfg: IngestConfig) -> ModelPlan:
    """Resolve every model's weights (fail now, once, if a required one is missing) and load only
    the small sentence model, for its width."""
    from mmem.errors import WeightsUnavailable
    from mmem.perceive.audio_channel import build_text_embedder
    from mmem.perceive.device import resolve_device
    from mmem.weights import (
        clip_embed_dim,
        resolve_asr,
        resolve_clip,
        resolve_face_models,
        resolve_voice_model,
    )

    resolve_device(cfg.vision.device)
    skipped: list[str] = []
    spec = None
    try:
        w = resolve_clip(cfg.vision.clip_model, cfg.vision.clip_pretrained)
        spec = {"clip_model": cfg.vision.clip_model, "clip_pretrained": cfg.vision.clip_pretrained,
                "model_id": w.model_id}
    except WeightsUnavailable as exc:
        if "vision" in cfg.require:
            raise
        skipped.append(f"vision: {exc}")
    dim = clip_embed_dim(cfg.vision.clip_model)
    if dim is None:  # a model without a config: only loading it tells its width
        import dataclasses

        from mmem.perceive.vision import build_vision

        vision = build_vision(dataclasses.replace(cfg.vision, device="cpu"), required="vision" in cfg.require)
        dim, spec = vision.dim, vision.spec
    text_dim = None
    if cfg.audio.enabled:
        try:
            resolve_asr(cfg.audio.asr_model, cfg.audio.asr_backend)
            text = build_text_embedder(cfg.audio.text_model, "cpu", skipped)
            text_dim = text.dim if text is not None else None
        except WeightsUnavailable as exc:
            if "asr" in cfg.require:
                raise
            skipped.append(f"asr: {exc}")
    people = False
    if cfg.entities.enabled:
        for kind, resolve in (("faces", resolve_face_models), ("voices", resolve_voice_model)):
            try:
                resolve()
                people = True
            except WeightsUnavailable as exc:
                if "entities" in cfg.require:
                    raise
                skipped.append(f"{kind}: {exc}")
    return ModelPlan(spec, int(dim), text_dim, people, skipped)


def loaded_plan(vision: Any, hearing: Any, people: Any) -> ModelPlan:
    """The same facts from models already loaded (one worker in this process)."""
    skipped = ([f"vision: {vision.skipped}"] if vision.skipped else []) + list(hearing.skipped) + \
        list(people.skipped)
    text_dim = hearing.text.dim if hearing is not None and hearing.text is not None else None
    return ModelPlan(vision.spec if vision.embedder is not None else None, vision.dim, text_dim,
                     people is not None and people.active, skipped)


class Worker:
    """Models loaded once; `process` one file at a time. Also a Ray actor class."""

    def __init__(self, db: str, cfg: IngestConfig, force: bool = False, threads: int | None = None,
                 models: tuple[Any, Any, Any] | None = None) -> None:
        from mmem.store.memory import Memory

        if threads:
            import torch

            torch.set_num_threads(max(1, int(threads)))
        self.cfg, self.force = cfg, force
        self.memory = Memory.open(db)  # the writer created it
        if models is None:
            from mmem.pipeline import build_models

            models = build_models(cfg)
        self.vision, self.hearing, self.people = models

    def process(self, item: Item, progress: Any = None) -> FileResult:
        """Remember one file; `progress(done, total)` in media seconds, when given."""
        from mmem.pipeline import FileJob

        t0 = time.perf_counter()
        res = FileResult(item.index, item.uri, "failed", size=item.size)
        if item.duplicate_of:
            res.status = "duplicate"
            res.warnings.append(f"same content as {item.duplicate_of}: remembered once")
            return res
        job = None
        try:
            with local_copy(item) as path:
                job = FileJob(path, self.memory, self.cfg, self.vision, self.hearing, self.people,
                              force=self.force, uri=item.uri)
                r = job.report
                res.duration, res.channels = r.duration, r.channels
                if job.skipped:
                    res.status, res.events = "skipped", r.events
                else:
                    self.memory.drop_runs(job.sid, job.keep)  # what an interrupted batch left
                    session = job.run_session(progress, batch=True)
                    res.status, res.source = "ingested", job.row
                    res.meetings = session.meetings or []
                    res.events, res.utterances, res.frames = r.events, r.utterances, r.frames
                    res.channels, res.skipped, res.warnings = r.channels, r.skipped, r.warnings
        except Exception as exc:  # noqa: BLE001 - one file's failure must not stop the batch
            res.error = describe(exc, item)
            if job is not None and not job.skipped:
                try:
                    self.memory.drop_runs(job.sid, job.keep)
                except Exception:  # noqa: BLE001 - the next batch cleans up all the same
                    pass
        res.wall = time.perf_counter() - t0
        return res


def describe(exc: BaseException, item: Item) -> str:
    """One line that says what went wrong with a file and what to do."""
    if isinstance(exc, MmemError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"{item.uri} disappeared before it could be read: restore it and rerun"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "no space left on the device: free some space and rerun (finished files are kept)"
    if isinstance(exc, PermissionError):
        return f"{item.uri} cannot be read (permission denied): fix its permissions and rerun"
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextmanager
def local_copy(item: Item) -> Iterator[Path]:
    """The file itself, or (for an object URI) a temporary local copy of it."""
    if not item.remote:
        path = Path(item.uri)
        if not path.exists():
            raise FileNotFoundError(item.uri)
        yield path
        return
    from mmem.store.location import ObjectPath

    obj = ObjectPath(item.uri)
    tmp = Path(tempfile.mkdtemp(prefix="mmem-batch-"))
    try:
        dst = tmp / item.name
        with obj.fs.open_input_stream(obj.key) as src, dst.open("wb") as out:
            while block := src.read(1 << 22):
                out.write(block)
        yield dst
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
