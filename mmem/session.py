"""One ingest's running state: perceive -> segment -> consolidate -> store, a batch at a time.

`pipeline.ingest_file` drives a Session over a recorded file (audio pass first, then frames);
`live.run_live` drives one over a live source (frames as they come, audio beside them).
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from mmem.config import IngestConfig
from mmem.errors import MediaOpenError
from mmem.perceive.audio_channel import Hearing
from mmem.perceive.hearing import AudioTrack, hear
from mmem.perceive.lowlevel import pixel_feature
from mmem.perceive.people_channel import People
from mmem.perceive.vision import Vision
from mmem.segment.segmenter import Segmenter
from mmem.sources.audio import AudioDecodeError, iter_audio
from mmem.sources.file import MediaInfo
from mmem.sources.prefetch import prefetch
from mmem.store.memory import Memory
from mmem.store.rows import AppearanceRow, UtteranceRow
from mmem.types import Frame, Observation

Progress = Callable[[float, float], None]  # (work done, total work), in media seconds
STAGES = ("audio", "decode", "embed", "entities", "segment", "compress", "store")
_WRITE_EVERY = 64  # events buffered per LanceDB commit


@dataclass
class IngestReport:
    source_id: str
    uri: str
    status: str  # ingested | skipped
    events: int = 0
    frames: int = 0
    utterances: int = 0
    appearances: int = 0
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


def _ticks(duration: float, fps: float) -> Iterator[Frame]:
    """Pseudo-frames on the audio clock for audio-only sources (no image)."""
    n = max(1, int(np.ceil(duration * fps - 1e-9)))
    for i in range(n):
        yield Frame(index=i, t=i / fps, image=None)  # type: ignore[arg-type]


@dataclass
class Meeting:
    """Who was seen and heard in one event, before they are matched to entities."""

    event_id: str
    faces: list  # face-track Appearances (embedding, box, thumbnail)
    voices: list  # voice-turn Appearances
    utterances: list[UtteranceRow]  # the event's transcript rows (voices point at one)


@dataclass
class _Closed:
    """An event already written, kept for a while so late speech can still join it."""

    start: float
    end: float
    event_id: str
    faces: list  # (face appearance, entity) pairs
    texts: list[str]  # its utterances so far
    appearances: int  # appearance rows it has (their ids are numbered)


class Session:
    """The state of one ingest (a file or a live session): stages, buffers, counters."""

    def __init__(self, path: Path, info: MediaInfo, memory: Memory, cfg: IngestConfig, vision: Vision,
                 hearing: Hearing | None, people: People | None, report: IngestReport, run: str,
                 progress: Progress | None, batch: bool = False) -> None:
        from mmem.consolidate.event import Consolidator
        from mmem.consolidate.facetracks import FaceTracker
        from mmem.consolidate.people import load_index
        from mmem.perceive.device import resolve_device

        self.path, self.info, self.memory, self.cfg = path, info, memory, cfg
        self.vision, self.hearing, self.report, self.run = vision, hearing, report, run
        self.progress = progress
        self.timer = report.stage_seconds
        self.device = resolve_device(cfg.vision.device)
        has_vector = vision.embedder is not None and info.has_video
        self.consolidator = Consolidator(cfg.consolidate, memory.root, has_vector=has_vector)
        self.pending: list = []
        self.pending_utts: list[UtteranceRow] = []
        self.pending_apps: list[AppearanceRow] = []
        self.people = people if people is not None and people.active else None
        # batch: one of several concurrent writers; the batch writer matches entities, builds the index
        self.batch = batch
        self.meetings: list[Meeting] | None = [] if batch and self.people is not None else None
        self.index = load_index(memory) if self.people is not None and self.meetings is None else None
        self.tracker = (FaceTracker(people.faces, people.gate)  # type: ignore[union-attr]
                        if self.people is not None and people.faces is not None and info.has_video else None)
        self.turn_cursor = 0
        self._last_appearances = 0
        # live sessions: wall-clock origin, media seconds per wall second, and what was closed
        self.wall0: datetime | None = None
        self.time_scale = 1.0
        self.write_every = _WRITE_EVERY
        self.closed: deque[_Closed] = deque(maxlen=512)  # recent events, for late speech
        self.late_texts: dict[str, str] = {}
        self.decided: dict[str, tuple[float, float]] = {}  # event id -> (monotonic at close, end)
        self.commit_lags: list[float] = []  # close -> committed, seconds
        self.capture_lags: list[float] = []  # boundary captured (wall) -> committed, seconds
        self.seq = 0
        self.wm = None
        passes = int(info.has_video) + int(info.has_audio and hearing is not None and hearing.vad is not None)
        self.total = max(1e-9, info.duration) * max(1, passes)
        self.done = 0.0

    def tick(self, t: float) -> None:
        if self.progress is not None:
            self.progress(self.done + t, self.total)

    # -- the audio pass ---------------------------------------------------------------------
    def listen(self) -> AudioTrack | None:
        h = self.hearing
        if h is None or h.vad is None or not self.info.has_audio:
            return None
        t0 = time.perf_counter()
        try:
            chunks = iter_audio(self.path, self.info.start, h.chunk_seconds)
            voices = self.people.voices if self.people is not None else None
            track = hear(chunks, h.vad, h.asr, progress=self.tick, voices=voices)
        except AudioDecodeError as exc:
            self.report.warnings.append(f"audio track skipped: {exc}")
            self.report.channels = [c for c in self.report.channels if c not in ("audio", "asr", "voices")]
            track = None
        self.timer["audio"] += time.perf_counter() - t0
        self.done += self.info.duration
        if track is not None:
            self.report.utterances = len(track.utterances)
            if track.loudness.size and float(track.loudness.max()) < -60:
                self.report.warnings.append("the audio track is silent")
        return track

    # -- the main pass ----------------------------------------------------------------------
    def go(self, frames: Iterator[Frame] | None) -> None:
        track = self.listen()
        if frames is None:
            if track is None or track.duration <= 0:
                raise MediaOpenError(f"{self.path}: the audio track cannot be decoded and there is no "
                                     "video: re-encode the file or pass another one")
            frames = _ticks(track.duration, self.cfg.source.fps)
        else:
            frames = prefetch(frames, depth=2 * self.cfg.vision.batch_size)
        self.begin(track)
        for batch in _batches(frames, self.cfg.vision.batch_size, self.timer):
            self.process(batch)
        self.finish()

    def begin(self, track: AudioTrack | None) -> None:
        """Set up segmentation against a speech timeline (complete for a file, growing live)."""
        from mmem.consolidate.transcripts import TranscriptAssigner

        self.track = track
        self.assigner = TranscriptAssigner(track.utterances if track else [])
        self.segmenter = Segmenter(self.cfg.segment, speech=track)
        self.prev_t: float | None = None

    def process(self, batch: list[Frame]) -> None:
        """Perceive, segment and consolidate one batch of sampled frames."""
        track, fps = self.track, self.cfg.source.fps
        embedder = self.vision.embedder if self.info.has_video else None
        t0 = time.perf_counter()
        images = [f.image for f in batch] if self.info.has_video else []
        clip = embedder.embed_images(images) if embedder is not None else None
        pixel = [pixel_feature(im) for im in images]
        self.timer["embed"] += time.perf_counter() - t0
        if self.tracker is not None:
            t0 = time.perf_counter()
            for f in batch:
                self.tracker.observe(f.index, f.t, f.image)
            self.timer["entities"] += time.perf_counter() - t0
        for i, frame in enumerate(batch):
            feats: dict[str, np.ndarray] = {}
            if pixel:
                feats["pixel"] = pixel[i]
            if clip is not None:
                feats["clip"] = clip[i]
            if track is not None:
                a = track.feature(frame.t - 1 / fps if self.prev_t is None else self.prev_t, frame.t + 1e-6)
                if a is not None:
                    feats["audio"] = a
            self.prev_t = frame.t
            if not feats:
                feats["audio"] = np.zeros(24, np.float32)
            vec = feats.get("clip", feats.get("pixel", feats.get("audio")))
            self.push(frame, feats, vec)
        self.report.peak_working_bytes = max(self.report.peak_working_bytes, self.wm.nbytes if self.wm else 0)
        self.tick(batch[-1].t)

    def push(self, frame: Frame, feats: dict[str, np.ndarray], vec: np.ndarray) -> None:
        from mmem.consolidate.working import WorkingMemory

        if self.wm is None:
            protect = 2 * self.cfg.segment.refine_radius + 2
            self.wm = WorkingMemory(len(vec), self.cfg.consolidate.capacity, protect, self.device)
        t0 = time.perf_counter()
        self.wm.add(frame.index, frame.t, vec, frame.image)
        segments = self.segmenter.push(Observation(frame.index, frame.t, feats))
        self.timer["segment"] += time.perf_counter() - t0
        self.report.frames += int(self.info.has_video)
        self.close(segments)

    def close(self, segments, last: bool = False) -> None:
        from mmem.consolidate.transcripts import transcript_rows, transcript_text

        t0 = time.perf_counter()
        for n, s in enumerate(segments):
            assert self.wm is not None
            slots = self.wm.pop_before(s.stop)
            utts = self.assigner.take(s.end, last=last and n == len(segments) - 1)
            rec = self.consolidator.close(s, slots, source_id=self.report.source_id, run=self.run,
                                          seq=self.seq, transcript=transcript_text(utts),
                                          started_at=self.wall0, time_scale=self.time_scale)
            self.pending.append(rec)
            utt_rows = transcript_rows(rec.id, self.report.source_id, utts)
            self.pending_utts.extend(utt_rows)
            faces: list = []
            if self.index is not None or self.meetings is not None:
                t1 = time.perf_counter()
                faces = self.meet(s, rec.id, utt_rows)
                self.timer["entities"] += time.perf_counter() - t1
            self.closed.append(_Closed(s.start, s.end, rec.id, faces, [u.text for u in utts],
                                       self._last_appearances))
            if self.wall0 is not None:
                self.decided[rec.id] = (time.monotonic(), s.end)
            self.seq += 1
        self.timer["compress"] += time.perf_counter() - t0
        if len(self.pending) >= self.write_every:
            self.flush()

    def _voices_before(self, end: float) -> list:
        from mmem.consolidate.entities import Appearance

        voices = []
        turns = self.track.turns if self.track is not None else []
        while self.turn_cursor < len(turns) and (
                (turns[self.turn_cursor].start + turns[self.turn_cursor].end) / 2 < end):
            v = turns[self.turn_cursor]
            voices.append(Appearance("voice", v.embedding, v.start, v.end, quality=v.end - v.start,
                                     score=1.0))
            self.turn_cursor += 1
        return voices

    def meet(self, seg, event_id: str, utt_rows: list[UtteranceRow]) -> list:
        """Who was in this event: face tracks and voice turns become entity appearances.
        Returns the event's (face appearance, entity) pairs. In a batch, the tracks and
        turns are kept in `meetings` for the batch writer to assign later."""
        gap = 1 / self.cfg.source.fps
        faces = self.tracker.close(seg.first, seg.stop, seg.end, gap) if self.tracker else []
        voices = self._voices_before(seg.end)
        if self.meetings is not None:
            self.meetings.append(Meeting(event_id, faces, voices, utt_rows))
            return []
        assert self.index is not None
        face_pairs = list(zip(faces, self.index.assign(faces) if faces else []))
        self._last_appearances = self._appear(event_id, face_pairs, voices, utt_rows)
        return face_pairs

    def _appear(self, event_id: str, face_pairs: list, voices: list, utt_rows: list[UtteranceRow],
                first: int = 0) -> int:
        """Write the event's appearance rows (see `people.appear`); returns how many it now has."""
        from mmem.consolidate.people import appear

        assert self.index is not None
        rows, n = appear(self.index, self.memory.root, self.report.source_id, event_id, face_pairs,
                         voices, utt_rows, first)
        self.pending_apps.extend(rows)
        self.report.appearances += len(rows)
        return n

    def catch_up(self) -> None:
        """Live: speech transcribed after its event was written goes to that event now."""
        from mmem.consolidate.transcripts import event_at, transcript_rows

        if not self.closed or self.track is None:
            return
        spans = [(c.start, c.end, c.event_id) for c in self.closed]
        late = self.assigner.take(spans[-1][1])
        for u in late:
            i = event_at(spans, (u.start + u.end) / 2)
            if i is None:
                continue
            c = self.closed[i]
            rows = transcript_rows(c.event_id, self.report.source_id, [u], first=len(c.texts))
            self.pending_utts.extend(rows)
            c.texts.append(u.text)
            self.late_texts[c.event_id] = " ".join(c.texts)
        voices = self._voices_before(spans[-1][1]) if self.index is not None else []
        for v in voices:
            i = event_at(spans, (v.start + v.end) / 2)
            if i is None:
                continue
            c = self.closed[i]
            c.appearances = self._appear(c.event_id, c.faces, [v], [], first=max(1, c.appearances))
        if late or voices:
            self.flush()

    def flush(self) -> None:
        t0 = time.perf_counter()
        self.memory.add_events(self.pending, self.run)
        if self.wall0 is not None:  # live: how long after closing is an event queryable
            now, wall = time.monotonic(), datetime.now(timezone.utc)
            for rec in self.pending:
                closed_at, end = self.decided.pop(rec.id, (now, 0.0))
                self.commit_lags.append(now - closed_at)
                captured = self.wall0.timestamp() + end / self.time_scale
                self.capture_lags.append(max(0.0, wall.timestamp() - captured))
        for event_id, text in self.late_texts.items():
            self.memory.set_event_transcript(event_id, text)
        self.late_texts.clear()
        if self.pending_utts:
            text = self.hearing.text if self.hearing is not None else None
            dim = text.dim if text is not None else 384
            if text is not None:
                vecs = text.embed_texts([u.text for u in self.pending_utts])
                for u, v in zip(self.pending_utts, vecs, strict=True):
                    u.vector = v.tolist()
            self.memory.add_transcripts(self.pending_utts, self.run, dim, index=not self.batch)
        if self.index is not None:
            from mmem.consolidate.people import save

            self.memory.add_appearances(self.pending_apps, self.run)
            save(self.memory, [self.index.entities[i] for i in sorted(self.index.touched)])
            self.index.touched.clear()
            self.pending_apps.clear()
        self.pending.clear()
        self.pending_utts.clear()
        self.timer["store"] += time.perf_counter() - t0

    def finish_live(self, end: float) -> None:
        """Close the open event at the end of a live session and write everything."""
        self.close(self.segmenter.flush(end if end > (self.segmenter.last_time or 0) else None), last=True)
        self.catch_up()
        self.flush()
        self.report.events = self.seq

    def finish(self) -> None:
        seg = self.segmenter
        last_t = seg.last_time
        end: float | None = self.info.duration if self.info.duration > 0 else None
        if self.info.has_video and end is not None and last_t is not None \
                and last_t < end - max(2.0, 2.0 / self.cfg.source.fps):
            self.report.warnings.append(
                f"decoded only {last_t:.1f}s of {end:.1f}s: the file looks truncated; "
                "events cover the decodable part"
            )
            end = None
        if not self.info.has_video and self.track is not None:
            end = max(self.track.duration, last_t or 0.0)
        self.close(seg.flush(end), last=True)
        self.flush()
        self.report.events = self.seq
