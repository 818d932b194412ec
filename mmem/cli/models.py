"""`mmem models`: fetch and inspect model weights (the cache lives under $MMEM_HOME)."""

from __future__ import annotations

from typing import Annotated

import typer

from mmem.cli.common import JsonOption, handles_errors, out, print_json

app = typer.Typer(help="Fetch and inspect model weights.", no_args_is_help=True)


@app.command("pull")
@handles_errors
def pull(
    clip_model: Annotated[str, typer.Option(help="open_clip model name.")] = "ViT-B-32",
    clip_pretrained: Annotated[str, typer.Option(help="Pretrained tag.")] = "laion2b_s34b_b79k",
    json_out: JsonOption = False,
) -> None:
    """Download weights into the cache, so later runs work offline."""
    from mmem.weights import resolve_clip

    weights = resolve_clip(clip_model, clip_pretrained, download=True)
    if json_out:
        print_json({"model_id": weights.model_id, "path": str(weights.checkpoint)})
    else:
        out.print(f"{weights.model_id}: {weights.checkpoint}")


@app.command("list")
@handles_errors
def list_models(json_out: JsonOption = False) -> None:
    """Show the cache directory and the weight files in it."""
    from mmem.weights import model_cache

    cache = model_cache()
    files = sorted(p for p in cache.rglob("*") if p.is_file() and p.suffix in
                   (".bin", ".safetensors", ".pt", ".pth")) if cache.exists() else []
    if json_out:
        print_json({"cache": str(cache), "files": [{"path": str(p), "bytes": p.stat().st_size}
                                                     for p in files]})
        return
    out.print(f"cache {cache}")
    for p in files:
        out.print(f"  {p.stat().st_size / 1e6:8.1f} MB  {p}")
    if not files:
        out.print("  (empty: `mmem models pull` on a connected machine)")
