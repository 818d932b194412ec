"""Answer a question from memory: retrieve by every channel available, fuse, add temporal
context, summarise the best evidence with its time and words. An LLM is never needed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mmem.perceive.base import TextEmbedder
from mmem.recall.context import merge_adjacent
from mmem.recall.fusion import best_per_event, rrf
from mmem.store.memory import Memory
from mmem.store.rows import EventRow, UtteranceRow
from mmem.text_norm import normalize
from mmem.types import Moment

# MiniLM cosine below which a transcript is not evidence: on the sample transcripts unrelated
# questions score <= 0.13 and a paraphrase ("talk about the nation" ~ "your country") 0.18.
# Without it the nearest transcript is always "found", however unrelated.
SEMANTIC_FLOOR = 0.15


@dataclass
class Recall:
    """The encoders a question can use; either may be missing."""

    vision: TextEmbedder | None = None  # CLIP text encoder, for event vectors
    text: TextEmbedder | None = None  # sentence encoder, for transcript vectors
    notes: list[str] = field(default_factory=list)  # why a channel cannot run


@dataclass
class Answer:
    question: str
    answer: str
    moments: list[Moment] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)


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
    quote = f': "{best.transcript}"' if best.transcript else ""
    return (
        f"Best evidence: {Path(best.source).name} {clock(best.start)}-{clock(best.end)} "
        f"(score {best.score:.2f}){quote}{tail}."
    )


def build_recall(memory: Memory, device: str = "auto") -> Recall:
    """The encoders this memory's indexes need, each left out with a note when unavailable.
    CLIP and the sentence model are those the memory recorded at ingest, so questions and
    vectors share a space."""
    from mmem.errors import WeightsUnavailable

    recall = Recall()
    spec = memory.vector_model
    if spec is None:
        recall.notes.append("No visual index: this memory was built without CLIP weights.")
    else:
        from mmem.perceive.registry import recorded_vision

        try:
            recall.vision = recorded_vision(spec, device)
        except WeightsUnavailable as exc:
            recall.notes.append(f"Cannot search the visual index: {exc}")
    if memory.has_transcripts():
        from mmem.perceive.audio_channel import build_text_embedder
        from mmem.perceive.device import resolve_device
        from mmem.weights import TEXT_MODEL

        # the sentence model recorded at ingest; memories from before it was recorded used MiniLM
        model = memory.text_model or TEXT_MODEL
        recall.text = build_text_embedder(model, str(resolve_device(device)), recall.notes)
    return recall


def ask(
    memory: Memory,
    recall: Recall,
    question: str,
    k: int = 5,
    source_ids: list[str] | None = None,
    min_score: float | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Answer:
    depth = max(k * 4, 20)
    rankings: dict[str, list[str]] = {}
    quotes: dict[str, str] = {}
    rows: dict[str, EventRow] = {}
    people = _people(memory)
    who = _mentioned_events(memory, people, question)  # None: nobody known is named

    def keep(row: EventRow | UtteranceRow) -> bool:
        event_id = row.event_id if isinstance(row, UtteranceRow) else row.id
        return (source_ids is None or row.source_id in source_ids) and (who is None or event_id in who)

    speech = [h for h in memory.search_text(normalize(question), depth) if keep(h[0])]
    semantic = []
    if recall.text is not None:
        qv = recall.text.embed_texts([question])[0]
        semantic = [h for h in memory.search_transcript_vectors(qv, depth)
                    if keep(h[0]) and h[1] >= SEMANTIC_FLOOR]
    for name, hits in (("speech", speech), ("semantic", semantic)):
        per_event = best_per_event(hits)
        if per_event:
            rankings[name] = [eid for eid, _ in per_event]
            for eid, utt in per_event:
                quotes.setdefault(eid, utt.text)
    if recall.vision is not None:
        qv = recall.vision.embed_texts([question])[0]
        visual = [h for h in memory.search(qv, depth) if keep(h[0])]
        rankings["vision"] = [row.id for row, _ in visual]
        rows.update({row.id: row for row, _ in visual})
    available = int(recall.vision is not None) + int(memory.has_transcripts()) * (
        1 + int(recall.text is not None))
    if who is not None:  # the person named is itself evidence: their events rank by presence
        rankings["entity"] = [e for e, p in sorted(who.items(), key=lambda p: -p[1].seconds)
                              if source_ids is None or p.source_id in source_ids][:depth]
        available += 1
    scores = rrf(rankings, channels=max(1, available))
    missing = [eid for eid in scores if eid not in rows]
    rows.update(memory.events_by_id(missing))
    hits = [(rows[eid], s) for eid, s in scores.items() if eid in rows]
    if min_score is not None:
        hits = [h for h in hits if h[1] >= min_score]
    if since is not None or until is not None:  # wall-clock window: live sessions' events
        hits = [h for h in hits if _within(h[0].started_at, since, until)]
    uris = {sid: row.uri for sid, row in memory.visible_runs().items()}
    moments = merge_adjacent(hits, uris, memory.root, k=k)
    for m in moments:
        quote = next((quotes[e] for e in m.event_ids if e in quotes), None)
        if quote is None:
            quote = next((rows[e].transcript for e in m.event_ids if rows[e].transcript), None)
        m.transcript = quote
        m.entities = _entities_of(memory, people, m.event_ids)
    return Answer(question=question, answer=summarise(moments), moments=moments, channels=sorted(rankings))


def _people(memory: Memory):
    from mmem.consolidate.people import load_index

    index = load_index(memory)
    return index if index.entities else None


@dataclass
class _Presence:
    source_id: str
    seconds: float = 0.0


def _mentioned_events(memory: Memory, people, question: str) -> dict[str, _Presence] | None:
    """Events where a person named (or an entity id given) in the question appears, with their
    source and the seconds they are present; None when the question names nobody memory knows."""
    if people is None:
        return None
    from mmem.consolidate.people import mentioned

    persons = mentioned(people, question)
    if not persons:
        return None
    ids = [e.id for p in persons for e in people.members(p)]
    out: dict[str, _Presence] = {}
    for a in memory.appearances(ids):
        out.setdefault(a.event_id, _Presence(a.source_id)).seconds += float(a.end - a.start)
    return out


def _entities_of(memory: Memory, people, event_ids: list[str]) -> list[dict]:
    if people is None:
        return []
    seen: dict[str, dict] = {}
    for a in memory.appearances(event_ids=event_ids):
        ent = people.entities.get(a.entity_id)
        if ent is None:
            continue
        group = people.members(ent.person)
        kind = "person" if len({g.kind for g in group}) > 1 else ent.kind
        seen.setdefault(ent.person, {"id": ent.person, "name": ent.name, "kind": kind})
    return sorted(seen.values(), key=lambda d: d["id"])


def _within(started_at: str | None, since: datetime | None, until: datetime | None) -> bool:
    if not started_at:
        return False  # a recorded file has no wall-clock time
    t = datetime.fromisoformat(started_at)
    return (since is None or t >= since) and (until is None or t <= until)
