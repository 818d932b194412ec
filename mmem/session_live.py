"""A live session: a Session, plus late speech (an utterance transcribed after its event was
written joins that event), lag tracking (how long after closing an event is queryable) and its
voice turns relabelled with the session in view (consolidate/relabel.py)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any

from mmem.config import IngestConfig
from mmem.consolidate.transcripts import TranscriptAssigner, event_at, transcript_rows
from mmem.perceive.audio_channel import Hearing
from mmem.perceive.audio_track import AudioTrack
from mmem.perceive.people_channel import People
from mmem.perceive.vision import Vision
from mmem.reports import IngestReport
from mmem.session import Session
from mmem.sources.file import MediaInfo
from mmem.store.memory import Memory
from mmem.types import Clock, EventRecord, Frame

if TYPE_CHECKING:
    from mmem.consolidate.builder import BuiltEvent
    from mmem.consolidate.recorders import EntityRecorder, Met
    from mmem.sink import Sink


@dataclass
class _Closed:
    """An event already written, kept for a while so late speech can still join it."""

    start: float
    end: float
    event_id: str
    faces: list  # (face appearance, entity) pairs
    texts: list[str]  # its utterances so far
    appearances: int  # appearance rows it has (their ids are numbered)


class LateSpeech:
    """Keeps the recent events; `catch_up` hands them what was heard since they closed."""

    def __init__(self, source_id: str, assigner: TranscriptAssigner, recorder: EntityRecorder,
                 sink: Sink) -> None:
        self.source_id, self.assigner, self.recorder, self.sink = source_id, assigner, recorder, sink
        self.closed: deque[_Closed] = deque(maxlen=512)

    def closed_event(self, ev: BuiltEvent, met: Met) -> None:
        s = ev.segment
        self.closed.append(_Closed(s.start, s.end, ev.record.id, met.faces, [u.text for u in ev.utterances],
                                   met.appearances))

    def catch_up(self) -> bool:
        """Late utterances and voices go to the events they fall in; True when any did."""
        if not self.closed:
            return False
        spans = [(c.start, c.end, c.event_id) for c in self.closed]
        late = self.assigner.take(spans[-1][1])
        for u, c in self._placed(spans, late):
            rows = transcript_rows(c.event_id, self.source_id, [u], first=len(c.texts))
            c.texts.append(u.text)
            self.sink.add_late(c.event_id, rows, " ".join(c.texts))
        voices = self.recorder.late_voices(spans[-1][1])
        for v, c in self._placed(spans, voices):
            c.appearances = self.recorder.appear(c.event_id, c.faces, [v], [], first=max(1, c.appearances))
        return bool(late or voices)


    def _placed(self, spans: list[tuple[float, float, str]], items: list) -> Iterator[tuple[Any, _Closed]]:
        """Each item (an utterance, a voice) with the closed event holding its midpoint."""
        for x in items:
            i = event_at(spans, (x.start + x.end) / 2)
            if i is not None:
                yield x, self.closed[i]


@dataclass
class Lags:
    """Close -> committed, and boundary captured (wall clock) -> committed, in seconds."""

    clock: Clock
    decided: dict[str, tuple[float, float]] = field(default_factory=dict)  # id -> (monotonic, end)
    commit: list[float] = field(default_factory=list)
    capture: list[float] = field(default_factory=list)

    def closed_event(self, ev: BuiltEvent, met: Met) -> None:
        self.decided[ev.record.id] = (time.monotonic(), ev.segment.end)

    def committed(self, records: list[EventRecord]) -> None:
        assert self.clock.started_at is not None
        now, wall = time.monotonic(), datetime.now(timezone.utc)
        for rec in records:
            closed_at, end = self.decided.pop(rec.id, (now, 0.0))
            self.commit.append(now - closed_at)
            captured = self.clock.started_at.timestamp() + end / self.clock.time_scale
            self.capture.append(max(0.0, wall.timestamp() - captured))


class LiveSession:
    """Drives a Session over a live source: every event is committed as it closes."""

    def __init__(self, info: MediaInfo, memory: Memory, cfg: IngestConfig, vision: Vision,
                 hearing: Hearing | None, people: People | None, report: IngestReport, run: str, *,
                 clock: Clock, track: AudioTrack | None) -> None:
        from mmem.consolidate.recorders import match_now

        self.lags = Lags(clock)
        self.session = Session(info, memory, cfg, vision, hearing, people, report, run, write_every=1,
                               clock=clock, on_commit=self.lags.committed,
                               recorder=partial(match_now, relabel=cfg.entities))
        self.session.begin(track)
        s = self.session
        self.late = LateSpeech(s.report.source_id, s.builder.assigner, s.recorder, s.sink)
        s.on_event += [self.late.closed_event, self.lags.closed_event]

    @property
    def events(self) -> int:
        return self.session.events

    @property
    def last_time(self) -> float | None:
        return self.session.last_time

    @property
    def event_start(self) -> float:
        return self.session.event_start

    @property
    def frames(self) -> int:
        return self.session.report.frames

    @property
    def utterances(self) -> int:
        track = self.session.track
        return len(track.utterances) if track is not None else 0

    @property
    def relabelled(self) -> int:
        """Voice turns moved to another entity once the session's turns were clustered together."""
        return self.session.recorder.relabelled

    def process(self, batch: list[Frame]) -> None:
        self.session.process(batch)

    def catch_up(self) -> None:
        """Speech transcribed after its event was written goes to that event now."""
        if self.session.track is not None and self.late.catch_up():
            self.session.flush()

    def finish(self, end: float) -> None:
        """Close the open event at the end of the session and write everything."""
        last = self.session.last_time
        self.session.close(end if end > (last or 0) else None)
        self.catch_up()
        self.session.finish()
        self.session.recorder.settle(self.session.memory)  # the last turns, with all of them in view
