"""The vision channel through open_clip (mmem.perceive.clip): frame and question embeddings."""

from __future__ import annotations

from typing import Any

from mmem.config import IngestConfig
from mmem.perceive.channels.base import BaseChannel, ChannelPlan


class ClipChannel(BaseChannel):
    name = "vision"
    media = "video"
    require = "vision"

    def width(self, cfg: IngestConfig) -> int | None:
        from mmem.weights import clip_embed_dim

        return clip_embed_dim(cfg.vision.clip_model)

    def plan(self, cfg: IngestConfig, *, download: bool = True) -> ChannelPlan:
        from mmem.weights import resolve_clip

        v = cfg.vision
        weights = resolve_clip(v.clip_model, v.clip_pretrained, download=download)
        spec = {"clip_model": v.clip_model, "clip_pretrained": v.clip_pretrained,
                "model_id": weights.model_id}
        return ChannelPlan(self.name, runs=True, model_id=weights.model_id, weights=weights,
                           dim=self.width(cfg), spec=spec)

    def build(self, plan: ChannelPlan, cfg: IngestConfig, device: str) -> Any:
        from mmem.perceive.clip import ClipEmbedder

        return ClipEmbedder(plan.weights, device=cfg.vision.device, batch_size=cfg.vision.batch_size)
