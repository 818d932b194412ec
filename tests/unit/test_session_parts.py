"""The seams of a session, with fakes and no models: the event builder, the entity recorder
strategies, the sink, late speech and lags, the perceive step and the shared sampler."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import numpy as np
import pytest

from mmem.config import IngestConfig
from mmem.consolidate.builder import BuiltEvent, EventBuilder
from mmem.consolidate.entities import Appearance, EntityIndex
from mmem.consolidate.event import Consolidator
from mmem.consolidate.recorders import Deferred, MatchNow, Met, NoEntities, Turns, defer, match_now
from mmem.consolidate.transcripts import TranscriptAssigner
from mmem.perceive.frames import FramePerception
from mmem.perceive.text import TranscriptVectors
from mmem.perceive.voices import VoiceTurn
from mmem.session_live import Lags, LateSpeech
from mmem.sink import Sink
from mmem.sources.sampler import Sampler
from mmem.store.rows import UtteranceRow
from mmem.types import Clock, EventRecord, Frame, Segment, Utterance

CFG = dataclasses.replace(IngestConfig(), segment=dataclasses.replace(
    IngestConfig().segment, min_duration=1.0, max_duration=4.0))


def utt(start: float, end: float, text: str) -> Utterance:
    return Utterance(start, end, text, [], "en", 0.9)


def timer() -> dict[str, float]:
    return dict.fromkeys(("audio", "decode", "embed", "entities", "segment", "compress", "store"), 0.0)


def unit(v) -> np.ndarray:
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v)


def record(eid: str, start: float = 0.0, end: float = 1.0) -> EventRecord:
    return EventRecord(eid, "src", 0, start, end, None, None, None, np.ones(1, np.float32),
                       np.zeros(1, np.float32), 0.0, [], 1)


def built(eid: str, start: float, end: float, first: int = 0, stop: int = 1, utts=(), rows=()) -> BuiltEvent:
    return BuiltEvent(Segment(first, stop, start, end, 0.0), record(eid, start, end), list(utts), list(rows))


# -- event builder ---------------------------------------------------------------------------
def test_event_builder_tiles_the_stream_and_hands_each_event_its_utterances(tmp_path):
    utts = [utt(0.5, 1.5, "hello"), utt(4.6, 5.2, "there"), utt(8.0, 9.0, "bye")]
    b = EventBuilder(CFG, Consolidator(CFG.consolidate, tmp_path, has_vector=False), "src", "run1",
                     None, utts, timer())
    out: list[BuiltEvent] = []
    for i in range(10):
        image = np.full((8, 8, 3), 40 * (i // 5), np.uint8)
        feats = {"pixel": unit([1.0, 0.1 * (i // 5), 0.0])}
        out += b.push(Frame(i, float(i), image), feats, feats["pixel"])
    out += b.flush(10.0)
    assert [e.record.id for e in out] == [f"src-run1-{i:05d}" for i in range(len(out))] and len(out) >= 2
    assert b.seq == len(out)
    assert out[0].segment.start == 0.0 and out[-1].segment.end == 10.0
    assert all(a.segment.end == b_.segment.start for a, b_ in zip(out, out[1:]))  # they tile
    said = {u.text: e.record.id for e in out for u in e.utterances}
    assert set(said) == {"hello", "there", "bye"}
    for e in out:
        for u in e.utterances:  # each utterance goes to the event holding its midpoint
            assert e.segment.start <= (u.start + u.end) / 2 < e.segment.end
        assert [r.text for r in e.rows] == [u.text for u in e.utterances]
        assert all(r.event_id == e.record.id and r.vector is None for r in e.rows)
        assert e.record.transcript == (" ".join(u.text for u in e.utterances) or None)
    assert sum(e.record.n_frames for e in out) == 10


def test_event_builder_stamps_live_events_with_the_wall_clock(tmp_path):
    wall0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    b = EventBuilder(CFG, Consolidator(CFG.consolidate, tmp_path, has_vector=False), "live-x", "r",
                     None, [], timer(), Clock(wall0, 2.0))
    for i in range(3):
        b.push(Frame(i, float(i), np.zeros((4, 4, 3), np.uint8)), {"pixel": unit([1, 0])}, unit([1, 0]))
    (ev,) = b.flush(4.0)
    assert ev.record.started_at == wall0.isoformat() and ev.segment.end == 4.0


# -- entity recorders ------------------------------------------------------------------------
class FakeTracker:
    def __init__(self, faces):
        self.faces, self.calls = faces, []

    def close(self, first, stop, end, gap):
        self.calls.append((first, stop, end, gap))
        return self.faces.pop(0) if self.faces else []


def face(x: float, start: float) -> Appearance:
    return Appearance("face", unit([1.0, x, 0.0]), start, start + 1, quality=1.0, frames=frozenset({0}),
                      score=0.9)


def voices(*spans) -> Turns:
    """A file's turns, each its own speaker (distinct voices)."""
    return Turns([VoiceTurn(s, e, unit([1.0, 0.0, float(i)]), speaker=i) for i, (s, e) in enumerate(spans)])


def test_turns_are_taken_once_in_time_order_by_midpoint():
    t = voices((0.0, 2.0), (3.0, 5.0), (6.0, 9.0))
    assert [(v.start, v.quality) for v in t.before(4.1)] == [(0.0, 2.0), (3.0, 2.0)]
    assert t.before(4.1) == [] and [v.start for v in t.before(100)] == [6.0]
    assert all(v.kind == "voice" and v.score == 1.0 for v in voices((0, 1)).before(9))


def test_no_entities_records_nothing():
    r = NoEntities(owns_indexes=False)
    assert r.record(built("e0", 0, 1)) == Met() and r.handoff() == [] and r.late_voices(9) == []
    assert not r.owns_indexes and NoEntities().owns_indexes


def test_deferred_keeps_each_events_faces_and_voices_for_the_batch_writer():
    tracker = FakeTracker([[face(0.0, 0.5)], []])
    r = Deferred(tracker, voices((0.0, 1.0), (2.5, 3.5)), 0.5)  # type: ignore[arg-type]
    rows = [{"id": "e0-u000", "start": 0.0, "end": 1.0}]
    assert r.record(built("e0", 0, 2, 0, 2, rows=rows)) == Met()
    assert r.record(built("e1", 2, 4, 2, 4)) == Met()
    m0, m1 = r.handoff()
    assert (m0.event_id, len(m0.faces), [v.start for v in m0.voices], m0.utterances) == ("e0", 1, [0.0], rows)
    assert (m1.event_id, m1.faces, [v.start for v in m1.voices]) == ("e1", [], [2.5])
    assert tracker.calls == [(0, 2, 2, 0.5), (2, 4, 4, 0.5)] and not r.owns_indexes


class FakeMemory:
    def __init__(self, root=None):
        self.root, self.calls = root, []

    def __getattr__(self, name):
        # copies: callers clear their buffers once written
        return lambda *a, **k: self.calls.append(
            (name, tuple(list(x) if isinstance(x, list) else x for x in a), k))


def counter():
    n = iter(range(1, 1000))
    return lambda: f"E{next(n)}"


def test_match_now_assigns_entities_numbers_appearances_and_writes_them_on_flush(tmp_path):
    index = EntityIndex([], counter())
    tracker = FakeTracker([[face(0.0, 0.5)], [face(0.01, 2.5)]])
    mem = FakeMemory(tmp_path)
    r = MatchNow(index, mem, "src", tracker, voices((0.2, 1.2)), 1.0)  # type: ignore[arg-type]
    rows = [UtteranceRow("e0-u000", "src", "e0", 0.0, 1.5, "hi")]
    m0 = r.record(built("e0", 0, 2, 0, 2, rows=rows))
    m1 = r.record(built("e1", 2, 4, 2, 4))
    assert m0.appearances == 2 and m1.appearances == 1 and r.appearances == 3
    assert m0.faces[0][1] is m1.faces[0][1]  # the same face twice: one entity
    assert [row.id for row in r.rows] == ["e0-a00", "e0-a01", "e1-a00"]
    assert r.rows[1].kind == "voice" and r.rows[1].utterance == "e0-u000"
    assert r.appear("e0", m0.faces, r.late_voices(1e9), [], first=m0.appearances) == 2  # no late voice
    r.flush(mem, "run1")  # type: ignore[arg-type]
    assert [c[0] for c in mem.calls] == ["add_appearances", "put_entities"] and r.rows == []
    assert len(mem.calls[0][1][0]) == 3 and not index.touched


def test_recorder_choices_follow_whether_anyone_is_to_be_recognised(monkeypatch):
    import mmem.consolidate.people as people

    monkeypatch.setattr(people, "load_index", lambda memory: EntityIndex([], counter()))
    assert isinstance(match_now(False, FakeMemory(), "s", None, voices(), 1.0), NoEntities)  # type: ignore[arg-type]
    assert isinstance(match_now(True, FakeMemory(), "s", None, voices(), 1.0), MatchNow)  # type: ignore[arg-type]
    assert isinstance(defer(True, FakeMemory(), "s", None, voices(), 1.0), Deferred)  # type: ignore[arg-type]
    off = defer(False, FakeMemory(), "s", None, voices(), 1.0)  # type: ignore[arg-type]
    assert isinstance(off, NoEntities) and not off.owns_indexes


# -- sink ------------------------------------------------------------------------------------
class FakeText:
    model_id, dim = "fake-text", 3

    def embed_texts(self, texts):
        return np.stack([unit([1.0, len(t), 0.0]) for t in texts]) if texts else np.zeros((0, 3), np.float32)


def test_sink_buffers_embeds_transcripts_and_writes_events_first():
    mem, committed = FakeMemory(), []
    sink = Sink(mem, "run1", TranscriptVectors(FakeText()), index_transcripts=False, write_every=2,  # type: ignore[arg-type]
                on_commit=lambda recs: committed.append([r.id for r in recs]))
    sink.add(record("e0"), [UtteranceRow("u-hi", "s", "e", 0.0, 1.0, "hi")])
    assert not sink.due
    sink.add(record("e1"), [])
    sink.add_late("e0", [UtteranceRow("u-again", "s", "e", 0.0, 1.0, "again")], "hi again")
    assert sink.due
    sink.flush()
    names = [c[0] for c in mem.calls]
    assert names == ["add_events", "set_event_transcript", "add_transcripts"]
    assert committed == [["e0", "e1"]] and mem.calls[1][1] == ("e0", "hi again")
    rows, run, dim = mem.calls[2][1]
    assert run == "run1" and dim == 3 and mem.calls[2][2] == {"index": False}
    assert [r.vector for r in rows] == [unit([1, 2, 0]).tolist(), unit([1, 5, 0]).tolist()]
    assert sink.events == [] and sink.utterances == [] and not sink.due


def test_sink_without_a_sentence_model_keeps_no_vectors_at_the_default_width():
    mem = FakeMemory()
    sink = Sink(mem, "r", TranscriptVectors(None), index_transcripts=True)  # type: ignore[arg-type]
    sink.add(record("e0"), [UtteranceRow("u-hi", "s", "e", 0.0, 1.0, "hi")])
    sink.flush()
    rows, _, dim = mem.calls[-1][1]
    assert rows[0].vector is None and dim == 384 and mem.calls[-1][2] == {"index": True}


# -- live: late speech and lags --------------------------------------------------------------
def test_late_speech_joins_the_event_it_was_said_in():
    heard: list[Utterance] = [utt(0.2, 0.8, "early")]
    assigner = TranscriptAssigner(heard)
    mem = FakeMemory()
    sink = Sink(mem, "r", TranscriptVectors(None), index_transcripts=True)  # type: ignore[arg-type]
    late = LateSpeech("live-x", assigner, NoEntities(), sink)
    assert not late.catch_up()  # nothing closed yet
    e0 = built("live-x-r-00000", 0.0, 2.0, utts=assigner.take(2.0))
    late.closed_event(e0, Met())
    late.closed_event(built("live-x-r-00001", 2.0, 4.0), Met())
    heard += [utt(1.0, 1.6, "late"), utt(2.5, 3.0, "later"), utt(5.0, 6.0, "not yet")]
    assert late.catch_up()
    assert sink.late_texts == {"live-x-r-00000": "early late", "live-x-r-00001": "later"}
    assert [r.id for r in sink.utterances] == ["live-x-r-00000-u001", "live-x-r-00001-u000"]
    assert not late.catch_up()  # "not yet" waits for its event


def test_lags_measure_close_to_commit_and_capture_to_commit():
    wall0 = datetime.now(timezone.utc)
    lags = Lags(Clock(wall0, 1.0))
    lags.closed_event(built("e0", 0.0, 0.0), Met())
    lags.committed([record("e0"), record("e1")])
    assert len(lags.commit) == len(lags.capture) == 2 and lags.decided == {}
    assert all(0 <= x < 60 for x in lags.commit + lags.capture)


# -- perceive step and the sampler ----------------------------------------------------------
class FakeVision:
    model_id, dim = "fake-clip", 4

    def __init__(self):
        self.batches = []

    def embed_images(self, images):
        self.batches.append(len(images))
        return np.tile(unit([1, 0, 0, 0]), (len(images), 1))


def test_frame_perception_gives_features_and_the_working_vector_per_frame():
    vision, t = FakeVision(), timer()
    p = FramePerception(vision, None, True, 1.0, None, t)
    frames = [Frame(i, float(i), np.full((8, 8, 3), 30 * i, np.uint8)) for i in range(3)]
    out = p.perceive(frames)
    assert vision.batches == [3] and len(out) == 3
    feats, vec = out[0]
    assert set(feats) == {"pixel", "clip"} and vec is feats["clip"]
    no_clip = FramePerception(None, None, True, 1.0, None, t).perceive(frames[:1])
    assert no_clip[0][1] is no_clip[0][0]["pixel"]
    silent = FramePerception(vision, None, False, 1.0, None, t).perceive([Frame(0, 0.0, None)])  # type: ignore[arg-type]
    assert set(silent[0][0]) == {"audio"} and silent[0][1].shape == (24,) and vision.batches == [3]


@pytest.mark.parametrize("fps", [1.0, 2.0, 3.0])
def test_one_sampler_keeps_one_frame_per_grid_step_and_resumes_after_gaps(fps):
    s = Sampler(fps)
    times = [i / 30 for i in range(90)] + [5.0 + i / 30 for i in range(30)]
    kept = [t for t in times if s.keep(t)]
    assert len(kept) == int(3 * fps) + int(fps)
    assert kept[0] == 0.0 and 5.0 in kept  # after the gap the grid resumes at the next frame


# -- the orchestration, end to end with fakes -------------------------------------------------
def _info(duration: float, has_audio: bool = False):
    from pathlib import Path

    from mmem.sources.file import MediaInfo

    return MediaInfo(Path("x.mp4"), duration, 30.0, 8, 8, 0, "fake", has_audio=has_audio)


def _frames(n: int):
    return [Frame(i, float(i), np.full((8, 8, 3), 100 * (i // 5), np.uint8)) for i in range(n)]


def test_a_file_session_writes_every_event_once_and_reports_it(tmp_path):
    from mmem.perceive.people_channel import People
    from mmem.perceive.vision import Vision
    from mmem.reports import IngestReport
    from mmem.session import Session, run_file

    mem, seen = FakeMemory(tmp_path), []
    report = IngestReport(source_id="src", uri="x.mp4", status="ingested")
    s = Session(_info(10.0), mem, CFG, Vision(FakeVision(), {"model_id": "fake"}, 4), None,  # type: ignore[arg-type]
                People(None, None), report, "run1", write_every=2)
    run_file(s, tmp_path / "x.mp4", iter(_frames(10)),
             progress=lambda done, total: seen.append((done, total)))
    written = [r.id for name, a, _ in mem.calls if name == "add_events" for r in a[0]]
    assert written == [f"src-run1-{i:05d}" for i in range(report.events)] and report.events >= 2
    assert report.frames == 10 and report.appearances == 0 and isinstance(s.recorder, NoEntities)
    assert seen[-1] == (9.0, 10.0)  # one pass: the frames (no audio channel)
    assert not any(name == "add_transcripts" for name, _, _ in mem.calls)


def test_a_live_session_commits_each_event_and_gives_late_speech_to_it(tmp_path):
    from mmem.perceive.audio_track import AudioTrack
    from mmem.perceive.people_channel import People
    from mmem.perceive.vision import Vision
    from mmem.reports import IngestReport
    from mmem.session_live import LiveSession

    mem = FakeMemory(tmp_path)
    track = AudioTrack()
    report = IngestReport(source_id="live-x", uri="webcam:0", status="ingesting")
    wall0 = datetime.now(timezone.utc)
    job = LiveSession(_info(0.0), mem, CFG, Vision(None, None, 4), None, People(None, None), report, "r",  # type: ignore[arg-type]
                      clock=Clock(wall0, 1.0), track=track)
    job.process(_frames(10))
    job.catch_up()
    first = job.events
    assert first >= 1 and len(job.lags.commit) == first  # each event was committed as it closed
    track.utterances.append(utt(0.5, 1.0, "late words"))  # the listener finishes a little late
    job.catch_up()
    assert ("set_event_transcript", ("live-x-r-00000", "late words"), {}) in mem.calls
    job.finish(10.0)
    assert job.events > first and job.frames == 10 and len(job.lags.capture) == job.events
    assert job.utterances == 1 and job.last_time == 9.0


def test_a_short_turn_heard_live_is_not_matched_alone():
    t = Turns([VoiceTurn(0.0, 0.8, unit([1.0, 0.0, 0.0])), VoiceTurn(1.0, 3.0, unit([1.0, 0.0, 1.0]))])
    assert [(v.start, v.group) for v in t.before(9)] == [(1.0, None)]
