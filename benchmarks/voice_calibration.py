"""Where a speaker model's cosines separate one speaker from two: the numbers behind the
thresholds in mmem.perceive.diarize and mmem.consolidate.entities (not a test; prints a table).

On the LibriSpeech speakers in tests/data/voices and JFK (samples/), each utterance is embedded as
ingest embeds a stretch of speech (the encoder's windows); same-speaker and different-speaker
pairs are compared at four scales: single windows, pools of 2 and 4 adjacent windows (a turn, or
either side of a candidate change), and whole utterances (a file's speaker against an entity).
The equal-error point is where as many same pairs fall below as different pairs reach it.

    python -m benchmarks.voice_calibration [campplus|resemblyzer]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _encoder(name: str):  # noqa: ANN202
    if name == "resemblyzer":
        from mmem.perceive.voice_export import export
        from mmem.perceive.voices import OnnxVoiceEncoder
        from mmem.weights_onnx import resolve_voice_onnx

        return OnnxVoiceEncoder(resolve_voice_onnx(export=export).onnx)
    from mmem.perceive import campp_export
    from mmem.perceive.voices import OnnxCamppEncoder
    from mmem.weights_onnx import resolve_campp_onnx

    return OnnxCamppEncoder(resolve_campp_onnx(export=campp_export.export).onnx)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (np.linalg.norm(x, axis=-1, keepdims=True) + 1e-9)


def _pools(emb: np.ndarray, k: int) -> np.ndarray:
    """Pools of k adjacent windows that share no window (so no pair overlaps)."""
    n = len(emb) // k
    return _unit(emb[: n * k].reshape(n, k, -1).mean(axis=1)) if n else emb[:0]


def separation(vectors: list[np.ndarray], labels: list[str]) -> dict[str, float]:
    x = np.concatenate(vectors)
    lab = np.concatenate([[s] * len(v) for v, s in zip(vectors, labels, strict=True)])
    sim = x @ x.T
    iu = np.triu_indices(len(x), 1)
    same, cos = lab[iu[0]] == lab[iu[1]], sim[iu]
    grid = np.linspace(-0.2, 1.0, 1201)
    miss = np.array([(cos[same] < t).mean() for t in grid])
    false = np.array([(cos[~same] >= t).mean() for t in grid])
    gap = np.abs(miss - false)
    best = np.flatnonzero(gap <= gap.min() + 1e-9)
    return {"pairs": float(len(cos)), "same": float(cos[same].mean()),
            "same_p5": float(np.percentile(cos[same], 5)),
            "diff": float(cos[~same].mean()), "diff_p95": float(np.percentile(cos[~same], 95)),
            "eer": float(miss[best].mean()), "at": float(grid[best].mean())}


def main() -> None:
    from mmem.sources.audio import read_audio

    name = sys.argv[1] if len(sys.argv) > 1 else "campplus"
    enc = _encoder(name)
    files = [(d.name, f) for d in sorted((ROOT / "tests" / "data" / "voices").iterdir()) if d.is_dir()
             for f in sorted(d.glob("*.flac"))] + [("jfk", ROOT / "samples" / "jfk.flac")]
    wins: dict[str, list[np.ndarray]] = {}
    for who, f in files:
        emb, _ = enc.windows(read_audio(f))
        wins.setdefault(who, []).append(np.asarray(emb))
    hop = getattr(enc, "HOP", 0) / getattr(enc, "FPS", 1) or 1 / enc.RATE
    step = max(1, round(1.5 / hop))  # windows at least 1.5 s apart barely overlap
    print(f"{name}: {sum(len(w) for v in wins.values() for w in v)} windows, one every {hop:.2f} s")
    print("| scale | pairs | same mean | same p5 | diff mean | diff p95 | EER | at cosine |")
    print("|---|---|---|---|---|---|---|---|")
    rows = {"window": [(w[::step], s) for s, v in wins.items() for w in v],
            "2 windows": [(_pools(w, 2)[::max(1, step // 2)], s) for s, v in wins.items() for w in v],
            "4 windows": [(_pools(w, 4)[::max(1, step // 4)], s) for s, v in wins.items() for w in v],
            "utterance": [(_unit(w.mean(axis=0))[None], s) for s, v in wins.items() for w in v]}
    for scale, parts in rows.items():
        r = separation([p for p, _ in parts], [s for _, s in parts])
        print(f"| {scale} | {int(r['pairs'])} | {r['same']:.2f} | {r['same_p5']:.2f} | {r['diff']:.2f} | "
              f"{r['diff_p95']:.2f} | {r['eer']:.1%} | {r['at']:.3f} |")


if __name__ == "__main__":
    main()
