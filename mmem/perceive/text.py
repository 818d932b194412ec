"""Sentence vectors of transcripts at ingest (the encoder itself: mmem.perceive.text_onnx)."""

from __future__ import annotations

from mmem.perceive.base import TextEmbedder

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
