"""`mmem doctor`: what will run here, and what is missing."""

from __future__ import annotations

from importlib import metadata
from typing import Annotated, Any

import typer

from mmem.cli.common import DbOption, JsonOption, db_path, handles_errors, out, print_json

_PACKAGES = ("mmem", "torch", "open_clip_torch", "lancedb", "av", "opencv-python-headless", "faster-whisper",
             "openai-whisper", "sentence-transformers", "onnxruntime", "tokenizers")


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
    repair: Annotated[bool, typer.Option("--repair", help="Put a table whose files are damaged back to its last version that reads whole (takes the writer lock).")] = False,
) -> None:
    """Report the compute device, models found or missing, which channels will run, and the
    memory's health: disk use per table, orphans of crashed runs, who is writing."""
    import dataclasses

    from mmem.config import IngestConfig
    from mmem.perceive.registry import plan_all
    from mmem.store.location import as_location
    from mmem.store.schema import MARKER

    if repair:
        _repair(db, json_out)
        return
    cfg = IngestConfig()
    vis = dataclasses.replace(cfg.vision, clip_model=clip_model or cfg.vision.clip_model,
                              clip_pretrained=clip_pretrained or cfg.vision.clip_pretrained)
    cfg = dataclasses.replace(cfg, vision=vis)
    plans = plan_all(cfg, download=False, diagnose=True)
    root = as_location(db_path(db))
    report = {
        "device": _device(),
        "versions": {p: _version(p) for p in _PACKAGES},
        "models": _models(cfg, plans),
        "channels": {name: _channel(p) for name, p in plans.items()},
        "db": {"path": str(root), "exists": _exists(root / MARKER)},
        "plan": [p.as_json() for p in plans.values()],
    }
    memory = _memory(root) if report["db"]["exists"] else None
    if memory is not None:
        from mmem.store.health import health

        report["db"]["health"] = health(memory).to_json()
    if json_out:
        print_json(report)
        return
    _print(report, cfg, plans)


def _device() -> dict[str, Any]:
    import torch

    cuda = torch.cuda.is_available()
    return {"selected": "cuda" if cuda else "cpu", "cuda": cuda,
            "gpu": torch.cuda.get_device_name(0) if cuda else None, "torch_threads": torch.get_num_threads()}


def _found(plan, path: Any) -> dict[str, Any]:
    return {"found": not plan.missing, "path": str(path) if path and not plan.missing else None,
            "error": plan.why if plan.missing else None}


def _models(cfg, plans) -> dict[str, Any]:
    """Each model's weights, found (where) or missing (why), as the channels planned them."""
    from mmem.weights import model_cache, offline

    clip, asr, text = plans["vision"], plans["asr"], plans["text"]
    return {
        "cache": str(model_cache()), "offline": offline(),
        "clip": {"model": cfg.vision.clip_model, "pretrained": cfg.vision.clip_pretrained,
                 **_found(clip, getattr(clip.weights, "checkpoint", None))},
        "asr": {"model": cfg.audio.asr_model, "backend": cfg.audio.asr_backend,
                **_found(asr, getattr(asr.weights, "path", None))},
        "text": {"model": cfg.audio.text_model, **_found(text, text.weights)},
    }


def _channel(plan) -> dict[str, Any]:
    """A channel as doctor has always shown it: active when its model is there."""
    return {"active": not plan.missing, "why": plan.why if plan.missing or plan.runs else None}


def _print(report: dict[str, Any], cfg, plans) -> None:
    from mmem.weights import offline

    device, models = report["device"], report["models"]
    out.print(f"device    {device['selected']}" + (f" ({device['gpu']})" if device["gpu"] else
              f" (no CUDA GPU; torch uses {device['torch_threads']} threads)"))
    out.print("versions  " + ", ".join(f"{k} {v}" for k, v in report["versions"].items() if v))
    out.print(f"models    cache {models['cache']}" + (" (offline)" if offline() else ""))
    clip = models["clip"]
    mark = "found" if clip["found"] else "MISSING"
    out.print(f"  clip    {cfg.vision.clip_model}/{cfg.vision.clip_pretrained}: {mark}"
              + (f" at {clip['path']}" if clip["path"] else ""))
    for key in ("asr", "text"):
        m = models[key]
        name = f"{m.get('backend', 'sentence')}/{m['model']}"
        out.print(f"  {key:<6}  {name}: {'found' if m['found'] else 'MISSING'}" + (f" at {m['path']}" if m["path"] else ""))
    out.print("channels")
    for name, ch in report["channels"].items():
        state = "active" if ch["active"] else "skipped"
        out.print(f"  {name:<7} {state}" + (f": {ch['why']}" if ch["why"] and not ch["active"] else ""))
    runs = [p.name + (f" ({p.model_id})" if p.model_id else "") for p in plans.values() if p.runs]
    off = [f"{p.name} ({p.why})" if not p.missing else p.name for p in plans.values() if not p.runs]
    out.print("plan      " + (", ".join(runs) or "nothing") + (f"; skipped: {', '.join(off)}" if off else ""))
    out.print(f"memory    {report['db']['path']}" + ("" if report["db"]["exists"] else " (not created yet)"))
    h = report["db"].get("health")
    if h:
        _print_health(h)


def _print_health(h: dict[str, Any]) -> None:
    for name, t in h["tables"].items():
        state = f"{t['rows']} rows" if t["rows"] is not None else f"DAMAGED ({t['error']}): run mmem doctor --repair"
        out.print(f"  {name:<12} {state}, {t['versions']} versions, {_mb(t['bytes'])}")
    out.print("  files        " + ", ".join(f"{k} {_mb(v)}" for k, v in h["files"].items()))
    o = h["orphans"]
    if o:
        rows = ", ".join(f"{k} {v}" for k, v in o["rows"].items())
        out.print(f"  orphans      {rows or 'no rows'}, {o['files']} files (the next writer sweeps them)"
                  if rows or o["files"] else "  orphans      none")
    if h["journal"]:
        out.print(f"  journal      an interrupted {h['journal']}: the next writing command finishes it")
    if h["writer"] is not None:
        w = h["writer"]
        out.print(f"  writer       pid {w.get('pid')} ({w.get('command')}, since {w.get('since')})")


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def _memory(root):
    from mmem.store.memory import Memory

    try:
        return Memory.open(root)
    except Exception:  # noqa: BLE001 - doctor reports, it does not fail on a bad memory
        return None


def _repair(db, json_out: bool) -> None:
    from mmem.cli.common import open_writer
    from mmem.store.health import repair

    memory = open_writer(db)
    try:
        done = repair(memory)
    finally:
        memory.close()
    if json_out:
        print_json({"repaired": done})
        return
    if not done:
        out.print("every table reads whole: nothing to repair")
    for name, what in done.items():
        out.print(f"{name}: {what}")
    lost = [n for n, what in done.items() if what.startswith("no older")]
    if lost:
        from mmem.errors import StoreError

        raise StoreError(f"{', '.join(lost)} could not be repaired: restore the memory from a backup")


def _exists(path) -> bool:
    from mmem.errors import MmemError

    try:
        return bool(path.exists())
    except MmemError:
        return False
