"""A live session: capture -> (listener thread: VAD + ASR + voices) -> frames -> segment ->
consolidate -> store, committing each event as it closes so `mmem ask` in another process sees
it. No printing: status goes to a callback.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmem.config import IngestConfig
from mmem.perceive.audio_channel import Hearing
from mmem.perceive.models import loaded_plan
from mmem.perceive.people_channel import People
from mmem.perceive.vision import Vision
from mmem.pipeline import bind_models, planned_channels
from mmem.reports import IngestReport, Tally
from mmem.session_live import LiveSession
from mmem.sources.file import MediaInfo
from mmem.sources.live import Capture, LiveSpec
from mmem.store.memory import Memory
from mmem.store.rows import SourceRow
from mmem.types import Clock

Status = Callable[[dict[str, Any]], None]
COMPACT_EVERY = 600.0  # seconds between compactions of a long session's tables


@dataclass
class LiveReport(Tally):
    source_id: str
    uri: str
    seconds: float = 0.0  # session seconds captured
    dropped: int = 0
    reconnects: int = 0
    gaps: list[tuple[float, float]] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)  # event closed -> committed (queryable), s
    capture_lags: list[float] = field(default_factory=list)  # its end captured -> committed, s
    relabelled: int = 0  # voice turns moved to another speaker when the session was re-clustered
    ended_by: str = "stop"  # stop | duration | source | error
    error: str | None = None


class _Listening(threading.Thread):
    """Feeds spooled audio to the listener as it arrives."""

    def __init__(self, capture: Capture, hearing: Hearing, people: People | None) -> None:
        super().__init__(name="mmem-listen", daemon=True)
        from mmem.perceive.hearing import Listener

        assert hearing.vad is not None
        voices = people.voices if people is not None else None
        self.listener = Listener(hearing.vad, hearing.asr, voices)
        self.capture = capture
        self.error: BaseException | None = None

    def run(self) -> None:
        spool = self.capture.spool
        assert spool is not None
        try:
            while True:
                chunk = spool.read(timeout=0.2)
                if chunk is None:
                    if spool.closed and spool.backlog_seconds <= 0:
                        break
                    continue
                self.listener.feed(chunk)
            self.listener.finish()
        except BaseException as exc:  # surfaced by the session
            self.error = exc


def run_live(
    spec: LiveSpec,
    memory: Memory,
    cfg: IngestConfig,
    vision: Vision,
    hearing: Hearing | None,
    people: People | None,
    *,
    duration: float | None = None,
    stop: threading.Event | None = None,
    status: Status | None = None,
) -> LiveReport:
    audio = hearing is not None and hearing.vad is not None
    capture = Capture(spec, cfg.source.fps, cfg.source.short_side, audio=audio, duration=duration)
    capture.open()  # a bad camera or URL raises here, before anything is written
    sid = f"live-{uuid.uuid4().hex[:12]}"
    run = uuid.uuid4().hex[:8]
    info = MediaInfo(path=Path(spec.uri), duration=0.0, fps=cfg.source.fps, width=0, height=0, rotation=0,
                     codec=spec.kind, has_audio=audio, has_video=True)
    report = LiveReport(source_id=sid, uri=spec.uri)
    ingest = IngestReport(source_id=sid, uri=spec.uri, status="ingesting")
    channels = planned_channels(info, vision, hearing, people)
    row = SourceRow(
        id=sid, uri=spec.uri, kind="live" if spec.kind != "replay" else "replay",
        duration=0.0, fps=0.0, sample_fps=cfg.source.fps, width=0, height=0,
        content_hash=None, status="live", run=run,
        ingested_at=capture.wall0.isoformat(timespec="seconds"), started_at=capture.wall0.isoformat(),
        model_ids=[], channels=channels, skipped=[], n_events=0, gaps="[]",
    )
    bind_models(memory, loaded_plan(vision, hearing, people), audio=audio)
    memory.put_source(row)

    listening = _Listening(capture, hearing, people) if audio else None  # type: ignore[arg-type]
    track = listening.listener.track if listening else None
    job = LiveSession(info, memory, cfg, vision, hearing, people, ingest, run,
                      clock=Clock(capture.wall0, spec.speed), track=track)
    if listening:
        listening.start()
    try:
        _loop(capture, job, memory, stop or threading.Event(), status, report, cfg.vision.batch_size)
    except KeyboardInterrupt:
        report.ended_by = "stop"
    finally:
        source_ended = capture.done.is_set() and not capture.stop.is_set()
        capture.close()
        while not capture.frames.empty():  # what was captured is processed, not thrown away
            job.process(_take(capture, cfg.vision.batch_size))
        if listening is not None:
            listening.join()
            job.catch_up()
        seconds = max(capture.elapsed(), job.last_time or 0.0)
        if source_ended and spec.kind == "replay":
            seconds = capture.media_duration  # the file ran out, not the clock
        if duration is not None:
            seconds = min(seconds, duration)
        job.finish(seconds)
        _tell(report, capture, job, seconds, duration, source_ended)
        row.finish(duration=seconds, n_events=job.events,
                   gaps=json.dumps([[round(a, 2), round(b, 2)] for a, b in capture.stats.gaps]))
        memory.put_source(row)
        memory.compact()
    return report


def _loop(capture: Capture, job: LiveSession, memory: Memory, stop: threading.Event, status: Status | None,
          report: LiveReport, size: int) -> None:
    """Process frames as they come until the source ends or `stop` is set."""
    last_status = 0.0
    last_compact = time.monotonic()
    while True:
        if stop.is_set():
            capture.stop.set()
        batch = _take(capture, size)
        if batch:
            job.process(batch)
            job.catch_up()
        elif capture.done.is_set() and capture.frames.empty():
            break
        if time.monotonic() - last_compact >= COMPACT_EVERY:
            memory.compact()  # one commit per event makes many small fragments: merge them
            last_compact = time.monotonic()
        if status is not None and time.monotonic() - last_status >= 1.0:
            last_status = time.monotonic()
            status(_status(capture, job, report, batch))


def _tell(report: LiveReport, capture: Capture, job: LiveSession, seconds: float, duration: float | None,
          source_ended: bool) -> None:
    """Fill the report at the end of the session."""
    stats = capture.stats
    report.seconds, report.events, report.frames = seconds, job.events, job.frames
    report.utterances, report.relabelled = job.utterances, job.relabelled
    report.dropped, report.reconnects, report.gaps = stats.dropped, stats.reconnects, stats.gaps
    report.lags, report.capture_lags = job.lags.commit, job.lags.capture
    if capture.error is not None and not isinstance(capture.error, KeyboardInterrupt):
        report.ended_by, report.error = "error", str(capture.error)
    elif duration is not None and seconds >= duration - 1e-6:
        report.ended_by = "duration"
    elif source_ended:
        report.ended_by = "source"
    report.warnings.extend(capture.warnings)
    if capture.spool is not None:
        if capture.spool.dropped_seconds:
            report.warnings.append(f"{capture.spool.dropped_seconds:.1f}s of audio did not fit the spool")
        capture.spool.remove()


def _take(capture: Capture, size: int) -> list:
    batch = []
    try:
        batch.append(capture.frames.get(timeout=0.2))
        while len(batch) < size:
            batch.append(capture.frames.get_nowait())
    except queue.Empty:
        pass
    return batch


def _status(capture: Capture, job: LiveSession, report: LiveReport, batch: list) -> dict[str, Any]:
    now = capture.elapsed()
    last = job.last_time
    return {
        "elapsed": now, "seen": capture.stats.seen, "kept": capture.stats.kept,
        "dropped": capture.stats.dropped, "queued": capture.frames.qsize(),
        "lag": max(0.0, (now - last) / capture.spec.speed) if last is not None else 0.0,
        "events": job.events, "current": (last - job.event_start) if last is not None else 0.0,
        "reconnects": capture.stats.reconnects,
        "audio_backlog": capture.spool.backlog_seconds if capture.spool is not None else 0.0,
    }
