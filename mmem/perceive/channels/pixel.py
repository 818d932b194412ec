"""The pixel channel: thumbnails and colour histograms (mmem.perceive.lowlevel), no weights."""

from __future__ import annotations

from mmem.config import IngestConfig
from mmem.perceive.channels.base import BaseChannel, ChannelPlan


class PixelChannel(BaseChannel):
    name = "pixel"
    media = "video"

    def plan(self, cfg: IngestConfig, *, download: bool = True) -> ChannelPlan:
        return ChannelPlan(self.name, runs=True, why="needs no weights")

    def build(self, plan: ChannelPlan, cfg: IngestConfig, device: str) -> None:
        return None  # a pure function of the frame: nothing to load
