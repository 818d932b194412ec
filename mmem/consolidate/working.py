"""Bounded working memory: the open event's frames as a fixed-capacity tensor on the device.

Each slot holds a feature vector, a member count, a time range and one real frame (the
representative image for keyframes). When the memory is full, the most similar pair of
adjacent slots outside the protected recent tail merges (Flash-VStream's k_merge), so memory
never grows with the length of an event or of the video.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True, slots=True)
class Slots:
    vectors: torch.Tensor  # (n, D) unit-norm means of the members
    weights: torch.Tensor  # (n,) member counts
    times: torch.Tensor  # (n,) weighted mean time of the members
    images: list[np.ndarray | None]  # one representative real frame per slot (None: no video)
    image_times: list[float]  # the representative frame's own timestamp
    n_frames: int


class WorkingMemory:
    def __init__(self, dim: int, capacity: int, protect: int, device: torch.device) -> None:
        if capacity <= protect + 1:
            raise ValueError("capacity must exceed the protected tail")
        self.capacity, self.protect, self.device = capacity, protect, device
        self._vec = torch.zeros(capacity + 1, dim, device=device)
        self._w = torch.zeros(capacity + 1, device=device)
        self._t = torch.zeros(capacity + 1, device=device)
        self._first = [0] * (capacity + 1)  # first frame index of each slot's members
        self._last = [0] * (capacity + 1)
        self._img: list[np.ndarray | None] = [None] * (capacity + 1)
        self._img_t = [0.0] * (capacity + 1)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        """Bytes held (tensors + images): bounded by capacity, whatever the video length."""
        imgs = sum(i.nbytes for i in self._img[: self._n] if i is not None)
        return int(self._vec.numel() * 4 + self._w.numel() * 8) + imgs

    def add(self, index: int, t: float, vector: np.ndarray, image: np.ndarray | None) -> None:
        n = self._n
        self._vec[n] = torch.from_numpy(np.asarray(vector, np.float32)).to(self.device)
        self._w[n], self._t[n] = 1.0, t
        self._first[n] = self._last[n] = index
        self._img[n], self._img_t[n] = image, t
        self._n += 1
        if self._n > self.capacity:
            self._merge_one()

    def _merge_one(self) -> None:
        limit = self._n - self.protect  # slots [0, limit) may merge with their right neighbour
        v = torch.nn.functional.normalize(self._vec[:limit], dim=-1)
        sim = (v[:-1] * v[1:]).sum(dim=1)
        i = int(torch.argmax(sim))
        j = i + 1
        wi, wj = self._w[i], self._w[j]
        self._vec[i] = (self._vec[i] * wi + self._vec[j] * wj) / (wi + wj)
        self._t[i] = (self._t[i] * wi + self._t[j] * wj) / (wi + wj)
        self._w[i] = wi + wj
        if wj > wi:  # keep the image of the heavier side as the slot's representative
            self._img[i], self._img_t[i] = self._img[j], self._img_t[j]
        self._last[i] = self._last[j]
        self._shift_left(j)

    def _shift_left(self, j: int, count: int = 1) -> None:
        n = self._n
        self._vec[j : n - count] = self._vec[j + count : n].clone()
        self._w[j : n - count] = self._w[j + count : n].clone()
        self._t[j : n - count] = self._t[j + count : n].clone()
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
            vectors=torch.nn.functional.normalize(self._vec[:m].clone(), dim=-1),
            weights=self._w[:m].clone(),
            times=self._t[:m].clone(),
            images=list(self._img[:m]),
            image_times=list(self._img_t[:m]),
            n_frames=int(self._w[:m].sum().item()),
        )
        if m:
            self._shift_left(0, m)
        return out
