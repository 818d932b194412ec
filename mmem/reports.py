"""What a run tells its caller. Ingest (a file), live (a session) and batch (one file of many)
reports share the counts of what was remembered (`Tally`) and add their own facts."""

from __future__ import annotations

from dataclasses import dataclass, field

STAGES = ("audio", "decode", "embed", "entities", "segment", "compress", "store")


@dataclass(kw_only=True)
class Tally:
    """What a run remembered, and the problems with its input that did not stop it."""

    events: int = 0
    frames: int = 0
    utterances: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class FileTally(Tally):
    """A recorded file's tally: also its length, the time spent and which channels ran."""

    appearances: int = 0
    duration: float = 0.0  # media seconds
    wall: float = 0.0  # seconds spent
    channels: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "vision: why" for channels that did not run
    damage: dict[str, dict[str, float]] = field(default_factory=dict)  # track -> decode errors, seconds lost

    def take_counts(self, other: FileTally) -> None:
        """Copy another report's counts and channels (a worker's result from its ingest report)."""
        self.events, self.frames, self.utterances = other.events, other.frames, other.utterances
        self.channels, self.skipped, self.warnings = other.channels, other.skipped, other.warnings
        self.damage = other.damage


@dataclass
class IngestReport(FileTally):
    source_id: str
    uri: str
    status: str  # ingested | skipped
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    peak_working_bytes: int = 0

    @property
    def speed(self) -> float:
        """Real-time factor: media seconds per wall second."""
        return self.duration / self.wall if self.wall > 0 else 0.0
