"""A live session's voices relabelled with the session in view (consolidate/relabel.py), without
a model: voice turns as the speaker model would hand them (unit vectors around each speaker's
voice), matched online by the live recorder into a real LanceDB memory, then re-clustered."""

from __future__ import annotations

import numpy as np
import pytest

from mmem.consolidate import people as ops
from mmem.consolidate.entities import Appearance, Entity
from mmem.consolidate.recorders import MatchNow, Turns
from mmem.consolidate.relabel import SessionVoices
from mmem.store.journal import pending
from mmem.store.memory import Memory
from mmem.store.rows import SourceRow
from mmem.views.speakers import speaker_turns

SID, RUN, DIM = "live-x", "r", 32


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def axes() -> tuple[np.ndarray, np.ndarray]:
    """Two voices 60 degrees apart (cosine 0.5: clearly two people to a clustering)."""
    a, b = np.zeros(DIM), np.zeros(DIM)
    a[0], b[0], b[1] = 1.0, 0.5, np.sqrt(0.75)
    return a, b


def turn(v: np.ndarray, rng: np.random.Generator, start: float, noise: float = 0.25) -> Appearance:
    e = unit(v + noise * unit(rng.normal(size=DIM)))
    return Appearance("voice", e, start, start + 3.0, quality=3.0, score=1.0, windows=4)


def conversation(seed: int = 0) -> list[tuple[str, Appearance]]:
    """A talks, then B, whose first two turns sound a little like A (cosine 0.81 to A's voice:
    close enough to join A's entity when matched alone), then they alternate."""
    rng = np.random.default_rng(seed)
    a, b = axes()
    first = [("A", a), ("B", 0.7 * a + b), ("A", a), ("B", 0.7 * a + b)]
    out = [(who, Appearance("voice", unit(v + 0.05 * unit(rng.normal(size=DIM))), 3.5 * i, 3.5 * i + 3.0,
                            quality=3.0, score=1.0, windows=4)) for i, (who, v) in enumerate(first)]
    for i in range(8):
        who = "AB"[i % 2]
        out.append((who, turn(a if who == "A" else b, rng, 14.0 + 3.5 * i)))
    return out


def open_memory(path) -> Memory:
    mem = Memory.open(path, create=True)
    mem.put_source(SourceRow(id=SID, uri="webcam:0", kind="live", duration=0.0, status="live", run=RUN,
                             channels=[], skipped=[], model_ids=[]))
    return mem


def recorder(mem: Memory, window: int = 400, every: int = 1000) -> MatchNow:
    return MatchNow(ops.load_index(mem), mem, SID, None, Turns([], SID), 1.0, SessionVoices(window, every))


def hear(rec: MatchNow, mem: Memory, talk: list[tuple[str, Appearance]]) -> None:
    """Each turn in an event of its own, written as it closes (a live session's write_every=1)."""
    for i, (_, app) in enumerate(talk):
        rec.appear(f"{SID}-{RUN}-{i:05d}", [], [app], [], 0)
        rec.flush(mem, RUN)


def who_is_who(mem: Memory, talk: list[tuple[str, Appearance]]) -> dict[str, set[str]]:
    """The true speaker -> the entities its turns are stored under (read as `transcript` does)."""
    by_start = {app.start: who for who, app in talk}
    out: dict[str, set[str]] = {}
    for t in speaker_turns(mem, [SID]):
        out.setdefault(by_start[t.start], set()).add(t.entity)
    return out


def test_two_speakers_merged_online_are_separated_by_the_relabel(tmp_path):
    mem = open_memory(tmp_path / "db")
    talk = conversation()
    rec = recorder(mem)
    hear(rec, mem, talk)
    online = who_is_who(mem, talk)
    assert len(online["A"]) == 1 and online["A"] < online["B"]  # the first voice absorbed the next's
    rec.settle(mem)
    after = who_is_who(mem, talk)
    assert len(after["A"]) == 1 and len(after["B"]) == 1 and after["A"] != after["B"]
    assert rec.relabelled == 2 and pending(mem.root) is None
    assert after["A"] == online["A"]  # the entity that held most of A's speech keeps it
    ents = {r.id: r for r in mem.entity_rows()}
    assert set(ents) == after["A"] | after["B"]
    a, b = axes()
    ea, eb = (ops.load_index(mem).entities[next(iter(after[k]))] for k in "AB")
    moved = [app.embedding for who, app in talk[:4] if who == "B"]
    assert len(ea.exemplars) == 6 and len(eb.exemplars) == 6  # the moved turns' exemplars went along
    assert all(any(np.array_equal(m, x) for x in eb.exemplars) for m in moved)
    assert all(float(x @ unit(a)) > float(x @ unit(b)) for x in ea.exemplars)
    rec.settle(mem)  # nothing new: nothing moves
    assert who_is_who(mem, talk) == after and rec.relabelled == 2


def test_a_speaker_wholly_absorbed_online_founds_an_entity_of_its_own(tmp_path, monkeypatch):
    from mmem.consolidate import entities

    mem = open_memory(tmp_path / "db")
    talk = conversation()
    rec = recorder(mem)
    monkeypatch.setattr(entities, "VOICE_COSINE", 0.0)  # matched alone, everyone is the first voice
    hear(rec, mem, talk)
    monkeypatch.undo()
    online = who_is_who(mem, talk)
    assert online["A"] == online["B"] and len(online["A"]) == 1
    rec.settle(mem)
    after = who_is_who(mem, talk)
    assert after["A"] == online["A"] and len(after["B"]) == 1 and after["A"] != after["B"]
    assert {r.id for r in mem.entity_rows()} == after["A"] | after["B"] and rec.relabelled == 6


def test_relabels_run_as_turns_come_and_new_turns_go_to_the_corrected_speaker(tmp_path):
    mem = open_memory(tmp_path / "db")
    talk = conversation()
    rec = recorder(mem, every=6)
    hear(rec, mem, talk)  # 12 turns: relabelled after the 6th and the 12th
    after = who_is_who(mem, talk)
    assert len(after["A"]) == 1 and len(after["B"]) == 1 and after["A"] != after["B"]
    assert rec.voices is not None and rec.voices.fresh == 0


def test_an_interrupted_relabel_is_finished_by_the_next_writer(tmp_path, monkeypatch):
    reference = open_memory(tmp_path / "ref")
    talk = conversation()
    rec = recorder(reference)
    hear(rec, reference, talk)
    rec.settle(reference)
    expected = who_is_who(reference, talk)

    mem = open_memory(tmp_path / "db")
    rec = recorder(mem)
    hear(rec, mem, talk)
    real = Memory.move_appearances

    def crash(self, ids, to_id):
        real(self, ids[:1], to_id)  # one row moved, then the process dies
        raise KeyboardInterrupt

    monkeypatch.setattr(Memory, "move_appearances", crash)
    with pytest.raises(KeyboardInterrupt):
        rec.settle(mem)
    assert pending(mem.root) is not None
    monkeypatch.setattr(Memory, "move_appearances", real)
    reopened = Memory.open(mem.root, write=True)  # the next writer finishes the relabel first
    assert pending(reopened.root) is None
    assert who_is_who(reopened, talk) == expected


def test_a_named_entity_keeps_its_name_and_its_own_speaker(tmp_path):
    """Alice was named in an earlier session; today B's first turn was taken for her."""
    mem = open_memory(tmp_path / "db")
    a, _ = axes()
    alice = Entity(id=mem.new_entity_id(), kind="voice", exemplars=[unit(a)], name="Alice")
    ops.save(mem, [alice])
    talk = conversation()
    rec = recorder(mem)
    hear(rec, mem, talk)
    online = who_is_who(mem, talk)
    assert online["A"] == {alice.id} and alice.id in online["B"]
    rec.settle(mem)
    after = who_is_who(mem, talk)
    names = {r.id: r.name for r in mem.entity_rows()}
    assert after["A"] == {alice.id} and names[alice.id] == "Alice"
    [b] = after["B"]
    assert b != alice.id and names[b] is None
    assert {t.label for t in speaker_turns(mem, [SID])} == {"Alice", b}


@pytest.mark.parametrize("named_both", [False, True])
def test_a_split_speaker_is_folded_back_and_its_name_goes_with_it(tmp_path, named_both):
    """One speaker whose second turn sounded unlike the first founded a second entity online,
    which a user had named; re-clustered, the turns are one speaker: the emptied entity is
    removed and its name kept on the entity that took its turns (unless that one has a name of
    its own: then both stay)."""
    mem = open_memory(tmp_path / "db")
    a, _ = axes()
    x, y = np.zeros(DIM), np.zeros(DIM)
    x[5], y[6] = 1.0, 1.0
    talk = [("A", Appearance("voice", unit(a + 0.55 * x), 0.0, 3.0, 3.0, score=1.0, windows=4)),
            ("A", Appearance("voice", unit(a + 0.55 * y), 4.0, 7.0, 3.0, score=1.0, windows=4)),
            ("A", Appearance("voice", unit(a), 8.0, 11.0, 3.0, score=1.0, windows=4))]
    rec = recorder(mem)
    hear(rec, mem, talk)
    split = sorted({t.entity for t in speaker_turns(mem, [SID])})
    assert len(split) == 2
    rec.index.entities[split[1]].name = "Carol"  # as `mmem entities name` would have saved it
    if named_both:
        rec.index.entities[split[0]].name = "Dora"
    ops.save(mem, [rec.index.entities[e] for e in split])
    rec.voices.fresh += 1  # type: ignore[union-attr]
    rec.settle(mem)
    ents = {r.id: r for r in mem.entity_rows()}
    assert who_is_who(mem, talk) == {"A": {split[0]}}
    if named_both:  # no name a user gave is lost: the emptied entity stays, as it was
        assert {e: r.name for e, r in ents.items()} == {split[0]: "Dora", split[1]: "Carol"}
    else:
        assert set(ents) == {split[0]} and ents[split[0]].name == "Carol"


def test_a_face_linked_through_a_mislabelled_turn_follows_the_corrected_voice(tmp_path):
    """Each speaker is alone on screen while talking. Online, B's first turns went to A's voice,
    so B's face joined A's person; relabelled, the two people come apart again."""
    mem = open_memory(tmp_path / "db")
    talk = conversation()
    rec = recorder(mem)
    faces = {}
    for who in "AB":
        x = np.zeros(DIM, np.float32)
        x["AB".index(who)] = 1.0
        first = Appearance("face", x, 0.0, 0.1, quality=1.0, frames=frozenset({-1}))
        [faces[who]] = rec.index.assign([first])
    for i, (who, app) in enumerate(talk):
        seen = Appearance("face", faces[who].exemplars[0], app.start, app.end, quality=1.0)
        rec.appear(f"{SID}-{RUN}-{i:05d}", [(seen, faces[who])], [app], [], 0)
        rec.flush(mem, RUN)

    def persons() -> set[frozenset[str]]:
        groups: dict[str, set[str]] = {}
        for r in mem.entity_rows():
            groups.setdefault(r.person or r.id, set()).add(r.id)
        return {frozenset(g) for g in groups.values()}

    assert len(persons()) == 1  # online: both faces and both voices one person
    rec.settle(mem)
    voices = who_is_who(mem, talk)
    assert persons() == {frozenset({faces[k].id, *voices[k]}) for k in "AB"}


def test_the_session_keeps_a_bounded_window_of_turns(tmp_path):
    mem = open_memory(tmp_path / "db")
    talk = conversation()
    rec = recorder(mem, window=5, every=3)
    voices = rec.voices
    assert voices is not None
    for i, (_, app) in enumerate(talk):
        rec.appear(f"{SID}-{RUN}-{i:05d}", [], [app], [], 0)
        assert len(voices.turns) == min(i + 1, 5)
        assert voices.due == (voices.fresh >= 3)
        rec.flush(mem, RUN)  # relabels when due
    assert [h.turn.start for h in voices.turns] == [app.start for _, app in talk[-5:]]


def test_a_files_clustered_speakers_are_not_kept_for_relabelling(tmp_path):
    mem = open_memory(tmp_path / "db")
    rec = recorder(mem, every=1)
    app = conversation()[0][1]
    grouped = Appearance("voice", app.embedding, 0.0, 3.0, 3.0, score=1.0, group="file#0", windows=4)
    rec.index.groups["file#0"] = None
    rec.appear(f"{SID}-{RUN}-00000", [], [grouped], [], 0)
    assert rec.voices is not None and not rec.voices.turns


def test_a_live_session_relabels_its_voices_by_the_end(tmp_path):
    """The wiring: a LiveSession over a growing speech track (turns appended as a listener
    would) matches each turn as its event closes, then relabels when it finishes."""
    import dataclasses
    from datetime import datetime, timezone
    from pathlib import Path

    from mmem.config import IngestConfig
    from mmem.perceive.audio_track import AudioTrack
    from mmem.perceive.people_channel import People
    from mmem.perceive.vision import Vision
    from mmem.perceive.voices import VoiceTurn
    from mmem.reports import IngestReport
    from mmem.session_live import LiveSession
    from mmem.sources.file import MediaInfo
    from mmem.types import Clock, Frame
    from tests.fakes import FakeVoices

    base = IngestConfig()
    segment = dataclasses.replace(base.segment, min_duration=1.0, max_duration=4.0)
    cfg = dataclasses.replace(base, segment=segment,
                              entities=dataclasses.replace(base.entities, relabel_every=100))  # at the end
    mem = open_memory(tmp_path / "db")
    mem.ensure_dim(4)
    track = AudioTrack()
    talk = conversation()
    info = MediaInfo(Path("mic"), 0.0, 1.0, 0, 0, 0, "mic", has_audio=True, has_video=False)
    job = LiveSession(info, mem, cfg, Vision(None, None, 4), None, People(None, FakeVoices()),
                      IngestReport(source_id=SID, uri="mic", status="ingesting"), RUN,
                      clock=Clock(datetime.now(timezone.utc), 1.0), track=track)
    end = int(talk[-1][1].end) + 2
    for t in range(end):
        track.turns.extend(VoiceTurn(a.start, a.end, a.embedding, a.windows) for _, a in talk
                           if t - 1 < a.end <= t)  # heard once it is over
        job.process([Frame(t, float(t), None)])  # type: ignore[arg-type]
        job.catch_up()
    assert len(who_is_who(mem, talk)["B"]) == 2  # matched alone: B's first turns went to A
    job.finish(float(end))
    after = who_is_who(mem, talk)
    assert len(after["A"]) == 1 and len(after["B"]) == 1 and after["A"] != after["B"]
    assert job.relabelled == 2
