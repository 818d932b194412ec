"""The audio channel: voice activity (mmem.perceive.vad) and the sound's descriptors."""

from __future__ import annotations

from typing import Any

from mmem.config import IngestConfig
from mmem.perceive.channels.base import BaseChannel, ChannelPlan


class SoundChannel(BaseChannel):
    name = "audio"  # the name sources record
    media = "audio"

    def plan(self, cfg: IngestConfig, *, download: bool = True) -> ChannelPlan:
        if not cfg.audio.enabled:
            return self.off("turned off (--no-audio)")
        from mmem.perceive.vad import build_vad

        vad = build_vad(cfg.audio.vad).name  # Silero ships with faster-whisper: nothing to fetch
        return ChannelPlan(self.name, runs=True, why=f"voice activity: {vad}", model_id=vad)

    def build(self, plan: ChannelPlan, cfg: IngestConfig, device: str) -> Any:
        from mmem.perceive.vad import build_vad

        return build_vad(cfg.audio.vad)
