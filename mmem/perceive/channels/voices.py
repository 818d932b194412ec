"""The voices channel: speaker embeddings (mmem.perceive.voices, run through ONNX Runtime) for
entities: CAM++ by default, Resemblyzer on request (`--voice-model`)."""

from __future__ import annotations

from typing import Any

from mmem.config import IngestConfig
from mmem.perceive.channels.base import BaseChannel, ChannelPlan


class VoicesChannel(BaseChannel):
    name = "voices"
    media = "audio"  # recorded only while the audio channel runs; loaded with entities on
    require = "entities"

    def plan(self, cfg: IngestConfig, *, download: bool = True) -> ChannelPlan:
        if not cfg.entities.enabled:
            return self.off("turned off (--no-entities)")
        if not cfg.audio.enabled:  # no audio is decoded, so no voice is heard: no encoder to load
            return self.off("turned off (--no-audio)")
        from mmem.perceive.voices import OnnxCamppEncoder, OnnxVoiceEncoder
        from mmem.weights import resolve_campp_model, resolve_voice_model

        if cfg.entities.voice_model == "resemblyzer":
            return ChannelPlan(self.name, runs=True, model_id=OnnxVoiceEncoder.model_id,
                               weights=resolve_voice_model())
        return ChannelPlan(self.name, runs=True, model_id=OnnxCamppEncoder.model_id,
                           weights=resolve_campp_model())

    def build(self, plan: ChannelPlan, cfg: IngestConfig, device: str) -> Any:
        # the CPU whatever `device`: small models, one thread
        if cfg.entities.voice_model == "resemblyzer":
            from mmem.perceive.voice_export import export
            from mmem.perceive.voices import OnnxVoiceEncoder
            from mmem.weights_onnx import resolve_voice_onnx

            return OnnxVoiceEncoder(resolve_voice_onnx(export=export).onnx)
        from mmem.perceive import campp_export
        from mmem.perceive.voices import OnnxCamppEncoder
        from mmem.weights_onnx import resolve_campp_onnx

        return OnnxCamppEncoder(resolve_campp_onnx(export=campp_export.export).onnx)
