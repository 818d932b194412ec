"""The timeline views: events in time order, and a source's timed transcript."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mmem.store.memory import Memory


@dataclass
class EventView:
    id: str
    source: str  # the source's uri
    seq: int
    start: float
    end: float
    started_at: str | None
    surprise: float
    keyframes: list[str]  # absolute paths
    level: str = "event"  # shot | event | episode
    parent: str | None = None  # the event of a shot, the episode of an event; None: top or unknown
    kind: str | None = None  # shots: what opened it (cut | fade | sound | surprise | start)

    def to_json(self) -> dict[str, Any]:
        out = {"id": self.id, "source": self.source, "start": self.start, "end": self.end,
               "started_at": self.started_at, "surprise": round(float(self.surprise), 4),
               "keyframes": self.keyframes, "level": self.level, "parent": self.parent}
        if self.kind is not None:
            out["kind"] = self.kind
        return out


@dataclass
class EventsView:
    events: list[EventView] = field(default_factory=list)
    level: str = "event"

    def to_json(self) -> dict[str, Any]:
        return {"events": [e.to_json() for e in self.events], "level": self.level}


def events_view(memory: Memory, source_ids: list[str] | None = None, level: str = "event") -> EventsView:
    """Visible events (or shots, or episodes) of these sources (all when None), in (source,
    start) order. Sources ingested before the hierarchy existed have events with no parent and
    no shots or episodes."""
    uris = {s.id: s.uri for s in memory.sources()}
    if level != "event":
        return EventsView([
            EventView(id=r.id, source=uris.get(r.source_id, r.source_id), seq=r.seq, start=r.start,
                      end=r.end, started_at=None, surprise=0.0, keyframes=[], level=level,
                      parent=r.parent, kind=r.kind)
            for r in memory.spans(level, source_ids)
        ], level)
    parents = {r.id: r.parent for r in memory.spans("event", source_ids)}
    return EventsView([
        EventView(id=r.id, source=uris.get(r.source_id, r.source_id), seq=r.seq, start=r.start, end=r.end,
                  started_at=r.started_at, surprise=float(r.surprise or 0.0),
                  keyframes=[str(memory.root / k) for k in r.keyframes or []], parent=parents.get(r.id))
        for r in memory.events(source_ids)
    ])


@dataclass
class Word:
    word: str
    start: float
    end: float
    prob: float

    def to_json(self) -> dict[str, Any]:
        return {"word": self.word, "start": self.start, "end": self.end, "prob": self.prob}


@dataclass
class Segment:
    start: float
    end: float
    text: str
    language: str | None
    confidence: float
    event_id: str
    words: list[Word]
    speaker: str | None = None  # who said it: the voice's name or person id (None: not known)

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "language": self.language,
                "confidence": round(float(self.confidence), 4), "event_id": self.event_id,
                "speaker": self.speaker, "words": [w.to_json() for w in self.words]}


@dataclass
class TranscriptView:
    source: str  # as the user named it
    segments: list[Segment] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "segments": [s.to_json() for s in self.segments]}


def transcript_view(memory: Memory, source: str, source_ids: list[str] | None) -> TranscriptView:
    """What was said in these sources (all when None), with times, word timings and who said it
    (the voice heard longest during the utterance)."""
    from mmem.views.speakers import speaker_at, speaker_turns

    turns = speaker_turns(memory, source_ids)
    segments = []
    for r in memory.transcripts(source_ids):
        who = speaker_at(turns, r.source_id, r.start, r.end)
        segments.append(Segment(start=r.start, end=r.end, text=r.text, language=r.language,
                                confidence=float(r.confidence or 0.0), event_id=r.event_id,
                                words=[Word(w, a, b, p) for w, a, b, p in json.loads(r.words or "[]")],
                                speaker=who.label if who else None))
    return TranscriptView(source, segments)
