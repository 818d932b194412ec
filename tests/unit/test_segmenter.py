"""The surprise segmenter on synthetic sequences with known change points (no models)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mmem.config import SegmentConfig
from mmem.segment.refine import affinity, best_split, fused_distance, refine_boundary
from mmem.segment.segmenter import Segmenter
from mmem.types import Observation
from tests.fakes import FakeSpeech


def scenes(cuts: list[int], n: int, dim: int = 32, noise: float = 0.15, seed: int = 0):
    """Unit vectors around one random centre per scene; scene k starts at frame cuts[k]."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(cuts), dim))
    out = []
    for i in range(n):
        k = max(j for j, c in enumerate(cuts) if c <= i)
        v = centres[k] + noise * rng.normal(size=dim)
        out.append((v / np.linalg.norm(v)).astype(np.float32))
    return out


def run(feats, cfg: SegmentConfig, fps: float = 1.0, channel: str = "clip"):
    seg = Segmenter(cfg)
    events = []
    for i, f in enumerate(feats):
        events += seg.push(Observation(i, i / fps, {channel: f}))
    events += seg.flush(len(feats) / fps)
    return events


def test_finds_known_change_points_exactly():
    cuts = [0, 17, 40, 52, 90]
    events = run(scenes(cuts, 120), SegmentConfig())
    assert [e.first for e in events] == cuts
    assert events[0].surprise == 0.0 and all(e.surprise > 0.3 for e in events[1:])


def test_static_noise_makes_one_event():
    events = run(scenes([0], 100, noise=0.05), SegmentConfig())
    assert len(events) == 1
    assert (events[0].start, events[0].end) == (0.0, 100.0)


def test_events_tile_the_stream_without_gaps_or_overlaps():
    events = run(scenes([0, 10, 25, 31], 50, seed=3), SegmentConfig(), fps=2.0)
    assert events[0].start == 0.0 and events[-1].end == 25.0
    for a, b in zip(events, events[1:]):
        assert a.end == b.start and a.stop == b.first


def test_cut_time_is_between_the_frames_either_side():
    events = run(scenes([0, 10], 20), SegmentConfig())
    assert events[1].first == 10 and events[1].start == pytest.approx(9.5)


def test_min_duration_clamp_holds():
    # bursts of 2-frame shots between calm stretches: too fine to keep every cut
    cuts = [0, 12, 14, 16, 30, 32, 34, 50, 52]
    loose = run(scenes(cuts, 70), SegmentConfig(min_duration=1.0))
    clamped = run(scenes(cuts, 70), SegmentConfig(min_duration=5.0))
    assert any(e.end - e.start < 5.0 for e in loose[:-1])
    assert len(clamped) >= 3
    assert all(e.end - e.start >= 5.0 for e in clamped[:-1])


def test_max_duration_clamp_holds():
    cfg = SegmentConfig(max_duration=20.0)
    events = run(scenes([0], 100, noise=0.05), cfg)
    assert len(events) >= 5
    assert all(e.end - e.start <= 20.0 + 1.0 for e in events)


def test_gamma_controls_sensitivity():
    # a mild change (shared centre plus a small shift) passes a low gamma, not a high one
    rng = np.random.default_rng(7)
    base = rng.normal(size=32)
    shift = rng.normal(size=32)
    feats = []
    for i in range(60):
        v = base + (0.6 * shift if i >= 30 else 0) + 0.1 * rng.normal(size=32)
        feats.append((v / np.linalg.norm(v)).astype(np.float32))
    loose = run(feats, SegmentConfig(gamma=1.0, min_surprise=0.02))
    strict = run(feats, SegmentConfig(gamma=500.0, min_surprise=0.02))
    assert 30 in [e.first for e in loose]
    assert len(strict) == 1


def test_refinement_moves_a_misplaced_boundary_back():
    feats = np.stack(scenes([0, 6], 12, seed=5))
    proposed = 9  # deliberately three frames late
    allowed = list(range(3, 12))
    for method in ("modularity", "conductance"):
        assert refine_boundary({"clip": feats}, {"clip": 1.0}, allowed, method) == 6
    assert proposed in allowed


def test_refinement_fixes_a_late_detection_in_the_stream():
    # a slow prediction (small ema_alpha) makes surprise peak late on a gradual dissolve;
    # refinement puts the boundary where the similarity graph splits
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=32), rng.normal(size=32)
    feats = []
    for i in range(40):
        w = min(1.0, max(0.0, (i - 19) / 2))  # dissolve over frames 20-21
        v = (1 - w) * a + w * b + 0.1 * rng.normal(size=32)
        feats.append((v / np.linalg.norm(v)).astype(np.float32))
    cfg = SegmentConfig(ema_alpha=0.2, refine_radius=4)
    refined = run(feats, cfg)
    unrefined = run(feats, dataclasses.replace(cfg, refine="none"))
    assert len(refined) == 2 and abs(refined[1].first - 20.5) <= 1
    assert abs(refined[1].first - 20.5) <= abs(unrefined[1].first - 20.5)


def test_channels_fuse_with_weights():
    rng = np.random.default_rng(2)
    vis = scenes([0, 20], 40, seed=1)
    flat = [np.ones(8, np.float32) / np.sqrt(8)] * 40  # a channel that never changes
    seg = Segmenter(SegmentConfig(pixel_weight=0.0))
    out = []
    for i in range(40):
        out += seg.push(Observation(i, float(i), {"clip": vis[i], "pixel": flat[i]}))
    out += seg.flush(40.0)
    assert [e.first for e in out] == [0, 20]
    assert rng is not None


def test_modularity_prefers_the_true_split():
    x = np.stack(scenes([0, 5], 10, seed=9))
    a = affinity(fused_distance({"c": x}, {"c": 1.0}))
    assert best_split(a, list(range(1, 10))) == 5




def run_with_speech(feats, cfg, spans):
    seg = Segmenter(cfg, speech=FakeSpeech(spans))
    events = []
    for i, f in enumerate(feats):
        events += seg.push(Observation(i, float(i), {"clip": f}))
    return events + seg.flush(float(len(feats)))


def test_a_boundary_never_falls_inside_an_utterance():
    feats = scenes([0, 20], 50)
    spans = [(15.2, 26.7)]  # someone talks across the visual cut at 19.5
    events = run_with_speech(feats, SegmentConfig(), spans)
    assert len(events) == 2
    cut = events[1].start
    assert not any(s < cut < e for s, e in spans)
    assert cut >= 26.7 and cut <= 28.0  # the first pause after the utterance


def test_a_boundary_moves_into_the_pause_between_frames():
    feats = scenes([0, 20], 40)
    events = run_with_speech(feats, SegmentConfig(), [(10.0, 19.3), (19.8, 30.0)])
    assert events[1].start == 19.55  # midway in the pause, not the frames' midpoint 19.5


def test_an_utterance_longer_than_max_duration_is_cut_anyway():
    feats = scenes([0], 100, noise=0.05)
    events = run_with_speech(feats, SegmentConfig(max_duration=30.0), [(5.0, 95.0)])
    assert len(events) >= 3 and all(e.end - e.start <= 31.0 for e in events)
