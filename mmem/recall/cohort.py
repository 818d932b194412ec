"""How close does an unrelated sentence come to this question?

A sentence model's cosine means different things for different questions: a question made of
common words ("when did they talk about the meeting") sits near many sentences, a specific one
("a post-mortem examination") near few. So a transcript's cosine is judged against a cohort:
everyday sentences about nothing in particular (cohort.txt). The evidence is the margin by
which the transcript beats the question's closest cohort sentences (the mean of the top
`TOP`), the same idea as score normalisation against impostors in speaker verification.

The cohort's vectors depend only on the sentence model, so they are computed once per model
and kept in mmem's cache directory (recomputed when the file or the model changes).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from mmem.fileutil import write_aside
from mmem.perceive.base import TextEmbedder

TOP = 5  # the question's closest cohort sentences that set its bar
_FILE = Path(__file__).with_name("cohort.txt")


def sentences() -> list[str]:
    lines = _FILE.read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in lines if s.strip() and not s.startswith("#")]


def _cache_path(model_id: str) -> Path:
    from mmem.weights import home

    digest = hashlib.sha1((model_id + "\n" + _FILE.read_text(encoding="utf-8")).encode()).hexdigest()[:16]
    return home() / "cohort" / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', model_id)}-{digest}.npy"


def vectors(encoder: TextEmbedder) -> np.ndarray:
    """The cohort embedded by `encoder` (unit vectors), from the cache when it has them."""
    path = _cache_path(encoder.model_id)
    try:
        cached = np.load(path)
        if cached.ndim == 2 and cached.shape[1] == encoder.dim:
            return cached
    except (OSError, ValueError):
        pass
    out = np.asarray(encoder.embed_texts(sentences()), np.float32)
    try:  # a cache that cannot be written only costs the next question the same work
        path.parent.mkdir(parents=True, exist_ok=True)
        write_aside(path, lambda tmp: np.save(tmp, out))
    except OSError:
        pass
    return out


def bar(question_vector: np.ndarray, cohort: np.ndarray) -> float:
    """The cosine the question's closest unrelated sentences reach (mean of the top TOP)."""
    sims = cohort @ np.asarray(question_vector, np.float32)
    k = min(TOP, len(sims))
    return float(np.sort(sims)[-k:].mean()) if k else 0.0
