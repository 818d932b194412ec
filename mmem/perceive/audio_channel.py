"""The audio channels as a run uses them (VAD, ASR, sentence embeddings), or what is missing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mmem.config import AudioConfig, IngestConfig
from mmem.perceive.asr import Transcriber
from mmem.perceive.base import TextEmbedder
from mmem.perceive.channels.base import ChannelPlan
from mmem.perceive.vad import VoiceActivity

HEARING = ("audio", "asr", "text")  # the registry channels a Hearing holds


@dataclass(frozen=True)
class Hearing:
    vad: VoiceActivity | None  # None: the audio channel is off
    asr: Transcriber | None
    text: TextEmbedder | None  # sentence embeddings of transcripts
    chunk_seconds: float = 30.0
    skipped: list[str] = field(default_factory=list)  # "asr: why", "text: why"


def hearing_from(cfg: AudioConfig, plans: Mapping[str, ChannelPlan], built: Mapping[str, Any]) -> Hearing:
    from mmem.perceive.registry import skipped

    return Hearing(built.get("audio"), built.get("asr"), built.get("text"), cfg.chunk_seconds,
                   skipped(p for name, p in plans.items() if name in HEARING))


def build_hearing(cfg: AudioConfig, device: str, *, require_asr: bool = False) -> Hearing:
    from mmem.perceive.registry import build_group

    plans, built = build_group(HEARING, device, "asr" if require_asr else None, audio=cfg)
    return hearing_from(cfg, plans, built)


def build_text_embedder(model: str, device: str, skipped: list[str] | None = None) -> TextEmbedder | None:
    """The sentence model `model` on `device` (resolved), or None with "text: why" added to `skipped`."""
    from dataclasses import replace

    from mmem.perceive.registry import build_one, plan_one, select

    run = IngestConfig(audio=replace(AudioConfig(), text_model=model))
    (channel,) = select(run, names=("text",))
    plan, text = build_one(channel, plan_one(channel, run, {}), run, device)
    if text is None and skipped is not None:
        skipped.append(f"text: {plan.why}")
    return text
