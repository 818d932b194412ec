"""Channel scores on one scale: each channel's raw score is mapped into [0, 1] so that 0.5 is
that channel's evidence threshold. A moment is kept when its fused score reaches THRESHOLD
(`--min-score` overrides); when none does, the answer abstains.

The anchors were set on questions written about the project's own samples (samples/jfk.flac,
the GRID clips, the LibriSpeech voices): a related question and an unrelated one on each side.
- speech: the lexical match is already the share of the question found (see lexical.py);
  half the content of a question, as a phrase, is the threshold.
- semantic (MiniLM cosine, the question without its "what did he say about" lead): on the
  LibriSpeech, JFK and GRID transcripts unrelated questions ("when did the dog bark", "a rabbit in
  a meadow") reach 0.27 against short or garbled utterances, real paraphrases ("the doctor
  examines a dead body", "a poisoning case and the doctor's duties") 0.37-0.54, and a loose one
  ("when did he talk about the nation" ~ JFK) only 0.26, which no threshold can tell from noise:
  0.32 is the threshold, 0.60 full marks, 0.15 nothing.
- vision (CLIP cosine): for the CLIP families with known behaviour a matching caption scores
  about 0.28-0.33 and an unrelated one 0.15-0.22: 0.25 is the threshold, 0.32 full marks. Other
  models (e.g. the tiny random test model) have no calibration: only their best event reaches the
  threshold, so they never cause an abstention but never flood the answer either.
"""

from __future__ import annotations

import re

THRESHOLD = 0.5
AGREE = 0.2  # each further channel adds this share of its score to the best one


def ramp(x: float, threshold: float, full: float, zero: float) -> float:
    """Piecewise linear: zero -> 0, threshold -> 0.5, full -> 1, clipped."""
    if x <= threshold:
        return max(0.0, 0.5 * (x - zero) / (threshold - zero))
    return min(1.0, 0.5 + 0.5 * (x - threshold) / (full - threshold))


def semantic(cosine: float) -> float:
    return round(ramp(cosine, 0.32, 0.60, 0.15), 4)


def vision(cosine: float, rank: int, model_id: str | None) -> float:
    known = model_id and not model_id.endswith("/random")
    if known and model_id.lower().startswith(("vit-", "rn50", "rn101", "convnext")):
        return round(ramp(cosine, 0.25, 0.32, 0.15), 4)
    return round(0.5 if rank == 1 else 0.49 * 61 / (60 + rank), 4)  # uncalibrated: rank only


def entity(seconds: float, duration: float) -> float:
    """A person named in the question is seen or heard: evidence by how much of the span."""
    return round(0.5 + 0.5 * min(1.0, seconds / max(duration, 1e-6)), 4)


def fuse(scores: list[float]) -> float:
    """The best channel's score plus a share of each other channel that agrees, at most 1."""
    ranked = sorted(scores, reverse=True)
    if not ranked:
        return 0.0
    return round(min(1.0, ranked[0] + AGREE * sum(ranked[1:])), 4)


def strip_lead(question: str) -> str:
    """The question without its lead ("when did she say that ...", "what did he mention about"),
    for the sentence model: the lead is not what was said and only adds noise."""
    return _LEAD.sub("", question).strip() or question.strip()


_LEAD = re.compile(r"^(?:when|where|what|who|how|which|why)\b.*?\b(?:say|said|says|mention|mentioned|"
                   r"talk|talked|speak|spoke|tell|told|discuss|discussed)\b(?:\s+(?:about|of|that|to))?\s*",
                   re.I)
