"""The voices channel: Resemblyzer speaker embeddings (mmem.perceive.voices, run through ONNX
Runtime), for entities."""

from __future__ import annotations

from typing import Any

from mmem.config import IngestConfig
from mmem.perceive.channels.base import BaseChannel, ChannelPlan


class ResemblyzerChannel(BaseChannel):
    name = "voices"
    media = "audio"  # recorded only while the audio channel runs; loaded with entities on
    require = "entities"

    def plan(self, cfg: IngestConfig, *, download: bool = True) -> ChannelPlan:
        if not cfg.entities.enabled:
            return self.off("turned off (--no-entities)")
        if not cfg.audio.enabled:  # no audio is decoded, so no voice is heard: no encoder to load
            return self.off("turned off (--no-audio)")
        from mmem.perceive.voices import OnnxVoiceEncoder
        from mmem.weights import resolve_voice_model

        return ChannelPlan(self.name, runs=True, model_id=OnnxVoiceEncoder.model_id,
                           weights=resolve_voice_model())

    def build(self, plan: ChannelPlan, cfg: IngestConfig, device: str) -> Any:
        from mmem.perceive.voice_export import export
        from mmem.perceive.voices import OnnxVoiceEncoder
        from mmem.weights_onnx import resolve_voice_onnx

        return OnnxVoiceEncoder(resolve_voice_onnx(export=export).onnx)  # the CPU whatever `device`
