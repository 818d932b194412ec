"""Options `mmem ingest` and `mmem batch` share, and the IngestConfig they make."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from mmem.config import IngestConfig
from mmem.errors import InputError

Fps = Annotated[float | None, typer.Option(help="Frames sampled per second of media (default 1.0).")]
Device = Annotated[str | None, typer.Option(envvar="MMEM_DEVICE", help="auto | cpu | cuda | cuda:N (default auto).")]
ClipModel = Annotated[str | None, typer.Option(envvar="MMEM_CLIP_MODEL", help="open_clip model name or model-config JSON (default ViT-B-32).")]
ClipPretrained = Annotated[str | None, typer.Option(envvar="MMEM_CLIP_PRETRAINED", help="Pretrained tag, checkpoint path, or 'random' (default laion2b_s34b_b79k).")]
Audio = Annotated[bool, typer.Option("--audio/--no-audio", help="Use the audio track (speech, sound).")]
AsrModel = Annotated[str | None, typer.Option(envvar="MMEM_ASR_MODEL", help="Whisper model name or local path (default tiny.en).")]
AsrBackend = Annotated[str | None, typer.Option(help="faster-whisper | openai-whisper (default faster-whisper).")]
Language = Annotated[str | None, typer.Option(help="Spoken language code (en, de, ...) (default: detect).")]
Entities = Annotated[bool, typer.Option("--entities/--no-entities", help="Recognise faces and voices as people.")]
FaceDetector = Annotated[str | None, typer.Option(help="Face detector: hog (fast) or cnn (dlib's MMOD CNN: profile and small faces, slower).")]
VoiceModel = Annotated[str | None, typer.Option(help="Speaker model: campplus (CAM++, default) or resemblyzer (older, weaker).")]
Require = Annotated[list[str] | None, typer.Option(help="Fail instead of skipping this channel when it cannot run (vision, asr, entities).")]
Force = Annotated[bool, typer.Option(help="Re-ingest files already in memory.")]
Recipe = Annotated[Path | None, typer.Option(help="TOML recipe (pipelines/*.toml): source, vision, audio, entities, segment, consolidate and batch settings; flags override it.")]


F = TypeVar("F", bound=Callable[..., Any])
# the model and channel options both commands take, in the order --help lists them
_SETTINGS: tuple[tuple[str, Any, Any], ...] = (
    ("fps", Fps, None), ("device", Device, None), ("clip_model", ClipModel, None),
    ("clip_pretrained", ClipPretrained, None), ("audio", Audio, True), ("asr_model", AsrModel, None),
    ("asr_backend", AsrBackend, None), ("language", Language, None), ("entities", Entities, True),
    ("face_detector", FaceDetector, None), ("voice_model", VoiceModel, None), ("require", Require, None),
)


def with_ingest_settings(fn: F | None = None, *, after: str | None = None) -> Any:
    """Give a command the shared settings options (after its arguments, or after the option
    `after`) and call it with `cfg`, the IngestConfig they make over its `recipe`, in their place."""
    if fn is None:
        return functools.partial(with_ingest_settings, after=after)
    sig = inspect.signature(fn)
    hints = typing.get_type_hints(fn, include_extras=True)  # Typer reads the options from these
    own = [p.replace(annotation=hints[p.name]) for p in sig.parameters.values() if p.name != "cfg"]
    names = [p.name for p in own]
    at = names.index(after) + 1 if after else sum(p.default is inspect.Parameter.empty for p in own)
    shared = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=kind)
              for name, kind, default in _SETTINGS]

    @functools.wraps(fn)
    def command(*a: Any, **kw: Any) -> Any:
        values = {name: kw.pop(name, default) for name, _, default in _SETTINGS}
        return fn(*a, cfg=ingest_config(kw.get("recipe"), **values), **kw)

    command.__signature__ = sig.replace(parameters=own[:at] + shared + own[at:])  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in command.__signature__.parameters.values()}  # type: ignore[attr-defined]
    return command


def ingest_config(recipe: Path | None, *, fps: float | None, device: str | None, clip_model: str | None,
                  clip_pretrained: str | None, audio: bool, asr_model: str | None, asr_backend: str | None,
                  language: str | None, entities: bool, require: list[str] | None,
                  face_detector: str | None = None, voice_model: str | None = None) -> IngestConfig:
    """Recipe, then flags over it; validated."""
    from mmem.config import load_recipe, validate
    from mmem.perceive.device import check_device_name

    cfg = load_recipe(recipe) if recipe else IngestConfig()
    src = dataclasses.replace(cfg.source, **({"fps": fps} if fps is not None else {}))
    vis_updates = {k: v for k, v in (("device", device), ("clip_model", clip_model),
                                     ("clip_pretrained", clip_pretrained)) if v is not None}
    vis = dataclasses.replace(cfg.vision, **vis_updates)
    aud_updates = {k: v for k, v in (("asr_model", asr_model), ("asr_backend", asr_backend),
                                     ("language", language)) if v is not None}
    aud = dataclasses.replace(cfg.audio, **aud_updates, **({} if audio else {"enabled": False}))
    required = frozenset(require) if require else cfg.require
    unknown = required - {"vision", "asr", "entities"}
    if unknown:
        raise InputError(f"--require {', '.join(sorted(unknown))}: unknown channel; use vision, asr or entities")
    ent = cfg.entities if entities else dataclasses.replace(cfg.entities, enabled=False)
    if face_detector is not None:
        ent = dataclasses.replace(ent, face_detector=face_detector)
    if voice_model is not None:
        ent = dataclasses.replace(ent, voice_model=voice_model)
    cfg = dataclasses.replace(cfg, source=src, vision=vis, audio=aud, entities=ent, require=required)
    validate(cfg)
    check_device_name(cfg.vision.device)
    return cfg


def warn_skipped(err, vision, hearing, people) -> None:
    from rich.markup import escape

    from mmem.perceive.models import skipped_lines

    for why in skipped_lines(vision, hearing, people):
        name, _, reason = why.partition(": ")
        err.print(f"[yellow]warning:[/] {name} channel skipped: {escape(reason)}")
