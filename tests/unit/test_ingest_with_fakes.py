"""A whole file ingest (pipeline.ingest_file: probe, audio pass, frames, perceive, segment,
consolidate, entities, store) on small real sample files, with a fake for every channel: no
model is loaded, so the pipeline's logic is checked in seconds."""

from __future__ import annotations

import json

import pytest

from mmem.config import IngestConfig
from mmem.perceive.vision import Vision
from mmem.pipeline import ingest_file
from mmem.store.memory import Memory
from tests.fakes import fake_hearing, fake_people, fake_vision

SAID = "bin blue at f two now"


def tiled(events: list[dict], duration: float) -> bool:
    if not events or events[0].start != 0.0 or abs(events[-1].end - duration) > 1e-6:
        return False
    return all(a.end == b.start and a.start < a.end for a, b in zip(events, events[1:]))


@pytest.fixture
def memory(tmp_path) -> Memory:
    return Memory.open(tmp_path / "db", create=True)


def test_a_talking_face_becomes_an_event_a_transcript_and_one_person(memory, samples):
    vision, hearing, people = fake_vision(), fake_hearing(SAID), fake_people()
    report = ingest_file(samples / "bbaf2n.mpg", memory, IngestConfig(), vision, hearing, people)
    assert report.status == "ingested" and report.events == 1 and report.frames == 3
    assert report.channels == ["pixel", "vision", "faces", "audio", "asr", "voices"]
    assert report.utterances == 1 and report.appearances == 2 and report.skipped == []
    # every fake was asked for its work
    assert vision.embedder.images == 3 and hearing.vad.resets == 1 and hearing.asr.calls
    assert people.faces.detected == 3 and people.faces.embedded >= 1 and people.voices.calls >= 1
    assert hearing.text.calls == [[SAID]]  # transcripts are embedded once, when written

    [source] = memory.sources()
    assert source.status == "complete" and source.n_events == 1
    assert source.model_ids == ["fake-image-16", "fake-asr", "fake-text-16"]
    assert memory.vector_model["model_id"] == "fake-image-16"
    [event] = memory.events()
    assert tiled([event], report.duration) and event.transcript == SAID
    assert event.keyframes and all((memory.root / k).read_bytes()[:2] == b"\xff\xd8"
                                      for k in event.keyframes)
    [utt] = memory.transcripts()
    assert utt.event_id == event.id and utt.text == SAID
    words = json.loads(utt.words)
    assert [w[0] for w in words] == SAID.split()
    assert 0.0 <= utt.start <= words[0][1] <= words[-1][2] <= utt.end + 0.01  # words are rounded
    assert utt.end <= report.duration

    kinds = {a.kind: a for a in memory.appearances()}
    assert set(kinds) == {"face", "voice"} and {a.event_id for a in kinds.values()} == {event.id}
    entities = {e.id: e for e in memory.entity_rows()}
    assert sorted(e.kind for e in entities.values()) == ["face", "voice"]
    assert len({e.person for e in entities.values()}) == 1  # the face alone speaking is its voice
    face = next(e for e in entities.values() if e.kind == "face")
    assert (memory.root / face.thumbnail).read_bytes()[:2] == b"\xff\xd8"

    again = ingest_file(samples / "bbaf2n.mpg", memory, IngestConfig(), vision, hearing, people)
    assert again.status == "skipped" and again.events == 1 and len(memory.events()) == 1


def test_three_shots_cut_where_the_scenes_change(memory, samples):
    vision = fake_vision()
    report = ingest_file(samples / "three_shots.mp4", memory, IngestConfig(), vision)
    events = memory.events()
    assert report.status == "ingested" and report.events == len(events) >= 3
    assert tiled(events, report.duration) and report.channels == ["pixel", "vision"]
    assert vision.embedder.images == report.frames


def test_audio_only_speech_without_vision(memory, samples):
    hearing, people = fake_hearing("ask not what your country can do for you"), fake_people()
    report = ingest_file(samples / "jfk.flac", memory, IngestConfig(), Vision(None, None, 16), hearing,
                         people)
    assert report.status == "ingested" and report.events >= 1
    assert report.channels == ["audio", "asr", "voices"]
    events = memory.events()
    assert tiled(events, report.duration)
    rows = memory.transcripts()
    assert len(rows) == report.utterances == len(hearing.asr.calls) >= 1
    assert {r.event_id for r in rows} <= {e.id for e in events}
    assert {a.kind for a in memory.appearances()} == {"voice"}
    assert people.faces.detected == 0  # no frames, no faces
