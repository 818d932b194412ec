"""Memory you can trust, without models: one writer at a time, deletion that leaves no byte of
what was forgotten in any file, orphans of crashed runs swept, storage faults as one line."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

from mmem.consolidate import people as ops
from mmem.consolidate.entities import EntityIndex
from mmem.consolidate.forgetting import forget_sources, select_sources
from mmem.errors import InputError, StoreError
from mmem.store.faults import storage_faults
from mmem.store.lock import MemoryBusy
from mmem.store.memory import Memory
from mmem.store.rows import AppearanceRow, SourceRow
from mmem.store.sweep import orphans
from tests.unit.test_entities import face, people


def _source(sid: str, when: str = "2026-01-01T00:00:00+00:00") -> SourceRow:
    return SourceRow(id=sid, uri=f"/v/{sid}.mp4", kind="file", duration=60.0, status="complete", run="r",
                     content_hash=sid, channels=[], skipped=[], model_ids=[], ingested_at=when)


@pytest.fixture
def memory(tmp_path):
    """Three people; Alice (E1) and Bob (E2) in source a, Bob and Carol (E3) in source b."""
    rng = np.random.default_rng(7)
    mem = Memory.open(tmp_path / "db", create=True)
    mem.put_source(_source("a", "2026-01-01T00:00:00+00:00"))
    mem.put_source(_source("b", "2026-06-01T00:00:00+00:00"))
    index = EntityIndex([], mem.new_entity_id)
    rows = []
    plan = [(0, "a"), (0, "a"), (1, "a"), (1, "b"), (2, "b"), (2, "b")]
    centres = people(3, 128, rng, scale=0.15)
    for k, (n, sid) in enumerate(plan):
        app = face(centres[n], rng, frames={k}, start=float(k))
        [ent] = index.assign([app])
        rel = f"entities/{ent.id}/x{k}.jpg"
        (mem.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (mem.root / rel).write_bytes(b"\xff\xd8crop" + app.embedding.tobytes()[:64])
        rows.append(AppearanceRow(id=f"x{k}", entity_id=ent.id, origin_entity=ent.id, source_id=sid,
                                  event_id=f"{sid}-r-00000", kind="face", start=app.start, end=app.end,
                                  score=1.0, embedding=app.embedding.tolist(), thumbnail=rel))
    ops.save(mem, list(index.entities.values()))
    mem.add_appearances(rows, "r")
    return mem


def _vectors(mem: Memory, entity_id: str) -> list[np.ndarray]:
    """Every float32 vector the memory holds about an entity (centre, exemplars, appearances)."""
    out = []
    for r in mem.entity_rows():
        if r.id == entity_id:
            out += [np.asarray(r.centre, np.float32)] + [np.asarray(x, np.float32) for x in r.exemplars or []]
    out += [np.asarray(a.embedding, np.float32) for a in mem.appearances([entity_id], with_embeddings=True)]
    return out


def _files_holding(root: Path, vectors: list[np.ndarray]) -> list[str]:
    needles = [v.tobytes()[:64] for v in vectors]  # 16 float32s: no accident matches them
    hits = []
    for folder, _, files in os.walk(root):
        for f in files:
            data = (Path(folder) / f).read_bytes()
            if any(n in data for n in needles):
                hits.append(str(Path(folder, f).relative_to(root)))
    return hits


def test_forgetting_an_entity_leaves_no_byte_of_it_in_any_file(memory):
    ops.merge(memory, "E1", "E3")  # E1's history now holds a copy of E3's rows
    ops.split(memory, "E1")
    ops.name(memory, "E2", "Bob")  # more versions of the tables, each holding the vectors
    vectors = _vectors(memory, "E1")
    assert len(vectors) >= 3 and _files_holding(memory.root, vectors)
    ops.forget(memory, "E1")
    assert _files_holding(memory.root, vectors) == []
    assert "E1" not in {r.id for r in memory.entity_rows()}
    assert not (memory.root / "entities" / "E1").exists()
    assert {r.id for r in memory.entity_rows()} == {"E2", "E3"}  # the others are kept, whole
    assert len(memory.appearances(["E2", "E3"])) == 4


def test_forgetting_a_source_takes_its_people_only_it_showed(memory):
    alice, bob = _vectors(memory, "E1"), _vectors(memory, "E2")
    bob_in_a = [np.asarray(a.embedding, np.float32) for a in memory.appearances(["E2"], with_embeddings=True)
                if a.source_id == "a"]
    done = forget_sources(memory, select_sources(memory, "a", None))
    assert [s.id for s in done.sources] == ["a"] and done.entities == ["E1"] and done.changed == ["E2"]
    assert [s.id for s in memory.sources()] == ["b"]
    assert _files_holding(memory.root, alice + bob_in_a) == []
    assert _files_holding(memory.root, [bob[-1]])  # Bob as seen in b is kept
    assert {a.source_id for a in memory.appearances(with_embeddings=True)} == {"b"}
    assert sorted(p.name for p in (memory.root / "entities").rglob("*.jpg")) == ["x3.jpg", "x4.jpg", "x5.jpg"]


def test_forget_before_a_date_selects_by_when_ingested(memory):
    from datetime import datetime, timezone

    chosen = select_sources(memory, None, datetime(2026, 3, 1, tzinfo=timezone.utc))
    assert [s.id for s in chosen] == ["a"]


def test_the_next_writer_sweeps_what_a_crashed_run_left(memory):
    rng = np.random.default_rng(1)
    ghost = face(rng.normal(size=128) * 0.15, rng)
    # a run that never committed: its appearance (of an entity never saved) and crop, a stale
    # run's appearance of a known entity, and a keyframe no event points at
    memory.add_appearances([
        AppearanceRow(id="g1", entity_id="E9", origin_entity="E9", source_id="a", event_id="a-r-1",
                      kind="face", start=0, end=1, score=1.0, embedding=ghost.embedding.tolist(),
                      thumbnail="entities/E9/g1.jpg")], "r")
    memory.add_appearances([
        AppearanceRow(id="g2", entity_id="E1", origin_entity="E1", source_id="a", event_id="a-old-1",
                      kind="face", start=0, end=1, score=1.0, embedding=ghost.embedding.tolist(),
                      thumbnail="entities/E1/g2.jpg")], "old")
    for rel in ("entities/E9/g1.jpg", "entities/E1/g2.jpg", "keyframes/a/a-old-00000_1.00.jpg"):
        (memory.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (memory.root / rel).write_bytes(b"\xff\xd8")
    found = orphans(memory)
    assert found.rows["appearances"] == 2 and sorted(found.files) == [
        "entities/E1/g2.jpg", "entities/E9/g1.jpg", "keyframes/a/a-old-00000_1.00.jpg"]
    memory.close()
    writer = Memory.open(memory.root, write=True)
    assert orphans(writer).empty
    assert not (writer.root / "entities" / "E9").exists()
    assert len(writer.appearances()) == 6  # what was committed is all there


# -- faults as one line --------------------------------------------------------------------------
@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "disk is full"), (errno.EROFS, "read-only"),
                                         (errno.EACCES, "permission denied")])
def test_storage_faults_become_one_line_naming_the_fix(tmp_path, code, words):
    with pytest.raises(StoreError, match=words), storage_faults(tmp_path):
        raise OSError(code, os.strerror(code))
    lance_said = RuntimeError(f"LanceError(IO): Generic LocalFileSystem error: {os.strerror(code)} "
                              f"(os error {code})")
    with pytest.raises(StoreError, match=words), storage_faults(tmp_path):
        raise lance_said


def test_a_writer_on_a_read_only_folder_is_one_line(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes to a read-only folder; tests/faults uses a read-only mount")
    db = tmp_path / "db"
    Memory.open(db, create=True).close()
    (db / "writer.lock").unlink()
    db.chmod(0o555)
    try:
        with pytest.raises(StoreError, match="permission denied"):
            Memory.open(db, write=True)
    finally:
        db.chmod(0o755)


@pytest.mark.parametrize("fps", [float("inf"), float("nan"), -1.0, 0.0])
def test_fps_must_be_finite_and_positive(fps):
    import dataclasses

    from mmem.config import IngestConfig, SourceConfig, validate

    with pytest.raises(InputError, match="--fps must be > 0"):
        validate(dataclasses.replace(IngestConfig(), source=SourceConfig(fps=fps)))


def test_busy_is_a_store_error_with_exit_2():
    assert issubclass(MemoryBusy, StoreError) and MemoryBusy("x").exit_code == 2


# -- object stores: the lease ----------------------------------------------------------------------
class _Object:
    """One object of a fake store, used like an ObjectPath."""

    store: dict[str, str] = {}

    def __init__(self, key: str) -> None:
        self.key = key

    def __truediv__(self, other: str) -> _Object:
        return _Object(f"{self.key}/{other}")

    def __str__(self) -> str:
        return f"s3://{self.key}"

    def read_text(self) -> str:
        if self.key not in self.store:
            raise FileNotFoundError(self.key)
        return self.store[self.key]

    def write_text(self, text: str) -> None:
        self.store[self.key] = text

    def unlink(self, missing_ok: bool = False) -> None:
        self.store.pop(self.key, None)


def test_an_object_store_lease_refuses_a_second_writer_until_released_or_expired(monkeypatch):
    import json
    from datetime import datetime, timedelta, timezone

    from mmem.store import lock

    root = _Object("bucket/memory")
    first = lock.WriterLock(root, "mmem ingest a.mp4")
    first.acquire()
    lock.WriterLock(root, "mmem entities name").acquire()  # the same process shares its lease
    monkeypatch.setattr(lock, "_LEASES", {})  # from here on, as another process
    with pytest.raises(MemoryBusy, match="mmem ingest a.mp4"):
        lock.WriterLock(root, "mmem batch").acquire()
    assert lock.holder(root)["command"] == "mmem ingest a.mp4"
    first.release()
    assert lock.holder(root) is None
    second = lock.WriterLock(root, "mmem batch")
    second.acquire()
    # a holder killed without releasing: its lease runs out, then the next writer gets it
    lease = json.loads(_Object.store["bucket/memory/writer.lease"])
    lease["expires"] = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
    second._lease._stop.set()
    _Object.store["bucket/memory/writer.lease"] = json.dumps(lease)
    monkeypatch.setattr(lock, "_LEASES", {})  # and a third process
    third = lock.WriterLock(root, "mmem forget")
    third.acquire()
    assert lock.holder(root)["command"] == "mmem forget"
    third.release()


def test_an_object_store_that_refuses_is_one_line():
    from mmem.store.faults import explain

    refused = RuntimeError("LanceError(IO): Generic S3 error: 403 Forbidden AccessDenied")
    fault = explain("s3://bucket/memory", refused)
    assert isinstance(fault, StoreError) and "s3://bucket/memory" in str(fault)
    assert "credentials" in str(fault) or "AWS" in str(fault)
    assert explain("/local/memory", RuntimeError("something else entirely")) is None


def test_doctor_health_counts_rows_bytes_and_orphans(memory):
    from mmem.store.health import health

    (memory.root / "entities" / "E7").mkdir(parents=True)
    (memory.root / "entities" / "E7" / "lost.jpg").write_bytes(b"\xff\xd8")
    h = health(memory).to_json()
    assert h["tables"]["appearances"]["rows"] == 6 and h["tables"]["entities"]["bytes"] > 0
    assert h["orphans"]["files"] == 1 and h["journal"] is None
    assert h["writer"] is None  # this process holds the lock: nobody else writes


def test_forget_asks_first_and_no_changes_nothing(memory):
    from typer.testing import CliRunner

    from mmem.cli import app

    before = [s.id for s in memory.sources()]
    runner = CliRunner()
    said_no = runner.invoke(app, ["forget", "--source", "a", "--db", str(memory.root)], input="n\n")
    assert said_no.exit_code == 2 and "nothing forgotten" in said_no.output
    assert [s.id for s in memory.sources()] == before
    nothing = runner.invoke(app, ["forget", "--db", str(memory.root)])
    assert nothing.exit_code == 2 and "--source" in nothing.output
    bad_date = runner.invoke(app, ["forget", "--before", "last tuesday", "--db", str(memory.root)])
    assert bad_date.exit_code == 2 and "is not a date" in bad_date.output
    done = runner.invoke(app, ["forget", "--before", "2026-03-01", "--yes", "--json",
                                "--db", str(memory.root)])
    assert done.exit_code == 0, done.output
    assert [s.id for s in memory.sources()] == ["b"]


# -- a forgotten face smeared out of keyframes (mmem.store.redact) ------------------------------
FACE_PHOTO = Path(__file__).resolve().parents[1] / "data" / "faces" / "obama.jpg"


def _photo(tmp_path: Path) -> tuple[Path, bytes]:
    import shutil

    kf = tmp_path / "keyframes" / "s"
    kf.mkdir(parents=True)
    shutil.copy(FACE_PHOTO, kf / "e1_0.00.jpg")
    return kf / "e1_0.00.jpg", (kf / "e1_0.00.jpg").read_bytes()


def test_redaction_rewrites_the_keyframe_in_place_and_smears_only_the_box(tmp_path):
    import cv2

    from mmem.store.redact import redact

    path, old = _photo(tmp_path)
    h, w = cv2.imread(str(path)).shape[:2]
    box = [w // 3, h // 4, 2 * w // 3, h // 2]
    assert redact(tmp_path, {"keyframes/s/e1_0.00.jpg": [box]}) == ["keyframes/s/e1_0.00.jpg"]
    a = cv2.imdecode(np.frombuffer(old, np.uint8), cv2.IMREAD_COLOR).astype(int)
    b = cv2.imread(str(path)).astype(int)
    inside = (slice(box[1], box[3]), slice(box[0], box[2]))
    assert np.abs(a[inside] - b[inside]).mean() > 10  # the face's detail is gone
    assert np.abs(a[-h // 5:] - b[-h // 5:]).mean() < 3  # the rest is the same picture (re-encoded)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no copy beside it


def test_an_interrupted_redaction_is_finished_from_its_staged_image(tmp_path):
    from mmem.store.redact import STAGED, redact

    path, old = _photo(tmp_path)
    staged = path.with_name(path.name + STAGED)
    staged.write_bytes(b"the redacted image, staged whole before the kill")
    path.write_bytes(b"\0" * len(old))  # killed after the original was overwritten
    redact(tmp_path, {"keyframes/s/e1_0.00.jpg": [[0, 0, 10, 10]]})
    assert path.read_bytes() == b"the redacted image, staged whole before the kill"
    assert not staged.exists()


def test_an_unreadable_keyframe_to_redact_is_deleted_not_kept(tmp_path):
    from mmem.store.redact import redact

    path, _ = _photo(tmp_path)
    path.write_bytes(b"not a jpeg")
    redact(tmp_path, {"keyframes/s/e1_0.00.jpg": [[0, 0, 10, 10]]})
    assert not path.exists()


# -- doctor --repair after a forget: never back past it -----------------------------------------
def _truncate_newest(root: Path, table: str) -> None:
    data = root / "lance" / f"{table}.lance" / "data"
    newest = max(data.iterdir(), key=lambda p: p.stat().st_mtime_ns)
    os.truncate(newest, newest.stat().st_size // 2)


def test_repair_after_a_forget_restores_a_version_after_it_never_the_forgotten_entity(memory):
    from mmem.store.health import repair

    alice = _vectors(memory, "E1")
    ops.forget(memory, "E1")
    ops.name(memory, "E2", "Bob")  # a version after the forget, then damage it
    _truncate_newest(memory.root, "entities")
    done = repair(Memory.open(memory.root))
    assert "restored version" in done["entities"]
    again = Memory.open(memory.root)
    assert {r.id: r.name for r in again.entity_rows()} == {"E2": None, "E3": None}  # the name is lost
    assert _files_holding(memory.root, alice) == []


def test_repair_of_the_forget_itself_says_restore_a_backup_and_resurrects_nothing(memory):
    from mmem.store.health import repair

    alice = _vectors(memory, "E1")
    ops.forget(memory, "E1")
    _truncate_newest(memory.root, "entities")
    done = repair(Memory.open(memory.root))
    assert "backup" in done["entities"]
    assert _files_holding(memory.root, alice) == []


# -- a live session killed: what it committed stays, its row says it was cut off ----------------
def test_a_live_session_left_live_by_a_dead_process_is_marked_interrupted_and_keeps_its_people(memory):
    from tests.unit.test_store import record

    row = _source("live-x")
    row.kind, row.status, row.duration, row.n_events = "live", "live", 0.0, 0  # as run_live starts it
    memory.put_source(row)
    memory.bind_vector_model({"clip_model": "x", "clip_pretrained": "y", "model_id": "x/y"}, 8)
    memory.add_events([record("live-x", "r", 0), record("live-x", "r", 1)], "r")
    memory.add_appearances([AppearanceRow(id="lx", entity_id="E1", origin_entity="E1", source_id="live-x",
                                          event_id="live-x-r-00001", kind="face", start=12.0, end=14.0)], "r")
    memory.close()  # the session's process died: the next writer finds the row still `live`
    again = Memory.open(memory.root, write=True)
    [live] = [s for s in again.sources() if s.id == "live-x"]
    assert (live.status, live.n_events, live.duration) == ("interrupted", 2, 20.0)
    assert len(again.events(["live-x"])) == 2  # nothing it committed is lost
    assert {a.id for a in again.appearances(["E1"])} >= {"lx"}  # nor the people it met there
    assert "E1" in {r.id for r in again.entity_rows()}


def test_which_faces_of_a_keyframe_are_smeared():
    from mmem.consolidate.redaction import _boxes
    from tests.fakes import FakeFaces

    faces = FakeFaces()
    image = np.random.default_rng(3).integers(40, 255, (120, 160, 3), dtype=np.uint8)
    [det] = faces.detect(image)
    face = faces.embed(image, det)[None]
    stored = list(det.box)
    stored[0] += 4  # the box stored at ingest, from a neighbouring frame
    app = AppearanceRow(id="a", entity_id="E1", origin_entity="E1", source_id="s", event_id="e", kind="face",
                        start=0.0, end=3.0, box=stored)
    assert _boxes(image, 1.0, [app], face, None, faces) == [list(det.box)]  # found again: its own box
    assert _boxes(image, 1.0, [app], -face, face, faces) == []  # someone else known is there: kept
    assert _boxes(image, 1.0, [app], -face, None, faces) == [stored]  # not recognised: smeared anyway
    assert _boxes(image, 9.0, [app], -face, None, faces) == []  # the appearance does not cover it
    assert _boxes(image, 1.0, [app], None, None, None) == [stored]  # no face model: the stored box
