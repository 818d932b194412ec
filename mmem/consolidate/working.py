"""Bounded working memory: the open event's frames as a fixed-capacity array.

Each slot holds a feature vector, a member count, a time range and one real frame (the
representative image for keyframes). When the memory is full, the most similar pair of
adjacent slots outside the protected recent tail merges (Flash-VStream's k_merge), so memory
never grows with the length of an event or of the video.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mmem.consolidate.kmeans import normalize


@dataclass(frozen=True, slots=True)
class Slots:
    vectors: np.ndarray  # (n, D) float32, unit-norm means of the members
    weights: np.ndarray  # (n,) float32, member counts
    times: np.ndarray  # (n,) float32, weighted mean time of the members
    images: list[np.ndarray | None]  # one representative real frame per slot (None: no video)
    image_times: list[float]  # the representative frame's own timestamp
    n_frames: int


class WorkingMemory:
    def __init__(self, dim: int, capacity: int, protect: int) -> None:
        if capacity <= protect + 1:
            raise ValueError("capacity must exceed the protected tail")
        self.capacity, self.protect = capacity, protect
        self._vec = np.zeros((capacity + 1, dim), np.float32)
        self._w = np.zeros(capacity + 1, np.float32)
        self._t = np.zeros(capacity + 1, np.float32)
        self._first = [0] * (capacity + 1)  # first frame index of each slot's members
        self._last = [0] * (capacity + 1)
        self._img: list[np.ndarray | None] = [None] * (capacity + 1)
        self._img_t = [0.0] * (capacity + 1)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        """Bytes held (arrays + images): bounded by capacity, whatever the video length."""
        imgs = sum(i.nbytes for i in self._img[: self._n] if i is not None)
        return int(self._vec.nbytes + self._w.nbytes + self._t.nbytes) + imgs

    def add(self, index: int, t: float, vector: np.ndarray, image: np.ndarray | None) -> None:
        n = self._n
        self._vec[n] = np.asarray(vector, np.float32)
        self._w[n], self._t[n] = 1.0, t
        self._first[n] = self._last[n] = index
        self._img[n], self._img_t[n] = image, t
        self._n += 1
        if self._n > self.capacity:
            self._merge_one()

    def _merge_one(self) -> None:
        limit = self._n - self.protect  # slots [0, limit) may merge with their right neighbour
        v = normalize(self._vec[:limit])
        sim = (v[:-1] * v[1:]).sum(axis=1)
        i = int(np.argmax(sim))
        j = i + 1
        wi, wj = float(self._w[i]), float(self._w[j])
        self._vec[i] = (self._vec[i] * wi + self._vec[j] * wj) / (wi + wj)
        self._t[i] = (self._t[i] * wi + self._t[j] * wj) / (wi + wj)
        self._w[i] = wi + wj
        if wj > wi:  # keep the image of the heavier side as the slot's representative
            self._img[i], self._img_t[i] = self._img[j], self._img_t[j]
        self._last[i] = self._last[j]
        self._shift_left(j)

    def _shift_left(self, j: int, count: int = 1) -> None:
        n = self._n
        self._vec[j : n - count] = self._vec[j + count : n].copy()
        self._w[j : n - count] = self._w[j + count : n].copy()
        self._t[j : n - count] = self._t[j + count : n].copy()
        for lst in (self._first, self._last, self._img, self._img_t):
            lst[j : n - count] = lst[j + count : n]
            lst[n - count : n] = [None if lst is self._img else 0] * count
        self._n -= count

    def pop_before(self, stop_index: int) -> Slots:
        """Remove and return the slots whose members all precede frame `stop_index`."""
        m = 0
        while m < self._n and self._last[m] < stop_index:
            m += 1
        out = Slots(
            vectors=normalize(self._vec[:m]),
            weights=self._w[:m].copy(),
            times=self._t[:m].copy(),
            images=list(self._img[:m]),
            image_times=list(self._img_t[:m]),
            n_frames=int(round(float(self._w[:m].sum()))),
        )
        if m:
            self._shift_left(0, m)
        return out
