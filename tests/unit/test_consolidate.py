"""Compression invariants: weighted k-means and the bounded working memory (numpy, no models)."""

from __future__ import annotations

import numpy as np

from mmem.consolidate.kmeans import normalize, weighted_kmeans
from mmem.consolidate.working import WorkingMemory


def clustered(n: int, k: int, dim: int = 16, seed: int = 0):
    g = np.random.default_rng(seed)
    centres = normalize(g.standard_normal((k, dim)))
    labels = np.arange(n) * k // n  # time-contiguous groups
    x = normalize(centres[labels] + 0.05 * g.standard_normal((n, dim)))
    return x, labels


def test_kmeans_returns_k_time_ordered_centroids_whose_weights_sum_to_the_frames():
    x, labels = clustered(60, 4)
    t = np.arange(60, dtype=np.float32)
    w = np.ones(60, np.float32)
    c = weighted_kmeans(x, w, t, k=4)
    assert c.centroids.shape == (4, 16)
    assert np.allclose(np.linalg.norm(c.centroids, axis=1), np.ones(4), atol=1e-5)
    assert float(c.weights.sum()) == 60.0
    assert np.all(c.times[1:] > c.times[:-1])
    assert np.array_equal(c.assign, labels)  # recovers the four contiguous groups, in time order


def test_kmeans_respects_member_weights():
    # two groups; the second is a single slot standing for 30 merged frames
    x = normalize(np.array([[1.0, 0.0]] * 3 + [[0.0, 1.0]]))
    w = np.array([1.0, 1.0, 1.0, 30.0], np.float32)
    c = weighted_kmeans(x, w, np.arange(4.0), k=2)
    assert c.weights.tolist() == [3.0, 30.0]
    assert float(c.weights.sum()) == float(w.sum())


def test_kmeans_with_fewer_rows_than_k_keeps_every_row():
    x, _ = clustered(3, 3)
    c = weighted_kmeans(x, np.ones(3), np.arange(3.0), k=8)
    assert c.centroids.shape[0] == 3 and float(c.weights.sum()) == 3.0


def test_kmeans_fills_every_cluster_even_for_identical_rows():
    x = normalize(np.ones((10, 4)))
    c = weighted_kmeans(x, np.ones(10), np.arange(10.0), k=3)
    assert c.centroids.shape[0] == 3 and np.all(c.weights > 0)


def test_working_memory_stays_bounded_on_a_long_stream():
    dim, cap = 8, 32
    wm = WorkingMemory(dim, capacity=cap, protect=6)
    img = np.zeros((36, 64, 3), np.uint8)
    rng = np.random.default_rng(0)
    sizes = []
    for i in range(5000):  # ~83 minutes at 1 fps, all one event
        v = rng.normal(size=dim).astype(np.float32)
        wm.add(i, float(i), v / np.linalg.norm(v), img)
        sizes.append(wm.nbytes)
    assert len(wm) == cap
    assert max(sizes) == sizes[cap]  # memory stops growing once the capacity is reached
    slots = wm.pop_before(5000)
    assert slots.n_frames == 5000  # every frame is still counted, in merged slots
    assert len(wm) == 0
    assert np.all(slots.times[1:] >= slots.times[:-1])


def test_working_memory_never_merges_the_protected_tail():
    wm = WorkingMemory(4, capacity=10, protect=4)
    img = np.zeros((4, 4, 3), np.uint8)
    for i in range(30):
        wm.add(i, float(i), np.ones(4, np.float32) / 2, img)
    tail = wm.pop_before(10**9)
    assert tail.weights[-4:].tolist() == [1.0, 1.0, 1.0, 1.0]


def test_pop_before_splits_at_an_event_boundary():
    wm = WorkingMemory(4, capacity=64, protect=4)
    img = np.zeros((4, 4, 3), np.uint8)
    for i in range(10):
        wm.add(i, float(i), np.eye(4, dtype=np.float32)[i % 4], img)
    first = wm.pop_before(6)
    assert first.n_frames == 6 and len(first.images) == 6 and len(wm) == 4
    assert wm.pop_before(10).times.tolist() == [6.0, 7.0, 8.0, 9.0]
