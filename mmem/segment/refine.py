"""Boundary refinement on the similarity graph of the frames around a boundary (EM-LLM).

Inside a small window the frames form a weighted graph (affinity from the same fused distance
the surprise uses). Every contiguous two-way split of the window is scored, and the boundary
moves to the split with the highest modularity (or the lowest conductance).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def fused_distance(features: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """(n, n) weighted mean over channels of 1 - cos, from per-channel (n, d) unit-norm rows."""
    total: np.ndarray | None = None
    wsum = 0.0
    for name, x in features.items():
        w = float(weights.get(name, 1.0))
        if w <= 0:
            continue
        d = 1.0 - np.clip(x @ x.T, -1.0, 1.0)
        total = d * w if total is None else total + d * w
        wsum += w
    if total is None:
        raise ValueError("no channel with positive weight")
    return total / wsum


def affinity(distance: np.ndarray) -> np.ndarray:
    """Gaussian-style kernel with a scale taken from the window itself; zero diagonal."""
    n = distance.shape[0]
    off = distance[~np.eye(n, dtype=bool)]
    scale = float(np.median(off)) if off.size else 1.0
    a = np.exp(-distance / max(scale, 1e-6))
    np.fill_diagonal(a, 0.0)
    return a


def modularity(a: np.ndarray, split: int) -> float:
    """Newman modularity of the partition {[0, split), [split, n)}."""
    two_m = float(a.sum())
    if two_m <= 0:
        return 0.0
    deg = a.sum(axis=1)
    q = 0.0
    for part in (slice(0, split), slice(split, None)):
        q += float(a[part, part].sum()) / two_m - (float(deg[part].sum()) / two_m) ** 2
    return q


def conductance(a: np.ndarray, split: int) -> float:
    """cut(S, rest) / min(vol S, vol rest) for S = [0, split)."""
    cut = float(a[:split, split:].sum())
    vol_s, vol_t = float(a[:split].sum()), float(a[split:].sum())
    denom = min(vol_s, vol_t)
    return cut / denom if denom > 0 else 1.0


def best_split(a: np.ndarray, allowed: Sequence[int], method: str = "modularity") -> int:
    """The split in `allowed` (each in 1..n-1) that maximises modularity / minimises conductance.

    Ties go to the earliest split, so the result is deterministic.
    """
    if not allowed:
        raise ValueError("no allowed split")
    if method == "conductance":
        scores = [-conductance(a, s) for s in allowed]
    else:
        scores = [modularity(a, s) for s in allowed]
    return int(allowed[int(np.argmax(scores))])


def refine_boundary(
    features: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
    allowed: Sequence[int],
    method: str = "modularity",
) -> int:
    """Window features (rows in time order) -> position of the first frame of the new event."""
    if len(allowed) == 1:
        return int(allowed[0])
    return best_split(affinity(fused_distance(features, weights)), allowed, method)
