"""Ingest one recorded file: source -> (audio pass: VAD + ASR) -> frames -> perceive ->
segment -> consolidate -> store.

The audio pass runs first and leaves a small AudioTrack (speech regions, utterances, loudness),
so the segmenter knows where speech is before it cuts. No printing here: progress goes to a
callback, results come back as an IngestReport.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from mmem.config import IngestConfig
from mmem.perceive.audio_channel import Hearing
from mmem.perceive.models import ModelPlan, build_models, loaded_plan, skipped_lines
from mmem.perceive.people_channel import People
from mmem.perceive.vision import Vision
from mmem.reports import STAGES, IngestReport
from mmem.session import Progress, Session, run_file
from mmem.sources.damage import Damage, describe
from mmem.sources.file import MediaInfo, content_hash, iter_frames, probe
from mmem.store._util import now
from mmem.store.memory import Memory
from mmem.store.rows import SourceRow
from mmem.types import Frame

if TYPE_CHECKING:
    from mmem.consolidate.recorders import RecorderChoice

__all__ = ["STAGES", "IngestReport", "Progress", "bind_models", "build_models", "ingest_file",
           "planned_channels"]


def planned_channels(info: MediaInfo, vision: Vision, hearing: Hearing | None,
                     people: People | None = None) -> list[str]:
    """The channels a source records: those whose models are loaded, on the tracks it has."""
    from mmem.perceive.models import running
    from mmem.perceive.registry import recorded

    return recorded(running(vision, hearing, people), has_video=info.has_video, has_audio=info.has_audio)


def bind_models(memory: Memory, plan: ModelPlan, *, video: bool = True, audio: bool = True) -> None:
    """Fix the memory's event vector width and record the models its vectors come from (refusing
    others): the vision model when frames are embedded, the sentence model when speech is."""
    memory.ensure_dim(plan.dim)
    if plan.spec is not None and video:
        memory.bind_vector_model(plan.spec, plan.dim)
    if plan.text_model is not None and audio:
        memory.bind_text_model(plan.text_model)


class FileJob:
    """One recorded file about to be remembered: probed, hashed, its run chosen. `ingest_file`
    runs it against the memory directly; batch workers run it with entity matching deferred."""

    def __init__(self, path: Path, memory: Memory, cfg: IngestConfig, vision: Vision,
                 hearing: Hearing | None, people: People | None, *, force: bool = False,
                 uri: str | None = None) -> None:
        self.started = time.perf_counter()
        self.path = Path(path).expanduser().resolve()
        self.memory, self.cfg, self.vision, self.hearing, self.people = memory, cfg, vision, hearing, people
        self.info = info = probe(self.path)
        self.digest = digest = content_hash(self.path)
        self.sid = sid = digest[:16]
        self.uri = uri or str(self.path)
        self.report = IngestReport(source_id=sid, uri=self.uri, status="ingested", duration=info.duration)
        channels = planned_channels(info, vision, hearing, people)
        existing = memory.source_by_hash(digest)
        upgrade = existing is not None and not set(channels) <= set(existing.channels or [])
        self.skipped = bool(existing and existing.status == "complete" and not force and not upgrade)
        if self.skipped:
            self.report.status = "skipped"
            self.report.events = int(existing.n_events or 0)  # type: ignore[union-attr]
            self.report.uri = existing.uri  # type: ignore[union-attr]
            return
        self.frames: Iterator[Frame] | None = None
        self.video_damage = Damage()  # packets that failed to decode, counted as frames are read
        # the shot pass rides on the frame decode and fills this (None: off, surprise alone)
        self.shot_cuts: list[tuple[float, str]] | None = [] if cfg.shots.enabled else None
        if info.has_video:
            tap = None
            if self.shot_cuts is not None:
                from mmem.perceive.shots import ShotTap

                tap = ShotTap(cfg.shots, self.shot_cuts)
            frames = iter_frames(self.path, cfg.source.fps, cfg.source.short_side, tap=tap,
                                 damage=self.video_damage)
            first = next(frames)  # fails here, before anything is written, if nothing decodes
            self.frames = itertools.chain([first], frames)
        self.keep = existing.run if existing and existing.status == "complete" else None
        self.run = run_id(digest, cfg, channels)
        if self.run == self.keep:  # --force with the same settings: a new run replaces the old one
            self.run = uuid.uuid4().hex[:8]
        self.report.channels = channels
        self.report.skipped = skipped_lines(vision, hearing, people, has_video=info.has_video,
                                            has_audio=info.has_audio)
        self.row = SourceRow(
            id=sid, uri=self.uri, kind="file", duration=info.duration, fps=info.fps,
            sample_fps=cfg.source.fps, width=info.width, height=info.height,
            content_hash=digest, status="ingesting" if self.keep is None else "complete",
            run=self.run if self.keep is None else self.keep, ingested_at=now(),
            model_ids=_model_ids(vision, hearing, channels),
            channels=channels, skipped=self.report.skipped,
            n_events=0 if self.keep is None else existing.n_events,  # type: ignore[union-attr]
        )

    def run_session(self, progress: Progress | None = None,
                    recorder: RecorderChoice | None = None) -> Session:
        """Remember the file; `recorder` chooses how entities are recorded (default: matched now;
        batch workers pass `recorders.defer`)."""
        session = Session(self.info, self.memory, self.cfg, self.vision, self.hearing, self.people,
                          self.report, self.run, recorder=recorder)
        run_file(session, self.path, self.frames, progress, self.shot_cuts)
        if self.video_damage:
            self.report.damage["video"] = self.video_damage.to_json()
            self.report.warnings.append(describe("video", self.video_damage))
        self.row.finish(run=self.run, n_events=self.report.events, skipped=self.report.skipped,
                        channels=self.report.channels,
                        damage=json.dumps(self.report.damage) if self.report.damage else None)
        self.report.wall = time.perf_counter() - self.started
        return session


def ingest_file(
    path: Path,
    memory: Memory,
    cfg: IngestConfig,
    vision: Vision,
    hearing: Hearing | None = None,
    people: People | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    job = FileJob(path, memory, cfg, vision, hearing, people, force=force)
    if job.skipped:
        return job.report
    sid = job.sid
    memory.drop_runs(sid, job.keep)
    bind_models(memory, loaded_plan(vision, hearing, people), video=job.info.has_video,
                audio=job.info.has_audio)
    memory.put_source(job.row)
    try:
        from mmem.consolidate.recorders import defer

        # faces and voices are matched to entities at the end, in the one journalled commit that
        # makes the file visible: a run killed before it leaves no entity, id or crop behind
        # (the next writer sweeps its rows), and the re-run matches exactly as a clean run
        session = job.run_session(progress, recorder=defer)
        t0 = time.perf_counter()
        job.report.appearances = commit_file(memory, job.row, session.recorder.handoff(),
                                             people is not None)
        job.report.stage_seconds["store"] += time.perf_counter() - t0
    except BaseException:
        if job.keep is None:
            try:
                memory.update_source(sid, status="incomplete")
            except Exception:
                pass  # the row still says "ingesting": the next run redoes it all the same
        raise
    job.report.wall = time.perf_counter() - job.started
    return job.report


def commit_file(memory: Memory, row: SourceRow, meetings: list, people: bool) -> int:
    """Match a finished file's meetings to entities and make it visible, in one journalled step
    (the batch writer's commit); the number of appearance rows it wrote."""
    from mmem.batch.worker import FileResult
    from mmem.batch.writer import Writer

    res = FileResult(index=0, uri=row.uri or "", status="ingested", source=row, meetings=meetings)
    Writer(memory, people).commit(res)
    return res.appearances


def run_id(digest: str, cfg: IngestConfig, channels: list[str]) -> str:
    """The run an ingest writes: the same file with the same settings always gets the same run,
    so event ids are stable and an interrupted ingest redone gives the same memory."""
    import dataclasses
    import hashlib
    import json

    settings = dataclasses.asdict(cfg)
    settings["vision"].pop("device", None)  # where it ran does not change what it remembers
    settings["vision"].pop("batch_size", None)
    settings["source"].pop("lookahead", None)  # when frames are seen, not what they show
    settings["source"].pop("lookahead_nice", None)
    settings["require"] = sorted(cfg.require)
    blob = json.dumps([digest, settings, sorted(channels)], sort_keys=True, default=str)
    return hashlib.blake2b(blob.encode(), digest_size=4).hexdigest()


def _model_ids(vision: Vision, hearing: Hearing | None, channels: list[str]) -> list[str]:
    ids = []
    if "vision" in channels and vision.spec:
        ids.append(vision.spec["model_id"])
    if "asr" in channels and hearing is not None and hearing.asr is not None:
        ids.append(hearing.asr.model_id)
        if hearing.text is not None:
            ids.append(hearing.text.model_id)
    return ids
