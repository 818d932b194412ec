"""One ingest's orchestration: perceive -> build events (segment + consolidate) -> record who was
in them -> sink (buffer, embed transcripts, write), a batch of frames at a time.

`pipeline.ingest_file` drives a Session over a recorded file (`run_file`: audio pass first, then
frames); `live.run_live` drives a `session_live.LiveSession`, which adds late speech and lag
tracking around a Session. Batch workers choose the `defer` entity recorder.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mmem.config import IngestConfig
from mmem.errors import MediaOpenError
from mmem.perceive.audio_channel import Hearing
from mmem.perceive.audio_track import AudioTrack
from mmem.perceive.hearing import hear
from mmem.perceive.people_channel import People
from mmem.perceive.vision import Vision
from mmem.reports import STAGES, IngestReport
from mmem.sources.audio import AudioDecodeError, iter_audio
from mmem.sources.damage import Damage, describe
from mmem.sources.file import MediaInfo
from mmem.sources.prefetch import Background, Cancelled, prefetch, until
from mmem.store.memory import Memory
from mmem.types import Clock, Frame

if TYPE_CHECKING:
    from mmem.consolidate.builder import BuiltEvent, EventBuilder
    from mmem.consolidate.recorders import EntityRecorder, Met, RecorderChoice
    from mmem.perceive.frames import FramePerception, Seen
    from mmem.segment.cuts import CutTimeline
    from mmem.sink import Sink
    from mmem.types import EventRecord

Progress = Callable[[float, float], None]  # (work done, total work), in media seconds
EventHook = Callable[["BuiltEvent", "Met"], None]

__all__ = ["STAGES", "IngestReport", "Progress", "Session", "run_file"]


class Session:
    """Orchestrates one source's stages; owns no perception, segmentation or storage itself.

    `begin(track)` sets the stages up against a speech timeline (complete for a file, growing
    live); `process(frames)` feeds a batch; `close(end)` closes the open event; `finish()`
    writes everything still buffered."""

    def __init__(self, info: MediaInfo, memory: Memory, cfg: IngestConfig, vision: Vision,
                 hearing: Hearing | None, people: People | None, report: IngestReport, run: str, *,
                 recorder: RecorderChoice | None = None, write_every: int | None = None,
                 clock: Clock | None = None,
                 on_commit: Callable[[list[EventRecord]], None] | None = None) -> None:
        from mmem.consolidate.recorders import match_now
        from mmem.sink import WRITE_EVERY

        self.info, self.memory, self.cfg, self.report, self.run = info, memory, cfg, report, run
        self.vision, self.hearing = vision, hearing
        self.people = people if people is not None and people.active else None
        self.timer = report.stage_seconds
        self.choice: RecorderChoice = recorder or match_now
        self.write_every = write_every or WRITE_EVERY
        self.clock = clock or Clock()
        self.on_commit = on_commit
        self.on_event: list[EventHook] = []  # called as each event closes (live: late speech, lags)
        self.track: AudioTrack | None = None
        self.perception: FramePerception | None = None  # see_first / begin

    def see_first(self) -> FramePerception:
        """The frames' perception before the speech timeline is known: what frames show needs
        no sound, so a file's frames are seen while its audio pass runs (`begin` then adds the
        track)."""
        from mmem.perceive.facetracks import FaceTracker
        from mmem.perceive.frames import FramePerception

        if self.perception is None:
            info, people = self.info, self.people
            tracker = (FaceTracker(people.faces, people.gate)
                       if people is not None and people.faces is not None and info.has_video else None)
            self.perception = FramePerception(self.vision.embedder, tracker, info.has_video,
                                              self.cfg.source.fps, None, self.timer)
        return self.perception

    def begin(self, track: AudioTrack | None, cuts: CutTimeline | None = None) -> None:
        """`cuts`: a recorded file's shot and sound cuts (None: live, or the shot pass is off)."""
        from mmem.consolidate.builder import EventBuilder
        from mmem.consolidate.event import Consolidator
        from mmem.consolidate.recorders import Turns
        from mmem.perceive.text import TranscriptVectors
        from mmem.sink import Sink

        info, cfg, people, sid = self.info, self.cfg, self.people, self.report.source_id
        self.track = track
        has_vector = self.vision.embedder is not None and info.has_video
        perception = self.see_first()
        perception.track = track
        self.builder: EventBuilder = EventBuilder(
            cfg, Consolidator(cfg.consolidate, self.memory.root, has_vector=has_vector), sid, self.run,
            track, track.utterances if track else [], self.timer, self.clock, cuts)
        turns = Turns(track.turns if track is not None else [], sid)
        self.recorder: EntityRecorder = self.choice(people is not None, self.memory, sid, perception.tracker,
                                                    turns, 1 / cfg.source.fps)
        text = self.hearing.text if self.hearing is not None else None
        self.sink: Sink = Sink(self.memory, self.run, TranscriptVectors(text), write_every=self.write_every,
                               index_transcripts=self.recorder.owns_indexes, on_commit=self.on_commit)

    # -- what the caller may read ---------------------------------------------------------
    @property
    def events(self) -> int:
        """Events closed so far."""
        return self.builder.seq

    @property
    def last_time(self) -> float | None:
        """Time of the newest frame processed."""
        return self.builder.segmenter.last_time

    @property
    def event_start(self) -> float:
        """When the open event began."""
        return self.builder.segmenter.event_start

    # -- the stream -------------------------------------------------------------------------
    def process(self, batch: list[Frame], seen: Seen | None = None) -> None:
        """Perceive, segment and consolidate one batch of sampled frames (`seen`: what
        `perception.see` found in them already)."""
        perception = self.see_first()
        perceived = perception.features(batch, seen if seen is not None else perception.see(batch))
        for frame, (feats, vec) in zip(batch, perceived, strict=True):
            built = self.builder.push(frame, feats, vec)
            self.report.frames += int(self.info.has_video)
            self.record(built)
        self.report.peak_working_bytes = max(self.report.peak_working_bytes, self.builder.working_bytes)

    def record(self, built: list[BuiltEvent]) -> None:
        """Closed events go to the sink, and who was in them to the entity recorder."""
        for ev in built:
            self.sink.add(ev.record, ev.rows)
            t0 = time.perf_counter()
            met = self.recorder.record(ev)
            self.timer["entities"] += time.perf_counter() - t0
            for hook in self.on_event:
                hook(ev, met)
        self.report.appearances = self.recorder.appearances
        if self.sink.due:
            self.flush()

    def flush(self) -> None:
        t0 = time.perf_counter()
        self.sink.flush()
        self.recorder.flush(self.memory, self.run)
        self.report.appearances = self.recorder.appearances
        self.timer["store"] += time.perf_counter() - t0

    def close(self, end: float | None) -> None:
        """Close the open event (ending at `end`; None: one frame after the last)."""
        self.record(self.builder.flush(end))

    def finish(self) -> None:
        self.flush()
        t0 = time.perf_counter()
        self.memory.add_spans(self.builder.hierarchy.rows(), self.run)  # after its events
        self.timer["store"] += time.perf_counter() - t0
        self.report.events = self.builder.seq


# -- a recorded file -------------------------------------------------------------------------
def run_file(session: Session, path: Path, frames: Iterator[Frame] | None,
             progress: Progress | None = None, shot_cuts: list[tuple[float, str]] | None = None) -> None:
    """The audio pass, and meanwhile what the first frames show, then events from both.

    Events need the whole audio pass (a file's speakers are clustered with all its turns in
    view; sound cuts and spoken sentences place boundaries), but what frames show does not: so
    while the audio pass runs, a second thread decodes and sees the frames (CLIP, pixels, faces)
    at a lower priority, up to `[source] lookahead` frames held (bounded memory), and the two
    passes share the CPUs (`_hear_and_see`).
    `shot_cuts` is the list the frames' shot pass fills as it decodes (`iter_frames(tap=ShotTap(...))`;
    [] for an audio-only file; None: no shot pass, events from surprise alone)."""
    info, cfg = session.info, session.cfg
    hears = session.hearing is not None and session.hearing.vad is not None and info.has_audio
    total = max(1e-9, info.duration) * max(1, int(info.has_video) + int(hears))
    done = {"audio": 0.0, "frames": 0.0}

    def tick(part: str) -> Callable[[float], None]:
        def at(t: float) -> None:
            done[part] = t
            if progress is not None:
                progress(done["audio"] + done["frames"], total)
        return at

    batches = None if frames is None else _batches(prefetch(frames, depth=2 * cfg.vision.batch_size),
                                                   cfg.vision.batch_size, session.timer)
    ahead: list[tuple[list[Frame], Seen]] = []
    if hears and batches is not None and cfg.source.lookahead > 0:
        track, ahead = _hear_and_see(session, path, batches, tick)
    else:
        track = listen(session, path, tick("audio"))
    if frames is None:
        if track is None or track.duration <= 0:
            raise MediaOpenError(f"{path}: the audio track cannot be decoded and there is no "
                                 "video: re-encode the file or pass another one")
        batches = _batches(_ticks(track.duration, cfg.source.fps), cfg.vision.batch_size, session.timer)
    assert batches is not None
    session.begin(track, find_cuts(session, track, shot_cuts))
    for batch, seen in itertools.chain(ahead, ((b, None) for b in batches)):
        session.process(batch, seen)
        tick("frames")(batch[-1].t)
    ahead.clear()
    session.close(file_end(session))
    session.finish()


def _hear_and_see(session: Session, path: Path, batches: Iterator[list[Frame]],
                  tick: Callable[[str], Callable[[float], None]]
                  ) -> tuple[AudioTrack | None, list[tuple[list[Frame], Seen]]]:
    """The audio pass on this thread while a second one sees the first frames (up to `[source]
    lookahead`), `[source] lookahead_nice` steps below it (with the decoder it starts): events
    wait for the whole audio pass, not for frames seen early, so where both want a core the
    audio pass gets it. Returns the track and the batches seen with what they show."""
    cfg = session.cfg
    perception = session.see_first()
    heard, failed = threading.Event(), threading.Event()

    def see(stop: threading.Event) -> list[tuple[list[Frame], Seen]]:
        ahead: list[tuple[list[Frame], Seen]] = []
        room = cfg.source.lookahead
        try:
            while not (heard.is_set() or stop.is_set()) and len(ahead) * cfg.vision.batch_size < room:
                batch = next(batches, None)
                if batch is None:
                    break
                ahead.append((batch, perception.see(batch)))
                tick("frames")(batch[-1].t)
        except BaseException:
            failed.set()  # the audio pass stops at its next chunk: the frames' error is the news
            raise
        return ahead

    frames = Background(see, name="mmem-frames", nice=cfg.source.lookahead_nice)
    try:
        track = listen(session, path, tick("audio"), failed)
    except Cancelled:
        frames.result()  # raises what the frames raised
        raise
    finally:
        heard.set()  # the frames' thread stops after its batch; the rest are seen after
    return track, frames.result()


def listen(session: Session, path: Path, tick: Callable[[float], None],
           stop: threading.Event | None = None) -> AudioTrack | None:
    """The audio pass over a file's track (None: no audio channel, or it cannot be decoded).
    `stop`: set by another thread to end the pass early (Cancelled is raised)."""
    h, info, report = session.hearing, session.info, session.report
    if h is None or h.vad is None or not info.has_audio:
        return None
    t0 = time.perf_counter()
    try:
        damage = Damage()
        chunks = iter_audio(path, info.start, h.chunk_seconds, damage)
        if stop is not None:
            chunks = until(chunks, stop)
        voices = session.people.voices if session.people is not None else None
        track = hear(chunks, h.vad, h.asr, progress=tick, voices=voices)
        if damage:
            report.damage["audio"] = damage.to_json()
            report.warnings.append(describe("audio", damage))
    except AudioDecodeError as exc:
        report.warnings.append(f"audio track skipped: {exc}")
        report.channels = [c for c in report.channels if c not in ("audio", "asr", "voices")]
        track = None
    session.timer["audio"] += time.perf_counter() - t0
    if track is not None:
        report.utterances = len(track.utterances)
        if track.loudness.size and float(track.loudness.max()) < -60:
            report.warnings.append("the audio track is silent")
    return track


def find_cuts(session: Session, track: AudioTrack | None,
              shot_cuts: list[tuple[float, str]] | None) -> CutTimeline | None:
    """The cuts to build events on: the shot pass's (`shot_cuts`, growing as the frames are
    decoded) with the sound's; None when the shot pass is off or the caller has none (events
    then come from surprise alone)."""
    from mmem.perceive.audio_features import HOP
    from mmem.segment.cuts import CutTimeline
    from mmem.segment.sound import sound_cuts

    cfg, info = session.cfg, session.info
    if not cfg.shots.enabled or shot_cuts is None:
        return None
    heard: list[float] = []
    if track is not None:
        turns = [(v.start, v.end, v.speaker) for v in track.turns]  # diarized: a new speaker cuts
        heard = sound_cuts(track.mel, track.loudness, track.speech, cfg.sound, HOP, turns)
    return CutTimeline(shot_cuts, heard, cfg.sound.snap, alone=not info.has_video or cfg.sound.in_video)


def file_end(session: Session) -> float | None:
    """Where a file's last event ends: its duration, unless it decoded short (a warning)."""
    info, track = session.info, session.track
    last_t = session.last_time
    end: float | None = info.duration if info.duration > 0 else None
    if info.has_video and end is not None and last_t is not None \
            and last_t < end - max(2.0, 2.0 / session.cfg.source.fps):
        session.report.warnings.append(
            f"decoded only {last_t:.1f}s of {end:.1f}s: the file looks truncated; "
            "events cover the decodable part"
        )
        end = None
    if not info.has_video and track is not None:
        end = max(track.duration, last_t or 0.0)
    return end


def _batches(frames: Iterator[Frame], size: int, timer: dict[str, float]) -> Iterator[list[Frame]]:
    while True:
        t0 = time.perf_counter()
        batch = list(itertools.islice(frames, size))
        timer["decode"] += time.perf_counter() - t0
        if not batch:
            return
        yield batch


def _ticks(duration: float, fps: float) -> Iterator[Frame]:
    """Pseudo-frames on the audio clock for audio-only sources (no image)."""
    n = max(1, int(np.ceil(duration * fps - 1e-9)))
    for i in range(n):
        yield Frame(index=i, t=i / fps, image=None)  # type: ignore[arg-type]
