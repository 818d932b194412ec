"""Interfaces of perception stages, so every stage can run with a fake in tests."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class ImageEmbedder(Protocol):
    model_id: str  # identity recorded with every vector this embedder makes
    dim: int

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        """HxWx3 uint8 RGB images (same size) -> (N, dim) float32, rows L2-normalised."""
        ...


class TextEmbedder(Protocol):
    model_id: str
    dim: int

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """Strings -> (N, dim) float32, rows L2-normalised, in the image embedding space."""
        ...
