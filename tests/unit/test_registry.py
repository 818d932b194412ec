"""The channel registry with fake channels: plan, skip, require, needs, backends, bundles and the
models a memory records. No model is loaded."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from mmem.config import EntityConfig, IngestConfig
from mmem.errors import InputError, ModelMismatch, WeightsUnavailable
from mmem.perceive import registry
from mmem.perceive.channels.base import BaseChannel, ChannelPlan
from mmem.perceive.models import ModelPlan, bundles, loaded_plan, plan_models, running, skipped_lines
from mmem.perceive.registry import build_all, plan_all, recorded, select, skipped


class Fake(BaseChannel):
    """A channel whose weights are there, missing, or a bad setting; counts plans and builds."""

    def __init__(self, name: str, media: str = "video", *, needs: tuple[str, ...] = (),
                 require: str | None = None, recorded: bool = True, missing: bool = False,
                 bad: bool = False, breaks: bool = False, dim: int | None = None,
                 accepts: str | None = None) -> None:
        self.name, self.media, self.needs, self.require, self.recorded = name, media, needs, require, recorded
        self.missing, self.bad, self.breaks, self.dim, self.prefix = missing, bad, breaks, dim, accepts
        self.planned = self.built = 0

    def accepts(self, cfg: IngestConfig) -> bool:
        return self.prefix is None or cfg.vision.clip_model.startswith(self.prefix)

    def width(self, cfg: IngestConfig) -> int | None:
        return self.dim

    def plan(self, cfg: IngestConfig, *, download: bool = True) -> ChannelPlan:
        self.planned += 1
        if self.name == "audio" and not cfg.audio.enabled:
            return self.off("turned off (--no-audio)")
        if self.require == "entities" and not cfg.entities.enabled:
            return self.off("turned off (--no-entities)")
        if self.bad:
            raise InputError(f"unknown --{self.name}-model")
        if self.missing:
            raise WeightsUnavailable(f"{self.name} weights are not cached")
        spec = {"model_id": f"{self.name}-model"} if self.name == "vision" else None
        return ChannelPlan(self.name, runs=True, model_id=f"{self.name}-model", weights=f"/w/{self.name}",
                           dim=self.dim, spec=spec)

    def build(self, plan: ChannelPlan, cfg: IngestConfig, device: str) -> Any:
        self.built += 1
        if self.breaks:
            raise WeightsUnavailable(f"{self.name} weights are unreadable")
        return FakeModel(plan.model_id or self.name, self.dim or 8)


@dataclasses.dataclass
class FakeModel:
    model_id: str
    dim: int


def channels(**overrides: Fake) -> list[Fake]:
    base = {
        "pixel": Fake("pixel"),
        "vision": Fake("vision", require="vision", dim=64),
        "audio": Fake("audio", "audio"),
        "asr": Fake("asr", "audio", needs=("audio",), require="asr"),
        "text": Fake("text", "audio", needs=("asr",), recorded=False, dim=16),
        "faces": Fake("faces", require="entities"),
        "voices": Fake("voices", "audio", require="entities"),
    }
    base.update(overrides)
    return list(base.values())


CPU = IngestConfig(vision=dataclasses.replace(IngestConfig().vision, device="cpu"))


def test_every_channel_plans_in_registry_order_and_builds():
    chans = channels()
    plans, built = build_all(CPU, channels=chans)
    assert list(plans) == ["pixel", "vision", "audio", "asr", "text", "faces", "voices"]
    assert all(p.runs for p in plans.values()) and skipped(plans.values()) == []
    assert built["vision"].model_id == "vision-model" and all(c.built == 1 for c in chans)


def test_planning_loads_nothing():
    chans = channels()
    plans = plan_all(CPU, channels=chans)
    assert all(p.runs for p in plans.values())
    assert [c.built for c in chans] == [0] * len(chans)


def test_missing_weights_skip_the_channel_with_why_and_its_width():
    chans = channels(vision=Fake("vision", require="vision", missing=True, dim=64))
    plans, built = build_all(CPU, channels=chans)
    v = plans["vision"]
    assert not v.runs and v.missing and v.why == "vision weights are not cached" and v.dim == 64
    assert "vision" not in built and chans[1].built == 0
    assert skipped(plans.values()) == ["vision: vision weights are not cached"]


def test_a_required_missing_channel_is_an_error():
    cfg = dataclasses.replace(CPU, require=frozenset({"vision"}))
    with pytest.raises(WeightsUnavailable, match="vision weights are not cached"):
        plan_all(cfg, channels=channels(vision=Fake("vision", require="vision", missing=True)))
    cfg = dataclasses.replace(CPU, require=frozenset({"entities"}))
    with pytest.raises(WeightsUnavailable, match="voices"):
        build_all(cfg, channels=channels(voices=Fake("voices", "audio", require="entities", missing=True)))
    # --require asr does not make a missing face model an error
    cfg = dataclasses.replace(CPU, require=frozenset({"asr"}))
    plans = plan_all(cfg, channels=channels(faces=Fake("faces", require="entities", missing=True)))
    assert plans["faces"].missing and plans["asr"].runs


def test_weights_that_fail_to_load_skip_like_missing_ones_unless_required():
    chans = channels(faces=Fake("faces", require="entities", breaks=True))
    plans, built = build_all(CPU, channels=chans)
    assert plans["faces"].missing and not plans["faces"].runs and "faces" not in built
    assert skipped(plans.values()) == ["faces: faces weights are unreadable"]
    with pytest.raises(WeightsUnavailable):
        build_all(dataclasses.replace(CPU, require=frozenset({"entities"})), channels=chans)


def test_a_channel_whose_need_does_not_run_is_off_unplanned_and_unreported():
    chans = channels(asr=Fake("asr", "audio", needs=("audio",), require="asr", missing=True))
    plans, built = build_all(CPU, channels=chans)
    assert plans["text"] == ChannelPlan("text", runs=False, why="needs asr")
    assert chans[4].planned == 0 and "text" not in built
    assert skipped(plans.values()) == ["asr: asr weights are not cached"]  # text is not warned about


def test_a_channel_whose_need_fails_to_load_is_off_as_if_planned_after_it():
    chans = channels(asr=Fake("asr", "audio", needs=("audio",), require="asr", breaks=True))
    plans, built = build_all(CPU, channels=chans)
    assert plans["text"] == ChannelPlan("text", runs=False, why="needs asr")
    assert "asr" not in built and "text" not in built
    assert skipped(plans.values()) == ["asr: asr weights are unreadable"]


class Meets(Fake):
    """A channel whose build waits until every other Meets channel's build has started."""

    def __init__(self, name: str, media: str, barrier: Any, **kw: Any) -> None:
        super().__init__(name, media, **kw)
        self.barrier = barrier

    def build(self, plan: ChannelPlan, cfg: IngestConfig, device: str) -> Any:
        self.barrier.wait()  # BrokenBarrierError (after its timeout) if the builds run one by one
        return super().build(plan, cfg, device)


def test_models_load_side_by_side_and_a_failure_waits_for_the_others():
    import threading

    meet = threading.Barrier(3, timeout=30)
    chans = channels(asr=Meets("asr", "audio", meet, needs=("audio",), require="asr"),
                     text=Meets("text", "audio", meet, needs=("asr",), recorded=False, dim=16),
                     voices=Meets("voices", "audio", meet, require="entities"))
    plans, built = build_all(CPU, channels=chans)
    assert {"asr", "text", "voices"} <= set(built) and list(plans) == list(built)
    broken = channels(vision=Fake("vision", require="vision", breaks=True))
    with pytest.raises(WeightsUnavailable, match="vision"):
        build_all(dataclasses.replace(CPU, require=frozenset({"vision"})), channels=broken)
    assert all(c.built == 1 for c in broken)  # every other load ran to its end first


def test_bad_settings_are_errors_not_skips():
    with pytest.raises(InputError):
        plan_all(CPU, channels=channels(vision=Fake("vision", bad=True)))


def test_doctor_diagnoses_every_channel_without_raising():
    chans = channels(vision=Fake("vision", bad=True),
                     asr=Fake("asr", "audio", needs=("audio",), require="asr", missing=True))
    cfg = dataclasses.replace(CPU, require=frozenset({"asr"}))
    plans = plan_all(cfg, channels=chans, diagnose=True)
    assert plans["vision"].missing and plans["vision"].why == "unknown --vision-model"
    assert plans["asr"].missing  # required, yet reported rather than raised
    text = plans["text"]
    assert chans[4].planned == 1 and not text.runs and not text.missing and text.why == "needs asr"
    assert text.model_id == "text-model"  # its own weights were checked
    assert plans["pixel"].as_json() == {"name": "pixel", "runs": True, "why": None, "model_id": "pixel-model"}


def test_a_new_backend_is_one_registry_line_chosen_by_accepts():
    other = Fake("vision", require="vision", dim=32, accepts="fake:")
    chans = [other, *channels()]
    assert select(CPU, chans, ("vision",))[0] is not other  # ViT-B-32 is not its model
    cfg = dataclasses.replace(CPU, vision=dataclasses.replace(CPU.vision, clip_model="fake:tiny"))
    plans, built = build_all(cfg, channels=chans)
    names = [c.name for c in select(cfg, chans)]
    assert names == ["vision", "pixel", "audio", "asr", "text", "faces", "voices"]
    assert built["vision"].dim == 32 and other.built == 1 and chans[2].built == 0


def test_recorded_channels_video_first_audio_only_while_audio_runs():
    chans = channels()
    every = {"pixel", "vision", "audio", "asr", "text", "faces", "voices"}
    assert recorded(every, has_video=True, has_audio=True, channels=chans) == [
        "pixel", "vision", "faces", "audio", "asr", "voices"]
    assert recorded(every, has_video=False, has_audio=True, channels=chans) == ["audio", "asr", "voices"]
    assert recorded(every - {"audio"}, has_video=True, has_audio=True, channels=chans) == [
        "pixel", "vision", "faces"]
    assert recorded(every, has_video=True, has_audio=False, channels=chans) == ["pixel", "vision", "faces"]


def test_bundles_keep_the_attributes_session_and_live_use():
    chans = channels(text=Fake("text", "audio", needs=("asr",), recorded=False, missing=True),
                     faces=Fake("faces", require="entities", missing=True))
    plans, built = build_all(CPU, channels=chans)
    vision, hearing, people = bundles(CPU, plans, built)
    assert vision.embedder is built["vision"] and vision.spec == {"model_id": "vision-model"}
    assert vision.dim == 64
    assert hearing.vad is built["audio"] and hearing.asr is built["asr"] and hearing.text is None
    assert hearing.skipped == ["text: text weights are not cached"]
    assert people.faces is None and people.voices is built["voices"] and people.active
    assert people.skipped == ["faces: faces weights are not cached"]
    assert people.gate.min_size == CPU.entities.min_face
    assert running(vision, hearing, people) == {"pixel", "vision", "audio", "asr", "voices"}
    assert skipped_lines(vision, hearing, people) == ["text: text weights are not cached",
                                                      "faces: faces weights are not cached"]
    plan = loaded_plan(vision, hearing, people)
    assert (plan.spec, plan.dim, plan.text_dim, plan.people, plan.text_model) == (
        {"model_id": "vision-model"}, 64, None, True, None)


def test_a_skipped_vision_keeps_its_width_and_off_channels_give_empty_bundles():
    cfg = dataclasses.replace(CPU, audio=dataclasses.replace(CPU.audio, enabled=False),
                              entities=EntityConfig(enabled=False))
    chans = channels(vision=Fake("vision", require="vision", missing=True, dim=None))
    plans, built = build_all(cfg, channels=chans)
    vision, hearing, people = bundles(cfg, plans, built)
    assert vision.embedder is None and vision.dim == 512 and vision.skipped == "vision weights are not cached"
    assert (hearing.vad, hearing.asr, hearing.text, hearing.skipped) == (None, None, None, [])
    assert (people.faces, people.voices, people.skipped, people.active) == (None, None, [], False)
    assert plans["asr"].why == "needs audio"
    assert skipped(plans.values()) == ["vision: vision weights are not cached"]


def test_plan_models_measures_widths_by_loading_only_text(monkeypatch):
    chans = channels(vision=Fake("vision", require="vision", dim=64))
    monkeypatch.setattr(registry, "CHANNELS", tuple(chans))
    plan = plan_models(CPU)
    assert plan == ModelPlan({"model_id": "vision-model"}, 64, 16, True, [], "text-model")
    assert [c.name for c in chans if c.built] == ["text"]
    chans = channels(vision=Fake("vision", require="vision", dim=None), faces=Fake("faces", missing=True),
                     voices=Fake("voices", "audio", missing=True))
    monkeypatch.setattr(registry, "CHANNELS", tuple(chans))
    plan = plan_models(CPU)  # no width in the config: CLIP is loaded once, on the CPU, to tell it
    assert (plan.dim, plan.people) == (8, False) and chans[1].built == 1
    assert plan.skipped == ["faces: faces weights are not cached", "voices: voices weights are not cached"]


def test_the_sentence_model_is_recorded_and_a_different_one_refused(tmp_path, monkeypatch):
    from mmem.pipeline import bind_models
    from mmem.store.memory import Memory

    m = Memory.open(tmp_path / "db", create=True)
    bind_models(m, ModelPlan(None, 64, 16, False, text_model="mini"), audio=False)
    assert m.text_model is None  # no speech, nothing embedded: nothing recorded
    bind_models(m, ModelPlan(None, 64, 16, False, text_model="mini"))
    assert Memory.open(m.root).text_model == "mini" and m.meta["dim"] == 64
    m.bind_text_model("mini")
    with pytest.raises(ModelMismatch, match='text_model = "mini"'):
        m.bind_text_model("other")
    old = Memory.open(tmp_path / "old", create=True)  # transcripts from before it was recorded
    monkeypatch.setattr(Memory, "has_transcripts", lambda self: True)
    with pytest.raises(ModelMismatch, match="all-MiniLM-L6-v2"):
        old.bind_text_model("other")
    old.bind_text_model("all-MiniLM-L6-v2")
    assert old.text_model == "all-MiniLM-L6-v2"


def test_ask_embeds_questions_with_the_recorded_sentence_model(tmp_path, monkeypatch):
    from mmem.perceive import audio_channel
    from mmem.recall.answer import build_recall
    from mmem.store.memory import Memory

    asked: list[str] = []
    monkeypatch.setattr(audio_channel, "build_text_embedder", lambda model, *_: asked.append(model))
    new = Memory.open(tmp_path / "new", create=True)
    new.bind_text_model("all-mpnet-base-v2")
    old = Memory.open(tmp_path / "old", create=True)  # from before the model was recorded
    monkeypatch.setattr(Memory, "has_transcripts", lambda self: True)
    build_recall(old, "cpu")
    build_recall(new, "cpu")
    assert asked == ["all-MiniLM-L6-v2", "all-mpnet-base-v2"]


def test_the_real_registry_plans_offline_without_loading():
    plans = plan_all(CPU, download=False)
    assert list(plans) == ["pixel", "vision", "audio", "asr", "text", "faces", "voices"]
    assert plans["vision"].missing and "mmem models pull" in (plans["vision"].why or "")
    assert plans["vision"].dim == 512 and plans["pixel"].runs
    with pytest.raises(WeightsUnavailable, match="not cached"):
        plan_all(dataclasses.replace(CPU, require=frozenset({"vision"})), download=False)
    quiet = dataclasses.replace(CPU, audio=dataclasses.replace(CPU.audio, enabled=False))
    off = plan_all(quiet, download=False)
    assert (off["audio"].runs, off["asr"].why, off["text"].why) == (False, "needs audio", "needs asr")


def test_weights_know_the_asr_backends_without_importing_perceive():
    import ast
    from pathlib import Path

    from mmem import weights

    tree = ast.parse(Path(weights.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m and m.startswith("mmem.perceive") for m in imported)
    with pytest.raises(InputError, match="use one of faster-whisper, openai-whisper"):
        weights.resolve_asr("tiny.en", "nope")


def test_ask_embeds_questions_with_the_backend_that_serves_the_recorded_vision_model(tmp_path, monkeypatch):
    from mmem.recall.answer import build_recall
    from mmem.store.memory import Memory

    other = Fake("vision", require="vision", dim=8, accepts="fake:")
    monkeypatch.setattr(registry, "CHANNELS", (other, *channels()))
    m = Memory.open(tmp_path / "db", create=True)
    m.bind_vector_model({"clip_model": "fake:tiny", "clip_pretrained": "p", "model_id": "vision-model"}, 8)
    recall = build_recall(m, "cpu")
    assert recall.vision is not None and recall.vision.model_id == "vision-model" and other.built == 1
    gone = Fake("vision", require="vision", accepts="fake:", missing=True)
    monkeypatch.setattr(registry, "CHANNELS", (gone, *channels()))
    recall = build_recall(m, "cpu")
    assert recall.vision is None
    assert recall.notes == ["Cannot search the visual index: vision weights are not cached"]
