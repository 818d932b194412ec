"""What every perception channel offers the registry (mmem.perceive.registry)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from mmem.config import IngestConfig


@dataclass(frozen=True)
class ChannelPlan:
    """What a channel will do in a run, decided without loading a model."""

    name: str
    runs: bool
    why: str | None = None  # not running: the reason; running: a note (e.g. which VAD), or None
    model_id: str | None = None  # identity of the model it runs (recorded on sources)
    weights: Any = None  # what `build` loads (resolved paths); None when it needs no weights
    dim: int | None = None  # width of the vectors it makes, when known without loading
    spec: dict[str, Any] | None = None  # what a memory records to rebuild the model (vision)
    missing: bool = False  # its model is missing: a skip that is warned about and recorded

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "runs": self.runs, "why": self.why, "model_id": self.model_id}


class Channel(Protocol):
    name: str  # as recorded in a source's channels ("vision", "asr", ...)
    media: str  # the track it perceives: "video" or "audio"
    needs: tuple[str, ...]  # channels that must run for this one to be built
    require: str | None  # the --require name that turns its absence into an error
    recorded: bool  # listed in a source's channels when it runs

    def accepts(self, cfg: IngestConfig) -> bool:
        """This backend serves its channel for `cfg` (alternatives share a name)."""
        ...

    def width(self, cfg: IngestConfig) -> int | None:
        """Width of the vectors it makes, when known without weights (even if they are missing)."""
        ...

    def plan(self, cfg: IngestConfig, *, download: bool = True) -> ChannelPlan:
        """Resolve the weights (raise WeightsUnavailable if missing); never load a model."""
        ...

    def build(self, plan: ChannelPlan, cfg: IngestConfig, device: str) -> Any:
        """Load the model `plan` resolved, on `device` (a resolved torch device name)."""
        ...


class BaseChannel:
    """Defaults for a channel: no needs, not requirable, recorded, serves every config."""

    name = ""
    media = "video"
    needs: tuple[str, ...] = ()
    require: str | None = None
    recorded = True

    def accepts(self, cfg: IngestConfig) -> bool:
        return True

    def width(self, cfg: IngestConfig) -> int | None:
        return None

    def off(self, why: str) -> ChannelPlan:
        return ChannelPlan(self.name, runs=False, why=why)
