"""Sentence embeddings through ONNX Runtime: the transcript and question encoder.

The sentence-transformers pipeline of all-MiniLM-L6-v2 (BERT → mean pooling over the attention
mask → L2 normalisation) without torch or transformers: the `tokenizers` package splits the text
exactly as the model's fast tokenizer does, ONNX Runtime runs the BERT graph exported once by
`mmem.perceive.text_export` (cached; see `mmem.weights_onnx.resolve_text_onnx`), numpy pools. Ingest and
`ask` both use it, so stored vectors and question vectors come from the same arithmetic; they match
sentence-transformers' output to float error (tests/integration/test_text_onnx.py).

Loading the export costs a cold `mmem ask` most of its model time: ONNX Runtime parses 90 MB of
weights out of the protobuf, copies them and optimises the graph. So the first session also saves
the graph as ONNX Runtime runs it (`runtime_copy`, mmem.perceive.ort_session, which the speaker
models share): optimised at the hardware-independent level, its weights in a separate file that
later sessions map from disk instead of copying. Same graph, same arithmetic (the test compares);
kept per ONNX Runtime version next to the export, and the export itself is used when the copy
cannot be written or read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mmem.weights_onnx import TextOnnxWeights

BATCH = 64  # sentences per ONNX run (sentence-transformers' default for encode is 32; either works)
THREADS = 1  # ONNX Runtime threads: a question is one short run; at ingest, decoding and ASR use the others
_NORM_EPS = 1e-12  # torch.nn.functional.normalize's eps, as sentence-transformers' Normalize uses


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors the attention mask keeps, L2-normalised (sentence-transformers'
    Pooling(mean) + Normalize)."""
    m = mask.astype(np.float32)[..., None]
    summed = (hidden * m).sum(axis=1)
    counts = np.clip(m.sum(axis=1), 1e-9, None)
    pooled = summed / counts
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, _NORM_EPS)).astype(np.float32)


class OnnxSentenceEmbedder:
    """Implements TextEmbedder (mmem.perceive.base) with ONNX Runtime on the CPU."""

    def __init__(self, weights: TextOnnxWeights, model_id: str, threads: int = THREADS) -> None:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(weights.tokenizer))
        tok.enable_truncation(max_length=weights.max_length)
        tok.no_padding()  # padded per batch below, to the longest sentence (not the file's fixed 128)
        self._tok = tok
        self._pad_id = weights.pad_id
        self._session = session(weights.onnx, threads)
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.model_id = model_id
        self.dim = weights.dim

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = [self._batch(texts[i:i + BATCH]) for i in range(0, len(texts), BATCH)]
        return np.concatenate(out, axis=0)

    def _batch(self, texts: list[str]) -> np.ndarray:
        encs = self._tok.encode_batch(texts)
        width = max(len(e.ids) for e in encs)
        ids = np.full((len(encs), width), self._pad_id, np.int64)
        mask = np.zeros((len(encs), width), np.int64)
        types = np.zeros((len(encs), width), np.int64)
        for row, e in enumerate(encs):
            n = len(e.ids)
            ids[row, :n] = e.ids
            mask[row, :n] = e.attention_mask
            types[row, :n] = e.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        feed = {k: v for k, v in feed.items() if k in self._inputs}
        (hidden,) = self._session.run(["last_hidden_state"], feed)
        return mean_pool(hidden, mask)


def session(export: Path, threads: int = THREADS) -> Any:
    """An ONNX Runtime session of the exported transformer, through its runtime copy
    (mmem.perceive.ort_session)."""
    from mmem.perceive.ort_session import session as ort_session

    return ort_session(export, threads)
