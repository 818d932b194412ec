"""The `eval` view: a question set asked of a memory through the same path as `mmem ask`,
each answer judged (mmem.evalset) and timed, with metrics per kind group and overall."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmem.evalset import Outcome, Question, Span, grouped, judge, metrics, same_source
from mmem.recall.answer import Answer, Recall
from mmem.store.memory import Memory


@dataclass
class EvalReport:
    k: int
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. a question's source not in memory

    @property
    def groups(self) -> dict[str, dict[str, Any]]:
        return grouped(self.outcomes, lambda o: o.question.group)

    @property
    def kinds(self) -> dict[str, dict[str, Any]]:
        return grouped(self.outcomes, lambda o: o.question.kind, order=())

    @property
    def overall(self) -> dict[str, Any]:
        return metrics(self.outcomes)

    def to_json(self) -> dict[str, Any]:
        return {"k": self.k, "overall": self.overall, "groups": self.groups, "kinds": self.kinds,
                "questions": [outcome_json(o) for o in self.outcomes], "notes": list(self.notes)}


def verdict(o: Outcome, k: int) -> str:
    """HIT (top moment right), hit@k (one of the first k), miss, abstained or answered."""
    if not o.question.answerable:
        return "abstained" if o.abstained else "answered"
    if o.abstained:
        return "abstained"
    return "HIT" if o.hit1 else (f"hit@{k}" if o.hitk else "miss")


def outcome_json(o: Outcome) -> dict[str, Any]:
    q = o.question
    return {"id": q.id, "number": q.number, "kind": q.kind, "group": q.group, "q": q.q,
            "source": q.source, "windows": [list(w) for w in q.windows],
            "verdict": verdict(o, max(1, len(o.hits))), "hit_at_1": o.hit1, "hit_at_k": o.hitk,
            "abstained": o.abstained, "iou": round(o.iou, 4), "seconds": round(o.seconds, 4),
            "moments": [{"source": s.source, "start": s.start, "end": s.end} for s in o.top]}


def abstained(answer: Answer | dict) -> bool:
    """The answer says it abstained (its flag, where recall sets one), or has no moments."""
    if isinstance(answer, dict):
        return bool(answer.get("abstained")) or not answer.get("moments")
    return bool(getattr(answer, "abstained", False)) or not answer.moments


def eval_view(memory: Memory, recall: Recall, questions: list[Question], k: int = 3) -> EvalReport:
    """Ask each question (models already loaded in `recall`), time it, judge it. One untimed
    warm-up question first, so the first timing is not the encoders' first call."""
    from mmem.views.answers import answer_view

    report = EvalReport(k=k, notes=_missing_sources(memory, questions))
    answer_view(memory, recall, questions[0].q, k=k)
    for q in questions:
        t0 = time.perf_counter()
        answer = answer_view(memory, recall, q.q, k=k)
        seconds = time.perf_counter() - t0
        spans = [Span(m.source, float(m.start), float(m.end)) for m in answer.moments[:k]]
        report.outcomes.append(judge(q, spans, abstained(answer), seconds))
    return report


def _missing_sources(memory: Memory, questions: list[Question]) -> list[str]:
    uris = [s.uri for s in memory.sources()]
    wanted = sorted({q.source for q in questions if q.source})
    return [f"no source in this memory is {name!r}: its questions cannot be answered"
            for name in wanted if not any(same_source(u, name) for u in uris)]


def source_name(span: Span) -> str:
    return Path(span.source).name
