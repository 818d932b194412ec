"""Streaming surprise segmenter: ``push(observation) -> list[Segment]``, then ``flush()``.

Surprise of frame t is its prediction error: per channel, 1 - cos between the frame's feature
and a running prediction (an exponential moving average of the frames before it), fused as a
weighted mean over the channels present. A boundary fires when surprise exceeds
mu + gamma * sigma of the last `window` values (EM-LLM; values that fired are left out of the
window, so a run of cuts does not raise the bar) and an absolute floor, once the open
event is at least `min_duration` long; an event reaching `max_duration` is cut regardless.
A fired boundary waits `refine_radius` more frames, then moves to the best split of the
frames' similarity graph in a window around it (see refine.py).

With `cuts` (a recorded file: the shot pass's cuts and the sound's, in time order) the events
are built on them instead: each cut closes the open event exactly at its time, unless speech
runs across it (the utterance stays whole) or the frame after a *visual* cut still looks like
the event before it in every visual channel (the scene continues: the shots join). Surprise is
then kept as the events' score, and `max_duration` still cuts at a pause.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mmem.config import SegmentConfig
from mmem.segment.cuts import CutTimeline
from mmem.segment.refine import refine_boundary
from mmem.segment.speech import SpeechTimeline, quiet_point
from mmem.types import Observation, Segment


@dataclass(slots=True)
class _Pending:
    index: int  # the frame that fired: first frame of the new event before refinement
    surprise: float
    forced: bool
    postponed: bool = False  # waited for an utterance to end: the window no longer holds the change


class Segmenter:
    def __init__(self, cfg: SegmentConfig, speech: SpeechTimeline | None = None,
                 cuts: CutTimeline | Sequence[tuple[float, str]] | None = None) -> None:
        self.cfg = cfg
        self.speech = speech
        # (time, "cut" | "fade" | "sound", "+sound" when both); None: boundaries from surprise alone
        self.cuts = CutTimeline(list(cuts)) if isinstance(cuts, Sequence) else cuts
        self._dist: dict[str, float] = {}  # this frame's per-channel prediction error
        self.weights = {"clip": cfg.clip_weight, "pixel": cfg.pixel_weight, "audio": cfg.audio_weight}
        self._level: float | None = None
        self._pred: dict[str, np.ndarray] = {}
        self._history: deque[float] = deque(maxlen=cfg.window)
        keep = 2 * cfg.refine_radius + 2
        self._recent: deque[Observation] = deque(maxlen=keep)
        self._event_first: int | None = None
        self._event_start = 0.0
        self._event_surprise = 0.0
        self._pending: _Pending | None = None
        self._last: Observation | None = None

    # -- surprise ---------------------------------------------------------------------------
    def _surprise(self, obs: Observation) -> float:
        """Weighted mean of the sight channels' prediction errors, plus the sound's (weighted)
        on top: sound is evidence that adds to a visual change, never a vote that dilutes it.
        With no sight channel the sound's error is the surprise."""
        num = den = 0.0
        a = self.cfg.ema_alpha
        self._dist = {}
        for name, x in obs.features.items():
            p = self._pred.get(name)
            if p is not None:
                self._dist[name] = 1.0 - float(np.clip(x @ p, -1.0, 1.0))
                w = float(self.weights.get(name, 1.0))
                if name != "audio" and w > 0:
                    num += w * self._dist[name]
                    den += w
            nxt = x if p is None else (1 - a) * p + a * x
            norm = float(np.linalg.norm(nxt))
            self._pred[name] = nxt / norm if norm > 0 else nxt
        sound = self._dist.get("audio")
        if den == 0:
            return sound or 0.0
        return num / den + (self.weights["audio"] * sound if sound is not None else 0.0)

    def _sound_surprise(self, t0: float, t1: float) -> float:
        """Speech starting or stopping at a silence, and loudness jumps, add to surprise."""
        if self.speech is None:
            return 0.0
        bonus = self.cfg.turn_weight if self.speech.turn(t0, t1) else 0.0
        level = self.speech.level(t0, t1)
        if level is not None and self._level is not None:
            jump = abs(level - self._level)
            if jump >= self.cfg.loudness_jump_db:
                bonus += self.cfg.loudness_weight * min(1.0, jump / (2 * self.cfg.loudness_jump_db))
        self._level = level
        return bonus

    def _cut_time(self, window: list[Observation], i: int) -> float | None:
        """Where a boundary before window[i] goes in time: midway between the frames either
        side, moved into a pause if that falls inside speech; None when speech fills the gap."""
        if i == 0:
            return window[0].t
        t0, t1 = window[i - 1].t, window[i].t
        if self.speech is None:
            return (t0 + t1) / 2
        return quiet_point(self.speech.speech, t0, t1)

    def _fires(self, obs: Observation, prev_t: float, s: float) -> tuple[bool, bool]:
        cfg = self.cfg
        assert self._event_first is not None
        age = (prev_t + obs.t) / 2 - self._event_start  # length of the event if it ended here
        if age >= cfg.max_duration:
            return True, True
        if obs.index - self._event_first < cfg.warmup or age < cfg.min_duration:
            return False, False
        if len(self._history) < cfg.warmup or s < cfg.min_surprise:
            return False, False
        mu = float(np.mean(self._history))
        sigma = float(np.std(self._history))
        return s > mu + cfg.gamma * sigma, False

    @property
    def event_start(self) -> float:
        """When the open event began (seconds)."""
        return self._event_start

    @property
    def last_time(self) -> float | None:
        """Timestamp of the newest frame pushed, if any."""
        return self._last.t if self._last is not None else None

    # -- streaming contract -----------------------------------------------------------------
    def push(self, obs: Observation) -> list[Segment]:
        out: list[Segment] = []
        s = self._surprise(obs)
        self._recent.append(obs)
        prev, self._last = self._last, obs
        if self._event_first is None or prev is None:
            self._event_first, self._event_start = obs.index, obs.t
            return out
        s += self._sound_surprise(prev.t, obs.t)
        if self.cuts is not None:
            return self._push_cut(obs, prev, s)
        if self._pending is not None and obs.index - self._pending.index >= self.cfg.refine_radius:
            cut = self._cut()  # the window around the boundary is complete
            if cut is not None:
                out.append(cut)
        fire = False
        if self._pending is None:
            fire, forced = self._fires(obs, prev.t, s)
            if fire:
                self._pending = _Pending(obs.index, s, forced)
        if not fire:
            # mu and sigma describe the surprise *within* events: the spikes that cut are left
            # out, or a run of cuts would raise the bar until the next cut goes unnoticed
            self._history.append(s)
        return out

    def flush(self, end: float | None = None) -> list[Segment]:
        """Close what is open. `end` is the media's end time (default: last frame + 1 frame)."""
        out: list[Segment] = []
        if self._event_first is None or self._last is None:
            return out
        if self._pending is not None:
            self._pending.forced = True  # the stream ends: place it as well as the window allows
            cut = self._cut()
            if cut is not None:
                out.append(cut)
        last_t = self._last.t
        stop_t = end if end is not None and end > last_t else last_t + self._frame_gap()
        out.append(
            Segment(self._event_first, self._last.index + 1, self._event_start, stop_t,
                    self._event_surprise)
        )
        self._event_first = None
        return out

    # -- events on cuts ---------------------------------------------------------------------
    def _push_cut(self, obs: Observation, prev: Observation, s: float) -> list[Segment]:
        assert self.cuts is not None and self._event_first is not None
        here = self.cuts.between(prev.t, obs.t)  # the cuts since the previous frame
        holds = [t for t, kind in here if self._keeps(t, kind)]
        at: float | None = None
        if holds:
            at = holds[-1]  # of several cuts between two frames, the last one that holds
        elif obs.t - self._event_start >= self.cfg.max_duration:
            at = self._cut_time([prev, obs], 1)  # too long: the pause between these frames
        if at is None or at - self._event_start < self.cfg.min_cut_gap:
            return []
        seg = Segment(self._event_first, obs.index, self._event_start, at, self._event_surprise)
        self._event_first, self._event_start, self._event_surprise = obs.index, at, s
        return [seg]

    def _keeps(self, t: float, kind: str) -> bool:
        """Does the cut at `t` close the event? Not inside speech; a visual cut not when the
        new shot still looks like the event in every sight channel (max error < join_distance)."""
        cfg = self.cfg
        if t - self._event_start < cfg.min_cut_gap:
            return False
        if self.speech is not None and self.speech.speech:
            m = cfg.speech_margin
            if quiet_point(self.speech.speech, t - m, t + m) is None:
                return False  # speech runs across it: the utterance stays whole
        if "sound" in kind:
            return True  # the sound changed too (or alone): no joining
        sight = [d for name, d in self._dist.items() if name != "audio"]
        return not sight or max(sight) >= cfg.join_distance

    # -- internals --------------------------------------------------------------------------
    def _frame_gap(self) -> float:
        ts = [o.t for o in self._recent]
        gaps = np.diff(ts) if len(ts) > 1 else np.array([1.0])
        return float(np.median(gaps)) if gaps.size else 1.0

    def _cut(self) -> Segment | None:
        """Close the open event at the refined boundary; None (and keep waiting) when every
        candidate would cut through speech and the event may still grow."""
        pend = self._pending
        assert pend is not None and self._event_first is not None
        window = list(self._recent)
        r = self.cfg.refine_radius
        # The change happened between the last frame of the old event and the first of the new
        # one: cutting midway halves the worst-case timing error (1/fps -> 1/(2 fps)).
        times = {i: self._cut_time(window, i) for i in range(1, len(window))}
        allowed = [
            i for i, o in enumerate(window)
            if i > 0
            and o.index > self._event_first
            and abs(o.index - pend.index) <= r
            and times[i] is not None
            and self.cfg.min_duration <= times[i] - self._event_start <= self.cfg.max_duration  # type: ignore[operator]
        ]
        if not allowed:
            last = window[-1]
            if not pend.forced and last.t - self._event_start < self.cfg.max_duration:
                pend.index = last.index  # inside an utterance: wait for the pause after it
                pend.postponed = True
                return None
            # too long already: cut through speech, as late as max_duration allows, but never
            # at or before the event's first frame (after a long gap no frame may fit at all)
            later = [j for j in range(1, len(window)) if window[j].index > self._event_first]
            if not later:
                return None  # the event has one frame: the next one can close it
            mids = {j: (window[j - 1].t + window[j].t) / 2 for j in later}
            fits = [j for j, t in mids.items() if t - self._event_start <= self.cfg.max_duration]
            j = max(fits) if fits else later[0]
            allowed, times[j] = [j], mids[j]
        i = allowed[0]  # after waiting out speech: the first pause is the boundary
        if self.cfg.refine != "none" and len(allowed) > 1 and not pend.postponed:
            names = set.intersection(*(set(o.features) for o in window))
            feats = {n: np.stack([o.features[n] for o in window]) for n in names}
            if feats:
                i = refine_boundary(feats, self.weights, allowed, self.cfg.refine)
        self._pending = None
        boundary, cut_t = window[i].index, float(times[i])  # type: ignore[arg-type]
        seg = Segment(self._event_first, boundary, self._event_start, cut_t, self._event_surprise)
        self._event_first, self._event_start = boundary, cut_t
        self._event_surprise = pend.surprise
        return seg
