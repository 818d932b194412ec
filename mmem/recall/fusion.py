"""Reciprocal-rank fusion of the retrieval channels (speech BM25, transcript semantics, CLIP).

Each channel ranks events; an event's fused score is the mean over the channels that can run of
(K + 1) / (K + rank), so 1.0 means "first in every channel" and an event a channel did not
return gets nothing from it. Ranks, not raw scores, are fused: BM25, MiniLM cosine and CLIP
cosine live on scales that do not compare.
"""

from __future__ import annotations

from collections import defaultdict

from mmem.store.rows import UtteranceRow

K = 60  # the usual RRF constant: damps the difference between ranks 1 and 2


def rrf(rankings: dict[str, list[str]], channels: int | None = None) -> dict[str, float]:
    """rankings: channel -> event ids best first. Returns event id -> fused score in (0, 1]."""
    n = channels if channels is not None else max(1, len(rankings))
    scores: dict[str, float] = defaultdict(float)
    for ranked in rankings.values():
        for rank, eid in enumerate(ranked, 1):
            scores[eid] += (K + 1) / (K + rank) / n
    return dict(scores)


def best_per_event(hits: list[tuple[UtteranceRow, float]]) -> list[tuple[str, UtteranceRow]]:
    """Utterance hits (best first) -> [(event id, best utterance)] in order of first appearance."""
    seen: dict[str, UtteranceRow] = {}
    for row, _ in hits:
        seen.setdefault(row.event_id, row)
    return list(seen.items())
