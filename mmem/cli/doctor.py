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
    clip_model: Annotated[str | None, typer.Option(envvar="MMEM_CLIP_MODEL", help="Model to check [default ViT-B-32].")] = None,
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
    root = db_path(db)
    report = {
        "device": device,
        "versions": {p: _version(p) for p in ("mmem", "torch", "open_clip_torch", "lancedb", "av",
                                                "opencv-python-headless")},
        "models": {"cache": str(model_cache()), "offline": offline(), "clip": clip},
        "channels": {
            "pixel": {"active": True, "why": "needs no weights"},
            "vision": {"active": clip["found"], "why": None if clip["found"] else clip["error"]},
        },
        "db": {"path": str(root), "exists": (root / MARKER).exists()},
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
    out.print("channels")
    for name, ch in report["channels"].items():
        state = "active" if ch["active"] else "skipped"
        out.print(f"  {name:<7} {state}" + (f": {ch['why']}" if ch["why"] and not ch["active"] else ""))
    out.print(f"memory    {root}" + ("" if report["db"]["exists"] else " (not created yet)"))
