"""Answer a question from memory: look for it in every channel available (what was said, word
by word and by meaning; what was seen; who was there), score each channel on one calibrated
scale, resolve temporal relations, and return the tightest moments that hold the evidence, or
abstain when nothing reaches the threshold. An LLM is never needed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mmem.errors import InputError
from mmem.perceive.base import TextEmbedder
from mmem.recall import calibrate
from mmem.recall.lexical import Matcher
from mmem.recall.moments import Hit, merge, to_moment
from mmem.store.memory import Memory
from mmem.store.rows import EventRow, UtteranceRow
from mmem.text_norm import content_words, normalize
from mmem.timeutil import clock
from mmem.types import Moment

MAX_QUESTION = 1000  # characters: a question, not a document
MAX_SCAN = 20_000  # utterances matched word by word; a larger memory is narrowed by BM25 first
NOTHING = "Nothing in memory matches this question."


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
    abstained: bool = False


def summarise(moments: list[Moment]) -> str:
    if not moments:
        return NOTHING
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
        from mmem.weights import TEXT_MODEL

        # the sentence model recorded at ingest; memories from before it was recorded used MiniLM.
        # It runs through ONNX Runtime on the CPU (as at ingest): no torch, whatever --device says
        model = memory.text_model or TEXT_MODEL
        recall.text = build_text_embedder(model, "cpu", recall.notes)
    return recall


def check_question(question: str) -> list[str]:
    """The question's content words; an InputError when there is nothing to search for."""
    if not question.strip():
        raise InputError("the question is empty: ask something, e.g. mmem ask \"a red car\"")
    if len(question) > MAX_QUESTION:
        raise InputError(f"the question is {len(question)} characters long: ask in at most "
                         f"{MAX_QUESTION} (a few words about the moment you want)")
    words = content_words(question)
    if not words:
        raise InputError(f"the question {question.strip()!r} has no word to search for: name what was "
                         "said, seen or who, e.g. mmem ask \"when did she mention the budget\"")
    return words


class Search:
    """One question's view of the memory: the channels, the filters, the utterances."""

    def __init__(self, memory: Memory, recall: Recall, source_ids: list[str] | None, depth: int):
        from mmem.recall.people import People

        self.memory, self.recall, self.source_ids, self.depth = memory, recall, source_ids, depth
        self.people = People(memory)
        self.channels: set[str] = set()
        self.spoken = memory.count_transcripts()  # utterances in memory (0: no transcripts table)
        self._utterances: list[UtteranceRow] | None = None

    @property
    def utterances(self) -> list[UtteranceRow]:
        """The transcripts in scope, by (source, start): loaded once per question."""
        if self._utterances is None:
            rows = self.memory.transcripts(self.source_ids) if self.spoken else []
            self._utterances = rows
        return self._utterances

    def hits(self, text: str) -> list[Hit]:
        """Every channel's candidates for `text`, one hit per utterance or event, unthresholded."""
        who = self.people.mentioned_events(text)  # None: nobody known is named
        words = content_words(text)
        if who is not None:  # the name is answered by the entity channel, not looked for in speech
            named = self.people.named_words(text)
            words = [w for w in words if w not in named]
        by_utt: dict[str, Hit] = {}
        self._speech(text, words, who, by_utt)
        self._semantic(text, who, by_utt)
        out = list(by_utt.values())
        out += self._vision(text, who)
        out += self._entity(who)
        return out

    def _in_scope(self, source_id: str, event_id: str, who: dict | None) -> bool:
        return (self.source_ids is None or source_id in self.source_ids) and (who is None or event_id in who)

    def _speech(self, text: str, words: list[str], who, by_utt: dict[str, Hit]) -> None:
        if not words or not self.spoken:
            return
        if self.spoken <= MAX_SCAN:
            rows = self.utterances
        else:
            rows = [r for r, _ in self.memory.search_text(normalize(" ".join(words)), self.depth * 10)]
        matcher = Matcher(words, normalize(calibrate.strip_lead(text)).split()[:64])
        for row in rows:
            if not self._in_scope(row.source_id, row.event_id, who):
                continue
            m = matcher.match(row)
            if m is None:
                continue
            self.channels.add("speech")
            hit = Hit(row.source_id, row.event_id, m.start, m.end, text=row.text, speech=True, core=m.core)
            hit.add("speech", m.score, row.text)
            by_utt[row.id] = hit

    def _semantic(self, text: str, who, by_utt: dict[str, Hit]) -> None:
        if self.recall.text is None or not self.spoken:
            return
        from mmem.recall import cohort

        qv = self.recall.text.embed_texts([calibrate.strip_lead(text)])[0]
        bar = cohort.bar(qv, cohort.vectors(self.recall.text))
        for row, cos in self.memory.search_transcript_vectors(qv, self.depth):
            score = calibrate.semantic(cos, bar)
            if score <= 0 or not self._in_scope(row.source_id, row.event_id, who):
                continue
            self.channels.add("semantic")
            hit = by_utt.get(row.id)
            if hit is None:
                hit = by_utt[row.id] = Hit(row.source_id, row.event_id, float(row.start), float(row.end),
                                           text=row.text, speech=True)
            hit.add("semantic", score, row.text)

    def _vision(self, text: str, who) -> list[Hit]:
        if self.recall.vision is None:
            return []
        qv = self.recall.vision.embed_texts([text])[0]
        model = (self.memory.vector_model or {}).get("model_id")
        out = []
        found = [h for h in self.memory.search(qv, self.depth)
                 if self._in_scope(h[0].source_id, h[0].id, who)]
        for rank, (row, cos) in enumerate(found, 1):
            self.channels.add("vision")
            hit = Hit(row.source_id, row.id, float(row.start), float(row.end))
            hit.add("vision", calibrate.vision(float(cos), rank, model))
            out.append(hit)
        return out

    def _entity(self, who) -> list[Hit]:
        if who is None:
            return []
        self.channels.add("entity")
        out = []
        for event_id, p in who.items():
            if self.source_ids is not None and p.source_id not in self.source_ids:
                continue
            hit = Hit(p.source_id, event_id, p.start, p.end)
            hit.add("entity", calibrate.entity(p.seconds, p.end - p.start), p.name)
            out.append(hit)
        return out


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
    """The moments that answer `question`, best first, or an abstention. Raises InputError for
    a question with nothing to search for."""
    from mmem.recall.relations import parse
    from mmem.recall.temporal import resolve

    check_question(question)
    threshold = calibrate.THRESHOLD if min_score is None else min_score
    search = Search(memory, recall, source_ids, depth=max(k * 4, 20))
    relation = parse(question)
    found = resolve(search, relation, threshold) if relation is not None else None
    note = ""
    if isinstance(found, str):  # the relation names something memory does not hold
        note, found = found, []
    if found is None:
        found = [h for h in merge(search.hits(question), threshold) if h.score >= threshold]
    if since is not None or until is not None:  # wall-clock window: live sessions' events
        when = memory.events_by_id(sorted({h.event_id for h in found}))
        found = [h for h in found if _within(when.get(h.event_id), since, until)]
    found = found[:k]
    events = memory.events_by_id(sorted({e for h in found for e in (h.event_id, *h.more_events)}))
    uris = {sid: row.uri for sid, row in memory.visible_runs().items()}
    moments = [to_moment(h, events, uris, memory.root) for h in found]
    episodes = _episodes(memory, sorted({h.source_id for h in found}))
    for m in moments:
        m.entities = search.people.entities_of(m.event_ids)
        m.speakers = search.people.speakers_of(m.event_ids, m.start, m.end)
        m.episode = episodes.get(m.event_id)
    answer = summarise(moments) if not note else f"{NOTHING[:-1]}: {note}"
    return Answer(question=question, answer=answer, moments=moments, channels=sorted(search.channels),
                  abstained=not moments)


def _within(row: EventRow | None, since: datetime | None, until: datetime | None) -> bool:
    if row is None or not row.started_at:
        return False  # a recorded file has no wall-clock time
    t = datetime.fromisoformat(row.started_at)
    return (since is None or t >= since) and (until is None or t <= until)


def _episodes(memory: Memory, source_ids: list[str]) -> dict[str, dict]:
    """Event id -> {"id", "start", "end"} of its episode, for these sources (the spans table;
    empty for sources ingested before it existed)."""
    if not source_ids:
        return {}
    episodes = {r.id: r for r in memory.spans("episode", source_ids)}
    out: dict[str, dict] = {}
    for ev in memory.spans("event", source_ids):
        ep = episodes.get(ev.parent or "")
        if ep is not None:
            out[ev.id] = {"id": ep.id, "start": round(float(ep.start), 3), "end": round(float(ep.end), 3)}
    return out
