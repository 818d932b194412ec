"""The text channel: sentence embeddings of transcripts (mmem.perceive.text), for semantic recall."""

from __future__ import annotations

from typing import Any

from mmem.config import IngestConfig
from mmem.perceive.channels.base import BaseChannel, ChannelPlan


class SentenceChannel(BaseChannel):
    name = "text"
    media = "audio"
    needs = ("asr",)  # it embeds transcripts
    recorded = False  # part of speech recall, not a channel a source lists

    def plan(self, cfg: IngestConfig, *, download: bool = True) -> ChannelPlan:
        from mmem.weights import resolve_text_model

        model = cfg.audio.text_model
        return ChannelPlan(self.name, runs=True, model_id=model, weights=resolve_text_model(model))

    def build(self, plan: ChannelPlan, cfg: IngestConfig, device: str) -> Any:
        from mmem.perceive.text import SentenceEmbedder

        return SentenceEmbedder(plan.weights, device=device, model_id=plan.model_id or cfg.audio.text_model)
