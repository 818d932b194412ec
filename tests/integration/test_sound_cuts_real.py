"""Sound cuts with the real VAD and speaker model on real speech (LibriSpeech in tests/data):
two readers back to back, with no pause added, become two events split at the join; one reader
alone stays one event (her pauses and sentences are one scene)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from mmem.config import IngestConfig
from mmem.perceive.audio_channel import Hearing
from mmem.perceive.vad import build_vad
from mmem.perceive.vision import Vision
from mmem.pipeline import ingest_file
from mmem.sources.audio import read_audio
from mmem.store.memory import Memory

pytestmark = pytest.mark.integration

VOICES = Path(__file__).resolve().parents[1] / "data" / "voices"


def _write(path: Path, parts: list[np.ndarray]) -> list[float]:
    """16 kHz mono WAV of the parts back to back; the times where each part after the first starts."""
    x = np.concatenate(parts)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes())
    return list(np.cumsum([len(p) / 16000 for p in parts])[:-1])


def _events(path: Path, root: Path, people) -> list:
    memory = Memory.open(root / "db", create=True)
    hearing = Hearing(build_vad(), None, None)  # speaker turns need speech regions, not words
    ingest_file(path, memory, IngestConfig(), Vision(None, None, 64), hearing, people)
    return sorted(memory.events(), key=lambda e: e.start)


def test_a_new_speaker_without_a_pause_starts_a_new_event(tmp_path, people):
    first = [read_audio(VOICES / "1688" / f"1688-142285-000{i}.flac") for i in (0, 1)]  # a man, 27.6 s
    second = [read_audio(VOICES / "1998" / f"1998-15444-000{i}.flac") for i in (0, 2)]  # a woman, 22.4 s
    joins = _write(tmp_path / "two.wav", first + second)
    join = joins[1]
    events = _events(tmp_path / "two.wav", tmp_path, people)
    bounds = [e.start for e in events][1:]
    assert len(bounds) == 1 and abs(bounds[0] - join) < 1.0, (join, bounds)


def test_one_steady_speaker_stays_one_event(tmp_path, people):
    parts = [read_audio(p) for p in sorted((VOICES / "1688").glob("*.flac"))]  # 35.5 s, one reader
    _write(tmp_path / "one.wav", parts)
    events = _events(tmp_path / "one.wav", tmp_path, people)
    assert len(events) == 1, [(e.start, e.end) for e in events]
