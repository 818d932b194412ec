"""Entity clustering and entity operations without models: invariants, co-occurrence, bounded
exemplars, linking, journaled merge/split/forget on a real LanceDB memory, and name lookup."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from mmem.consolidate import people as ops
from mmem.consolidate.entities import MAX_EXEMPLARS, Appearance, Entity, EntityIndex, add_exemplar
from mmem.errors import InputError
from mmem.store.journal import pending
from mmem.store.memory import Memory
from mmem.store.rows import AppearanceRow, SourceRow, UtteranceRow


def ids():
    counter = itertools.count(1)
    return lambda: f"E{next(counter)}"


def face(centre: np.ndarray, rng, frames=(), start=0.0, noise=0.02) -> Appearance:
    return Appearance("face", (centre + noise * rng.normal(size=centre.size)).astype(np.float32),
                      start, start + 2, quality=1.0, frames=frozenset(frames))


def voice(centre: np.ndarray, rng, start=0.0, end=2.0) -> Appearance:
    v = centre + 0.1 * rng.normal(size=centre.size)
    return Appearance("voice", (v / np.linalg.norm(v)).astype(np.float32), start, end, quality=1.0)


def people(n: int, dim: int, rng, scale: float = 1.0) -> list[np.ndarray]:
    return [rng.normal(size=dim) * scale for _ in range(n)]


def partition(index: EntityIndex, apps: list[Appearance], assigned: list[Entity]) -> set[frozenset[int]]:
    groups: dict[str, set[int]] = {}
    for i, e in enumerate(assigned):
        groups.setdefault(e.id, set()).add(i)
    return {frozenset(g) for g in groups.values()}


def test_clusters_do_not_depend_on_the_order_of_arrival():
    rng = np.random.default_rng(0)
    centres = people(4, 128, rng, scale=0.15)  # faces 128-d, ~1.0 apart, like dlib's
    apps = [face(centres[i % 4], rng, start=i) for i in range(20)]
    results = []
    for order in (range(20), reversed(range(20)), rng.permutation(20)):
        index = EntityIndex([], ids())
        assigned: list[Entity | None] = [None] * 20
        for i in order:
            assigned[i] = index.assign([apps[i]])[0]
        assert len(index.entities) == 4
        results.append(partition(index, apps, assigned))  # type: ignore[arg-type]
    assert results[0] == results[1] == results[2] == {frozenset(range(k, 20, 4)) for k in range(4)}


def test_two_faces_in_one_frame_are_never_one_entity():
    rng = np.random.default_rng(1)
    twin = rng.normal(size=128) * 0.15
    index = EntityIndex([], ids())
    a, b = face(twin, rng, frames={3, 4}), face(twin, rng, frames={4, 5})  # look alike, seen together
    ea, eb = index.assign([a, b])
    assert ea.id != eb.id
    c = face(twin, rng, frames={7})  # later, alone: joins one of them, founds nothing new
    index.assign([c])
    assert len(index.entities) == 2


def test_exemplars_stay_bounded_and_diverse():
    rng = np.random.default_rng(2)
    ent = Entity("E1", "face", [])
    for _ in range(200):
        add_exemplar(ent, (rng.normal(size=128) * 0.1).astype(np.float32))
    assert len(ent.exemplars) == MAX_EXEMPLARS["face"]
    v = Entity("E2", "voice", [])
    for _ in range(200):
        add_exemplar(v, rng.normal(size=8).astype(np.float32))
    assert len(v.exemplars) == MAX_EXEMPLARS["voice"]


def test_a_face_speaking_alone_links_to_its_voice_and_a_crowd_does_not():
    rng = np.random.default_rng(3)
    index = EntityIndex([], ids())
    alice_face, alice_voice = rng.normal(size=128) * 0.15, rng.normal(size=32)
    bob_face = rng.normal(size=128) * 0.15
    fa = face(alice_face, rng, frames={1, 2}, start=0.0)
    fb = face(bob_face, rng, frames={1, 2}, start=0.0)
    v = voice(alice_voice, rng, 0.5, 2.5)
    faces = list(zip([fa, fb], index.assign([fa, fb])))
    voices = list(zip([v], index.assign([v])))
    index.link(faces, voices)  # two faces on screen: who spoke is unknown
    assert len({e.person for e in index.entities.values()}) == 3
    fa2, v2 = face(alice_face, rng, frames={9}, start=10.0), voice(alice_voice, rng, 10.2, 11.9)
    index.link(list(zip([fa2], index.assign([fa2]))), list(zip([v2], index.assign([v2]))))
    ents = list(index.entities.values())
    assert len(ents) == 3
    alice = [e for e in ents if e.kind == "voice"][0]
    assert alice.person == faces[0][1].id and faces[1][1].person == faces[1][1].id


# -- operations on a real memory -------------------------------------------------------------
@pytest.fixture
def memory(tmp_path):
    rng = np.random.default_rng(4)
    mem = Memory.open(tmp_path / "db", create=True)
    mem.put_source(SourceRow(id="src", uri="/v/a.mp4", kind="file", duration=60.0, status="complete",
                             run="r", content_hash="h", channels=[], skipped=[], model_ids=[]))
    index = EntityIndex([], mem.new_entity_id)
    apps, rows = [], []
    for n, centre in enumerate(people(3, 128, rng, scale=0.15)):
        for k in range(2):
            app = face(centre, rng, frames={n * 10 + k}, start=n * 10 + k)
            [ent] = index.assign([app])
            ent.name = "Alice" if n == 0 else None
            apps.append(app)
            rows.append(AppearanceRow(id=f"a{n}{k}", entity_id=ent.id, origin_entity=ent.id, source_id="src",
                                      event_id=f"src-r-{n:05d}", kind="face", start=app.start, end=app.end,
                                      score=1.0, embedding=app.embedding.tolist(),
                                      thumbnail=f"entities/{ent.id}/a{n}{k}.jpg"))
            (mem.root / "entities" / ent.id).mkdir(parents=True, exist_ok=True)
            (mem.root / "entities" / ent.id / f"a{n}{k}.jpg").write_bytes(b"\xff\xd8")
    ops.save(mem, list(index.entities.values()))
    mem.add_appearances(rows, "r")
    return mem


def state(mem: Memory) -> dict:
    return {r.id: (r.kind, r.name, r.person, len(r.exemplars or [])) for r in mem.entity_rows()} | {
        "apps": sorted((a.id, a.entity_id) for a in mem.appearances())}


def test_merge_then_split_restores_the_memory_exactly(memory):
    before = state(memory)
    ops.merge(memory, "E1", "E2")
    merged = state(memory)
    assert "E2" not in merged and merged["E1"][3] == 4
    assert [e for _, e in merged["apps"]].count("E1") == 4
    ops.split(memory, "E1")
    assert state(memory) == before


def test_merging_into_the_later_entity_lists_the_survivor_by_its_own_id(memory):
    """`entities merge E2 E1` keeps E2: the listing must not show the E1 that is gone."""
    from mmem.views.people import people_view

    before = state(memory)
    ops.merge(memory, "E2", "E1")
    merged = state(memory)
    assert "E1" not in merged and merged["E2"][2] == "E2" and merged["E2"][3] == 4
    listed = [p.id for p in people_view(memory).people]
    assert "E2" in listed and "E1" not in listed
    ops.split(memory, "E2")
    assert state(memory) == before


def test_an_interrupted_merge_is_finished_by_the_next_command(memory, monkeypatch):
    reference = None
    real = Memory.delete_entities

    def crash(self, ids):
        raise KeyboardInterrupt  # the process dies between two table writes

    monkeypatch.setattr(Memory, "delete_entities", crash)
    with pytest.raises(KeyboardInterrupt):
        ops.merge(memory, "E1", "E2")
    assert pending(memory.root) is not None
    monkeypatch.setattr(Memory, "delete_entities", real)
    reopened = Memory.open(memory.root, write=True)  # the next writer finishes the operation first
    index = ops.load_index(reopened)
    assert pending(reopened.root) is None and "E2" not in index.entities
    reference = state(reopened)
    assert [e for _, e in reference["apps"]].count("E1") == 4


def test_forget_deletes_embeddings_and_crops(memory):
    ops.forget(memory, "alice")
    assert "E1" not in {r.id for r in memory.entity_rows()}
    assert all(a.entity_id != "E1" for a in memory.appearances(with_embeddings=True))
    assert not (memory.root / "entities" / "E1").exists()


def test_names_apply_to_the_whole_person_and_are_found_in_questions(memory):
    ops.merge(memory, "E1", "E3")
    ops.name(memory, "E1", "Alice Smith")
    index = ops.load_index(memory)
    assert ops.resolve(index, "alice smith").id == "E1"
    assert ops.mentioned(index, "When did Alice Smith mention the budget?") == {"E1"}
    assert ops.mentioned(index, "what did e2 say?") == {"E2"}
    assert ops.mentioned(index, "what happened at noon") == set()


@pytest.mark.parametrize("call, match", [
    (lambda m: ops.merge(m, "E1", "e1"), "same entity"),
    (lambda m: ops.name(m, "E1", "   "), "name is empty"),
    (lambda m: ops.name(m, "E99", "Bob"), "no entity"),
    (lambda m: ops.forget(m, "nobody"), "no entity"),
    (lambda m: ops.split(m, "E3"), "never merged"),
])
def test_bad_entity_requests_change_nothing(memory, call, match):
    before = state(memory)
    with pytest.raises(InputError, match=match):
        call(memory)
    assert state(memory) == before and pending(memory.root) is None
    assert json.loads(json.dumps(before))  # the state is plain data


# -- readers never write -----------------------------------------------------------------------
def _versions(mem: Memory) -> dict:
    names = ("sources", "events", "transcripts", "entities", "appearances")
    return {n: t.version for n in names if (t := mem._table(n)) is not None}


def test_readers_answer_from_a_memory_with_a_pending_journal_without_writing(memory, monkeypatch):
    from typer.testing import CliRunner

    from mmem.cli import app
    from mmem.recall.answer import Recall, ask
    from mmem.store._util import write_json
    from mmem.store.journal import JOURNAL

    memory.add_transcripts([UtteranceRow(id="src-r-00000-u000", source_id="src", event_id="src-r-00000",
                                         start=0.0, end=2.0, text="Alice talks about the budget",
                                         norm="alice talks about the budget", words="[]", language="en",
                                         confidence=0.9)], "r", dim=4)
    rows = [r.to_dict() for r in memory.entity_rows() if r.id == "E1"]
    write_json(memory.root / JOURNAL, {"op": "merge", "keep": "E1", "drop": "E2", "rows": rows})
    before = _versions(memory)

    def no_write(*args, **kwargs):
        raise AssertionError("a reader wrote to the memory")

    for method in ("put_entities", "delete_entities", "reassign_appearances", "delete_appearances",
                   "set_meta", "put_source", "update_source", "drop_runs", "add_appearances"):
        monkeypatch.setattr(Memory, method, no_write)
    reader = Memory.open(memory.root)
    answer = ask(reader, Recall(), "what did Alice say about the budget?")
    assert answer.channels == ["entity", "speech"]
    runner = CliRunner()
    listed = runner.invoke(app, ["entities", "--json", "--db", str(memory.root)])
    assert listed.exit_code == 0, listed.output
    assert {e["id"] for e in json.loads(listed.output)["entities"]} == {"E1", "E2", "E3"}
    shown = runner.invoke(app, ["entities", "show", "E2", "--json", "--db", str(memory.root)])
    assert shown.exit_code == 0, shown.output
    assert (memory.root / JOURNAL).exists() and _versions(Memory.open(memory.root)) == before


def test_ask_limited_to_a_live_session_still_ranks_the_events_a_person_is_in(tmp_path):
    """Source ids are opaque: a live session's id has dashes (live-...), so the entity ranking
    must use the appearance's source id, not a prefix of the event id."""
    from mmem.recall.answer import Recall, ask
    from mmem.types import EventRecord

    rng = np.random.default_rng(5)
    sid, eid = "live-0123456789ab", "live-0123456789ab-r-00000"
    mem = Memory.open(tmp_path / "db", create=True)
    mem.put_source(SourceRow(id=sid, uri="webcam:0", kind="live", status="complete", run="r",
                             channels=[], skipped=[], model_ids=[]))
    mem.ensure_dim(4)
    mem.add_events([EventRecord(id=eid, source_id=sid, seq=0, start=0.0, end=5.0, started_at=None,
                                vector=None, centroids=None, centroid_weights=np.array([1], np.float32),
                                centroid_times=np.array([1.0], np.float32), surprise=0.0, keyframes=[],
                                n_frames=1)], "r")
    mem.add_transcripts([UtteranceRow(id=f"{eid}-u000", source_id=sid, event_id=eid, start=0.0, end=2.0,
                                      text="good morning", norm="good morning", words="[]")], "r", dim=4)
    index = EntityIndex([], mem.new_entity_id)
    [alice] = index.assign([face(people(1, 128, rng)[0], rng, frames={0})])
    alice.name = "Alice"
    ops.save(mem, [alice])
    mem.add_appearances([AppearanceRow(id=f"{eid}-a00", entity_id=alice.id, origin_entity=alice.id,
                                       source_id=sid, event_id=eid, kind="face", start=0.0, end=4.0,
                                       score=1.0)], "r")
    for only in (None, [sid]):
        answer = ask(mem, Recall(), "when was Alice here?", source_ids=only)
        assert [m.event_id for m in answer.moments] == [eid]
        assert answer.moments[0].entities == [{"id": alice.id, "name": "Alice", "kind": "face"}]
    assert ask(mem, Recall(), "when was Alice here?", source_ids=["other"]).moments == []


def test_voices_of_two_speaker_models_are_never_matched_and_merge_as_a_linked_person(tmp_path):
    """A memory built with Resemblyzer (256-d voices) meets CAM++ voices (192-d): a new voice
    founds its own entity rather than being compared with vectors of another model, and
    `entities merge` of the two links them into one person instead of pooling their vectors."""
    rng = np.random.default_rng(7)
    mem = Memory.open(tmp_path / "db", create=True)
    index = EntityIndex([], mem.new_entity_id)
    [old] = index.assign([voice(rng.normal(size=256), rng)])
    [new] = index.assign([voice(rng.normal(size=192), rng, start=5.0, end=7.0)])
    assert old.id != new.id and len(index.entities) == 2
    ops.save(mem, list(index.entities.values()))
    before = state(mem)
    kept = ops.merge(mem, new.id, old.id)
    after = state(mem)
    assert set(after) - {"apps"} == {old.id, new.id}  # both stay, with their own vectors
    assert after[old.id][2] == after[new.id][2] == kept.person
    ops.split(mem, new.id)
    assert state(mem) == before
