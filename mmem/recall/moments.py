"""Hits -> moments: the tightest span that holds the evidence.

A speech hit is the utterance trimmed to its matching words (plus a little context); a visual or
entity hit is the event (or the span the person is present in). Hits of one source that touch
(within MERGE_GAP seconds) merge only when both are relevant; a visual hit on an event that
already holds a speech moment adds its evidence to that moment instead of a second one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from mmem.recall import calibrate
from mmem.store.rows import EventRow
from mmem.types import Moment

MERGE_GAP = 1.0  # seconds between two relevant hits of one source that still make one moment
MERGE_MARGIN = 0.15  # ... when the weaker scores within this of the stronger


@dataclass
class Hit:
    source_id: str
    event_id: str
    start: float
    end: float
    text: str | None = None  # what was said in the span, when it is speech
    evidence: dict[str, tuple[float, str | None]] = field(default_factory=dict)  # channel -> (score, text)
    speech: bool = False  # an utterance span (not a whole event)
    core: tuple[float, float] | None = None  # the matched words alone (speech), for relations
    more_events: list[str] = field(default_factory=list)  # other events merged into this hit

    @property
    def score(self) -> float:
        return calibrate.fuse([s for s, _ in self.evidence.values()])

    @property
    def rank_key(self) -> tuple[float, float]:
        """Best first: the fused score, then the same before its cap at 1."""
        ranked = sorted((s for s, _ in self.evidence.values()), reverse=True)
        uncapped = ranked[0] + calibrate.AGREE * sum(ranked[1:]) if ranked else 0.0
        return (-self.score, -uncapped)

    def add(self, channel: str, score: float, text: str | None = None) -> None:
        if channel not in self.evidence or self.evidence[channel][0] < score:
            self.evidence[channel] = (score, text)

    def absorb(self, other: Hit) -> None:
        self.start, self.end = min(self.start, other.start), max(self.end, other.end)
        for e in (other.event_id, *other.more_events):
            if e != self.event_id and e not in self.more_events:
                self.more_events.append(e)
        if other.text and other.text != self.text:
            self.text = f"{self.text} {other.text}" if self.text else other.text
        for ch, (s, t) in other.evidence.items():
            self.add(ch, s, t)


def merge(hits: list[Hit], threshold: float) -> list[Hit]:
    """Hits of one source that overlap or touch merge when both reach the threshold; visual
    hits fold into a speech hit of the same event. Returns the merged hits, best first."""
    speech_events: dict[str, Hit] = {}
    kept: list[Hit] = []
    for h in sorted(hits, key=lambda h: (not h.speech, h.rank_key)):
        home = speech_events.get(h.event_id) if not h.speech else None
        if home is not None:
            for ch, (s, t) in h.evidence.items():
                home.add(ch, s, t)
            continue
        kept.append(h)
        if h.speech:
            speech_events.setdefault(h.event_id, h)
    out: list[Hit] = []
    for h in sorted(kept, key=lambda h: (h.source_id, h.start)):
        last = out[-1] if out else None
        if (last is not None and last.source_id == h.source_id and h.start <= last.end + MERGE_GAP
                and last.speech == h.speech and min(last.score, h.score) >= threshold
                and abs(last.score - h.score) <= MERGE_MARGIN):
            last.absorb(h)
        else:
            out.append(h)
    return sorted(out, key=lambda h: h.rank_key)


def to_moment(hit: Hit, events: dict[str, EventRow], uris: dict[str, str], root: Path) -> Moment:
    event = events.get(hit.event_id)
    keyframes = (event.keyframes or []) if event is not None else []
    started_at = None
    if event is not None and event.started_at:
        t0 = datetime.fromisoformat(event.started_at)
        started_at = (t0 + timedelta(seconds=hit.start - float(event.start))).isoformat()
    evidence = [{"channel": ch, "score": s, **({"text": t} if t else {})}
                for ch, (s, t) in sorted(hit.evidence.items(), key=lambda p: -p[1][0])]
    return Moment(
        event_id=hit.event_id,
        source=uris.get(hit.source_id, hit.source_id),
        start=round(float(hit.start), 3),
        end=round(float(hit.end), 3),
        started_at=started_at,
        score=hit.score,
        keyframe=str(root / keyframes[0]) if keyframes else None,
        transcript=hit.text if hit.text else (event.transcript if event is not None else None),
        event_ids=[hit.event_id, *hit.more_events],
        evidence=evidence,
    )
