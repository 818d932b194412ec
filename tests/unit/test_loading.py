"""Models loaded in the background (ingest's face model during the audio pass): the stand-in
behaves as the model once loaded, waits for it on first use, and a failed load surfaces where
the model is used, with its reason."""

from __future__ import annotations

import threading

import pytest

from mmem.config import IngestConfig
from mmem.errors import WeightsUnavailable
from mmem.perceive.channels.base import ChannelPlan
from mmem.perceive.loading import Loading
from mmem.perceive.registry import build_all


class Detector:
    dim = 128

    def detect(self, image: str) -> list[str]:
        return [f"face in {image}"]


def test_first_use_waits_for_the_model_then_answers_as_it():
    release = threading.Event()

    def load():
        release.wait(5)
        return ChannelPlan("faces", runs=True), Detector()

    faces = Loading("faces", load)
    assert "loading" in repr(faces)
    threading.Timer(0.05, release.set).start()
    assert faces.detect("frame 1") == ["face in frame 1"]  # blocked until the load finished
    assert faces.dim == 128 and "loaded" in repr(faces)


def test_a_failed_load_raises_at_first_use_with_its_reason():
    def broken():
        raise WeightsUnavailable("face weights are damaged: reinstall face-recognition-models")

    with pytest.raises(WeightsUnavailable, match="reinstall"):
        Loading("faces", broken).detect("frame")
    unusable = Loading("faces", lambda: (ChannelPlan("faces", runs=False, why="cannot read the model"), None))
    with pytest.raises(WeightsUnavailable, match="faces: cannot read the model"):
        unusable.detect("frame")


def test_build_all_loads_the_named_channels_later_and_the_others_now(monkeypatch):
    """Only the channels named `later` that run come back as stand-ins; the plans are the same."""
    from mmem.perceive import registry

    def fake_build(ch, plan, cfg, device):
        return plan, (Detector() if plan.runs else None)

    monkeypatch.setattr(registry, "build_one", fake_build)
    monkeypatch.setattr("mmem.perceive.device.device_name", lambda name: "cpu")
    cfg = IngestConfig()
    plans_now, now = build_all(cfg, names=("pixel", "faces"))
    plans_later, later = build_all(cfg, names=("pixel", "faces"), later=("faces",))
    assert plans_now == plans_later
    if plans_now["faces"].runs:  # face weights installed (face-recognition-models)
        assert isinstance(later["faces"], Loading) and not isinstance(now["faces"], Loading)
        assert later["faces"].detect("x") == now["faces"].detect("x")
    assert type(later.get("pixel")) is type(now.get("pixel"))
