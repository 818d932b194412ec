"""How each kind of live source is opened and read: a camera (with the default microphone), a
network stream, or a file replayed as live. Each reads into its `Capture` (frames through
`capture.emit`, audio into `capture.spool`); `KINDS` maps LiveSpec.kind to its class."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mmem.errors import DeviceError, InputError
from mmem.sources.audio import SAMPLE_RATE, AudioChunk
from mmem.sources.file import _working_size
from mmem.sources.sampler import Sampler
from mmem.sources.spool import AudioSpool

Target = Callable[[], None]
# FFmpeg's AVFMT_NOTIMESTAMPS: a format whose frames carry no time (HTTP MJPEG, `mpjpeg`); the
# demuxer numbers them at an assumed 25 fps instead, whatever the camera sends
NO_TIMESTAMPS = 0x0080


class Capture(Protocol):
    """What a source kind reads into (mmem.sources.live.Capture)."""

    spec: Any  # LiveSpec
    fps: float
    short_side: int
    spool: AudioSpool | None
    stats: Any  # CaptureStats
    sampler: Sampler
    warnings: list[str]
    media_duration: float
    t0: float  # monotonic start

    def elapsed(self) -> float: ...
    def time_up(self, t: float) -> bool: ...
    def emit(self, t: float, image: np.ndarray) -> None: ...


class LiveKind(ABC):
    """How one kind of live source is checked and opened (camera, stream, replay)."""

    closes_spool = True  # the spool closes when the video ends (a replay's audio thread closes it)

    def __init__(self, capture: Capture) -> None:
        self.capture = capture

    @abstractmethod
    def check(self) -> None:
        """Fail fast on a bad source, without starting to capture."""

    @abstractmethod
    def open(self) -> list[Target]:
        """Connect; returns the capture thread's target (video), then any others (audio)."""


class Camera(LiveKind):
    def check(self) -> None:
        self._open_camera().release()

    def open(self) -> list[Target]:
        self._cam = self._open_camera()
        self._mic = self.open_microphone() if self.capture.spool is not None else None
        return [self._read]

    def _open_camera(self):
        import cv2

        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # our message says it
        index = self.capture.spec.index
        cap = cv2.VideoCapture(index)
        if not cap.isOpened():
            cap.release()
            raise DeviceError(f"no camera at webcam:{index} (or it is busy): check that it is "
                              "plugged in and not used by another program, or try webcam:0 / webcam:1")
        return cap

    def open_microphone(self):
        """The default microphone into the spool; None (with a warning) when it cannot be had."""
        c = self.capture
        try:
            import sounddevice as sd  # optional: pip install 'mmem[mic]'
        except (ImportError, OSError) as exc:
            c.warnings.append(f"microphone skipped ({exc.__class__.__name__}): pip install 'mmem[mic]' "
                              "and PortAudio (apt install libportaudio2), or pass --no-audio")
            return None

        def on_audio(data, frames, when, status) -> None:  # PortAudio's thread
            t = c.elapsed() - frames / SAMPLE_RATE
            c.spool.write(AudioChunk(max(0.0, t), data[:, 0].astype(np.float32).copy()))  # type: ignore[union-attr]

        try:
            stream = sd.InputStream(samplerate=SAMPLE_RATE, channels=1, dtype="float32", callback=on_audio)
            stream.start()
        except Exception as exc:  # no input device, device busy, ...
            c.warnings.append(f"microphone skipped: {exc}; pass --no-audio to silence this")
            return None
        c.stats.has_audio = True
        return stream

    def _read(self) -> None:
        import cv2

        c, cap, misses = self.capture, self._cam, 0
        try:
            while True:
                t = c.elapsed()
                if c.time_up(t):
                    return
                if not cap.grab():
                    misses += 1
                    if misses > 50:
                        raise DeviceError(f"camera webcam:{c.spec.index} stopped delivering frames "
                                          "(unplugged?): the session was closed")
                    time.sleep(0.04)
                    continue
                misses = 0
                c.stats.seen += 1
                if c.sampler.keep(t):
                    ok, bgr = cap.retrieve()
                    if ok:
                        c.emit(t, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        finally:
            cap.release()
            if self._mic is not None:
                self._mic.stop()
                self._mic.close()


class Stream(LiveKind):
    """RTSP, HTTP MJPEG, HLS...: reconnects with backoff when the connection drops."""

    def check(self) -> None:
        self._connect().close()

    def open(self) -> list[Target]:
        self._container = self._connect()
        return [self._run]

    def _connect(self):
        import av

        uri = self.capture.spec.uri
        options = {"rtsp_transport": "tcp"} if uri.lower().startswith("rtsp") else {}
        try:
            container = av.open(uri, options=options, timeout=(10.0, 10.0))
        except av.error.HTTPUnauthorizedError:
            raise InputError(f"{uri}: access denied: put the credentials in the URL "
                             "(rtsp://user:password@host/...)") from None
        except (av.error.FFmpegError, OSError) as exc:
            raise InputError(f"cannot connect to {uri} ({exc.__class__.__name__}): check the "
                             "address, that the camera is on, and the network") from None
        if not container.streams.video:
            container.close()
            raise InputError(f"{uri} carries no video stream: point mmem at a video stream")
        return container

    def _run(self) -> None:
        import av

        c = self.capture
        backoff, container, lost = 0.5, self._container, 0.0
        while not c.time_up(c.elapsed()):
            if container is None:
                time.sleep(backoff)
                try:
                    container = self._connect()
                except InputError:
                    backoff = min(backoff * 2, 8.0)
                    continue
                c.stats.reconnects += 1
                c.stats.gaps.append((lost, c.elapsed()))
                backoff = 0.5
            try:
                self._read(container)
            except (av.error.FFmpegError, OSError) as exc:  # dropped: reconnect with backoff
                c.stats.last_error = f"{exc.__class__.__name__}: {exc}"
            finally:
                container.close()
                container = None
                # the gap starts when the stream went away, not at the last failed retry (each
                # retry restarted it: a 4 s outage was recorded as the last 2 s of it)
                lost = c.elapsed()

    def _read(self, container) -> None:
        import av

        c = self.capture
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio and c.spool is not None else None
        c.stats.has_audio = c.stats.has_audio or audio is not None
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE) if audio else None
        offset = c.elapsed()  # session time at which this connection's clock starts
        origin: dict[int, float] = {}
        # frames without a time of their own are stamped when they arrive: the made-up 25 fps
        # clock put a 10 fps camera's minute at 24 s (events, wall times and waits 2.5x off)
        clockless = bool(container.format.flags & NO_TIMESTAMPS)
        streams = [video] + ([audio] if audio else [])
        for packet in container.demux(*streams):
            if c.time_up(c.elapsed()):
                return
            for frame in packet.decode():
                if frame.time is None:
                    continue
                origin.setdefault(0, frame.time)
                t = c.elapsed() if clockless else offset + max(0.0, frame.time - origin[0])
                if packet.stream is video:
                    c.stats.seen += 1
                    if c.sampler.keep(t):
                        w, h = _working_size(frame.width, frame.height, c.short_side)
                        c.emit(t, frame.reformat(width=w, height=h, format="rgb24").to_ndarray())
                else:
                    for out in resampler.resample(frame):  # type: ignore[union-attr]
                        pcm = out.to_ndarray().reshape(-1).astype(np.float32)
                        c.spool.write(AudioChunk(t, pcm))  # type: ignore[union-attr]
        # a live stream does not end: EOF means the server went away
        raise OSError("stream ended")


class Replay(LiveKind):
    """A file replayed as live, paced at `spec.speed`; its audio is read beside it."""

    closes_spool = False

    def _probe(self):
        from mmem.sources.file import probe

        info = probe(Path(self.capture.spec.uri))
        if not info.has_video:
            raise InputError(f"{self.capture.spec.uri} has no video: --as-live replays video files")
        return info

    def check(self) -> None:
        self._probe()

    def open(self) -> list[Target]:
        self.capture.media_duration = self._probe().duration
        return [self._frames] + ([self._audio] if self.capture.spool is not None else [])

    def _pace(self, t: float) -> bool:
        """Sleep until media time t is due; False when the session should stop."""
        c = self.capture
        while True:
            if c.time_up(t):
                return False
            wait = c.t0 + t / c.spec.speed - time.monotonic()
            if wait <= 0:
                return True
            time.sleep(min(wait, 0.1))

    def _frames(self) -> None:
        from mmem.sources.file import iter_frames

        c = self.capture
        for f in iter_frames(Path(c.spec.uri), c.fps, c.short_side):
            if not self._pace(f.t):
                return
            c.stats.seen += 1
            c.sampler.keep(f.t)
            c.emit(f.t, f.image)

    def _audio(self) -> None:
        from mmem.sources.audio import iter_audio

        c = self.capture
        assert c.spool is not None
        try:
            for chunk in iter_audio(Path(c.spec.uri), 0.0, chunk_seconds=0.5):
                c.stats.has_audio = True
                if not self._pace(chunk.t + chunk.samples.size / SAMPLE_RATE):
                    return
                c.spool.write(chunk)
        finally:
            c.spool.close()


KINDS: dict[str, type[LiveKind]] = {"camera": Camera, "stream": Stream, "replay": Replay}
