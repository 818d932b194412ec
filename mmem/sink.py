"""The sink of a session: closed events wait in a buffer and are written together, their
transcripts embedded first (the perceive step `TranscriptVectors`)."""

from __future__ import annotations

from collections.abc import Callable

from mmem.perceive.text import TranscriptVectors
from mmem.store.memory import Memory
from mmem.store.rows import UtteranceRow
from mmem.types import EventRecord

WRITE_EVERY = 64  # events buffered per LanceDB commit


class Sink:
    """Buffers events and transcript rows; `flush` writes them (events first, so `on_commit`
    sees when they became queryable)."""

    def __init__(self, memory: Memory, run: str, vectors: TranscriptVectors, *, index_transcripts: bool,
                 write_every: int = WRITE_EVERY,
                 on_commit: Callable[[list[EventRecord]], None] | None = None) -> None:
        self.memory, self.run, self.vectors = memory, run, vectors
        self.index_transcripts, self.write_every, self.on_commit = index_transcripts, write_every, on_commit
        self.events: list[EventRecord] = []
        self.utterances: list[UtteranceRow] = []
        self.late_texts: dict[str, str] = {}  # event id -> its whole transcript, grown late

    def add(self, record: EventRecord, utterance_rows: list[UtteranceRow]) -> None:
        self.events.append(record)
        self.utterances.extend(utterance_rows)

    def add_late(self, event_id: str, utterance_rows: list[UtteranceRow], transcript: str) -> None:
        """Speech that joined an event already written."""
        self.utterances.extend(utterance_rows)
        self.late_texts[event_id] = transcript

    @property
    def due(self) -> bool:
        return len(self.events) >= self.write_every

    def flush(self) -> None:
        self.memory.add_events(self.events, self.run)
        if self.on_commit is not None:
            self.on_commit(self.events)
        for event_id, text in self.late_texts.items():
            self.memory.set_event_transcript(event_id, text)
        self.late_texts.clear()
        if self.utterances:
            embed_rows(self.vectors, self.utterances)
            self.memory.add_transcripts(self.utterances, self.run, self.vectors.dim,
                                        index=self.index_transcripts)
        self.events.clear()
        self.utterances.clear()


def embed_rows(vectors: TranscriptVectors, rows: list[UtteranceRow]) -> None:
    """Fill the transcript rows' vectors."""
    vecs = vectors.embed([u.text for u in rows])
    if vecs is not None:
        for u, v in zip(rows, vecs, strict=True):
            u.vector = v

