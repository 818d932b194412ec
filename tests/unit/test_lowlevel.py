"""The weight-free pixel channel separates shots and ignores noise."""

from __future__ import annotations

import numpy as np

from mmem.perceive.lowlevel import DIM, pixel_feature


def dist(a, b) -> float:
    return 1.0 - float(pixel_feature(a) @ pixel_feature(b))


def test_feature_is_unit_norm_with_fixed_length():
    f = pixel_feature(np.full((120, 200, 3), 77, np.uint8))
    assert f.shape == (DIM,) and abs(float(np.linalg.norm(f)) - 1.0) < 1e-5


def test_noise_is_small_and_a_different_scene_is_large():
    rng = np.random.default_rng(0)
    sky = np.zeros((90, 160, 3), np.uint8)
    sky[:45] = (90, 140, 230)
    sky[45:] = (40, 160, 40)
    noisy = np.clip(sky.astype(int) + rng.integers(-6, 7, sky.shape), 0, 255).astype(np.uint8)
    night = np.zeros_like(sky)
    night[60:, 40:120] = (200, 30, 30)
    assert dist(sky, noisy) < 0.05
    assert dist(sky, night) > 0.4
