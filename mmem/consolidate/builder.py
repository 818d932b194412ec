"""The event builder: segment the stream of observed frames and consolidate each closed segment
into an EventRecord with the utterances said during it."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from mmem.config import IngestConfig
from mmem.consolidate.event import Consolidator
from mmem.consolidate.hierarchy import Hierarchy
from mmem.consolidate.transcripts import TranscriptAssigner, transcript_rows, transcript_text
from mmem.consolidate.working import WorkingMemory
from mmem.segment.cuts import CutTimeline
from mmem.segment.segmenter import Segmenter
from mmem.segment.speech import SpeechTimeline
from mmem.store.rows import UtteranceRow
from mmem.types import Clock, EventRecord, Frame, Observation, Segment, Utterance


@dataclass
class BuiltEvent:
    """One closed event: where the segmenter cut it, its record, what was said in it."""

    segment: Segment
    record: EventRecord
    utterances: list[Utterance]
    rows: list[UtteranceRow]  # its transcript rows, as stored


class EventBuilder:
    """push(frame, features, vector) -> the events that closed; flush(end) closes the rest."""

    def __init__(self, cfg: IngestConfig, consolidator: Consolidator, source_id: str, run: str,
                 track: SpeechTimeline | None, utterances: list[Utterance],
                 timer: dict[str, float], clock: Clock = Clock(),
                 cuts: CutTimeline | None = None) -> None:
        self.cfg, self.consolidator, self.source_id, self.run = cfg, consolidator, source_id, run
        self.timer, self.clock = timer, clock
        self.segmenter = Segmenter(cfg.segment, speech=track, cuts=cuts)
        self.hierarchy = Hierarchy(cfg.segment, source_id, run, cuts)
        self.assigner = TranscriptAssigner(utterances)
        self.wm: WorkingMemory | None = None
        self.seq = 0  # events closed so far

    @property
    def working_bytes(self) -> int:
        return self.wm.nbytes if self.wm is not None else 0

    def push(self, frame: Frame, feats: dict[str, np.ndarray], vec: np.ndarray) -> list[BuiltEvent]:
        if self.wm is None:
            protect = 2 * self.cfg.segment.refine_radius + 2
            self.wm = WorkingMemory(len(vec), self.cfg.consolidate.capacity, protect)
        t0 = time.perf_counter()
        self.wm.add(frame.index, frame.t, vec, frame.image)
        self.hierarchy.frame(frame.index, vec)
        segments = self.segmenter.push(Observation(frame.index, frame.t, feats))
        self.timer["segment"] += time.perf_counter() - t0
        return self.close(segments)

    def flush(self, end: float | None) -> list[BuiltEvent]:
        """Close the open event; `end` is where it ends (None: one frame after the last)."""
        return self.close(self.segmenter.flush(end), last=True)

    def close(self, segments: list[Segment], last: bool = False) -> list[BuiltEvent]:
        t0 = time.perf_counter()
        out = []
        for n, s in enumerate(segments):
            assert self.wm is not None
            slots = self.wm.pop_before(s.stop)
            utts = self.assigner.take(s.end, last=last and n == len(segments) - 1)
            rec = self.consolidator.close(s, slots, source_id=self.source_id, run=self.run, seq=self.seq,
                                          transcript=transcript_text(utts), clock=self.clock)
            out.append(BuiltEvent(s, rec, utts, transcript_rows(rec.id, self.source_id, utts)))
            self.hierarchy.close(rec.id, rec.start, rec.end, s.stop)
            self.seq += 1
        self.timer["compress"] += time.perf_counter() - t0
        return out
