"""The vision channel as a run uses it: an image embedder, or the reason there is none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mmem.config import VisionConfig
from mmem.perceive.base import ImageEmbedder
from mmem.perceive.channels.base import ChannelPlan


@dataclass(frozen=True)
class Vision:
    """The vision channel as built for a run: an embedder, or the reason there is none."""

    embedder: ImageEmbedder | None
    spec: dict | None  # {"clip_model", "clip_pretrained", "model_id"} when embedder is set
    dim: int  # vector width of the events table
    skipped: str | None = None


def vision_from(plan: ChannelPlan | None, embedder: Any) -> Vision:
    """The bundle for a planned (and, when it runs, loaded) vision channel."""
    if embedder is None:
        why = plan.why if plan is not None and plan.missing else None
        return Vision(None, None, (plan.dim if plan is not None else None) or 512, skipped=why)
    return Vision(embedder, plan.spec if plan is not None else None, embedder.dim)


def build_vision(cfg: VisionConfig, *, required: bool = False) -> Vision:
    """Resolve weights and load the vision model. Missing weights skip the channel unless `required`."""
    from mmem.perceive.registry import build_group

    plans, built = build_group(("vision",), cfg.device, "vision" if required else None, vision=cfg)
    return vision_from(plans.get("vision"), built.get("vision"))
