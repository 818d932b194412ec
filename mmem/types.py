"""The few frozen records that travel between stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    """One sampled video frame."""

    index: int  # position among the *sampled* frames of this source (0, 1, 2, ...)
    t: float  # seconds from the start of the source, from decoder PTS (files) or capture clock
    image: np.ndarray  # HxWx3 uint8 RGB, already reduced to the working resolution, upright


@dataclass(frozen=True)
class Clock:
    """Where a source's times sit in the world: a live session has a wall-clock start and a
    speed (media seconds per wall second); a recorded file has neither."""

    started_at: datetime | None = None
    time_scale: float = 1.0


@dataclass(frozen=True, slots=True)
class Observation:
    """What perception made of one frame: per-channel feature vectors (L2-normalised)."""

    index: int
    t: float
    features: dict[str, np.ndarray]  # channel name ("clip", "pixel") -> 1-D float32, unit norm


@dataclass(frozen=True, slots=True)
class Segment:
    """A closed event as the segmenter sees it: a half-open range of sampled-frame indices."""

    first: int  # index of the first frame in the event
    stop: int  # one past the last frame
    start: float  # seconds; time of the first frame
    end: float  # seconds; start of the next event, or the end of the media for the last one
    surprise: float  # fused surprise at the boundary that opened this event (0 for the first)


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A consolidated long-term memory record for one event."""

    id: str
    source_id: str
    seq: int  # position of the event within its source
    start: float
    end: float
    started_at: str | None  # ISO-8601 wall-clock time of `start` for live sources, else None
    vector: np.ndarray | None  # normalised mean embedding; None when no embedding channel ran
    centroids: np.ndarray | None  # K x D, time-ordered
    centroid_weights: np.ndarray  # K member counts, sums to n_frames
    centroid_times: np.ndarray  # K mean timestamps (seconds), ascending
    surprise: float
    keyframes: list[str]  # paths relative to the memory directory
    n_frames: int
    transcript: str | None = None  # what was said during the event


@dataclass(slots=True)
class Moment:
    """One retrieved answer span."""

    event_id: str
    source: str
    start: float
    end: float
    started_at: str | None
    score: float
    keyframe: str | None
    transcript: str | None = None
    entities: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)  # all events merged into this moment
    speakers: list[str] = field(default_factory=list)  # who spoke in it: names, else person ids
    # why it was chosen: [{"channel": speech|semantic|vision|entity, "score": 0..1, "text"?: str}]
    evidence: list[dict] = field(default_factory=list)
    # the episode its event belongs to, {"id", "start", "end"} (consolidate/hierarchy.py): the
    # stretch around the moment; None for sources ingested before the hierarchy existed
    episode: dict | None = None


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: float  # seconds from the source origin
    end: float
    prob: float


@dataclass(frozen=True, slots=True)
class Utterance:
    """One transcribed segment of speech, on the source's clock."""

    start: float
    end: float
    text: str
    words: list[Word]
    language: str | None
    confidence: float  # exp(mean token log-probability), 0..1


@dataclass
class Entity:
    id: str
    kind: str
    exemplars: list[np.ndarray]
    name: str | None = None
    person: str = ""  # id of the linked group (union-find root); itself when alone
    links: dict[str, float] = field(default_factory=dict)  # other entity id -> seconds together
    thumbnail: str | None = None
    thumb_quality: float = 0.0
    created_at: str = ""
    updated_at: str = ""
    first_seen: str | None = None
    last_seen: str | None = None
    history: list[dict] = field(default_factory=list)  # merges into it: the rows before each

    def __post_init__(self) -> None:
        self.person = self.person or self.id

    @property
    def centre(self) -> np.ndarray:
        """Trimmed mean of the exemplars: the farthest fifth from the plain mean is left out."""
        x = np.stack(self.exemplars)
        if len(x) >= 5:
            d = np.linalg.norm(x - x.mean(axis=0), axis=1)
            x = x[np.argsort(d)[: max(1, int(len(x) * 0.8))]]
        c = x.mean(axis=0)
        return c / np.linalg.norm(c) if self.kind == "voice" else c
