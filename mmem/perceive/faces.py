"""Faces: detect in sampled frames, gate on quality, align and embed (dlib, 128-d).

The backend is behind a small interface so a stronger detector/embedder can replace dlib's
HOG + ResNet. Distances are Euclidean between 128-d descriptors; dlib's published threshold
(0.6, 99.38% on LFW) decides "same person".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from mmem.weights import FaceWeights


@dataclass(frozen=True, slots=True)
class FaceDet:
    box: tuple[int, int, int, int]  # left, top, right, bottom in the frame's pixels
    score: float  # detector confidence
    sharpness: float  # variance of the Laplacian of the face crop

    @property
    def area(self) -> int:
        return max(0, self.box[2] - self.box[0]) * max(0, self.box[3] - self.box[1])

    @property
    def quality(self) -> float:
        """Frigate-style vote weight: bigger, surer faces count more."""
        return float(self.area) * max(self.score, 0.05)


class FaceBackend(Protocol):
    model_id: str

    def detect(self, image: np.ndarray) -> list[FaceDet]: ...

    def embed(self, image: np.ndarray, det: FaceDet) -> np.ndarray: ...


@dataclass(frozen=True)
class FaceGate:
    min_size: int = 40  # pixels (shorter side of the box) at the working resolution
    min_score: float = 0.3  # HOG detector score (frontal faces score ~1-3)
    min_sharpness: float = 20.0  # Laplacian variance; motion-blurred faces fall below
    max_faces: int = 8  # per frame, largest first: a crowd in the background is not memory

    def keep(self, dets: list[FaceDet]) -> list[FaceDet]:
        good = [d for d in dets if min(d.box[2] - d.box[0], d.box[3] - d.box[1]) >= self.min_size
                and d.score >= self.min_score and d.sharpness >= self.min_sharpness]
        return sorted(good, key=lambda d: -d.area)[: self.max_faces]


class DlibFaces:
    """HOG frontal (or MMOD CNN) detector + 5-point alignment + ResNet descriptor."""

    def __init__(self, weights: FaceWeights, detector: str = "hog", upsample: int = 1) -> None:
        import dlib

        from mmem.errors import WeightsUnavailable

        self._detector = frontal_detector(dlib)
        self._cnn = None
        if detector == "cnn":
            if weights.cnn_detector is None:
                raise WeightsUnavailable("dlib's CNN face detector is not installed: `pip install "
                                         "face-recognition-models`, or use --face-detector hog")
            self._cnn = dlib.cnn_face_detection_model_v1(str(weights.cnn_detector))
        self._landmarks = dlib.shape_predictor(str(weights.landmarks))
        self._encoder = dlib.face_recognition_model_v1(str(weights.embedder))
        self._dlib = dlib
        self._upsample = upsample  # HOG's: the frame scaled up x2 this many times (small faces)
        self.model_id = weights.model_id

    def detect(self, image: np.ndarray) -> list[FaceDet]:
        image = np.ascontiguousarray(image)
        if self._cnn is not None:  # MMOD confidences: > 0 is a face (HOG's scale is similar)
            found = self._cnn(image, 0)
            rects, scores = [d.rect for d in found], [d.confidence for d in found]
        else:
            rects, scores, _ = self._detector.run(image, self._upsample, 0.0)
        h, w = image.shape[:2]
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        out = []
        for r, s in zip(rects, scores, strict=True):
            box = (max(0, r.left()), max(0, r.top()), min(w, r.right()), min(h, r.bottom()))
            crop = gray[box[1]:box[3], box[0]:box[2]]
            sharp = float(cv2.Laplacian(crop, cv2.CV_64F).var()) if crop.size else 0.0
            out.append(FaceDet(box, float(s), sharp))
        return out

    def embed(self, image: np.ndarray, det: FaceDet) -> np.ndarray:
        image = np.ascontiguousarray(image)
        rect = self._dlib.rectangle(*det.box)
        shape = self._landmarks(image, rect)
        return np.asarray(self._encoder.compute_face_descriptor(image, shape, 1), np.float32)


def frontal_detector(dlib: Any, cache: Path | None = None) -> Any:
    """dlib's HOG frontal face detector, read from a copy saved once under the model cache
    (`cache`; default model_cache()/dlib). dlib builds this detector from a serialised string
    compiled into the library, about 0.6 s of CPU holding the GIL at every start; reading the
    saved copy takes milliseconds and gives the same detector (the same boxes and scores). One
    copy per dlib version, written aside and renamed into place (a concurrent or interrupted
    process never reads half a copy); a copy that does not read is replaced, and where nothing
    can be written (a read-only cache) the detector is built as before."""
    from mmem.fileutil import write_aside

    if cache is None:
        from mmem.weights import model_cache

        cache = model_cache() / "dlib"
    copy = cache / f"frontal_face_detector-{getattr(dlib, '__version__', 'unknown')}.svm"
    if copy.is_file():
        try:
            return dlib.fhog_object_detector(str(copy))
        except RuntimeError:
            pass  # damaged: built and saved again below
    detector = dlib.get_frontal_face_detector()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        write_aside(copy, lambda aside: detector.save(str(aside)))
    except OSError:
        pass  # a read-only cache: the detector built this time serves
    return detector


def crop(image: np.ndarray, det: FaceDet, size: int = 96) -> np.ndarray:
    """A square thumbnail around the face, with some margin."""
    left, top, right, bottom = det.box
    cx, cy, half = (left + right) / 2, (top + bottom) / 2, max(right - left, bottom - top) * 0.8
    h, w = image.shape[:2]
    x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
    x1, y1 = int(min(w, cx + half)), int(min(h, cy + half))
    return cv2.resize(image[y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_AREA)
