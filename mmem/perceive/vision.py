"""Build the vision channel for a run, or say why it cannot run."""

from __future__ import annotations

from dataclasses import dataclass

from mmem.config import VisionConfig
from mmem.errors import WeightsUnavailable
from mmem.perceive.base import ImageEmbedder


@dataclass(frozen=True)
class Vision:
    """The vision channel as built for a run: an embedder, or the reason there is none."""

    embedder: ImageEmbedder | None
    spec: dict | None  # {"clip_model", "clip_pretrained", "model_id"} when embedder is set
    dim: int  # vector width of the events table
    skipped: str | None = None


def build_vision(cfg: VisionConfig, *, required: bool = False) -> Vision:
    """Resolve weights and load CLIP. Missing weights skip the channel unless `required`."""
    from mmem.perceive.clip import ClipEmbedder
    from mmem.perceive.device import resolve_device
    from mmem.weights import clip_embed_dim, resolve_clip

    resolve_device(cfg.device)  # a bad --device is an error whether or not weights exist
    try:
        weights = resolve_clip(cfg.clip_model, cfg.clip_pretrained)
    except WeightsUnavailable as exc:
        if required:
            raise
        return Vision(None, None, clip_embed_dim(cfg.clip_model) or 512, skipped=str(exc))
    embedder = ClipEmbedder(weights, device=cfg.device, batch_size=cfg.batch_size)
    spec = {
        "clip_model": cfg.clip_model,
        "clip_pretrained": cfg.clip_pretrained,
        "model_id": weights.model_id,
    }
    return Vision(embedder, spec, embedder.dim)
