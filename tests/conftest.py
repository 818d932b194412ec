"""Shared fixtures. Tests never touch the network or the user's cache: MMEM_OFFLINE=1 and a
private MMEM_HOME are set for every test.

Tiers, by directory (markers set here, so a test module needs no decorator):
    unit         tests/unit         fakes, no models (`make test-fast`)
    integration  tests/integration  real media and tiny real models
                 tests/cli          (the same, through the CLI)
                 tests/serve        (the same, through `mmem serve`'s API and a real browser)
    live         tests/live         loopback MJPEG / RTSP servers
    batch        tests/batch        `mmem batch` subprocesses, Ray, moto's S3
    faults       tests/faults       kill -9, concurrent writers, full/read-only disks, damaged files
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
TINY = ("mmem-tiny", "random")  # bundled tiny open_clip config, deterministic random init
TIERS = {"unit": "unit", "integration": "integration", "cli": "integration", "live": "live",
         "batch": "batch", "faults": "faults", "serve": "integration"}


def pytest_configure(config):
    """Ctrl-C as at a terminal, however the suite was started. A shell without job control
    (`make test &` in a script, nohup, many CI runners) starts background jobs with SIGINT
    ignored, and an ignored signal stays ignored in every process started from them: Python then
    installs no KeyboardInterrupt handler, so `mmem ingest <live source>` sent SIGINT by a test
    ("the user's Ctrl-C") never stopped (tests/live: ...ctrl_c_closes_the_session failed only
    in full runs started that way). Caught again here, SIGINT is back at its default in children."""
    import signal

    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(config, items):
    tests = ROOT / "tests"
    for item in items:
        try:
            folder = Path(str(item.path)).resolve().relative_to(tests).parts[0]
        except ValueError:
            continue
        tier = TIERS.get(folder)
        if tier is not None:
            item.add_marker(getattr(pytest.mark, tier))


_LOADED: dict[str, object] = {}  # models by configuration, for every in-process run of the session


@contextmanager
def models_once() -> Iterator[dict[str, object]]:
    """Inside, pipeline.build_models is cached by configuration (and environment) for the whole
    session: the commands a test runs in this process load their models once, as a long-running
    process would (a subprocess, a pool or Ray worker loads its own). Failures are not cached: a
    missing or --require'd model fails every time."""
    from mmem import pipeline

    real = pipeline.build_models

    def build_models(cfg, **kwargs):
        key = repr((cfg, kwargs, os.environ.get("MMEM_HOME"), os.environ.get("MMEM_OFFLINE")))
        if key not in _LOADED:
            _LOADED[key] = real(cfg, **kwargs)
        return _LOADED[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "build_models", build_models)
        yield _LOADED


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("MMEM_OFFLINE", "1")
    monkeypatch.setenv("MMEM_HOME", str(tmp_path_factory.getbasetemp() / "mmem-home"))
    monkeypatch.delenv("MMEM_DB", raising=False)
    for var in ("MMEM_DEVICE", "MMEM_CLIP_MODEL", "MMEM_CLIP_PRETRAINED"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def tiny_vision():
    from mmem.config import VisionConfig
    from mmem.perceive.vision import build_vision

    return build_vision(VisionConfig(clip_model=TINY[0], clip_pretrained=TINY[1], device="cpu"))


@pytest.fixture(scope="session")
def hearing():
    """The real audio channel (Silero VAD, tiny.en, MiniLM), loaded once for every test that
    only uses it (the models keep no state between files)."""
    from mmem.config import AudioConfig
    from mmem.perceive.audio_channel import build_hearing

    h = build_hearing(AudioConfig(), "cpu", require_asr=True)
    assert h.asr is not None and h.text is not None and h.vad is not None
    return h


@pytest.fixture(scope="session")
def people():
    """The real entity channel (dlib faces, CAM++ voices: the defaults), loaded once."""
    from mmem.config import EntityConfig
    from mmem.perceive.people_channel import build_people

    p = build_people(EntityConfig(), "cpu", required=True)
    assert p.faces is not None and p.voices is not None
    return p


@pytest.fixture(scope="session")
def people_resemblyzer():
    """The entity channel with the older speaker model (`--voice-model resemblyzer`)."""
    from mmem.config import EntityConfig
    from mmem.perceive.people_channel import build_people

    p = build_people(EntityConfig(voice_model="resemblyzer"), "cpu", required=True)
    assert p.voices is not None
    return p


@pytest.fixture(scope="session")
def concat_video(tmp_path_factory) -> tuple[Path, list[float]]:
    """bigbuckbunny + bikes + bbaf2n, re-encoded as one 640x360 15 fps H.264 file: three real
    shots with known joins (5.28 s, 15.28 s)."""
    from benchmarks.media import concat

    out = tmp_path_factory.mktemp("media") / "three_shots.mp4"
    joins = concat(
        [SAMPLES / "bigbuckbunny.mp4", SAMPLES / "bikes.mp4", SAMPLES / "bbaf2n.mpg"],
        out, size=(640, 360), fps=15,
    )
    return out, joins


@pytest.fixture
def media_copy(tmp_path):
    """Copy a sample into tmp_path (tests may damage or rename it)."""

    def make(name: str, as_name: str | None = None) -> Path:
        dst = tmp_path / (as_name or name)
        shutil.copy(SAMPLES / name, dst)
        return dst

    return make
