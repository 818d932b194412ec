"""A file's frames are seen while its audio pass runs (`[source] lookahead`): the memory is the
same as when the audio pass runs first, however the two passes interleave."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mmem.config import IngestConfig, SourceConfig, VisionConfig
from mmem.pipeline import ingest_file
from mmem.store.memory import Memory

pytestmark = pytest.mark.integration
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
DATA = Path(__file__).resolve().parents[1] / "data"


def remembered(memory: Memory) -> dict:
    """What a user reads back: events, what was said, who appeared when."""
    kinds = {e.id: e.kind for e in memory.entity_rows()}
    return {
        "events": [(e.id, round(e.start, 3), round(e.end, 3), e.keyframes) for e in memory.events()],
        "said": [(round(u.start, 3), u.text, u.event_id) for u in memory.transcripts()],
        "appeared": sorted((kinds[a.entity_id], a.entity_id, round(a.start, 3), round(a.end, 3))
                           for a in memory.appearances()),
    }


@pytest.mark.parametrize("lookahead", [4, 256], ids=["one-batch-ahead", "whole-file-ahead"])
def test_frames_seen_during_the_audio_pass_give_the_same_memory(tmp_path, tiny_vision, hearing, people,
                                                                lookahead):
    clips = [SAMPLES / "bbaf2n.mpg", DATA / "sbwe5n.mpg"]  # a face on camera saying a sentence
    got = {}
    for ahead in (0, lookahead):  # 0: the audio pass first, then the frames
        cfg = IngestConfig(source=SourceConfig(fps=4.0, lookahead=ahead), vision=VisionConfig(batch_size=4))
        memory = Memory.open(tmp_path / str(ahead), create=True)
        for clip in clips:
            report = ingest_file(clip, memory, cfg, tiny_vision, hearing, people)
            assert report.status == "ingested" and report.frames >= 10
        got[ahead] = remembered(memory)
    serial = got[0]
    assert serial["said"] and any(k == "face" for k, *_ in serial["appeared"])
    assert any(k == "voice" for k, *_ in serial["appeared"])
    assert got[lookahead] == serial


def test_a_frame_pass_that_fails_stops_the_audio_pass_and_says_why(tmp_path, tiny_vision, hearing, people,
                                                                   monkeypatch):
    import threading

    from mmem.perceive.frames import FramePerception

    def broken(self, batch):
        raise RuntimeError("frame pass broke")

    monkeypatch.setattr(FramePerception, "see", broken)
    memory = Memory.open(tmp_path / "db", create=True)
    with pytest.raises(RuntimeError, match="frame pass broke"):
        ingest_file(SAMPLES / "bbaf2n.mpg", memory, dataclasses.replace(IngestConfig()), tiny_vision,
                    hearing, people)
    for t in threading.enumerate():  # the audio pass (on the caller's thread) ended at its next
        if t.name == "mmem-frames":  # chunk, and the frames' thread with its error
            t.join(timeout=30)
            assert not t.is_alive()
    assert memory.events() == []  # nothing half-made was written
