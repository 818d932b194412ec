"""Decode damage in a track: packets the decoder refused and the seconds of the track's
timeline they took with them (a jump in the decoded timestamps). What did decode is kept."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Damage:
    errors: int = 0  # packets that failed to decode
    seconds: float = 0.0  # media seconds missing from the decoded timeline

    def lost(self, seconds: float) -> None:
        self.seconds += max(0.0, seconds)

    def __bool__(self) -> bool:
        return self.errors > 0 or self.seconds > 0

    def to_json(self) -> dict[str, float]:
        return {"errors": self.errors, "seconds": round(self.seconds, 3)}


def describe(track: str, d: Damage) -> str:
    """The warning an ingest prints for a damaged track."""
    return (f"{d.errors} {track} decode error(s), {d.seconds:.2f}s of {track} lost "
            "(the file is damaged there; what decoded is kept)")
