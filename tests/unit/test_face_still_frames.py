"""The face tracker runs the detector once on a still picture (a slide, a title card, a parked
camera), and again as soon as any part of the picture changes, however small."""

from __future__ import annotations

import numpy as np

from mmem.perceive.facetracks import FaceTracker
from tests.fakes import FakeFaces


def _frame(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(60, 200, (256, 456, 3), dtype=np.uint8)


def test_a_still_picture_is_detected_once_and_keeps_its_faces():
    faces = FakeFaces()
    tracker = FaceTracker(faces)
    still = _frame()
    for i in range(10):
        noise = np.random.default_rng(i).integers(-2, 3, still.shape)  # compression: the same picture
        tracker.observe(i, float(i), np.clip(still.astype(np.int16) + noise, 0, 255).astype(np.uint8))
    assert faces.detected == 1 and tracker.detected == 1
    [app] = tracker.close(0, 10, 10.0, 1.0)  # one face, seen in every frame
    assert app.frames == frozenset(range(10))


def test_any_change_in_the_picture_runs_the_detector_again():
    faces = FakeFaces()
    tracker = FaceTracker(faces)
    frame = _frame()
    tracker.observe(0, 0.0, frame)
    someone = frame.copy()
    someone[200:240, 400:440] = 255  # a small figure walks in at a corner (40 px)
    tracker.observe(1, 1.0, someone)
    tracker.observe(2, 2.0, _frame(1))  # a new shot
    assert faces.detected == 3 and tracker.detected == 3
