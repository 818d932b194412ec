"""Weighted spherical k-means (Flash-VStream's synopsis, weights = member counts), in numpy: an
event holds at most a working memory's capacity of slots, so this is milliseconds of CPU, and ingest
need not import torch for it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_EPS = 1e-12  # below this norm a row is left as it is (torch.nn.functional.normalize's eps)


def normalize(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Rows (or the vector) scaled to unit L2 norm; zero rows stay zero."""
    norms = np.linalg.norm(x, axis=axis, keepdims=True)
    return (x / np.maximum(norms, _EPS)).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Compressed:
    centroids: np.ndarray  # (k, D) float32, unit norm, ordered by mean time
    weights: np.ndarray  # (k,) float32, member counts; sums to the input weight
    times: np.ndarray  # (k,) float32, weighted mean timestamp of the members, ascending
    assign: np.ndarray  # (n,) int64, centroid index of each input row (after time ordering)


def weighted_kmeans(x: np.ndarray, w: np.ndarray, t: np.ndarray, k: int, iters: int = 25) -> Compressed:
    """Cluster unit-norm rows `x` (n, D) with weights `w` and times `t` into min(k, n) centroids.

    Seeds are spread evenly along time (deterministic, and natural for a temporal sequence);
    empty clusters are re-seeded with the worst-fitting row, so exactly min(k, n) come back.
    """
    n = x.shape[0]
    if n == 0:
        raise ValueError("nothing to compress")
    k = min(k, n)
    x = normalize(np.asarray(x, np.float32))
    w = np.asarray(w, np.float32)
    t = np.asarray(t, np.float32)
    order = np.argsort(t, kind="stable")
    seeds = order[np.round(np.linspace(0, n - 1, k)).astype(np.int64)]
    c = x[seeds].copy()
    assign = np.zeros(n, np.int64)
    rows = np.arange(n)
    for _ in range(iters):
        sim = x @ c.T
        new = sim.argmax(axis=1)
        counts = np.bincount(new, weights=w, minlength=k)
        empty = np.flatnonzero(counts == 0)
        if empty.size:
            worst = np.argsort(sim[rows, new], kind="stable")[: empty.size]
            new[worst] = empty
        sums = np.zeros_like(c)
        np.add.at(sums, new, x * w[:, None])
        c = normalize(sums)
        if np.array_equal(new, assign):
            break
        assign = new
    weights = np.bincount(assign, weights=w, minlength=k).astype(np.float32)
    times = (np.bincount(assign, weights=w * t, minlength=k) / weights).astype(np.float32)
    by_time = np.argsort(times, kind="stable")
    remap = np.empty_like(by_time)
    remap[by_time] = np.arange(k)
    return Compressed(c[by_time], weights[by_time], times[by_time], remap[assign])
