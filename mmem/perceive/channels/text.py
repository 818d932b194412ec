"""The text channel: sentence embeddings of transcripts, for semantic recall, run through ONNX
Runtime (mmem.perceive.text_onnx) so that ingest and `ask` share one encoder and neither needs torch."""

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
        from mmem.perceive.text_export import export
        from mmem.perceive.text_onnx import OnnxSentenceEmbedder
        from mmem.weights_onnx import resolve_text_onnx

        model = plan.model_id or cfg.audio.text_model
        return OnnxSentenceEmbedder(resolve_text_onnx(model, export=export), model_id=model)
