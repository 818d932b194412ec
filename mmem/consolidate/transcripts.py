"""Attach what was said to the events it was said in, and shape transcript rows for storage."""

from __future__ import annotations

import json
from collections.abc import Sequence

from mmem.store.rows import UtteranceRow
from mmem.text_norm import normalize
from mmem.types import Utterance


class TranscriptAssigner:
    """Hands out utterances to events in time order (by each utterance's midpoint). The list is
    read, not copied: a live listener may still be appending to it (in time order)."""

    def __init__(self, utterances: Sequence[Utterance]) -> None:
        self._utts = utterances
        self._next = 0

    def take(self, end: float, last: bool = False) -> list[Utterance]:
        """Utterances whose midpoint lies before `end` (all the rest if `last`)."""
        out = []
        while self._next < len(self._utts):
            u = self._utts[self._next]
            if not last and (u.start + u.end) / 2 >= end:
                break
            out.append(u)
            self._next += 1
        return out


def transcript_text(utterances: Sequence[Utterance]) -> str | None:
    text = " ".join(u.text for u in utterances).strip()
    return text or None


def transcript_rows(event_id: str, source_id: str, utterances: Sequence[Utterance],
                    first: int = 0) -> list[UtteranceRow]:
    return [
        UtteranceRow(
            id=f"{event_id}-u{first + i:03d}",
            source_id=source_id,
            event_id=event_id,
            start=u.start,
            end=u.end,
            text=u.text,
            norm=normalize(u.text),
            words=json.dumps([[w.text, round(w.start, 3), round(w.end, 3), round(w.prob, 3)]
                              for w in u.words]),
            language=u.language,
            confidence=u.confidence,
            vector=None,
        )
        for i, u in enumerate(utterances)
    ]


def event_at(closed: Sequence[tuple[float, float, str]], t: float) -> int | None:
    """Index of the closed event (start, end, id) that contains time t (the last one if past)."""
    for i in range(len(closed) - 1, -1, -1):
        if closed[i][0] <= t:
            return i
    return None
