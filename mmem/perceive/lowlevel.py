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
_RANGES = (180.0, 256.0, 256.0)


def _soft_histogram(hsv: np.ndarray) -> np.ndarray:
    """HSV histogram with linear (soft) binning, so sensor noise near a bin edge moves a little
    mass instead of flipping whole bins. Hue wraps around; it sums to 1."""
    px = hsv.reshape(-1, 3).astype(np.float32)
    lows, weights = [], []
    for d, (bins, span) in enumerate(zip(HIST_BINS, _RANGES, strict=True)):
        pos = px[:, d] / span * bins - 0.5  # position in bin units, bin centres at integers
        lo = np.floor(pos)
        frac = pos - lo
        lo = lo.astype(np.int64)
        if d == 0:
            pair = (lo % bins, (lo + 1) % bins)
        else:
            pair = (np.clip(lo, 0, bins - 1), np.clip(lo + 1, 0, bins - 1))
        lows.append(pair)
        weights.append((1.0 - frac, frac))
    hist = np.zeros(int(np.prod(HIST_BINS)), np.float64)
    for a in (0, 1):
        for b in (0, 1):
            for c in (0, 1):
                idx = (lows[0][a] * HIST_BINS[1] + lows[1][b]) * HIST_BINS[2] + lows[2][c]
                w = weights[0][a] * weights[1][b] * weights[2][c]
                hist += np.bincount(idx, weights=w, minlength=hist.size)
    return hist / max(hist.sum(), 1e-12)


def pixel_feature(image: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB -> unit-norm float32 vector of length DIM."""
    small = cv2.resize(image, (64, 36), interpolation=cv2.INTER_AREA)
    thumb = cv2.resize(small, THUMB, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    thumb = thumb.ravel() - 0.5
    tn = float(np.linalg.norm(thumb))
    thumb = thumb / tn if tn > 1e-6 else np.zeros_like(thumb)
    hist = np.sqrt(_soft_histogram(cv2.cvtColor(small, cv2.COLOR_RGB2HSV)))  # Hellinger
    out = np.concatenate([thumb, hist]).astype(np.float32) * np.float32(np.sqrt(0.5))
    n = float(np.linalg.norm(out))
    return out / n if n > 0 else out
