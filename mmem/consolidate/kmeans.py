"""Weighted spherical k-means on the device (Flash-VStream's synopsis, weights = member counts)."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True, slots=True)
class Compressed:
    centroids: torch.Tensor  # (k, D), unit norm, ordered by mean time
    weights: torch.Tensor  # (k,), member counts; sums to the input weight
    times: torch.Tensor  # (k,), weighted mean timestamp of the members, ascending
    assign: torch.Tensor  # (n,), centroid index of each input row (after time ordering)


def weighted_kmeans(
    x: torch.Tensor, w: torch.Tensor, t: torch.Tensor, k: int, iters: int = 25
) -> Compressed:
    """Cluster unit-norm rows `x` (n, D) with weights `w` and times `t` into min(k, n) centroids.

    Seeds are spread evenly along time (deterministic, and natural for a temporal sequence);
    empty clusters are re-seeded with the worst-fitting row, so exactly min(k, n) come back.
    """
    n = x.shape[0]
    if n == 0:
        raise ValueError("nothing to compress")
    k = min(k, n)
    x = torch.nn.functional.normalize(x.float(), dim=-1)
    w = w.float()
    order = torch.argsort(t)
    seeds = order[torch.linspace(0, n - 1, k, device=x.device).round().long()]
    c = x[seeds].clone()
    assign = torch.zeros(n, dtype=torch.long, device=x.device)
    for _ in range(iters):
        sim = x @ c.T
        new = sim.argmax(dim=1)
        counts = torch.zeros(k, device=x.device).index_add_(0, new, w)
        empty = (counts == 0).nonzero().flatten()
        if empty.numel():
            fit = sim.gather(1, new[:, None]).squeeze(1)
            worst = torch.argsort(fit)[: empty.numel()]
            new[worst] = empty
        sums = torch.zeros_like(c).index_add_(0, new, x * w[:, None])
        c = torch.nn.functional.normalize(sums, dim=-1)
        if torch.equal(new, assign):
            break
        assign = new
    weights = torch.zeros(k, device=x.device).index_add_(0, assign, w)
    times = torch.zeros(k, device=x.device).index_add_(0, assign, w * t.float()) / weights
    by_time = torch.argsort(times)
    remap = torch.empty_like(by_time)
    remap[by_time] = torch.arange(k, device=x.device)
    return Compressed(c[by_time], weights[by_time], times[by_time], remap[assign])
