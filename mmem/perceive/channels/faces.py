"""The faces channel: dlib detection and descriptors (mmem.perceive.faces), for entities."""

from __future__ import annotations

from typing import Any

from mmem.config import IngestConfig
from mmem.perceive.channels.base import BaseChannel, ChannelPlan


class DlibFacesChannel(BaseChannel):
    name = "faces"
    media = "video"
    require = "entities"

    def plan(self, cfg: IngestConfig, *, download: bool = True) -> ChannelPlan:
        if not cfg.entities.enabled:
            return self.off("turned off (--no-entities)")
        from mmem.weights import resolve_face_models

        weights = resolve_face_models()
        return ChannelPlan(self.name, runs=True, model_id=weights.model_id, weights=weights)

    def build(self, plan: ChannelPlan, cfg: IngestConfig, device: str) -> Any:
        from mmem.perceive.faces import DlibFaces

        ent = cfg.entities
        return DlibFaces(plan.weights, detector=ent.face_detector, upsample=ent.face_upsample)
