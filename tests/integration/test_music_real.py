"""Real music then real speech in one audio-only file (pygame's house loop, tests/data/house_lo.ogg,
twice; then a LibriSpeech reading), through the whole ingest with the real VAD, Whisper and the
speaker model: the change from music to speech is a boundary, and the music is no one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmem.config import IngestConfig
from mmem.perceive.vision import Vision
from mmem.pipeline import ingest_file
from mmem.sources.audio import read_audio
from mmem.store.memory import Memory
from tests.integration.test_sound_cuts_real import _write

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data"


def test_music_then_speech_is_a_boundary_and_the_music_is_no_one(tmp_path, hearing, people):
    music = read_audio(DATA / "house_lo.ogg")
    speech = read_audio(DATA / "voices" / "1688" / "1688-142285-0000.flac")
    music = music / np.abs(music).max() * 0.5
    join = _write(tmp_path / "radio.wav", [music, music, speech])[1]
    memory = Memory.open(tmp_path / "db", create=True)
    report = ingest_file(tmp_path / "radio.wav", memory, IngestConfig(), Vision(None, None, 64), hearing,
                         people)
    assert report.status == "ingested"
    bounds = [e.start for e in sorted(memory.events(), key=lambda e: e.start)][1:]
    assert any(abs(b - join) < 1.0 for b in bounds), (join, bounds)
    voices = [a for a in memory.appearances() if a.kind == "voice"]
    assert voices and all(a.start >= join - 0.5 for a in voices), [(a.start, a.end) for a in voices]
    said = " ".join(t.text.lower() for t in memory.transcripts())
    assert "iron" in said
