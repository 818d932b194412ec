"""`mmem doctor`: what will run here, and what is missing."""

from __future__ import annotations

from importlib import metadata
from typing import Annotated

import typer

from mmem.cli.common import DbOption, JsonOption, db_path, handles_errors, out, print_json


def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


@handles_errors
def doctor(
    clip_model: Annotated[str | None, typer.Option(envvar="MMEM_CLIP_MODEL", help="Model to check (default ViT-B-32).")] = None,
    clip_pretrained: Annotated[str | None, typer.Option(envvar="MMEM_CLIP_PRETRAINED", help="Weights to check.")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Report the compute device, models found or missing, and which channels will run."""
    import torch

    from mmem.config import VisionConfig
    from mmem.errors import MmemError
    from mmem.store.schema import MARKER
    from mmem.weights import model_cache, offline, resolve_clip

    vis = VisionConfig()
    model = clip_model or vis.clip_model
    pretrained = clip_pretrained or vis.clip_pretrained
    cuda = torch.cuda.is_available()
    device = {
        "selected": "cuda" if cuda else "cpu",
        "cuda": cuda,
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "torch_threads": torch.get_num_threads(),
    }
    try:
        weights = resolve_clip(model, pretrained, download=False)
        clip = {"model": model, "pretrained": pretrained, "found": True,
                "path": str(weights.checkpoint) if weights.checkpoint else None, "error": None}
    except MmemError as exc:
        clip = {"model": model, "pretrained": pretrained, "found": False, "path": None, "error": str(exc)}
    from mmem.config import AudioConfig
    from mmem.perceive.vad import build_vad
    from mmem.weights import resolve_asr, resolve_text_model

    aud = AudioConfig()
    try:
        asr_w = resolve_asr(aud.asr_model, aud.asr_backend, download=False)
        asr = {"model": aud.asr_model, "backend": aud.asr_backend, "found": True, "path": str(asr_w.path),
               "error": None}
    except MmemError as exc:
        asr = {"model": aud.asr_model, "backend": aud.asr_backend, "found": False, "path": None, "error": str(exc)}
    try:
        text = {"model": aud.text_model, "found": True, "path": str(resolve_text_model(aud.text_model)), "error": None}
    except MmemError as exc:
        text = {"model": aud.text_model, "found": False, "path": None, "error": str(exc)}
    vad = build_vad(aud.vad).name
    from mmem.weights import resolve_face_models, resolve_voice_model

    people = {}
    for key, resolve in (("faces", resolve_face_models), ("voices", resolve_voice_model)):
        try:
            resolve()
            people[key] = {"active": True, "why": None}
        except MmemError as exc:
            people[key] = {"active": False, "why": str(exc)}
    from mmem.store.location import as_location

    root = as_location(db_path(db))
    report = {
        "device": device,
        "versions": {p: _version(p) for p in ("mmem", "torch", "open_clip_torch", "lancedb", "av",
                                                "opencv-python-headless", "faster-whisper",
                                                "openai-whisper", "sentence-transformers")},
        "models": {"cache": str(model_cache()), "offline": offline(), "clip": clip, "asr": asr, "text": text},
        "channels": {
            "pixel": {"active": True, "why": "needs no weights"},
            "vision": {"active": clip["found"], "why": None if clip["found"] else clip["error"]},
            "audio": {"active": True, "why": f"voice activity: {vad}"},
            "asr": {"active": asr["found"], "why": None if asr["found"] else asr["error"]},
            "text": {"active": text["found"], "why": None if text["found"] else text["error"]},
            "faces": people["faces"],
            "voices": people["voices"],
        },
        "db": {"path": str(root), "exists": _exists(root / MARKER)},
    }
    if json_out:
        print_json(report)
        return
    out.print(f"device    {device['selected']}" + (f" ({device['gpu']})" if device["gpu"] else
              f" (no CUDA GPU; torch uses {device['torch_threads']} threads)"))
    out.print("versions  " + ", ".join(f"{k} {v}" for k, v in report["versions"].items() if v))
    out.print(f"models    cache {report['models']['cache']}" + (" (offline)" if offline() else ""))
    mark = "found" if clip["found"] else "MISSING"
    out.print(f"  clip    {model}/{pretrained}: {mark}" + (f" at {clip['path']}" if clip["path"] else ""))
    for key in ("asr", "text"):
        m = report["models"][key]
        name = f"{m.get('backend', 'sentence')}/{m['model']}"
        out.print(f"  {key:<6}  {name}: {'found' if m['found'] else 'MISSING'}" + (f" at {m['path']}" if m["path"] else ""))
    out.print("channels")
    for name, ch in report["channels"].items():
        state = "active" if ch["active"] else "skipped"
        out.print(f"  {name:<7} {state}" + (f": {ch['why']}" if ch["why"] and not ch["active"] else ""))
    out.print(f"memory    {root}" + ("" if report["db"]["exists"] else " (not created yet)"))


def _exists(path) -> bool:
    from mmem.errors import MmemError

    try:
        return bool(path.exists())
    except MmemError:
        return False
