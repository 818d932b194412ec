"""Shot boundaries to the frame, without weights: hard cuts and fades on every decoded frame.

The method is PySceneDetect's AdaptiveDetector, on small YUV frames read straight from the
decoder's planes (see sources.file.iter_planes), every frame or every reference frame
(`ShotConfig.frames`):
- a frame's *content score* is the mean absolute difference to the previous frame, summed over
  Y, U and V (0..~500; a static shot with sensor noise scores ~1, a hard cut tens);
- a frame is a cut when its score is `ratio` times the mean score of the `window` frames either
  side of it (camera motion raises the neighbours too, a cut does not) and at least `min_score`,
  and the previous cut is at least `min_shot` seconds back;
- a *fade* through black (luma falling into flat dark frames and rising out of them) is one cut
  at the first frame out of the black (PySceneDetect's ThresholdDetector with fade_bias 1),
  unless a hard cut already marks its entry or exit.
Each cut is placed at the PTS of the first frame of the new shot. `push` / `flush` is the
streaming contract: every cut comes out exactly `window` frames after its frame, so a frame
source that holds `window` frames back knows each cut before it hands on the cut's frame.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmem.config import ShotConfig


@dataclass(frozen=True, slots=True)
class Cut:
    t: float  # seconds (PTS from the first frame): the first frame of the new shot
    kind: str  # "cut" (abrupt) | "fade" (through black)
    score: float  # content score of the cut frame (fade: of the brightest step out of black)


@dataclass(slots=True)
class _Seen:
    t: float
    score: float
    luma: float  # mean Y
    flat: bool  # Y hardly varies across the frame


class ShotDetector:
    """push(t, small YUV frame) -> cuts confirmed now; flush() -> the rest."""

    def __init__(self, cfg: ShotConfig) -> None:
        self.cfg = cfg
        self._prev: np.ndarray | None = None
        self._buf: deque[_Seen] = deque(maxlen=2 * cfg.window + 1)
        self._t0: float | None = None  # the first frame's time
        self._last_cut = 0.0  # start of the current shot
        self._black_from: float | None = None  # start of the current black run
        self._black_cut = False  # a hard cut marks the entry of the current black run
        self.frames = 0

    def push(self, t: float, yuv: np.ndarray) -> list[Cut]:
        yuv = yuv.astype(np.float32, copy=False)
        # the sum over Y, U, V of each plane's mean |difference| (the planes are the same size)
        score = 0.0 if self._prev is None else 3.0 * float(np.abs(yuv - self._prev).mean())
        self._prev = yuv
        if self._t0 is None:
            self._t0 = self._last_cut = t
        y = yuv[..., 0]
        luma = float(y.mean())
        # flatness matters only to dark frames (black): the spread is not computed otherwise
        flat = luma < self.cfg.black_level and float(y.std()) < self.cfg.black_flatness
        self._buf.append(_Seen(t, score, luma, flat))
        self.frames += 1
        if len(self._buf) < self._buf.maxlen:  # type: ignore[operator]
            return []  # the first frames have no left neighbours: like PySceneDetect, not judged
        return self._judge()

    def flush(self) -> list[Cut]:
        """The last `window` frames lack right neighbours: they are not judged (a shot that
        short at the very end is no event); nothing is pending."""
        self._buf.clear()
        return []

    def _judge(self) -> list[Cut]:
        cfg, w = self.cfg, self.cfg.window
        buf = list(self._buf)
        target = buf[w]
        mean = (sum(s.score for s in buf) - target.score) / (len(buf) - 1)
        ratio = target.score / mean if mean > 1e-5 else (255.0 if target.score > 0 else 0.0)
        out: list[Cut] = []
        hard = (ratio >= cfg.ratio and target.score >= cfg.min_score
                and target.t - self._last_cut >= cfg.min_shot)
        if hard:
            out.append(Cut(target.t, "cut", target.score))
            self._last_cut = target.t
        black = self._is_black(target)
        if black and self._black_from is None:
            opening = self.frames == len(buf) and all(self._is_black(s) for s in buf[:w])
            self._black_from = self._t0 if opening else target.t
            self._black_cut = hard
        elif not black and self._black_from is not None:
            start, self._black_from = self._black_from, None
            # a run that opens the video is a fade in, not a boundary; a hard cut into or out
            # of black is already the boundary
            if not (self._black_cut or hard) and start > (self._t0 or 0.0) \
                    and target.t - self._last_cut >= cfg.min_shot:
                out.append(Cut(target.t, "fade", target.score))
                self._last_cut = target.t
        return out

    def _is_black(self, s: _Seen) -> bool:
        return s.luma < self.cfg.black_level and s.flat


class ShotTap:
    """The shot pass riding on a file's frame decode (sources.file.iter_frames(tap=)): the
    decoder hands every frame's planes to `push`, holds `lag` frames back, and keeps the first
    frame of each cut it is told about. `cuts` grows in time order as cuts are confirmed."""

    def __init__(self, cfg: ShotConfig, cuts: list[tuple[float, str]] | None = None) -> None:
        self.cfg, self.detector = cfg, ShotDetector(cfg)
        self.cuts = cuts if cuts is not None else []
        self.lag = cfg.window
        self.width = cfg.width
        self.reference_only = cfg.frames == "reference"
        self.merge = cfg.merge

    def push(self, t: float, yuv: np.ndarray) -> list[float]:
        found = self.detector.push(t, yuv)
        self.cuts.extend((c.t, c.kind) for c in found)
        return [c.t for c in found]

    def flush(self) -> list[float]:
        found = self.detector.flush()
        self.cuts.extend((c.t, c.kind) for c in found)
        return [c.t for c in found]


def detect(frames: Iterable[tuple[float, np.ndarray]], cfg: ShotConfig) -> list[Cut]:
    """All cuts of a stream of (t, small YUV frame), in time order."""
    det = ShotDetector(cfg)
    out: list[Cut] = []
    for t, yuv in frames:
        out += det.push(t, yuv)
    return out + det.flush()


def shot_pass(path: Path, cfg: ShotConfig) -> list[Cut]:
    """The shot pass over a video file: every frame decoded, none converted to RGB."""
    from mmem.sources.file import iter_planes

    return detect(iter_planes(path, target_width=cfg.width, reference_only=cfg.frames == "reference"), cfg)


def times(cuts: Iterable[Cut]) -> Iterator[float]:
    return (c.t for c in cuts)
