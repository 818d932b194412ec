"""The voices channel: speaker embeddings (mmem.perceive.voices, run through ONNX Runtime) for
entities: CAM++ by default, Resemblyzer on request (`--voice-model`)."""

from __future__ import annotations

from typing import Any

from mmem.config import IngestConfig
from mmem.perceive.channels.base import BaseChannel, ChannelPlan


def _model(name: str) -> tuple[Any, Any, Any, Any]:
    """The speaker model `name` (EntityConfig.voice_model): its encoder class, where its weights
    are, where its ONNX copy is, and the exporter that makes that copy."""
    from mmem import weights, weights_onnx
    from mmem.perceive import voices

    if name == "resemblyzer":
        from mmem.perceive.voice_export import export

        return voices.OnnxVoiceEncoder, weights.resolve_voice_model, weights_onnx.resolve_voice_onnx, export
    from mmem.perceive.campp_export import export

    return voices.OnnxCamppEncoder, weights.resolve_campp_model, weights_onnx.resolve_campp_onnx, export


class VoicesChannel(BaseChannel):
    name = "voices"
    media = "audio"  # recorded only while the audio channel runs; loaded with entities on
    require = "entities"

    def plan(self, cfg: IngestConfig, *, download: bool = True) -> ChannelPlan:
        if not cfg.entities.enabled:
            return self.off("turned off (--no-entities)")
        if not cfg.audio.enabled:  # no audio is decoded, so no voice is heard: no encoder to load
            return self.off("turned off (--no-audio)")
        encoder, weights, _, _ = _model(cfg.entities.voice_model)
        return ChannelPlan(self.name, runs=True, model_id=encoder.model_id, weights=weights())

    def build(self, plan: ChannelPlan, cfg: IngestConfig, device: str) -> Any:
        encoder, _, onnx, export = _model(cfg.entities.voice_model)
        return encoder(onnx(export=export).onnx)  # the CPU whatever `device`: small models, one thread
