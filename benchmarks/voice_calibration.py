"""Where a speaker model's cosines separate one speaker from two: the numbers behind the
thresholds in mmem.perceive.diarize and mmem.consolidate.entities (not a test; prints a table).

On the LibriSpeech speakers in tests/data/voices and JFK (samples/), each utterance is embedded as
ingest embeds a stretch of speech (the encoder's windows); same-speaker and different-speaker
pairs are compared at four scales: single windows, pools of 2 and 4 adjacent windows (a turn, or
either side of a candidate change), and whole utterances (a file's speaker against an entity).
The equal-error point is where as many same pairs fall below as different pairs reach it.
A second table places the point where a file's cluster counts as two speakers' overlapped speech
rather than a speaker of its own (diarize.unmixed).

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


def mixtures(enc, audio: dict[str, np.ndarray], seed: int = 0) -> dict[str, np.ndarray]:  # noqa: ANN001
    """Span cosines (mmem.perceive.diarize.span_cosine) of clusters of 8-30 consecutive windows
    against two other speakers' centres (all of their windows): a third speaker's cluster, and
    clusters of the two speakers' speech overlapped (added sample by sample, the second at -6, 0
    and +6 dB against the first): where a file's cluster stops counting as a speaker of its own."""
    from mmem.perceive.diarize import span_cosine

    rng = np.random.default_rng(seed)
    wins = {s: np.asarray(enc.windows(a)[0], np.float64) for s, a in audio.items()}
    centre = {s: w.mean(axis=0) for s, w in wins.items()}

    def cluster(w: np.ndarray) -> np.ndarray:
        n = int(rng.integers(8, 31))
        first = int(rng.integers(0, max(1, len(w) - n)))
        return w[first:first + n].mean(axis=0)

    names = sorted(audio)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    out: dict[str, list[float]] = {"third speaker": []}
    for a, b in pairs:
        for c in names:
            if c not in (a, b):
                out["third speaker"] += [span_cosine(cluster(wins[c]), centre[a], centre[b])
                                         for _ in range(20)]
        n = min(audio[a].size, audio[b].size)
        for db in (-6, 0, 6):
            xa, xb = audio[a][:n].astype(np.float64), audio[b][:n].astype(np.float64)
            xb = xb * np.sqrt(np.mean(xa ** 2) / max(np.mean(xb ** 2), 1e-12)) * 10 ** (db / 20)
            mixed = np.asarray(enc.windows((xa + xb).astype(np.float32))[0], np.float64)
            out.setdefault(f"overlapped {db:+d} dB", []).extend(
                span_cosine(cluster(mixed), centre[a], centre[b]) for _ in range(10))
    return {k: np.array(v) for k, v in out.items()}


def main() -> None:
    from mmem.sources.audio import read_audio

    name = sys.argv[1] if len(sys.argv) > 1 else "campplus"
    enc = _encoder(name)
    files = [(d.name, f) for d in sorted((ROOT / "tests" / "data" / "voices").iterdir()) if d.is_dir()
             for f in sorted(d.glob("*.flac"))] + [("jfk", ROOT / "samples" / "jfk.flac")]
    wins: dict[str, list[np.ndarray]] = {}
    audio: dict[str, list[np.ndarray]] = {}
    for who, f in files:
        samples = read_audio(f)
        audio.setdefault(who, []).append(samples)
        emb, _ = enc.windows(samples)
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
    print()
    print("A cluster of 8-30 windows against the plane of two other speakers' centres (span cosine):")
    print("| cluster | clusters | mean | p5 | p95 | min | max |")
    print("|---|---|---|---|---|---|---|")
    spans = mixtures(enc, {s: np.concatenate(v) for s, v in audio.items()})
    for kind, v in spans.items():
        p5, p95 = np.percentile(v, [5, 95])
        print(f"| {kind} | {len(v)} | {v.mean():.2f} | {p5:.2f} | {p95:.2f} | {v.min():.2f} "
              f"| {v.max():.2f} |")
    third = spans.pop("third speaker")
    blend = np.concatenate(list(spans.values()))
    if third.max() < blend.min():
        low, high = third.max(), blend.min()
        print(f"no error between {low:.2f} and {high:.2f}: {(low + high) / 2:.2f}")


if __name__ == "__main__":
    main()
