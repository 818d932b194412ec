"""The models of a run, from the channel registry: the `Vision`, `Hearing` and `People` bundles
that Session and live use, and the `ModelPlan` (what a run's models are, without loading them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mmem.config import IngestConfig
from mmem.perceive.audio_channel import Hearing, hearing_from
from mmem.perceive.channels.base import ChannelPlan
from mmem.perceive.people_channel import People, people_from
from mmem.perceive.vision import Vision, vision_from


def bundles(cfg: IngestConfig, plans: Mapping[str, ChannelPlan],
            built: Mapping[str, Any]) -> tuple[Vision, Hearing, People]:
    return (vision_from(plans.get("vision"), built.get("vision")), hearing_from(cfg.audio, plans, built),
            people_from(cfg.entities, plans, built))


# channels a recorded file first uses on its video frames, after its audio pass: with
# `build_models(background=True)` they load while that pass runs
LATER = ("faces",)


def build_models(cfg: IngestConfig, *, background: bool = False) -> tuple[Vision, Hearing, People]:
    """Load every channel's model for `cfg`; a missing model skips its channel with the reason,
    unless `cfg.require` names it. `background`: the LATER channels load in a thread (a file's
    ingest; a live source needs every model at its first frame)."""
    from mmem.perceive.registry import build_all

    plans, built = build_all(cfg, later=LATER if background else ())
    return bundles(cfg, plans, built)


def face_model(detector: str = "hog") -> Any:
    """The face detector and describer alone, on the CPU (None when its weights are missing):
    what forgetting a face uses to find it again in keyframes."""
    from mmem.errors import WeightsUnavailable
    from mmem.perceive.faces import DlibFaces
    from mmem.weights import resolve_face_models

    try:  # not through the registry: it would import torch to choose a device dlib does not use
        return DlibFaces(resolve_face_models(), detector=detector)
    except WeightsUnavailable:
        return None


def running(vision: Vision, hearing: Hearing | None, people: People | None) -> set[str]:
    """The channels whose models are loaded (pixel needs none)."""
    slots = {"pixel": True, "vision": vision.embedder is not None,
             "audio": hearing is not None and hearing.vad is not None,
             "asr": hearing is not None and hearing.asr is not None,
             "text": hearing is not None and hearing.text is not None,
             "faces": people is not None and people.faces is not None,
             "voices": people is not None and people.voices is not None}
    return {name for name, on in slots.items() if on}


def skipped_lines(vision: Vision, hearing: Hearing | None, people: People | None, *,
                  has_video: bool = True, has_audio: bool = True) -> list[str]:
    """"channel: why" for the channels skipped for a missing model (vision and hearing only
    for media with that track)."""
    return ([f"vision: {vision.skipped}"] if vision.skipped and has_video else []) + (
        list(hearing.skipped) if hearing is not None and has_audio else []) + (
        list(people.skipped) if people is not None else [])


@dataclass
class ModelPlan:
    """What the models of a run are, found without loading them (a batch writer needs the vector
    model and widths before workers start; workers load the models themselves)."""

    spec: dict[str, Any] | None  # the vision model, as Vision.spec (None: no vision)
    dim: int  # event vector width
    text_dim: int | None  # transcript vector width (None: no sentence embeddings)
    people: bool  # faces or voices will be matched to entities
    skipped: list[str] = field(default_factory=list)  # "channel: why" for channels that will not run
    text_model: str | None = None  # the sentence model transcripts are embedded with


def plan_models(cfg: IngestConfig) -> ModelPlan:
    """Resolve every model's weights (fail now, once, if a required one is missing) and load only
    the small sentence model, for its width (and CLIP when its config does not tell it)."""
    import dataclasses

    from mmem.perceive.registry import build_one, plan_all, select, skipped

    plans = plan_all(cfg)
    on_cpu = dataclasses.replace(cfg, vision=dataclasses.replace(cfg.vision, device="cpu"))
    loaders = {ch.name: ch for ch in select(cfg, names=("vision", "text"))}
    vision = plans["vision"]
    spec, dim = (vision.spec if vision.runs else None), vision.dim
    if dim is None:  # a model without a config: only loading it tells its width
        plans["vision"], embedder = build_one(loaders["vision"], vision, on_cpu, "cpu")
        dim, spec = (embedder.dim, plans["vision"].spec) if embedder is not None else (512, None)
    plans["text"], text = build_one(loaders["text"], plans["text"], on_cpu, "cpu")
    people = plans["faces"].runs or plans["voices"].runs
    return ModelPlan(spec, int(dim), text.dim if text is not None else None, people,
                     skipped(plans.values()), text.model_id if text is not None else None)


def loaded_plan(vision: Vision, hearing: Hearing | None, people: People | None) -> ModelPlan:
    """The same facts from models already loaded (one worker in this process)."""
    text = hearing.text if hearing is not None else None
    return ModelPlan(vision.spec if vision.embedder is not None else None, vision.dim,
                     text.dim if text is not None else None, people is not None and people.active,
                     skipped_lines(vision, hearing, people), text.model_id if text is not None else None)
