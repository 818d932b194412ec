"""Channel scores on one scale: each channel's raw score is mapped into [0, 1] so that 0.5 is
that channel's evidence threshold. A moment is kept when its fused score reaches THRESHOLD
(`--min-score` overrides); when none does, the answer abstains.

The anchors were set on questions written about the project's own samples (samples/jfk.flac,
the GRID clips, the LibriSpeech voices): a related question and an unrelated one on each side.
- speech: the lexical match is already the share of the question found (see lexical.py);
  half the content of a question, as a phrase, is the threshold.
- semantic (MiniLM): the margin by which a transcript's cosine beats the question's closest
  everyday sentences (recall/cohort.py), not the raw cosine, whose level depends on the question.
  On the LibriSpeech, JFK and GRID transcripts, 12 unrelated questions ("when did the dog bark",
  "when did anyone mention their tax return", "a recipe for chocolate cake") reach margins of
  -0.22 to +0.07 over their best transcript; questions about what was said ("the doctor examines
  a dead body", "when did someone mention medicine", "patriotic duty to the nation",
  "when did someone mention a confession") +0.14 to +0.35; a loose one ("when did he talk about
  the nation" ~ JFK) +0.10. 0.10 is the threshold, 0.35 full marks, -0.10 nothing.
  A cohort that happens to hold the question's topic raises its bar ("when was the timetable
  discussed" vs "a few words about the schedule": cosine 0.41, margin 0.07), so a cosine that
  unrelated questions never reach (they stay under 0.30 above) is evidence on its own: 0.40 is
  that threshold, 0.65 full marks.
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


def semantic(cosine: float, bar: float) -> float:
    """A transcript's cosine, judged against the question's cohort bar (cohort.bar) and on its own."""
    return round(max(ramp(cosine - bar, 0.10, 0.35, -0.10), ramp(cosine, 0.40, 0.65, 0.15)), 4)


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
