"""The speech-to-text channel: Whisper through faster-whisper or openai-whisper (mmem.perceive.asr)."""

from __future__ import annotations

from typing import Any

from mmem.config import IngestConfig
from mmem.perceive.channels.base import BaseChannel, ChannelPlan


class WhisperChannel(BaseChannel):
    name = "asr"
    media = "audio"
    needs = ("audio",)
    require = "asr"

    def plan(self, cfg: IngestConfig, *, download: bool = True) -> ChannelPlan:
        from mmem.weights import resolve_asr

        weights = resolve_asr(cfg.audio.asr_model, cfg.audio.asr_backend, download=download)
        return ChannelPlan(self.name, runs=True, model_id=weights.model_id, weights=weights)

    def build(self, plan: ChannelPlan, cfg: IngestConfig, device: str) -> Any:
        from mmem.perceive.asr import build_transcriber

        return build_transcriber(plan.weights, device, cfg.audio.language, cfg.audio.asr_context_tail)
