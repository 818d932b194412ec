"""LanceDB memory: round trip, runs, opening rules (real LanceDB in tmp dirs, no models)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mmem.errors import ModelMismatch, StoreError
from mmem.store.memory import Memory
from mmem.store.rows import SourceRow
from mmem.types import EventRecord

DIM = 8


def record(source: str, run: str, seq: int, vec=None, start=None) -> EventRecord:
    v = None if vec is None else np.asarray(vec, np.float32) / np.linalg.norm(vec)
    s = float(seq * 10 if start is None else start)
    return EventRecord(
        id=f"{source}-{run}-{seq:05d}", source_id=source, seq=seq, start=s, end=s + 10,
        started_at=None, vector=v, centroids=None if v is None else np.stack([v, v]),
        centroid_weights=np.array([3, 2], np.float32), centroid_times=np.array([s + 1, s + 6], np.float32),
        surprise=0.5, keyframes=[f"keyframes/{source}/{source}-{run}-{seq:05d}_0.00.jpg"], n_frames=5,
    )


def source_row(sid: str, run: str, status: str = "complete") -> SourceRow:
    return SourceRow(id=sid, uri=f"/videos/{sid}.mp4", kind="file", duration=30.0, fps=25.0,
                     sample_fps=1.0, width=640, height=360, content_hash=sid * 2,
                     status=status, run=run, ingested_at="2026-01-01T00:00:00+00:00",
                     model_ids=["m"], channels=["pixel", "vision"], skipped=[], n_events=3)


@pytest.fixture
def memory(tmp_path):
    m = Memory.open(tmp_path / "db", create=True)
    m.bind_vector_model({"clip_model": "x", "clip_pretrained": "y", "model_id": "x/y"}, DIM)
    return m


def test_round_trip_and_vector_search(memory):
    memory.put_source(source_row("aaaa", "r1"))
    eye = np.eye(DIM)
    memory.add_events([record("aaaa", "r1", i, eye[i]) for i in range(3)], "r1")
    rows = memory.events()
    assert [r.seq for r in rows] == [0, 1, 2]
    assert rows[1].start == 10.0 and rows[1].keyframes[0].endswith("_0.00.jpg")
    hits = memory.search(eye[2], limit=2)
    assert hits[0][0].id == "aaaa-r1-00002" and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert memory.source_by_hash("aaaa" * 2).status == "complete"


def test_only_the_sources_current_run_is_visible(memory):
    memory.put_source(source_row("aaaa", "old"))
    memory.add_events([record("aaaa", "old", 0, np.ones(DIM))], "old")
    memory.add_events([record("aaaa", "new", 0, np.ones(DIM)), record("aaaa", "new", 1, np.ones(DIM))], "new")
    assert [r.id for r in memory.events()] == ["aaaa-old-00000"]
    assert {h[0].id for h in memory.search(np.ones(DIM), 5)} == {"aaaa-old-00000"}
    memory.drop_runs("aaaa", keep_run="old")
    memory.put_source(source_row("aaaa", "old"))
    assert len(memory.events()) == 1


def test_events_without_vectors_are_stored_but_not_searched(memory):
    memory.put_source(source_row("bbbb", "r"))
    memory.add_events([record("bbbb", "r", 0), record("bbbb", "r", 1, np.ones(DIM))], "r")
    assert len(memory.events()) == 2
    assert [h[0].seq for h in memory.search(np.ones(DIM), 5)] == [1]


def test_reopen_keeps_everything(tmp_path, memory):
    memory.put_source(source_row("aaaa", "r1"))
    memory.add_events([record("aaaa", "r1", 0, np.ones(DIM))], "r1")
    again = Memory.open(memory.root)
    assert again.vector_model["model_id"] == "x/y" and len(again.events()) == 1


def test_a_different_model_is_refused(memory):
    with pytest.raises(ModelMismatch, match="--clip-model x --clip-pretrained y"):
        memory.bind_vector_model({"clip_model": "z", "clip_pretrained": "w", "model_id": "z/w"}, DIM)


def test_first_vision_run_rewidths_a_vision_less_memory(tmp_path):
    m = Memory.open(tmp_path / "db", create=True)
    m.ensure_dim(512)
    m.put_source(source_row("cccc", "r"))
    m.add_events([record("cccc", "r", 0)], "r")
    m.bind_vector_model({"clip_model": "t", "clip_pretrained": "random", "model_id": "t/random"}, DIM)
    m.add_events([record("cccc", "r", 1, np.ones(DIM))], "r")
    assert [r.seq for r in Memory.open(m.root).events()] == [0, 1]


def test_opening_rules(tmp_path):
    with pytest.raises(StoreError, match="run `mmem ingest"):
        Memory.open(tmp_path / "nothing")
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        Memory.open(afile, create=True)
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(StoreError, match="not an mmem memory"):
        Memory.open(foreign, create=True)
    assert (foreign / "cat.jpg").exists() and not (foreign / "mmem.json").exists()
    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / "mmem.json").write_text(json.dumps({"format": "mmem-memory", "schema_version": 99}))
    with pytest.raises(StoreError, match="newer mmem"):
        Memory.open(newer)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "mmem.json").write_text("{not json")
    with pytest.raises(StoreError, match="unreadable"):
        Memory.open(broken)


def test_the_timeline_views_are_the_json_the_commands_print(memory):
    from mmem.store.rows import UtteranceRow
    from mmem.views.timeline import events_view, transcript_view

    memory.put_source(source_row("aaaa", "r1"))
    memory.add_events([record("aaaa", "r1", 0)], "r1")
    memory.add_transcripts([UtteranceRow(id="aaaa-r1-00000-u000", source_id="aaaa", event_id="aaaa-r1-00000",
                                         start=1.0, end=2.5, text="Hello there.", norm="hello there",
                                         words=json.dumps([["Hello", 1.0, 1.4, 0.9]]), language="en",
                                         confidence=0.87654)], "r1", dim=4)
    assert events_view(memory).to_json() == {"events": [{
        "id": "aaaa-r1-00000", "source": "/videos/aaaa.mp4", "start": 0.0, "end": 10.0, "started_at": None,
        "surprise": 0.5, "keyframes": [str(memory.root / "keyframes/aaaa/aaaa-r1-00000_0.00.jpg")],
        "level": "event", "parent": None}], "level": "event"}  # a memory without spans: no parent
    assert transcript_view(memory, "aaaa.mp4", ["aaaa"]).to_json() == {"source": "aaaa.mp4", "segments": [{
        "start": 1.0, "end": 2.5, "text": "Hello there.", "language": "en", "confidence": 0.8765,
        "event_id": "aaaa-r1-00000", "speaker": None,
        "words": [{"word": "Hello", "start": 1.0, "end": 1.4, "prob": 0.9}]}]}
    assert events_view(memory, ["bbbb"]).events == []
    assert transcript_view(memory, "x", ["bbbb"]).segments == []


def test_spans_are_read_back_per_level_and_link_events_to_episodes(memory):
    from mmem.store.rows import SpanRow
    from mmem.views.timeline import events_view

    memory.put_source(source_row("aaaa", "r1"))
    memory.add_events([record("aaaa", "r1", 0)], "r1")
    memory.add_spans([SpanRow("aaaa-r1-s00000", "aaaa", 0, 0.0, 4.0, "shot", "aaaa-r1-00000", "start"),
                      SpanRow("aaaa-r1-s00001", "aaaa", 1, 4.0, 10.0, "shot", "aaaa-r1-00000", "cut"),
                      SpanRow("aaaa-r1-p00000", "aaaa", 0, 0.0, 10.0, "episode"),
                      SpanRow("aaaa-r1-00000", "aaaa", 0, 0.0, 10.0, "event", "aaaa-r1-p00000")], "r1")
    shots = events_view(memory, level="shot").to_json()["events"]
    assert [(s["start"], s["end"], s["kind"], s["parent"]) for s in shots] == [
        (0.0, 4.0, "start", "aaaa-r1-00000"), (4.0, 10.0, "cut", "aaaa-r1-00000")]
    assert events_view(memory).events[0].parent == "aaaa-r1-p00000"
    assert [e.id for e in events_view(memory, level="episode").events] == ["aaaa-r1-p00000"]
    memory.drop_runs("aaaa", None)  # a re-ingest drops the old run's spans with its events
    assert memory.spans("shot") == []
