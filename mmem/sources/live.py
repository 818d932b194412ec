"""Live sources: a camera, a network stream (RTSP, HTTP MJPEG, HLS), or a file replayed as live.

A capture thread reads the source as fast as it produces and keeps only what the sampler needs;
kept frames go to a bounded queue, and when processing falls behind the newest frame is dropped
and counted - lag and memory never build up. Audio goes to an on-disk spool instead: it is never
dropped silently. Times are seconds since the session started (media seconds for a replay);
`wall0` is the wall-clock start.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from mmem.errors import DeviceError, InputError
from mmem.sources.audio import SAMPLE_RATE, AudioChunk
from mmem.sources.file import _working_size
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
        self._t0 = time.monotonic()
        self._sampler = Sampler(fps)
        self._threads: list[threading.Thread] = []
        self.media_duration = 0.0  # replay: the file's length
        self.warnings: list[str] = []

    # -- lifecycle --------------------------------------------------------------------------
    def check(self) -> None:
        """Fail fast on a bad camera, URL or file, without starting to capture."""
        if self.spec.kind == "camera":
            self._open_camera().release()
        elif self.spec.kind == "stream":
            self._open_stream().close()
        else:
            from mmem.sources.file import probe

            if not probe(Path(self.spec.uri)).has_video:
                raise InputError(f"{self.spec.uri} has no video: --as-live replays video files")

    def open(self) -> None:
        """Connect now, so a bad camera or URL fails before anything is written."""
        if self.spec.kind == "camera":
            self._cam = self._open_camera()
            target = self._camera
            if self.spool is not None:
                self._mic = self._open_microphone()
        elif self.spec.kind == "stream":
            self._container = self._open_stream()
            target = self._stream
        else:
            from mmem.sources.file import probe

            info = probe(Path(self.spec.uri))
            if not info.has_video:
                raise InputError(f"{self.spec.uri} has no video: --as-live replays video files")
            self.media_duration = info.duration
            target = self._replay
        self.wall0 = datetime.now(timezone.utc)
        self._t0 = time.monotonic()
        self._threads = [threading.Thread(target=self._guard(target), name="mmem-capture", daemon=True)]
        if self.spec.kind == "replay" and self.spool is not None:
            self._threads.append(threading.Thread(target=self._guard(self._replay_audio, final=False),
                                                  name="mmem-capture-audio", daemon=True))
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
        return (time.monotonic() - self._t0) * self.spec.speed

    def _guard(self, target, final: bool = True):
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # reported by the session, not lost in a thread
                self.error = exc
            finally:
                if final:
                    self.done.set()
                    if self.spool is not None and self.spec.kind != "replay":
                        self.spool.close()
        return run

    def _time_up(self, t: float) -> bool:
        return self.stop.is_set() or (self.duration is not None and t >= self.duration)

    def _emit(self, t: float, image: np.ndarray) -> None:
        try:
            self.frames.put_nowait(Frame(index=self.stats.kept, t=t, image=_scale(image, self.short_side)))
            self.stats.kept += 1
        except queue.Full:
            self.stats.dropped += 1  # processing is behind: drop by policy, never build lag

    # -- camera ---------------------------------------------------------------------------------
    def _open_camera(self):
        import cv2

        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # our message says it
        cap = cv2.VideoCapture(self.spec.index)
        if not cap.isOpened():
            cap.release()
            raise DeviceError(f"no camera at webcam:{self.spec.index} (or it is busy): check that it is "
                              "plugged in and not used by another program, or try webcam:0 / webcam:1")
        return cap

    def _open_microphone(self):
        """The default microphone into the spool; None (with a warning) when it cannot be had."""
        try:
            import sounddevice as sd  # optional: pip install 'mmem[mic]'
        except (ImportError, OSError) as exc:
            self.warnings.append(f"microphone skipped ({exc.__class__.__name__}): pip install 'mmem[mic]' "
                                 "and PortAudio (apt install libportaudio2), or pass --no-audio")
            return None

        def on_audio(data, frames, when, status) -> None:  # PortAudio's thread
            t = self.elapsed() - frames / SAMPLE_RATE
            self.spool.write(AudioChunk(max(0.0, t), data[:, 0].astype(np.float32).copy()))  # type: ignore[union-attr]

        try:
            stream = sd.InputStream(samplerate=SAMPLE_RATE, channels=1, dtype="float32", callback=on_audio)
            stream.start()
        except Exception as exc:  # no input device, device busy, ...
            self.warnings.append(f"microphone skipped: {exc}; pass --no-audio to silence this")
            return None
        self.stats.has_audio = True
        return stream

    def _camera(self) -> None:
        import cv2

        cap, misses = self._cam, 0
        try:
            while True:
                t = self.elapsed()
                if self._time_up(t):
                    return
                if not cap.grab():
                    misses += 1
                    if misses > 50:
                        raise DeviceError(f"camera webcam:{self.spec.index} stopped delivering frames "
                                          "(unplugged?): the session was closed")
                    time.sleep(0.04)
                    continue
                misses = 0
                self.stats.seen += 1
                if self._sampler.keep(t):
                    ok, bgr = cap.retrieve()
                    if ok:
                        self._emit(t, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        finally:
            cap.release()
            mic = getattr(self, "_mic", None)
            if mic is not None:
                mic.stop()
                mic.close()

    # -- network streams ------------------------------------------------------------------------
    def _open_stream(self):
        import av

        options = {"rtsp_transport": "tcp"} if self.spec.uri.lower().startswith("rtsp") else {}
        try:
            container = av.open(self.spec.uri, options=options, timeout=(10.0, 10.0))
        except av.error.HTTPUnauthorizedError:
            raise InputError(f"{self.spec.uri}: access denied: put the credentials in the URL "
                             "(rtsp://user:password@host/...)") from None
        except (av.error.FFmpegError, OSError) as exc:
            raise InputError(f"cannot connect to {self.spec.uri} ({exc.__class__.__name__}): check the "
                             "address, that the camera is on, and the network") from None
        if not container.streams.video:
            container.close()
            raise InputError(f"{self.spec.uri} carries no video stream: point mmem at a video stream")
        return container

    def _stream(self) -> None:
        import av

        backoff, container = 0.5, self._container
        while not self._time_up(self.elapsed()):
            if container is None:
                lost = self.elapsed()
                time.sleep(backoff)
                try:
                    container = self._open_stream()
                except InputError:
                    backoff = min(backoff * 2, 8.0)
                    continue
                self.stats.reconnects += 1
                self.stats.gaps.append((lost, self.elapsed()))
                backoff = 0.5
            try:
                self._read_stream(container)
            except (av.error.FFmpegError, OSError) as exc:  # dropped: reconnect with backoff
                self.stats.last_error = f"{exc.__class__.__name__}: {exc}"
            finally:
                container.close()
                container = None

    def _read_stream(self, container) -> None:
        import av

        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio and self.spool is not None else None
        self.stats.has_audio = self.stats.has_audio or audio is not None
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE) if audio else None
        offset = self.elapsed()  # session time at which this connection's clock starts
        origin: dict[int, float] = {}
        streams = [video] + ([audio] if audio else [])
        for packet in container.demux(*streams):
            if self._time_up(self.elapsed()):
                return
            for frame in packet.decode():
                if frame.time is None:
                    continue
                origin.setdefault(0, frame.time)
                t = offset + max(0.0, frame.time - origin[0])
                if packet.stream is video:
                    self.stats.seen += 1
                    if self._sampler.keep(t):
                        w, h = _working_size(frame.width, frame.height, self.short_side)
                        self._emit(t, frame.reformat(width=w, height=h, format="rgb24").to_ndarray())
                else:
                    for out in resampler.resample(frame):  # type: ignore[union-attr]
                        pcm = out.to_ndarray().reshape(-1).astype(np.float32)
                        self.spool.write(AudioChunk(t, pcm))  # type: ignore[union-attr]
        # a live stream does not end: EOF means the server went away
        raise OSError("stream ended")

    # -- a file replayed as live -----------------------------------------------------------------
    def _pace(self, t: float) -> bool:
        """Sleep until media time t is due; False when the session should stop."""
        while True:
            if self._time_up(t):
                return False
            wait = self._t0 + t / self.spec.speed - time.monotonic()
            if wait <= 0:
                return True
            time.sleep(min(wait, 0.1))

    def _replay(self) -> None:
        from mmem.sources.file import iter_frames

        for f in iter_frames(Path(self.spec.uri), self.fps, self.short_side):
            if not self._pace(f.t):
                return
            self.stats.seen += 1
            self._sampler.keep(f.t)
            self._emit(f.t, f.image)

    def _replay_audio(self) -> None:
        from mmem.sources.audio import iter_audio

        assert self.spool is not None
        try:
            for chunk in iter_audio(Path(self.spec.uri), 0.0, chunk_seconds=0.5):
                self.stats.has_audio = True
                if not self._pace(chunk.t + chunk.samples.size / SAMPLE_RATE):
                    return
                self.spool.write(chunk)
        finally:
            self.spool.close()
