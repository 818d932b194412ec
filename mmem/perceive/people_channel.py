"""Build the entity channel for a run (face and voice models), or say what is missing."""

from __future__ import annotations

from dataclasses import dataclass, field

from mmem.config import EntityConfig
from mmem.errors import WeightsUnavailable
from mmem.perceive.faces import FaceBackend, FaceGate
from mmem.perceive.voices import VoiceBackend


@dataclass(frozen=True)
class People:
    faces: FaceBackend | None
    voices: VoiceBackend | None
    gate: FaceGate = field(default_factory=FaceGate)
    skipped: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.faces is not None or self.voices is not None


def build_people(cfg: EntityConfig, device: str, *, required: bool = False) -> People:
    if not cfg.enabled:
        return People(None, None)
    from mmem.perceive.device import resolve_device
    from mmem.perceive.faces import DlibFaces
    from mmem.perceive.voices import Resemblyzer
    from mmem.weights import resolve_face_models, resolve_voice_model

    dev = str(resolve_device(device))
    skipped: list[str] = []
    faces = voices = None
    try:
        faces = DlibFaces(resolve_face_models())
    except WeightsUnavailable as exc:
        if required:
            raise
        skipped.append(f"faces: {exc}")
    try:
        voices = Resemblyzer(resolve_voice_model(), device=dev)
    except WeightsUnavailable as exc:
        if required:
            raise
        skipped.append(f"voices: {exc}")
    return People(faces, voices, FaceGate(min_size=cfg.min_face, max_faces=cfg.max_faces), skipped)
