"""Build the audio channel for a run (VAD, ASR, sentence embeddings), or say what is missing."""

from __future__ import annotations

from dataclasses import dataclass, field

from mmem.config import AudioConfig
from mmem.errors import WeightsUnavailable
from mmem.perceive.asr import Transcriber
from mmem.perceive.base import TextEmbedder
from mmem.perceive.vad import VoiceActivity


@dataclass(frozen=True)
class Hearing:
    vad: VoiceActivity | None  # None: the audio channel is off
    asr: Transcriber | None
    text: TextEmbedder | None  # sentence embeddings of transcripts
    chunk_seconds: float = 30.0
    skipped: list[str] = field(default_factory=list)  # "asr: why", "text: why"

    @property
    def channels(self) -> list[str]:
        if self.vad is None:
            return []
        return ["audio"] + (["asr"] if self.asr is not None else [])


def build_hearing(cfg: AudioConfig, device: str, *, require_asr: bool = False) -> Hearing:
    if not cfg.enabled:
        return Hearing(None, None, None, cfg.chunk_seconds)
    from mmem.perceive.asr import build_transcriber
    from mmem.perceive.device import resolve_device
    from mmem.perceive.vad import build_vad
    from mmem.weights import resolve_asr

    dev = str(resolve_device(device))
    skipped: list[str] = []
    asr = text = None
    try:
        asr = build_transcriber(resolve_asr(cfg.asr_model, cfg.asr_backend), dev, cfg.language)
    except WeightsUnavailable as exc:
        if require_asr:
            raise
        skipped.append(f"asr: {exc}")
    if asr is not None:
        text = build_text_embedder(cfg.text_model, dev, skipped)
    return Hearing(build_vad(cfg.vad), asr, text, cfg.chunk_seconds, skipped)


def build_text_embedder(model: str, device: str, skipped: list[str] | None = None) -> TextEmbedder | None:
    from mmem.perceive.text import SentenceEmbedder
    from mmem.weights import resolve_text_model

    try:
        return SentenceEmbedder(resolve_text_model(model), device=device, model_id=model)
    except WeightsUnavailable as exc:
        if skipped is not None:
            skipped.append(f"text: {exc}")
        return None
