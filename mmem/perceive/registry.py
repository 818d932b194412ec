"""The channel registry: every perception channel, what it needs, and whether it will run.

A channel (`Channel`) plans itself from an `IngestConfig` without loading anything (it resolves
its weights, or raises `WeightsUnavailable`) and builds its model from that plan. This module is
the one place that turns a missing model into "skipped: why" (or into the error, when `--require`
names the channel). Ingest, batch workers, live sessions and `mmem doctor` all plan through it.

A new channel, or a new backend for an existing one (e.g. another vision model), is one module
under `mmem/perceive/channels/` plus one line in `CHANNELS`. Several entries may share a name:
the first whose `accepts(cfg)` is true serves that channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from mmem.config import IngestConfig, VisionConfig
from mmem.errors import MmemError, WeightsUnavailable
from mmem.perceive.channels.asr import WhisperChannel
from mmem.perceive.channels.base import Channel, ChannelPlan
from mmem.perceive.channels.clip import ClipChannel
from mmem.perceive.channels.faces import DlibFacesChannel
from mmem.perceive.channels.pixel import PixelChannel
from mmem.perceive.channels.sound import SoundChannel
from mmem.perceive.channels.text import SentenceChannel
from mmem.perceive.channels.voices import VoicesChannel

__all__ = ["CHANNELS", "Channel", "ChannelPlan", "build_all", "build_group", "build_one", "plan_all",
           "plan_one", "recorded", "recorded_vision", "select", "skipped"]


# the registry: one line per channel (or backend), in the order they are planned and reported
CHANNELS: tuple[Channel, ...] = (
    PixelChannel(),
    ClipChannel(),  # vision; another backend goes before it, with an `accepts`
    SoundChannel(),
    WhisperChannel(),
    SentenceChannel(),
    DlibFacesChannel(),
    VoicesChannel(),
)


def select(cfg: IngestConfig, channels: Iterable[Channel] | None = None,
           names: Iterable[str] | None = None) -> list[Channel]:
    """The channel serving each name for `cfg`, in registry order (`names`: only those)."""
    wanted = set(names) if names is not None else None
    out: dict[str, Channel] = {}
    for ch in CHANNELS if channels is None else channels:
        if ch.name not in out and (wanted is None or ch.name in wanted) and ch.accepts(cfg):
            out[ch.name] = ch
    return list(out.values())


def plan_one(ch: Channel, cfg: IngestConfig, plans: dict[str, ChannelPlan], *, download: bool = True,
             diagnose: bool = False) -> ChannelPlan:
    """Plan one channel after those it needs. A missing model skips it with the reason, unless
    `--require` names it. `diagnose` (doctor): plan it even when a need does not run, and report
    any error as its reason instead of raising."""
    unmet = [n for n in ch.needs if n in plans and not plans[n].runs]
    if unmet and not diagnose:
        return ChannelPlan(ch.name, runs=False, why=f"needs {unmet[0]}")
    try:
        plan = ch.plan(cfg, download=download)
    except WeightsUnavailable as exc:
        if ch.require is not None and ch.require in cfg.require and not diagnose:
            raise
        return ChannelPlan(ch.name, runs=False, why=str(exc), missing=True,
                           dim=None if diagnose else ch.width(cfg))
    except MmemError as exc:
        if not diagnose:
            raise
        return ChannelPlan(ch.name, runs=False, why=str(exc), missing=True)
    if unmet and plan.runs:
        plan = replace(plan, runs=False, why=f"needs {unmet[0]}")
    return plan


def plan_all(cfg: IngestConfig, *, download: bool = True, diagnose: bool = False,
             names: Iterable[str] | None = None,
             channels: Iterable[Channel] | None = None) -> dict[str, ChannelPlan]:
    """Every channel's plan for `cfg`, in registry order. Loads nothing; a bad --device and a
    missing required model are errors here."""
    if not diagnose:
        from mmem.perceive.device import device_name

        device_name(cfg.vision.device)  # a bad --device is an error whether or not weights exist
    plans: dict[str, ChannelPlan] = {}
    for ch in select(cfg, channels, names):
        plans[ch.name] = plan_one(ch, cfg, plans, download=download, diagnose=diagnose)
    return plans


def build_one(ch: Channel, plan: ChannelPlan, cfg: IngestConfig, device: str) -> tuple[ChannelPlan, Any]:
    """Load a planned channel; weights that turn out unusable skip it like missing ones."""
    if not plan.runs:
        return plan, None
    try:
        return plan, ch.build(plan, cfg, device)
    except WeightsUnavailable as exc:
        if ch.require is not None and ch.require in cfg.require:
            raise
        return replace(plan, runs=False, why=str(exc), missing=True), None


def build_all(cfg: IngestConfig, *, names: Iterable[str] | None = None,
              channels: Iterable[Channel] | None = None,
              later: Iterable[str] = ()) -> tuple[dict[str, ChannelPlan], dict[str, Any]]:
    """Plan and load every channel, in registry order: (plans, loaded models by channel name).
    The models load side by side (`_build_together`); the channels named in `later` that run
    load in a background thread: their entry is a `Loading` stand-in that waits for the model
    when first used."""
    from mmem.perceive.device import device_name

    device = device_name(cfg.vision.device)
    plans: dict[str, ChannelPlan] = {}
    background = set(later)
    now: list[tuple[Channel, ChannelPlan]] = []
    deferred: list[tuple[Channel, ChannelPlan]] = []
    for ch in select(cfg, channels, names):
        plans[ch.name] = plan = plan_one(ch, cfg, plans)
        (deferred if ch.name in background and plan.runs else now).append((ch, plan))
    built: dict[str, Any] = {}
    for (ch, _), (plan, model) in zip(now, _build_together(now, cfg, device), strict=True):
        # a need whose weights turned out unusable skips what needs it, as if planned after it
        unmet = [n for n in ch.needs if n in plans and not plans[n].runs]
        if unmet and plan.runs:
            plan, model = ChannelPlan(ch.name, runs=False, why=f"needs {unmet[0]}"), None
        plans[ch.name] = plan
        if model is not None:
            built[ch.name] = model
    # started once the others are built: a loader that holds the GIL while it reads its weights
    # stalls the loads above instead of overlapping them (measured with dlib's detector built
    # from its compiled-in string: the voice encoder's 0.1 s load took 2.7 s); from here it
    # overlaps the store's opening and the first file's decoding and ASR, which mostly run
    # without the GIL
    if deferred:
        from mmem.perceive.loading import Loading

        for ch, plan in deferred:
            built[ch.name] = Loading(ch.name, lambda ch=ch, plan=plan: build_one(ch, plan, cfg, device))
    return plans, {name: built[name] for name in plans if name in built}  # registry order, as before


def _build_together(jobs: list[tuple[Channel, ChannelPlan]], cfg: IngestConfig,
                    device: str) -> list[tuple[ChannelPlan, Any]]:
    """`build_one` for each (channel, plan), in order. The loads run side by side, one thread
    each beside this one: CTranslate2 and ONNX Runtime read and optimise weights without the
    GIL, so on a multi-core CPU the models load in about the time of the slowest rather than the
    sum. Every load finishes before the first error (in registry order) is raised."""
    import threading

    results: list[tuple[ChannelPlan, Any] | None] = [None] * len(jobs)
    errors: list[BaseException | None] = [None] * len(jobs)

    def load(i: int) -> None:
        try:
            results[i] = build_one(jobs[i][0], jobs[i][1], cfg, device)
        except BaseException as exc:  # raised below, on the caller's thread
            errors[i] = exc

    loading = [i for i, (_, plan) in enumerate(jobs) if plan.runs]
    threads = [threading.Thread(target=load, args=(i,), name=f"mmem-build-{jobs[i][0].name}")
               for i in loading[1:]]
    for t in threads:
        t.start()
    for i in range(len(jobs)):
        if i not in loading[1:]:
            load(i)  # the first load (and the channels that load nothing) on this thread
    for t in threads:
        t.join()
    for exc in errors:
        if exc is not None:
            raise exc
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def build_group(names: Iterable[str], device: str, required: str | None = None,
                **sections: Any) -> tuple[dict[str, ChannelPlan], dict[str, Any]]:
    """`build_all` for some channels, from config sections (e.g. audio=AudioConfig(...)) and a
    device; `required`: the --require name that makes their absence an error."""
    sections.setdefault("vision", VisionConfig(device=device))
    cfg = IngestConfig(require=frozenset({required} if required else ()), **sections)
    return build_all(cfg, names=names)


def recorded_vision(spec: dict[str, Any], device: str = "auto") -> Any:
    """The vision model a memory recorded at ingest (its `spec`), loaded to embed questions in
    the same space, by whichever backend serves it. Missing weights raise WeightsUnavailable."""
    vision = VisionConfig(clip_model=spec["clip_model"], clip_pretrained=spec["clip_pretrained"],
                          device=device)
    cfg = IngestConfig(vision=vision, require=frozenset({"vision"}))
    (channel,) = select(cfg, names=("vision",))
    return channel.build(channel.plan(cfg), cfg, device)


def skipped(plans: Iterable[ChannelPlan]) -> list[str]:
    """"channel: why" for each channel skipped because its model is missing."""
    return [f"{p.name}: {p.why}" for p in plans if p.missing and not p.runs]


def recorded(running: Iterable[str], *, has_video: bool, has_audio: bool,
             channels: Iterable[Channel] | None = None) -> list[str]:
    """The channels a source records: those that run, on a track it has (audio channels only
    while the audio channel itself runs), in registry order, video first."""
    on = set(running)
    out: dict[str, list[str]] = {"video": [], "audio": []}
    for ch in CHANNELS if channels is None else channels:
        if not ch.recorded or ch.name not in on or ch.name in out[ch.media]:
            continue
        if ch.media == "video" and has_video or ch.media == "audio" and has_audio and "audio" in on:
            out[ch.media].append(ch.name)
    return out["video"] + out["audio"]
