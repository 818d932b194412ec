"""Sentence embeddings through ONNX Runtime: the transcript and question encoder.

The sentence-transformers pipeline of all-MiniLM-L6-v2 (BERT → mean pooling over the attention
mask → L2 normalisation) without torch or transformers: the `tokenizers` package splits the text
exactly as the model's fast tokenizer does, ONNX Runtime runs the BERT graph exported once by
`mmem.perceive.text_export` (cached; see `mmem.weights_onnx.resolve_text_onnx`), numpy pools. Ingest and
`ask` both use it, so stored vectors and question vectors come from the same arithmetic; they match
sentence-transformers' output to float error (tests/integration/test_text_onnx.py).

Loading the export costs a cold `mmem ask` most of its model time: ONNX Runtime parses 90 MB of
weights out of the protobuf, copies them and optimises the graph. So the first session also saves
the graph as ONNX Runtime runs it (`runtime_copy`): optimised at the hardware-independent level,
its weights in a separate file that later sessions map from disk instead of copying. Same graph,
same arithmetic (the test compares); kept per ONNX Runtime version next to the export, and the
export itself is used when the copy cannot be written or read.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from mmem.weights_onnx import TextOnnxWeights

BATCH = 64  # sentences per ONNX run (sentence-transformers' default for encode is 32; either works)
THREADS = 1  # ONNX Runtime threads: a question is one short run; at ingest, decoding and ASR use the others
_NORM_EPS = 1e-12  # torch.nn.functional.normalize's eps, as sentence-transformers' Normalize uses
WEIGHTS_FILE = "weights.bin"  # the runtime copy's weights, beside its graph (named inside the graph)


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



def _options(threads: int) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # warnings about unused initialisers are noise to a user
    opts.intra_op_num_threads = opts.inter_op_num_threads = threads
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-wait on a shared CPU
    return opts


def runtime_copy(export: Path) -> Path:
    """Where the runtime copy of `export` lives (it may not exist yet): one per ONNX Runtime
    version, since the saved graph names that version's fused operators."""
    import onnxruntime as ort

    return export.parent / f"ort-{ort.__version__}" / "model.onnx"


def session(export: Path, threads: int = THREADS) -> Any:
    """An ONNX Runtime session of the exported transformer: from its runtime copy when there is
    one; else from the export, saving the copy on the way (written aside and renamed into place,
    so a concurrent or interrupted process never sees half a copy)."""
    import onnxruntime as ort
    from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidGraph, InvalidProtobuf, NoSuchFile

    providers = ["CPUExecutionProvider"]
    copy = runtime_copy(export)
    if copy.is_file():
        try:
            return ort.InferenceSession(str(copy), _options(threads), providers=providers)
        except (Fail, InvalidGraph, InvalidProtobuf, NoSuchFile):
            pass  # damaged (or from elsewhere): the export below still answers, the same
    opts = _options(threads)
    try:
        aside = Path(tempfile.mkdtemp(prefix=".ort-", dir=export.parent))
    except OSError:  # a read-only cache: run the export as it is
        return ort.InferenceSession(str(export), opts, providers=providers)
    try:
        # the hardware-independent optimisations only; the layout ones are redone at each load
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        opts.optimized_model_filepath = str(aside / copy.name)
        prefix = "session.optimized_model_external_initializers_"
        opts.add_session_config_entry(prefix + "file_name", WEIGHTS_FILE)
        opts.add_session_config_entry(prefix + "min_size_in_bytes", "1024")  # every weight matrix
        built = ort.InferenceSession(str(export), opts, providers=providers)
        os.chmod(aside, 0o755)  # mkdtemp's folder is private; the cache is readable, like the export
        try:
            os.rename(aside, copy.parent)
        except OSError:
            pass  # another process put its copy there first (or the cache is full): theirs serves
        return built
    finally:
        shutil.rmtree(aside, ignore_errors=True)
