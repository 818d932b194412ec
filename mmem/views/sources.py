"""The sources view: what media a memory holds (files and live sessions), for `mmem serve`'s
`/api/sources` and the web page's timelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmem.store.memory import Memory


def matching_source_ids(memory: Any, source: str | None, listing: str) -> list[str] | None:
    """A source named by the user (a path, file name or id prefix) -> the matching source ids;
    None for all. `listing` is where the user sees what memory holds (for the error)."""
    from mmem.errors import InputError

    if source is None:
        return None
    found = memory.find_sources(source)
    if not found:
        raise InputError(f"no source matches {source!r}: see {listing} for what memory holds")
    return [s.id for s in found]


AUDIO_SUFFIXES = frozenset({".flac", ".wav", ".mp3", ".m4a", ".ogg", ".opus", ".aac"})


@dataclass
class SourceView:
    id: str
    uri: str
    name: str
    kind: str  # file | live | replay
    media: str  # video | audio: the element a player needs
    duration: float | None
    status: str | None
    n_events: int | None
    started_at: str | None
    ingested_at: str | None
    channels: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "uri": self.uri, "name": self.name, "kind": self.kind,
                "media": self.media, "duration": self.duration, "status": self.status,
                "n_events": self.n_events, "started_at": self.started_at,
                "ingested_at": self.ingested_at, "channels": list(self.channels)}


@dataclass
class SourcesView:
    sources: list[SourceView] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"sources": [s.to_json() for s in self.sources]}


def sources_view(memory: Memory) -> SourcesView:
    """Sources with visible events (or being ingested), by uri."""
    rows = sorted(memory.sources(), key=lambda s: s.uri)
    return SourcesView([SourceView(
        id=r.id, uri=r.uri, name=Path(r.uri).name or r.uri, kind=r.kind,
        media="audio" if Path(r.uri).suffix.lower() in AUDIO_SUFFIXES else "video",
        duration=r.duration, status=r.status, n_events=r.n_events, started_at=r.started_at,
        ingested_at=r.ingested_at, channels=list(r.channels or []),
    ) for r in rows])
