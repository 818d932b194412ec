"""Answer a question from memory: embed it, retrieve, merge, summarise the best evidence.

An LLM is never needed: the answer line states where the strongest evidence is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mmem.perceive.base import TextEmbedder
from mmem.recall.context import merge_adjacent
from mmem.store.memory import Memory
from mmem.types import Moment


@dataclass
class Answer:
    question: str
    answer: str
    moments: list[Moment] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "moments": [
                {
                    "event_id": m.event_id,
                    "source": m.source,
                    "start": m.start,
                    "end": m.end,
                    "started_at": m.started_at,
                    "score": m.score,
                    "transcript": m.transcript,
                    "entities": list(m.entities),
                    "keyframe": m.keyframe,
                }
                for m in self.moments
            ],
        }


def clock(seconds: float) -> str:
    s = max(0.0, seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{int(h):d}:{int(m):02d}:{sec:04.1f}"


def summarise(moments: list[Moment]) -> str:
    if not moments:
        return "Nothing in memory matches this question."
    best = moments[0]
    more = len(moments) - 1
    tail = f"; {more} more moment{'s' if more != 1 else ''}" if more else ""
    return (
        f"Best evidence: {Path(best.source).name} {clock(best.start)}-{clock(best.end)} "
        f"(score {best.score:.2f}){tail}."
    )


def ask(
    memory: Memory,
    embedder: TextEmbedder,
    question: str,
    k: int = 5,
    source_ids: list[str] | None = None,
    min_score: float | None = None,
) -> Answer:
    query = embedder.embed_texts([question])[0]
    hits = memory.search(query, limit=max(k * 4, 20))
    if source_ids is not None:
        hits = [h for h in hits if h[0]["source_id"] in source_ids]
    if min_score is not None:
        hits = [h for h in hits if h[1] >= min_score]
    uris = {sid: row["uri"] for sid, row in memory.visible_runs().items()}
    moments = merge_adjacent(hits, uris, memory.root, k=k)
    return Answer(question=question, answer=summarise(moments), moments=moments)
