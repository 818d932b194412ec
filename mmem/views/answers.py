"""The `ask` view: a question's answer and its moments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mmem.recall.answer import Answer, Recall
from mmem.store.memory import Memory
from mmem.types import Moment


def answer_view(memory: Memory, recall: Recall, question: str, k: int = 5,
                source_ids: list[str] | None = None, min_score: float | None = None,
                since: datetime | None = None, until: datetime | None = None) -> Answer:
    """The answer to a question, or why no index of this memory can give one."""
    from mmem.recall.answer import ask, check_question

    if recall.vision is None and not memory.has_transcripts():
        check_question(question)
        return Answer(question, "No index in this memory can answer this: " + " ".join(recall.notes),
                      abstained=True)
    result = ask(memory, recall, question, k=k, source_ids=source_ids, min_score=min_score,
                 since=since, until=until)
    if recall.notes and not result.moments:
        result.answer += " (" + " ".join(recall.notes) + ")"
    return result


def moment_json(m: Moment) -> dict[str, Any]:
    return {"event_id": m.event_id, "source": m.source, "start": m.start, "end": m.end,
            "started_at": m.started_at, "score": m.score, "transcript": m.transcript,
            "entities": list(m.entities), "speakers": list(m.speakers), "keyframe": m.keyframe,
            "evidence": [dict(e) for e in m.evidence], "episode": dict(m.episode) if m.episode else None}


def answer_json(answer: Answer) -> dict[str, Any]:
    return {"question": answer.question, "answer": answer.answer, "abstained": answer.abstained,
            "moments": [moment_json(m) for m in answer.moments]}


def answer_from_json(data: dict[str, Any]) -> Answer:
    """The inverse of `answer_json`: an answer a server sent, rendered as a local one would be."""
    return Answer(data["question"], data["answer"], abstained=bool(data.get("abstained")), moments=[
        Moment(event_id=m["event_id"], source=m["source"], start=m["start"], end=m["end"],
               started_at=m.get("started_at"), score=m["score"], keyframe=m.get("keyframe"),
               transcript=m.get("transcript"), entities=list(m.get("entities") or []),
               speakers=list(m.get("speakers") or []), evidence=list(m.get("evidence") or []),
               episode=m.get("episode"))
        for m in data.get("moments", [])])
