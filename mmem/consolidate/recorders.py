"""Who was in each event: the entity recorder strategies a session chooses from.

- `NoEntities`: no face or voice model runs.
- `MatchNow`: the session is the memory's only writer: faces and voices are matched to the
  entity index as each event closes, and appearance rows are written with the events. Live,
  where voice turns are matched alone, it can keep them (`relabel.SessionVoices`) and settle
  them again with the session in view every so many turns and at the end (`settle`).
- `Deferred`: one of several batch workers: faces and voices are kept, unmatched, as `Meeting`s
  for the batch writer, which matches every file in order (`people.meet_all`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from mmem.consolidate.builder import BuiltEvent
from mmem.consolidate.entities import Appearance, EntityIndex, lone_face
from mmem.perceive.facetracks import FaceTracker
from mmem.perceive.voices import VoiceTurn
from mmem.store._util import now
from mmem.store.memory import Memory
from mmem.store.rows import AppearanceRow, UtteranceRow

if TYPE_CHECKING:
    from mmem.config import EntityConfig
    from mmem.consolidate.relabel import SessionVoices


@dataclass
class Meeting:
    """Who was seen and heard in one event, before they are matched to entities."""

    event_id: str
    faces: list  # face-track Appearances (embedding, box, thumbnail)
    voices: list  # voice-turn Appearances
    utterances: list[UtteranceRow]  # the event's transcript rows (voices point at one)


@dataclass
class Met:
    """What recording one event left: its (face appearance, entity) pairs and how many
    appearance rows it has (late voices are numbered after them)."""

    faces: list = field(default_factory=list)
    appearances: int = 0


class EntityRecorder(Protocol):
    appearances: int  # appearance rows written so far
    owns_indexes: bool  # the only writer: it builds the search indexes (else the batch writer)
    relabelled: int  # voice turns moved to another entity by `settle` so far

    def record(self, event: BuiltEvent) -> Met: ...
    def late_voices(self, until: float) -> list[Appearance]: ...
    def appear(self, event_id: str, face_pairs: list, voices: list, utt_rows: list[UtteranceRow],
               first: int) -> int: ...
    def flush(self, memory: Memory, run: str) -> None: ...
    def handoff(self) -> list[Meeting]: ...
    def settle(self, memory: Memory) -> None: ...


def live_min_turn(turn: VoiceTurn) -> float:
    """Seconds a turn matched on its own (no file-wide speaker) needs: the speaker model's
    (mmem.perceive.voice_calibration; CAM++ 1.0, Resemblyzer 1.5)."""
    from mmem.perceive.voice_calibration import calibration

    return calibration(len(turn.embedding)).live_min_turn


class Turns:
    """Voice turns of a (complete or growing) track, taken in time order by their midpoint.
    A file's turns carry speakers (clustered over the whole file): `speakers` gives each one's
    voice, keyed "<source id>#<n>" as their appearances' `group`."""

    def __init__(self, turns: list[VoiceTurn], source_id: str = "") -> None:
        from mmem.perceive.diarize import speakers

        self.turns, self.cursor, self.source_id = turns, 0, source_id
        self.speakers = {self._group(k): v for k, (v, _) in speakers(turns).items()}

    def _group(self, speaker: int) -> str | None:
        return f"{self.source_id}#{speaker}" if speaker >= 0 else None

    def before(self, end: float) -> list[Appearance]:
        voices = []
        turns = self.turns
        while self.cursor < len(turns) and (turns[self.cursor].start + turns[self.cursor].end) / 2 < end:
            v = turns[self.cursor]
            self.cursor += 1
            if v.speaker < 0 and v.end - v.start < live_min_turn(v):
                continue  # matched alone (live): too short to tell a voice by
            voices.append(Appearance("voice", v.embedding, v.start, v.end, quality=v.end - v.start,
                                     score=1.0, group=self._group(v.speaker), windows=v.windows))
        return voices


class NoEntities:
    appearances = 0
    relabelled = 0

    def __init__(self, owns_indexes: bool = True) -> None:
        self.owns_indexes = owns_indexes

    def record(self, event: BuiltEvent) -> Met:
        return Met()

    def late_voices(self, until: float) -> list[Appearance]:
        return []

    def appear(self, event_id: str, face_pairs: list, voices: list, utt_rows: list[UtteranceRow],
               first: int) -> int:
        return first

    def flush(self, memory: Memory, run: str) -> None:
        pass

    def handoff(self) -> list[Meeting]:
        return []

    def settle(self, memory: Memory) -> None:
        """Re-decide recent assignments with the whole session in view (live voices)."""


class _Seen:
    """Face tracks and voice turns that fall in an event."""

    def __init__(self, tracker: FaceTracker | None, turns: Turns, frame_gap: float) -> None:
        self.tracker, self.turns, self.frame_gap = tracker, turns, frame_gap

    def seen(self, event: BuiltEvent) -> tuple[list[Appearance], list[Appearance]]:
        s = event.segment
        faces = self.tracker.close(s.first, s.stop, s.end, self.frame_gap) if self.tracker else []
        return faces, self.turns.before(s.end)


class Deferred(NoEntities, _Seen):
    """Keeps each event's faces and voices for the batch writer."""

    def __init__(self, tracker: FaceTracker | None, turns: Turns, frame_gap: float) -> None:
        NoEntities.__init__(self, owns_indexes=False)
        _Seen.__init__(self, tracker, turns, frame_gap)
        self.meetings: list[Meeting] = []

    def record(self, event: BuiltEvent) -> Met:
        faces, voices = self.seen(event)
        self.meetings.append(Meeting(event.record.id, faces, voices, event.rows))
        return Met()

    def handoff(self) -> list[Meeting]:
        return self.meetings


class MatchNow(_Seen):
    """Matches faces and voices to the entity index as each event closes."""

    owns_indexes = True

    def __init__(self, index: EntityIndex, memory: Memory, source_id: str, tracker: FaceTracker | None,
                 turns: Turns, frame_gap: float, voices: SessionVoices | None = None) -> None:
        super().__init__(tracker, turns, frame_gap)
        self.index, self.memory, self.source_id = index, memory, source_id
        index.bind(turns.speakers)
        self.rows: list[AppearanceRow] = []  # appearance rows not yet written
        self.appearances = 0
        self.voices = voices  # voice turns matched alone, kept to be relabelled (None: never)
        self.relabelled = 0  # turns moved to another entity so far

    def record(self, event: BuiltEvent) -> Met:
        faces, voices = self.seen(event)
        face_pairs = list(zip(faces, self.index.assign(faces) if faces else []))
        n = self.appear(event.record.id, face_pairs, voices, event.rows, 0)
        return Met(face_pairs, n)

    def late_voices(self, until: float) -> list[Appearance]:
        return self.turns.before(until)

    def appear(self, event_id: str, face_pairs: list, voices: list, utt_rows: list[UtteranceRow],
               first: int) -> int:
        """Write the event's appearance rows (see `people.appear`); returns how many it now has."""
        from mmem.consolidate.people import appear

        rows, n = appear(self.index, self.memory.root, self.source_id, event_id, face_pairs, voices,
                         utt_rows, first)
        if self.voices is not None and voices:  # the voices' rows come last, in their order
            for app, row in zip(voices, rows[len(rows) - len(voices):], strict=True):
                if app.group is None:
                    self.voices.add(row.id, app, self.index.entities[row.entity_id], now(),
                                    lone_face(face_pairs, app))
        self.rows.extend(rows)
        self.appearances += len(rows)
        return n

    def flush(self, memory: Memory, run: str) -> None:
        from mmem.consolidate.people import save

        memory.add_appearances(self.rows, run)
        save(memory, [self.index.entities[i] for i in sorted(self.index.touched)])
        self.index.touched.clear()
        self.rows.clear()
        if self.voices is not None and self.voices.due:
            self.settle(memory)

    def handoff(self) -> list[Meeting]:
        return []

    def settle(self, memory: Memory) -> None:
        """Relabel the session's recent voice turns (see `relabel`). Only once every appearance
        row made is written (after `flush`): a relabel moves rows in the memory."""
        if self.voices is None or not self.voices.fresh or self.voices.every <= 0 or self.rows:
            return
        from mmem.consolidate.relabel import relabel

        self.relabelled += relabel(memory, self.index, self.voices).moved


class RecorderChoice(Protocol):
    """Builds a session's recorder once its speech track is known."""

    def __call__(self, active: bool, memory: Memory, source_id: str, tracker: FaceTracker | None,
                 turns: Turns, frame_gap: float) -> EntityRecorder: ...


def match_now(active: bool, memory: Memory, source_id: str, tracker: FaceTracker | None, turns: Turns,
              frame_gap: float, *, relabel: EntityConfig | None = None) -> EntityRecorder:
    """The session is the memory's only writer (ingest, live). `relabel`: keep the voice turns
    matched alone and relabel them as its knobs say (live sessions)."""
    if not active:
        return NoEntities(owns_indexes=True)
    from mmem.consolidate.people import load_index

    voices = None
    if relabel is not None:
        from mmem.consolidate.relabel import SessionVoices

        voices = SessionVoices(relabel.relabel_window, relabel.relabel_every)
    return MatchNow(load_index(memory), memory, source_id, tracker, turns, frame_gap, voices)


def defer(active: bool, memory: Memory, source_id: str, tracker: FaceTracker | None, turns: Turns,
          frame_gap: float) -> EntityRecorder:
    """The session is one of a batch's workers: the batch writer matches and indexes."""
    if not active:
        return NoEntities(owns_indexes=False)
    return Deferred(tracker, turns, frame_gap)
