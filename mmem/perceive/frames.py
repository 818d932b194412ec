"""The perceive step of a batch of sampled frames: per-frame features (CLIP, pixel, audio shape)
for the segmenter, and faces followed across frames for the entity recorder."""

from __future__ import annotations

import time

import numpy as np

from mmem.perceive.audio_features import N_MELS
from mmem.perceive.audio_track import AudioTrack
from mmem.perceive.base import ImageEmbedder
from mmem.perceive.facetracks import FaceTracker
from mmem.perceive.lowlevel import pixel_feature
from mmem.types import Frame

Features = dict[str, np.ndarray]
Seen = tuple[np.ndarray | None, list[np.ndarray]]  # a batch's CLIP vectors (None: no vision), pixel features


class FramePerception:
    """Turns batches of frames into (features, the vector kept in working memory) per frame.

    `embedder` runs on video frames (None: no vision channel); `tracker`, when given, observes
    every frame; `track` (the audio pass, complete or growing) adds the sound's spectral shape."""

    def __init__(self, embedder: ImageEmbedder | None, tracker: FaceTracker | None, has_video: bool,
                 fps: float, track: AudioTrack | None, timer: dict[str, float]) -> None:
        self.embedder = embedder if has_video else None
        self.tracker, self.has_video, self.fps, self.track = tracker, has_video, fps, track
        self.timer = timer
        self._prev_t: float | None = None

    def perceive(self, batch: list[Frame]) -> list[tuple[Features, np.ndarray]]:
        return self.features(batch, self.see(batch))

    def see(self, batch: list[Frame]) -> Seen:
        """What the frames show (CLIP and pixel features; faces to the tracker): all that needs
        no sound, so it may run while the audio pass is still going."""
        t0 = time.perf_counter()
        images = [f.image for f in batch] if self.has_video else []
        clip = self.embedder.embed_images(images) if self.embedder is not None else None
        pixel = [pixel_feature(im) for im in images]
        self.timer["embed"] += time.perf_counter() - t0
        if self.tracker is not None:
            t0 = time.perf_counter()
            for f in batch:
                self.tracker.observe(f.index, f.t, f.image)
            self.timer["entities"] += time.perf_counter() - t0
        return clip, pixel

    def features(self, batch: list[Frame], seen: Seen) -> list[tuple[Features, np.ndarray]]:
        """Each frame's features (what `see` found, and the sound's shape from `track`) and the
        vector kept in working memory."""
        clip, pixel = seen
        out = []
        for i, frame in enumerate(batch):
            feats: Features = {}
            if pixel:
                feats["pixel"] = pixel[i]
            if clip is not None:
                feats["clip"] = clip[i]
            audio = self._sound(frame.t)
            if audio is not None:
                feats["audio"] = audio
            if not feats:
                feats["audio"] = np.zeros(N_MELS, np.float32)
            out.append((feats, feats.get("clip", feats.get("pixel", feats.get("audio")))))
        return out

    def _sound(self, t: float) -> np.ndarray | None:
        """The sound's shape since the previous frame (one frame's span for the first)."""
        if self.track is None:
            return None
        a = self.track.feature(t - 1 / self.fps if self._prev_t is None else self._prev_t, t + 1e-6)
        self._prev_t = t
        return a
