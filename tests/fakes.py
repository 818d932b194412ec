"""Fakes for every perception channel, so Session and pipeline logic runs in unit tests without a
model: deterministic, fast, numpy only. Each follows today's protocol:

| channel | protocol                               | fake                |
|---------|----------------------------------------|---------------------|
| vision  | perceive.base.ImageEmbedder            | FakeImageEmbedder   |
| text    | perceive.base.TextEmbedder             | FakeTextEmbedder    |
| sound   | perceive.vad.VoiceActivity             | FakeVad             |
| asr     | perceive.asr.Transcriber               | FakeASR             |
| faces   | perceive.faces.FaceBackend             | FakeFaces           |
| voices  | perceive.voices.VoiceBackend           | FakeVoices          |

(The pixel channel has no model: `perceive.lowlevel.pixel_feature` runs as is.) The bundles the
pipeline takes today are built by `fake_vision()`, `fake_hearing()` and `fake_people()`.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from mmem.perceive.faces import FaceDet
from mmem.types import Utterance, Word

SR = 16_000


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(n, 1e-9)).astype(np.float32)


def _projection(rows: int, dim: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)


class FakeImageEmbedder:
    """ImageEmbedder: a fixed random projection of a 4x4 grid of mean colours, so a cut between
    different scenes moves the vector and a static shot does not."""

    def __init__(self, dim: int = 16, seed: int = 0) -> None:
        self.dim = dim
        self.model_id = f"fake-image-{dim}"
        self._proj = _projection(4 * 4 * 3, dim, seed)
        self.calls = 0
        self.images = 0

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        self.calls += 1
        self.images += len(images)
        if not images:
            return np.zeros((0, self.dim), np.float32)
        rows = []
        for im in images:
            h, w = im.shape[:2]
            grid = im[: h - h % 4, : w - w % 4].reshape(4, (h - h % 4) // 4, 4, (w - w % 4) // 4, 3)
            rows.append(grid.mean(axis=(1, 3)).reshape(-1) / 255.0 - 0.5)
        return _unit(np.stack(rows) @ self._proj)


class FakeTextEmbedder:
    """TextEmbedder: hashed bag of words, so texts sharing words are close."""

    def __init__(self, dim: int = 16) -> None:
        self.dim = dim
        self.model_id = f"fake-text-{dim}"
        self.calls: list[list[str]] = []

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            out[i, 0] += 1e-3  # never the zero vector
        return _unit(out)


class FakeSpeech:
    """The segmenter's speech timeline (segment/speech.py): fixed utterances, no turns, no loudness."""

    def __init__(self, spans):
        self.speech = spans

    def turn(self, t0, t1):
        return False

    def level(self, t0, t1):
        return None


class FakeVad:
    """VoiceActivity: frames whose RMS is above `threshold` are speech (merged across short gaps)."""

    def __init__(self, threshold: float = 0.02, frame: float = 0.05, gap: float = 0.3,
                 min_len: float = 0.2) -> None:
        self.threshold, self.frame, self.gap, self.min_len = threshold, frame, gap, min_len
        self.resets = 0
        self.calls = 0

    def reset(self) -> None:
        self.resets += 1

    def regions(self, samples: np.ndarray) -> list[tuple[float, float]]:
        self.calls += 1
        n = int(self.frame * SR)
        out: list[tuple[float, float]] = []
        for i in range(0, samples.size - n + 1, n):
            if float(np.sqrt(np.mean(samples[i: i + n] ** 2))) < self.threshold:
                continue
            s, e = i / SR, (i + n) / SR
            if out and s - out[-1][1] <= self.gap:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        return [(s, e) for s, e in out if e - s >= self.min_len]


class FakeASR:
    """Transcriber: records each window it is asked for and says one utterance per window
    (`text`, or "window at <offset>"), with evenly spaced words on the source's clock."""

    model_id = "fake-asr"

    def __init__(self, text: str | None = None) -> None:
        self.text = text
        self.calls: list[tuple[float, float]] = []

    def transcribe(self, samples: np.ndarray, offset: float, *, quick: bool = False) -> list[Utterance]:
        end = offset + samples.size / SR
        self.calls.append((offset, end))
        text = self.text or f"window at {offset:.1f}"
        tokens = text.split()
        step = (end - offset) / max(1, len(tokens))
        words = [Word(w, offset + i * step, offset + (i + 1) * step, 0.9) for i, w in enumerate(tokens)]
        return [Utterance(offset, end, text, words, "en", 0.9)]


class FakeFaces:
    """FaceBackend: one sharp face box in the middle of every frame brighter than `min_mean`;
    its embedding is a projection of the box's mean colours (the same scene, the same face)."""

    model_id = "fake-faces"

    def __init__(self, dim: int = 32, min_mean: float = 1.0, seed: int = 1) -> None:
        self.dim, self.min_mean = dim, min_mean
        self._proj = _projection(2 * 2 * 3 + 1, dim, seed)
        self.detected = 0
        self.embedded = 0

    def detect(self, image: np.ndarray) -> list[FaceDet]:
        if float(image.mean()) < self.min_mean:
            return []
        h, w = image.shape[:2]
        side = max(48, min(h, w) // 2)
        left, top = (w - side) // 2, (h - side) // 2
        self.detected += 1
        return [FaceDet((left, top, left + side, top + side), 1.5, 100.0)]

    def embed(self, image: np.ndarray, det: FaceDet) -> np.ndarray:
        self.embedded += 1
        left, top, right, bottom = det.box
        box = image[top:bottom, left:right]
        h, w = box.shape[0] // 2 * 2, box.shape[1] // 2 * 2
        grid = box[:h, :w].reshape(2, h // 2, 2, w // 2, 3).mean(axis=(1, 3)).reshape(-1) / 255.0
        return _unit(np.concatenate([grid, [1.0]]) @ self._proj)


class FakeVoices:
    """VoiceBackend: 1.6 s windows every 0.5 s, every one the same speaker (one fixed vector)."""

    model_id = "fake-voices"
    joint = False

    def __init__(self, dim: int = 32, seed: int = 2) -> None:
        self.dim = dim
        self._voice = _unit(_projection(1, dim, seed)[0])
        self.calls = 0

    def windows(self, samples: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
        self.calls += 1
        win, hop = int(1.6 * SR), int(0.5 * SR)
        ranges = [(a, min(a + win, samples.size)) for a in range(0, max(1, samples.size - win + 1), hop)]
        return np.tile(self._voice, (len(ranges), 1)), ranges


def fake_vision(dim: int = 16):
    from mmem.perceive.vision import Vision

    embedder = FakeImageEmbedder(dim)
    spec = {"clip_model": "fake", "clip_pretrained": "fake", "model_id": embedder.model_id}
    return Vision(embedder, spec, dim)


def fake_hearing(text: str | None = None, *, asr: bool = True, dim: int = 16):
    from mmem.perceive.audio_channel import Hearing

    return Hearing(FakeVad(), FakeASR(text) if asr else None, FakeTextEmbedder(dim))


def fake_people():
    from mmem.perceive.people_channel import People

    return People(FakeFaces(), FakeVoices())


__all__ = ["FakeASR", "FakeFaces", "FakeImageEmbedder", "FakeTextEmbedder", "FakeVad", "FakeVoices",
           "fake_hearing", "fake_people", "fake_vision"]
