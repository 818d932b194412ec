"""Sentence embeddings through ONNX Runtime: the transcript and question encoder.

The sentence-transformers pipeline of all-MiniLM-L6-v2 (BERT → mean pooling over the attention
mask → L2 normalisation) without torch or transformers: the `tokenizers` package splits the text
exactly as the model's fast tokenizer does, ONNX Runtime runs the BERT graph exported once by
`mmem.perceive.text_export` (cached; see `mmem.weights.resolve_text_onnx`), numpy pools. Ingest and
`ask` both use it, so stored vectors and question vectors come from the same arithmetic; they match
sentence-transformers' output to float error (tests/integration/test_text_onnx.py).
"""

from __future__ import annotations

import numpy as np

from mmem.weights import TextOnnxWeights

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
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(weights.tokenizer))
        tok.enable_truncation(max_length=weights.max_length)
        tok.no_padding()  # padded per batch below, to the longest sentence (not the file's fixed 128)
        self._tok = tok
        self._pad_id = weights.pad_id
        opts = ort.SessionOptions()
        opts.log_severity_level = 3  # warnings about unused initialisers are noise to a user
        opts.intra_op_num_threads = opts.inter_op_num_threads = threads
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-wait on a shared CPU
        self._session = ort.InferenceSession(str(weights.onnx), opts, providers=["CPUExecutionProvider"])
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

