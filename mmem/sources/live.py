"""Live sources: a camera, a network stream (RTSP, HTTP MJPEG, HLS), or a file replayed as live.

A capture thread reads the source as fast as it produces and keeps only what the sampler needs;
kept frames go to a bounded queue, and when processing falls behind the newest frame is dropped
and counted - lag and memory never build up. Audio goes to an on-disk spool instead: it is never
dropped silently. Times are seconds since the session started (media seconds for a replay);
`wall0` is the wall-clock start. Each kind of source is opened and read by its class in
live_kinds.py.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from mmem.errors import InputError
from mmem.sources.live_kinds import KINDS
from mmem.sources.sampler import Sampler
from mmem.sources.spool import AudioSpool
from mmem.types import Frame

STREAM_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt")


@dataclass(frozen=True)
class LiveSpec:
    kind: str  # camera | stream | replay
    uri: str  # webcam:N, a URL, or a file path
    index: int = 0  # camera index
    speed: float = 1.0  # replay: media seconds per wall second


def parse_live(arg: str, *, as_live: bool = False, speed: float = 1.0) -> LiveSpec | None:
    """A live source named on the command line, or None for a plain file."""
    if arg == "webcam" or arg.startswith("webcam:"):
        raw = arg.partition(":")[2] or "0"
        if not raw.isdigit():
            raise InputError(f"{arg}: a camera is webcam or webcam:N with N a number (webcam:0, webcam:1)")
        return LiveSpec("camera", f"webcam:{raw}", index=int(raw))
    if "://" in arg:
        scheme = arg.split("://", 1)[0].lower()
        if scheme not in STREAM_SCHEMES:
            raise InputError(f"{arg}: unknown stream scheme {scheme!r}: use one of "
                             + ", ".join(f"{s}://" for s in STREAM_SCHEMES))
        return LiveSpec("stream", arg)
    if as_live:
        if not speed > 0:
            raise InputError(f"--speed must be > 0 (got {speed})")
        path = Path(arg).expanduser()
        if not path.is_file():
            raise InputError(f"no such file: {path}: --as-live replays an existing file")
        return LiveSpec("replay", str(path.resolve()), speed=speed)
    return None


@dataclass
class CaptureStats:
    seen: int = 0  # frames the source delivered
    kept: int = 0  # frames sampled and queued
    dropped: int = 0  # sampled frames dropped because processing was behind
    reconnects: int = 0
    gaps: list[tuple[float, float]] = field(default_factory=list)  # no signal from..to (s)
    has_audio: bool = False
    last_error: str | None = None  # why the stream last dropped


def _scale(image: np.ndarray, short_side: int) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    s = min(1.0, short_side / min(h, w))
    if s < 1.0:
        image = cv2.resize(image, (int(round(w * s / 2)) * 2, int(round(h * s / 2)) * 2),
                           interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image)


class Capture:
    """Runs the source in background threads; frames come out of `frames`, audio out of `spool`."""

    def __init__(self, spec: LiveSpec, fps: float, short_side: int = 256, *, audio: bool = True,
                 duration: float | None = None, depth: int = 32) -> None:
        self.spec, self.fps, self.short_side = spec, fps, short_side
        self.duration = duration
        self.frames: queue.Queue[Frame] = queue.Queue(maxsize=depth)
        self.spool: AudioSpool | None = AudioSpool() if audio else None
        self.stats = CaptureStats()
        self.stop = threading.Event()
        self.done = threading.Event()  # the source ended, failed, or was stopped
        self.error: BaseException | None = None
        self.wall0 = datetime.now(timezone.utc)
        self.t0 = time.monotonic()
        self.sampler = Sampler(fps)
        self._threads: list[threading.Thread] = []
        self.media_duration = 0.0  # replay: the file's length
        self.warnings: list[str] = []
        self.source = KINDS[spec.kind](self)  # how this kind of source is opened and read

    # -- lifecycle --------------------------------------------------------------------------
    def check(self) -> None:
        """Fail fast on a bad camera, URL or file, without starting to capture."""
        self.source.check()

    def open(self) -> None:
        """Connect now, so a bad camera or URL fails before anything is written."""
        targets = self.source.open()
        self.wall0 = datetime.now(timezone.utc)
        self.t0 = time.monotonic()
        self._threads = [threading.Thread(target=self._guard(targets[0]), name="mmem-capture", daemon=True)]
        self._threads += [threading.Thread(target=self._guard(t, final=False), name="mmem-capture-audio",
                                           daemon=True) for t in targets[1:]]
        for t in self._threads:
            t.start()

    def close(self) -> None:
        self.stop.set()
        for t in self._threads:
            t.join(timeout=5)
        if self.spool is not None:
            self.spool.close()

    def elapsed(self) -> float:
        """Session seconds so far (media seconds for a replay)."""
        return (time.monotonic() - self.t0) * self.spec.speed

    def _guard(self, target, final: bool = True):
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # reported by the session, not lost in a thread
                self.error = exc
            finally:
                if final:
                    self.done.set()
                    if self.spool is not None and self.source.closes_spool:
                        self.spool.close()
        return run

    def time_up(self, t: float) -> bool:
        return self.stop.is_set() or (self.duration is not None and t >= self.duration)

    def emit(self, t: float, image: np.ndarray) -> None:
        try:
            self.frames.put_nowait(Frame(index=self.stats.kept, t=t, image=_scale(image, self.short_side)))
            self.stats.kept += 1
        except queue.Full:
            self.stats.dropped += 1  # processing is behind: drop by policy, never build lag
