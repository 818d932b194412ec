"""A cheap visual signal that needs no weights: a tiny thumbnail plus a colour histogram.

The feature is unit-norm, so 1 - cos between two frames is the mean of (a) 1 - cos between
their mean-centred 16x9 thumbnails (layout and brightness) and (b) 1 - Bhattacharyya
coefficient of their HSV histograms (colour content). A hard cut scores ~0.5-1, a static shot
~0.01.
"""

from __future__ import annotations

import cv2
import numpy as np

THUMB = (16, 9)  # width, height
HIST_BINS = (8, 4, 4)  # H, S, V
DIM = THUMB[0] * THUMB[1] * 3 + int(np.prod(HIST_BINS))


def pixel_feature(image: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB -> unit-norm float32 vector of length DIM."""
    small = cv2.resize(image, (64, 36), interpolation=cv2.INTER_AREA)
    thumb = cv2.resize(small, THUMB, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    thumb = thumb.ravel() - 0.5
    tn = float(np.linalg.norm(thumb))
    thumb = thumb / tn if tn > 1e-6 else np.zeros_like(thumb)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, list(HIST_BINS), [0, 180, 0, 256, 0, 256])
    hist = np.sqrt(hist.ravel() / max(1.0, float(hist.sum())))  # Hellinger: unit norm
    out = np.concatenate([thumb, hist]).astype(np.float32) * np.float32(np.sqrt(0.5))
    n = float(np.linalg.norm(out))
    return out / n if n > 0 else out
