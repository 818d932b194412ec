"""`mmem models`: fetch and inspect model weights (the cache lives under $MMEM_HOME)."""

from __future__ import annotations

from typing import Annotated

import typer

from mmem.cli.common import JsonOption, handles_errors, out, print_json

app = typer.Typer(help="Fetch and inspect model weights.", no_args_is_help=True)


@app.command("pull")
@handles_errors
def pull(
    clip_model: Annotated[str | None, typer.Option(help="open_clip model name (default ViT-B-32).")] = None,
    clip_pretrained: Annotated[str | None, typer.Option(help="Pretrained tag (default laion2b_s34b_b79k).")] = None,
    asr_model: Annotated[str | None, typer.Option(help="Whisper model to fetch (e.g. small, large-v3); "
                                                       "without --clip-* options, only it.")] = None,
    asr_backend: Annotated[str, typer.Option(help="faster-whisper | openai-whisper.")] = "faster-whisper",
    text_model: Annotated[str | None, typer.Option(help="Sentence model to export to ONNX for transcripts and "
                                                        "`ask` (e.g. all-MiniLM-L6-v2); without --clip-* "
                                                        "options, only it.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Download weights into the cache, so later runs work offline (the default CLIP weights, or
    the Whisper model --asr-model names, or the ONNX export of the sentence model --text-model names)."""
    from mmem.config import DEFAULT_CLIP_MODEL, DEFAULT_CLIP_PRETRAINED
    from mmem.weights import resolve_asr, resolve_clip

    pulled: list[dict[str, str]] = []
    if asr_model is not None:
        asr = resolve_asr(asr_model, asr_backend, download=True)
        pulled.append({"model_id": asr.model_id, "path": str(asr.path)})
    if text_model is not None:
        from mmem.perceive.text_export import export
        from mmem.weights_onnx import resolve_text_onnx

        text = resolve_text_onnx(text_model, export=export)
        pulled.append({"model_id": text_model, "path": str(text.onnx)})
    if (asr_model is None and text_model is None) or clip_model is not None or clip_pretrained is not None:
        weights = resolve_clip(clip_model or DEFAULT_CLIP_MODEL, clip_pretrained or DEFAULT_CLIP_PRETRAINED,
                               download=True)
        pulled.append({"model_id": weights.model_id, "path": str(weights.checkpoint)})
    if json_out:
        print_json(pulled[0] if len(pulled) == 1 else {"models": pulled})
        return
    for p in pulled:
        out.print(f"{p['model_id']}: {p['path']}")


@app.command("list")
@handles_errors
def list_models(json_out: JsonOption = False) -> None:
    """Show the cache directory and the weight files in it."""
    from mmem.weights import model_cache

    cache = model_cache()
    files = sorted(p for p in cache.rglob("*") if p.is_file() and p.suffix in
                   (".bin", ".safetensors", ".pt", ".pth", ".onnx")) if cache.exists() else []
    if json_out:
        print_json({"cache": str(cache), "files": [{"path": str(p), "bytes": p.stat().st_size}
                                                     for p in files]})
        return
    out.print(f"cache {cache}")
    for p in files:
        out.print(f"  {p.stat().st_size / 1e6:8.1f} MB  {p}")
    if not files:
        out.print("  (empty: `mmem models pull` on a connected machine)")
