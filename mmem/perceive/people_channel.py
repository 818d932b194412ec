"""The entity channels as a run uses them (face and voice models), or what is missing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mmem.config import EntityConfig
from mmem.perceive.channels.base import ChannelPlan
from mmem.perceive.faces import FaceBackend, FaceGate
from mmem.perceive.voices import VoiceBackend

PEOPLE = ("faces", "voices")  # the registry channels a People holds


@dataclass(frozen=True)
class People:
    faces: FaceBackend | None
    voices: VoiceBackend | None
    gate: FaceGate = field(default_factory=FaceGate)
    skipped: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.faces is not None or self.voices is not None


def people_from(cfg: EntityConfig, plans: Mapping[str, ChannelPlan], built: Mapping[str, Any]) -> People:
    if not cfg.enabled:
        return People(None, None)
    from mmem.perceive.registry import skipped

    gate = FaceGate(min_size=cfg.min_face, max_faces=cfg.max_faces)
    return People(built.get("faces"), built.get("voices"), gate,
                  skipped(p for name, p in plans.items() if name in PEOPLE))


def build_people(cfg: EntityConfig, device: str, *, required: bool = False) -> People:
    from mmem.perceive.registry import build_group

    plans, built = build_group(PEOPLE, device, "entities" if required else None, entities=cfg)
    return people_from(cfg, plans, built)
