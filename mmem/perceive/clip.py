"""open_clip image and text embeddings, batched, on the chosen device (fp16 on CUDA).

Frames arrive already scaled by the decoder to the working resolution, so preprocessing is a
short tensor pipeline on the device: resize the shorter side to the model's input size,
centre-crop, normalise. No PIL round trip.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import numpy as np

from mmem.weights import ClipWeights

_OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
_OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
_RANDOM_SEED = 0


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    """open_clip logs "No pretrained weights loaded" for deliberate random init; mmem reports
    model identity itself (doctor, source rows), so silence that one call."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


class ClipEmbedder:
    """Implements both ImageEmbedder and TextEmbedder for one open_clip model."""

    def __init__(self, weights: ClipWeights, device: str = "auto", batch_size: int = 32) -> None:
        import open_clip
        import torch

        from mmem.perceive.device import resolve_device

        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.model_id = weights.model_id
        with torch.random.fork_rng(devices=[]), _quiet_logging():
            torch.manual_seed(_RANDOM_SEED)  # random init is reproducible across processes
            model = open_clip.create_model(
                weights.model,
                pretrained=str(weights.checkpoint) if weights.checkpoint else None,
                device=self.device,
                load_weights=weights.checkpoint is not None,
            )
        self.dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.model = model.to(dtype=self.dtype).eval()
        self.tokenizer = open_clip.get_tokenizer(weights.model)
        size = model.visual.image_size
        self.image_size = int(size[0] if isinstance(size, (tuple, list)) else size)
        mean = weights.mean or getattr(model.visual, "image_mean", None) or _OPENAI_MEAN
        std = weights.std or getattr(model.visual, "image_std", None) or _OPENAI_STD
        self._mean = torch.tensor(mean, device=self.device, dtype=self.dtype).view(1, 3, 1, 1)
        self._std = torch.tensor(std, device=self.device, dtype=self.dtype).view(1, 3, 1, 1)
        self.dim = int(model.text_projection.shape[1]) if hasattr(model, "text_projection") and \
            model.text_projection is not None else int(open_clip.get_model_config(weights.model)["embed_dim"])

    def _preprocess(self, images: list[np.ndarray]):
        import torch
        import torch.nn.functional as F

        x = torch.from_numpy(np.stack(images)).to(self.device, non_blocking=True)
        x = x.permute(0, 3, 1, 2).to(self.dtype).div_(255.0)
        h, w = x.shape[-2:]
        s = self.image_size / min(h, w)
        nh, nw = max(self.image_size, round(h * s)), max(self.image_size, round(w * s))
        x = F.interpolate(x.float(), size=(nh, nw), mode="bicubic", antialias=True, align_corners=False)
        top, left = (nh - self.image_size) // 2, (nw - self.image_size) // 2
        x = x[..., top : top + self.image_size, left : left + self.image_size].clamp_(0, 1)
        return (x.to(self.dtype) - self._mean) / self._std

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        import torch

        out = []
        with torch.inference_mode():
            for i in range(0, len(images), self.batch_size):
                feats = self.model.encode_image(self._preprocess(images[i : i + self.batch_size]))
                out.append(torch.nn.functional.normalize(feats.float(), dim=-1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            tokens = self.tokenizer(texts).to(self.device)
            feats = self.model.encode_text(tokens)
            return torch.nn.functional.normalize(feats.float(), dim=-1).cpu().numpy()
