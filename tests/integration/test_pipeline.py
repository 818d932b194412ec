"""Ingest real video end to end with a tiny random-init open_clip model and a real LanceDB."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mmem.config import IngestConfig
from mmem.perceive.vision import Vision
from mmem.pipeline import ingest_file
from mmem.recall.answer import Recall, ask
from mmem.store.memory import Memory

pytestmark = pytest.mark.integration


def tiled(events: list, duration: float) -> bool:
    if not events or events[0].start != 0.0 or abs(events[-1].end - duration) > 1e-6:
        return False
    return all(a.end == b.start and a.start < a.end for a, b in zip(events, events[1:]))


@pytest.fixture(scope="module")
def three_shots(tmp_path_factory, concat_video, tiny_vision):
    """The three-shot video ingested once with CLIP + pixels, for the tests that only read it."""
    memory = Memory.open(tmp_path_factory.mktemp("three_shots") / "db", create=True)
    report = ingest_file(concat_video[0], memory, IngestConfig(), tiny_vision)
    return memory, report


@pytest.mark.parametrize("with_clip", [True, False], ids=["clip+pixel", "pixel-only"])
def test_each_join_of_three_clips_is_an_event_boundary_and_events_tile(tmp_path, concat_video, three_shots,
                                                                       with_clip):
    # bikes.mp4 has camera cuts of its own (PySceneDetect finds them too): they may be events
    video, joins = concat_video
    if with_clip:
        memory, report = three_shots
    else:
        memory = Memory.open(tmp_path / "db", create=True)
        pixels_only = Vision(None, None, 64, skipped="test: no weights")
        report = ingest_file(video, memory, IngestConfig(), pixels_only)
    # 1 fps: each shot's first frame, the grid restarted there (no extra frame per cut)
    assert report.status == "ingested" and int(report.duration) <= report.frames <= int(report.duration) + 2
    events = memory.events()
    assert len(events) >= 3
    assert tiled(events, report.duration)
    for join in joins:
        assert min(abs(e.start - join) for e in events[1:]) <= 1.0  # boundaries land on the real cuts
    for e in events:
        assert e.keyframes and all((memory.root / k).is_file() for k in e.keyframes)
        assert (memory.root / e.keyframes[0]).read_bytes()[:2] == b"\xff\xd8"  # JPEG
    source = memory.sources()[0]
    assert source.status == "complete" and source.n_events == len(events)
    assert ("vision" in source.channels) == with_clip


def test_ask_returns_ranked_moments_with_evidence(three_shots, tiny_vision):
    memory, _ = three_shots
    answer = ask(memory, Recall(vision=tiny_vision.embedder), "a rabbit in a meadow", k=5)
    assert 1 <= len(answer.moments) <= len(memory.events())
    scores = [m.score for m in answer.moments]
    assert scores == sorted(scores, reverse=True)
    spans = sorted((m.start, m.end) for m in answer.moments)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # merged: no overlaps
    assert all(Path(m.keyframe).is_file() for m in answer.moments)
    assert answer.answer.startswith("Best evidence: three_shots.mp4")


def test_reingest_is_a_noop_and_force_replaces_cleanly(tmp_path, samples, tiny_vision):
    memory = Memory.open(tmp_path / "db", create=True)
    first = ingest_file(samples / "bikes.mp4", memory, IngestConfig(), tiny_vision)
    ids = [e.id for e in memory.events()]
    again = ingest_file(samples / "bikes.mp4", memory, IngestConfig(), tiny_vision)
    assert (first.status, again.status) == ("ingested", "skipped")
    assert [e.id for e in memory.events()] == ids
    forced = ingest_file(samples / "bikes.mp4", memory, IngestConfig(), tiny_vision, force=True)
    assert forced.status == "ingested"
    after = memory.events()
    assert len(after) == len(ids) and set(e.id for e in after).isdisjoint(ids)
    kdir = memory.root / "keyframes" / first.source_id
    assert sorted(p.name for p in kdir.iterdir()) == sorted(
        Path(k).name for e in after for k in e.keyframes)  # old keyframes are gone


def test_interrupted_ingest_leaves_memory_readable_and_is_redone(tmp_path, concat_video, tiny_vision):
    video, _ = concat_video
    memory = Memory.open(tmp_path / "db", create=True)
    ingest_file(Path(__file__).parents[2] / "samples" / "bikes.mp4", memory, IngestConfig(), tiny_vision)
    cfg = dataclasses.replace(IngestConfig(), vision=dataclasses.replace(IngestConfig().vision, batch_size=4))

    def interrupt(done: float, total: float) -> None:
        if done > 8:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_file(video, memory, cfg, tiny_vision, progress=interrupt)
    reopened = Memory.open(tmp_path / "db")
    statuses = sorted(s.status for s in reopened.sources())
    assert statuses == ["complete", "incomplete"]
    assert len([e for e in reopened.events()]) >= 1  # the complete source is untouched
    redo = ingest_file(video, reopened, cfg, tiny_vision)
    assert redo.status == "ingested" and redo.events >= 3
    events = [e for e in reopened.events() if e.source_id == redo.source_id]
    assert len(events) == redo.events and tiled(events, redo.duration)


def test_a_missing_vision_channel_is_recorded_and_upgraded_later(tmp_path, samples, tiny_vision):
    memory = Memory.open(tmp_path / "db", create=True)
    none = Vision(None, None, 512, skipped="weights not cached")
    r1 = ingest_file(samples / "bbaf2n.mpg", memory, IngestConfig(), none)
    assert memory.sources()[0].skipped == ["vision: weights not cached"]
    r2 = ingest_file(samples / "bbaf2n.mpg", memory, IngestConfig(), tiny_vision)
    assert (r1.status, r2.status) == ("ingested", "ingested")  # weights now exist: redone
    assert memory.sources()[0].channels == ["pixel", "vision"]
    assert ask(memory, Recall(vision=tiny_vision.embedder), "a man talking").moments


def test_working_memory_is_bounded_by_capacity_not_video_length(tmp_path, concat_video, tiny_vision):
    video, _ = concat_video
    base = IngestConfig()
    cfg = dataclasses.replace(
        base,
        source=dataclasses.replace(base.source, fps=15.0),
        segment=dataclasses.replace(base.segment, max_duration=1000.0, gamma=1000.0),  # one event
        shots=dataclasses.replace(base.shots, enabled=False),  # (events from surprise alone)
        consolidate=dataclasses.replace(base.consolidate, capacity=40),
    )
    memory = Memory.open(tmp_path / "db", create=True)
    report = ingest_file(video, memory, cfg, tiny_vision)
    assert report.frames > 200 and report.events == 1
    frame_bytes = 256 * 456 * 3
    assert report.peak_working_bytes < 41 * frame_bytes + 100_000
