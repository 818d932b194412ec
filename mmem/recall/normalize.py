"""The canonical spelling of questions: the same as the stored transcripts' (mmem.text_norm)."""

from __future__ import annotations

from mmem.text_norm import normalize

__all__ = ["normalize"]
