"""Sentence embeddings of transcripts and questions (all-MiniLM-L6-v2 by default)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mmem.perceive.base import TextEmbedder


class SentenceEmbedder:
    """Implements TextEmbedder for transcripts (a different space from CLIP's)."""

    def __init__(self, path: Path, device: str = "cpu", model_id: str = "all-MiniLM-L6-v2") -> None:
        import os

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every run
        hf_logging.set_verbosity_error()

        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self.model_id = model_id
        self.dim = int(self._model.get_embedding_dimension() if hasattr(
            self._model, "get_embedding_dimension") else self._model.get_sentence_embedding_dimension())

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = self._model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)
        return np.asarray(out, np.float32)


DEFAULT_TEXT_DIM = 384  # the transcripts table's width when no sentence model ran (MiniLM's)


class TranscriptVectors:
    """The perceive step for transcripts: one sentence vector per utterance text (none when
    no sentence model runs)."""

    def __init__(self, text: TextEmbedder | None) -> None:
        self.text = text

    @property
    def dim(self) -> int:
        return self.text.dim if self.text is not None else DEFAULT_TEXT_DIM

    def embed(self, texts: list[str]) -> list[list[float]] | None:
        if self.text is None:
            return None
        return [v.tolist() for v in self.text.embed_texts(texts)]
